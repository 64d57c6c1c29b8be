"""856 Ship Notice/Manifest: X12 -> ShipNotice and back, hierarchy included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.transactions import asn856
from gateway.errors import TranslationError
from gateway.messages import ShipNotice, Weight
from tests.unit.x12.strategies import CORPUS, corpus_files, transaction_from_text

SAMPLE = """
BSN*00*ASN-77*20240301*1415*0002~
DTM*011*20240301*1400~
HL*1**S*1~
TD1*CTN25*3****G*45.5*LB~
TD5*B*2*UPSN*U*GROUND~
REF*BM*BOL-1~
REF*CN*PRO-9~
REF*2I*1Z999~
REF*2I*1Z998~
REF*DP*042~
DTM*017*20240305~
DTM*067*20240306~
N1*SF*WAREHOUSE*92*W1~
N3*1 DOCK RD~
N4*RENO*NV*89501~
N1*ST*STORE 12*92*0012~
N1*BY*BUYER CO~
HL*2*1*O*1~
PRF*PO-1001*REL1**20240220~
REF*IA*V7~
N1*BY**92*0012~
HL*3*2*T*1~
MAN*GM*00012345678901234567~
HL*4*3*P*1~
TD1******G*12*LB~
MAN*GM*00012345678901234574~
MAN*CP*1Z999~
HL*5*4*I*0~
LIN*1*UP*012345678905*VN*V-100~
SN1**12*EA**12*EA~
PID*F****BLUE WIDGET~
HL*6*2*P*1~
MAN*GM*00012345678901234581~
HL*7*6*I*0~
LIN*2*BP*B-2~
SN1**.5*CA~
HL*8*2*I*0~
SN1*3*1*EA~
CTT*8*13.5
"""


@pytest.fixture(scope="module")
def notice() -> ShipNotice:
    return asn856.parse(transaction_from_text(SAMPLE, "856"))


def test_bsn_and_shipment_level_map_to_their_fields(notice: ShipNotice) -> None:
    assert (notice.purpose_code, notice.shipment_id) == ("00", "ASN-77")
    assert (notice.ship_date, notice.ship_time) == (dt.date(2024, 3, 1), "1415")
    assert notice.hierarchy_code == "0002"
    assert (notice.packaging_code, notice.lading_quantity) == ("CTN25", 3)
    assert notice.gross_weight == Weight(qualifier="G", value=Decimal("45.5"), unit="LB")
    assert (notice.carrier_scac, notice.transport_method, notice.routing) == (
        "UPSN",
        "U",
        "GROUND",
    )
    assert (notice.bill_of_lading, notice.pro_number) == ("BOL-1", "PRO-9")
    assert notice.tracking_numbers == ["1Z999", "1Z998"]
    assert [(r.qualifier, r.value) for r in notice.references] == [("DP", "042")]


def test_dates_before_the_first_hl_and_at_shipment_level_are_read(notice: ShipNotice) -> None:
    assert notice.ship_date_time is not None and notice.delivery_date is not None
    assert (notice.ship_date_time.date, notice.ship_date_time.time) == (
        dt.date(2024, 3, 1),
        "1400",
    )
    assert notice.delivery_date.date == dt.date(2024, 3, 5)


def test_ship_from_and_ship_to_are_taken_out_of_the_parties(notice: ShipNotice) -> None:
    assert notice.ship_from is not None and notice.ship_to is not None
    assert (notice.ship_from.name, notice.ship_from.id) == ("WAREHOUSE", "W1")
    assert notice.ship_from.address is not None and notice.ship_from.address.city == "RENO"
    assert notice.ship_to.id == "0012"
    assert [p.role for p in notice.parties] == ["BY"]


def test_the_hierarchy_becomes_orders_tares_packs_and_items(notice: ShipNotice) -> None:
    [order] = notice.orders
    assert (order.po_number, order.release_number) == ("PO-1001", "REL1")
    assert order.po_date == dt.date(2024, 2, 20)
    assert [(r.qualifier, r.value) for r in order.references] == [("IA", "V7")]
    assert [p.role for p in order.parties] == ["BY"]
    [tare] = order.tares
    assert tare.sscc == "00012345678901234567"
    [pack] = tare.packs
    assert (pack.sscc, pack.tracking_number) == ("00012345678901234574", "1Z999")
    assert pack.weight == Weight(qualifier="G", value=Decimal(12), unit="LB")
    [item] = pack.items
    assert (item.line_number, item.item.upc, item.item.vendor_item_number) == (
        "1",
        "012345678905",
        "V-100",
    )
    assert (item.quantity_shipped, item.unit_of_measure) == (Decimal(12), "EA")
    assert (item.quantity_ordered, item.ordered_unit_of_measure) == (Decimal(12), "EA")
    assert item.description == "BLUE WIDGET"
    [direct_pack] = order.packs
    assert [(i.line_number, i.quantity_shipped) for i in direct_pack.items] == [
        ("2", Decimal("0.5"))
    ]
    [direct_item] = order.items
    assert (direct_item.line_number, direct_item.quantity_shipped) == ("3", Decimal(1))


def test_an_empty_hl02_points_at_the_nearest_level_that_can_hold_it() -> None:
    notice = asn856.parse(
        transaction_from_text(
            "BSN*00*A1*20240301*1415~HL*1**S~HL*2**O~PRF*P1~HL*3**P~MAN*GM*1~HL*4**I~SN1**1*EA~"
            "HL*5**O~PRF*P2~HL*6**I~SN1**2*EA",
            "856",
        )
    )
    first, second = notice.orders
    assert [len(p.items) for p in first.packs] == [1]
    assert (second.po_number, [i.quantity_shipped for i in second.items]) == ("P2", [Decimal(2)])


def test_items_directly_under_the_shipment_are_grouped_into_orders_by_their_prf() -> None:
    notice = asn856.parse(
        transaction_from_text(
            "BSN*00*A1*20240301*1415~HL*1**S~"
            "HL*2*1*I~LIN*1*BP*A~SN1**1*EA~PRF*P1***20240201~"
            "HL*3*1*I~LIN*2*BP*B~SN1**2*EA~PRF*P2~"
            "HL*4*1*I~LIN*3*BP*C~SN1**3*EA~PRF*P1***20240201",
            "856",
        )
    )
    assert [(o.po_number, o.po_date) for o in notice.orders] == [
        ("P1", dt.date(2024, 2, 1)),
        ("P2", None),
    ]
    assert [i.line_number for i in notice.orders[0].items] == ["1", "3"]


BSN = "BSN*00*A1*20240301*1415~"


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        pytest.param("HL*1**S~HL*2*1*O~PRF*P", "segment 2", "no BSN", id="no BSN"),
        pytest.param("BSN*00**20240301*1415~HL*1**S", "BSN02", "shipment id", id="BSN02"),
        pytest.param(BSN, "segment 2", "no HL", id="no HL"),
        pytest.param(BSN + "HL*1**O~PRF*P", "HL03", "not the shipment", id="first not S"),
        pytest.param(BSN + "HL*1**S~HL*2*1*X", "HL03", "not a level", id="unknown level"),
        pytest.param(BSN + "HL*1**S~HL*2*1*O~PRF*P~HL*3*9*I~SN1**1*EA", "HL02", "no earlier"),
        pytest.param(
            BSN + "HL*1**S~HL*2*1*O~PRF*P~HL*3*2*T~HL*4*3*I~SN1**1*EA",
            "segment 7 (HL), element HL02",
            "item level cannot sit under the tare level HL 3",
            id="item under tare",
        ),
        pytest.param(BSN + "HL*1**S~HL*1*1*O~PRF*P", "HL01", "used twice", id="HL01 twice"),
        pytest.param(BSN + "HL*1**S~HL*2**S", "HL03", "second shipment", id="second S"),
        pytest.param(BSN + "HL*1**S~TD1*CTN*1", "segment 3 (HL)", "no order", id="no order"),
        pytest.param(BSN + "HL*1**S~HL*2*1*O", "segment 4 (HL)", "no PRF", id="no PRF"),
        pytest.param(BSN + "HL*1**S~HL*2*1*I~SN1**1*EA", "segment 4 (HL)", "no PRF", id="S-I"),
        pytest.param(BSN + "HL*1**S~HL*2*1*O~PRF*P~HL*3*2*I~LIN**BP*X", "(HL)", "no SN1"),
        pytest.param(BSN + "HL*1**S~TD1******G*5~HL*2*1*O~PRF*P", "TD108", "unit", id="weight"),
        pytest.param(BSN + "HL*1**S~TD1*CTN*2.5~HL*2*1*O~PRF*P", "TD102", "whole", id="lading"),
    ],
)
def test_an_unexpected_structure_raises_with_a_location(
    body: str, location: str, message: str
) -> None:
    with pytest.raises(TranslationError, match=message) as raised:
        asn856.parse(transaction_from_text(body, "856"))
    assert raised.value.location is not None
    assert location in raised.value.location


def rendered(message: ShipNotice) -> list[str]:
    return [segment.text() for segment in asn856.render(message).body]


def test_render_numbers_the_hierarchy_and_counts_hl_segments_in_ctt(notice: ShipNotice) -> None:
    assert rendered(notice) == [
        "BSN*00*ASN-77*20240301*1415*0002",
        "HL*1**S*1",
        "TD1*CTN25*3****G*45.5*LB",
        "TD5*B*2*UPSN*U*GROUND",
        "REF*BM*BOL-1",
        "REF*CN*PRO-9",
        "REF*2I*1Z999",
        "REF*2I*1Z998",
        "REF*DP*042",
        "DTM*011*20240301*1400",
        "DTM*017*20240305",
        "DTM*067*20240306",
        "N1*SF*WAREHOUSE*92*W1",
        "N3*1 DOCK RD",
        "N4*RENO*NV*89501",
        "N1*ST*STORE 12*92*0012",
        "N1*BY*BUYER CO",
        "HL*2*1*O*1",
        "PRF*PO-1001*REL1**20240220",
        "REF*IA*V7",
        "N1*BY**92*0012",
        "HL*3*2*T*1",
        "MAN*GM*00012345678901234567",
        "HL*4*3*P*1",
        "TD1******G*12*LB",
        "MAN*GM*00012345678901234574",
        "MAN*CP*1Z999",
        "HL*5*4*I*0",
        "LIN*1*VN*V-100*UP*012345678905",
        "SN1**12*EA**12*EA",
        "PID*F****BLUE WIDGET",
        "HL*6*2*P*1",
        "MAN*GM*00012345678901234581",
        "HL*7*6*I*0",
        "LIN*2*BP*B-2",
        "SN1**.5*CA",
        "HL*8*2*I*0",
        "SN1*3*1*EA",
        "CTT*8*13.5",
    ]


def test_levels_without_children_say_so_in_hl04(notice: ShipNotice) -> None:
    order = notice.orders[0].model_copy(update={"tares": [], "packs": [], "items": []})
    lines = rendered(notice.model_copy(update={"orders": [order]}))
    assert [line for line in lines if line.startswith(("HL", "CTT"))] == [
        "HL*1**S*1",
        "HL*2*1*O*0",
        "CTT*2*0",
    ]


# ----------------------------------------------------------------------------------------------
# Real files


NOT_A_SHIP_NOTICE = {
    "x12/KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___"
    "SampleEdiFiles__ORD___856__Example2.txt": "BSN02 (shipment id, mandatory) is empty",
    "x12/kputnam__stupidedi__spec__fixtures__002001__SH856__fail__1.edi": (
        "deliberately broken fixture: a tare directly under the shipment, packs under items"
    ),
}
"""Corpus 856s that cannot become a ShipNotice, and why."""


@pytest.mark.parametrize("name", corpus_files("856"))
def test_real_ship_notices_translate(name: str) -> None:
    notices = [tx for tx in transactions_in(CORPUS / name) if tx.set_id == "856"]
    assert notices
    if name in NOT_A_SHIP_NOTICE:
        with pytest.raises(TranslationError):
            for tx in notices:
                asn856.parse(tx)
        return
    for tx in notices:
        message = asn856.parse(tx)
        assert message.orders
        assert message.envelope == tx.envelope()


def test_a_real_ship_notice_translates_to_its_values() -> None:
    [tx] = transactions_in(CORPUS / "x12/aaronhuggins__node-x12__test__test-data__856.edi")
    notice = asn856.parse(tx)
    assert (notice.shipment_id, notice.hierarchy_code) == ("829716", "0002")
    assert notice.gross_weight == Weight(qualifier="A3", value=Decimal("60.310"), unit="LB")
    assert (notice.bill_of_lading, notice.pro_number) == ("999999-001", "5787970539")
    assert notice.ship_from is not None and notice.ship_from.name == "1 EDI SOURCE"
    [order] = notice.orders
    assert (order.po_number, order.po_date) == ("99999817", dt.date(2011, 12, 5))
    first, second = order.items
    assert (first.line_number, first.quantity_shipped, first.item.upc) == (
        "1",
        Decimal(24),
        "999999310145",
    )
    assert first.description == "BLUE WIDGET"
    assert second.item.other_ids[0].value == "99887D"


def test_a_real_pack_level_ship_notice_translates_to_its_values() -> None:
    name = (
        "x12/bots-edi__bots-plugins__x12__to_xml_retailer_version_850-856-810-997__botssys__"
        "infile__x12_demo__inbound__856_2.x12"
    )
    first, _ = transactions_in(CORPUS / name)
    notice = asn856.parse(first)
    assert [o.po_number for o in notice.orders] == ["ordernumber1", "ordernumber2", "ordernumber4"]
    assert [len(o.packs) for o in notice.orders] == [2, 2, 1]
    pack = notice.orders[1].packs[1]
    assert pack.sscc == "0000123456781234567892"
    assert [(i.line_number, i.quantity_shipped) for i in pack.items] == [
        ("3", Decimal(36)),
        ("5", Decimal(24)),
    ]


def test_an_items_mea_is_the_weight_shipped_the_catch_weight_of_an_item_that_varies() -> None:
    notice = asn856.parse(
        transaction_from_text(
            "BSN*00*A1*20240301*1415~HL*1**S~HL*2*1*O~PRF*P1~HL*3*2*I~LIN**VN*CHEESE-1~"
            "SN1**4*EA~MEA*PD*N*12.35*LB~MEA*PD*G*13*LB**1",
            "856",
        )
    )
    [item] = notice.orders[0].items
    [weight] = item.measurements
    assert (weight.reference_code, weight.qualifier, weight.value, weight.unit) == (
        "PD",
        "N",
        Decimal("12.35"),
        "LB",
    )
    assert [u.segment_id for u in notice.unmapped] == ["MEA"]  # one saying more (MEA06): kept
    rendered = [s.tag for s in asn856.render(notice).body]
    assert rendered.count("MEA") == 1 and rendered.index("MEA") == rendered.index("SN1") + 1

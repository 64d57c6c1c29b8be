"""940 Warehouse Shipping Order <-> WarehouseShippingOrder: read, written, validated, round trips.

Also the strategies the 945 tests share (dates, notes, transports, weights of the W segments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.report import scan
from adapters.formats.x12.transactions import warehouse940
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import RenderError, TranslationError
from gateway.messages import (
    ItemId,
    ItemIdentification,
    Party,
    Reference,
    Transport,
    WarehouseDate,
    WarehouseNote,
    WarehouseOrderLine,
    WarehouseShippingOrder,
    Weight,
)
from tests.unit.x12.strategies import (
    CORPUS,
    UNITS,
    addresses,
    codes,
    contacts,
    corpus_files,
    dates,
    decimals,
    envelopes,
    identifiers,
    optional,
    text,
    times,
    transaction_from_text,
)
from tests.unit.x12.test_round_trip import assert_round_trip
from tests.unit.x12.warehouse_checks import (
    assert_rendered_validate_clean,
    assert_sample_is_accepted,
)

ORDER = """
W05*N*SO-4711*PO-2026-88*001001*MR-9*TT~
N1*WH*EAST DC*92*DC-EAST~N4*NEWARK*NJ*07101~N1*ST*STORE 42*92*0042~N3*42 MARKET ST~
N4*DAYTON*OH*45402~N1*DE*WIDGETCO*9*0614141000005~
N9*BR*R1121~G62*10*20261210~G62*02*20261212*Z*1700~NTE*WHI*SHIP ON CHEP PALLETS~
W66*PP*M***ROUTE 9*****UPSN~
LX*1~W01*12*CA*000100000010*VN*SKU-1*UP*012345678905******LOT-77~G69*BLUE WIDGET~
N9*LI*1000~N9*SE*SN-1~N9*SE*SN-2~W20****36.5*G*L~
LX*2~W01*4*EA**VN*SKU-2~W76*16*500*LB
"""


def order_of(body: str = ORDER, version: str = "004010") -> WarehouseShippingOrder:
    message = translate(transaction_from_text(body, "940", version))
    assert isinstance(message, WarehouseShippingOrder)
    return message


def test_w05_names_the_order_and_its_references() -> None:
    order = order_of()
    assert (order.order_status, order.depositor_order_number, order.po_number) == (
        "N",
        "SO-4711",
        "PO-2026-88",
    )
    assert (order.link_sequence, order.master_reference, order.transaction_type) == (
        "001001",
        "MR-9",
        "TT",
    )
    assert order.references == [Reference(qualifier="BR", value="R1121")]
    assert order.dates[1] == WarehouseDate(
        qualifier="02", date=dt.date(2026, 12, 12), time_qualifier="Z", time="1700"
    )
    assert order.notes == [WarehouseNote(code="WHI", text="SHIP ON CHEP PALLETS")]
    assert order.transport == Transport(
        payment_method="PP", transport_method="M", routing="ROUTE 9", carrier_scac="UPSN"
    )
    assert (order.total_quantity, order.total_weight) == (
        Decimal(16),
        Weight(value=Decimal(500), unit="LB"),
    )


def test_the_warehouse_and_ship_to_have_fields_of_their_own() -> None:
    order = order_of()
    assert order.warehouse is not None and order.warehouse.id == "DC-EAST"
    assert order.ship_to is not None and order.ship_to.name == "STORE 42"
    assert [p.role for p in order.parties] == ["DE"]


def test_each_lx_loop_is_a_line_with_its_lot_serials_and_weight() -> None:
    first, second = order_of().lines
    assert (first.line_number, first.quantity, first.unit_of_measure) == ("1", Decimal(12), "CA")
    assert first.upc_case_code == "000100000010"
    assert (first.item.vendor_item_number, first.item.upc) == ("SKU-1", "012345678905")
    assert (first.lot_number, first.description) == ("LOT-77", "BLUE WIDGET")
    assert first.serial_numbers == ["SN-1", "SN-2"]
    assert first.references == [Reference(qualifier="LI", value="1000")]
    assert first.weight == Weight(qualifier="G", value=Decimal("36.5"), unit="L")
    assert (second.line_number, second.item.vendor_item_number, second.weight) == (
        "2",
        "SKU-2",
        None,
    )


def test_an_lx_loop_with_two_w01_gives_two_lines_of_its_number() -> None:
    order = order_of(ORDER.replace("LX*2~W01*4*EA**VN*SKU-2~", "W01*4*EA**VN*SKU-2~"))
    assert [(line.line_number, line.item.vendor_item_number) for line in order.lines] == [
        ("1", "SKU-1"),
        ("1", "SKU-2"),
    ]


def test_an_order_without_w05_or_lines_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no W05 segment"):
        order_of("N1*WH*EAST DC~LX*1~W01*1*EA")
    with pytest.raises(TranslationError, match="no LX segment"):
        order_of("W05*N*SO-1")
    with pytest.raises(TranslationError, match=r"\(W01\), element W0101"):
        order_of("W05*N*SO-1~LX*1~W01*many*EA")
    with pytest.raises(TranslationError, match="holds no W01"):
        order_of("W05*N*SO-1~LX*1~G69*NOTHING")


def test_a_transport_names_its_payment_and_the_total_weight_its_quantity() -> None:
    order = order_of()
    with pytest.raises(ValidationError, match="payment method"):
        order.model_validate(
            {
                **order.model_dump(exclude={"document_id"}),
                "transport": {"transport_method": "M", "payment_method": None},
            }
        )
    with pytest.raises(ValidationError, match="total quantity"):
        order.model_validate({**order.model_dump(exclude={"document_id"}), "total_quantity": None})


def test_render_writes_the_w_segments_at_their_positions() -> None:
    segments = [s.text() for s in warehouse940.render(order_of()).body]
    assert segments[0] == "W05*N*SO-4711*PO-2026-88*001001*MR-9*TT"
    assert "W66*PP*M***ROUTE 9*****UPSN" in segments
    assert "W01*12*CA*000100000010*VN*SKU-1*UP*012345678905******LOT-77" in segments
    assert segments[-1] == "W76*16*500*LB"


def test_a_line_with_more_ids_than_the_w01_holds_cannot_be_rendered() -> None:
    order = order_of()
    crowded = order.lines[0].item.model_copy(
        update={"other_ids": [ItemId(qualifier="EN", value="1"), ItemId(qualifier="SK", value="2")]}
    )
    line = order.lines[0].model_copy(update={"item": crowded})
    with pytest.raises(RenderError, match="3 product ids at most"):
        warehouse940.render(order.model_copy(update={"lines": [line]}))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_940_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    assert_sample_is_accepted(ORDER, "940", version, order_of(ORDER, version))


@pytest.mark.parametrize("name", corpus_files("940"))
def test_real_shipping_orders_translate(name: str) -> None:
    for tx in transactions_in((CORPUS / name).read_bytes()):
        order = translate(tx)
        assert isinstance(order, WarehouseShippingOrder) and order.lines


def test_a_real_shipping_order_translates_to_its_values() -> None:
    [name] = [n for n in corpus_files("940") if n.endswith("940.OK.edi")]
    [tx] = transactions_in((CORPUS / name).read_bytes())
    order = translate(tx)
    assert isinstance(order, WarehouseShippingOrder)
    assert (order.depositor_order_number, order.link_sequence) == ("538686", "001001")
    assert order.warehouse is not None and order.warehouse.id == "0000000000140"
    assert [(line.line_number, line.quantity, line.lot_number) for line in order.lines] == [
        ("1", Decimal(12), "19991205"),
        ("2", Decimal(32), "19991207"),
        ("3", Decimal(12), "20000107"),
    ]
    # its W76 also gives a volume, which no field holds: kept whole, its weight not read
    assert order.total_weight is None
    assert [(u.segment_id, u.elements) for u in order.unmapped] == [
        ("W76", ["56", "500", "LB", "24", "CF"])
    ]
    assert scan((CORPUS / name).read_bytes(), counter=InMemoryCounter()).accepted == 1


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical

ROLES = ["DE", "CN", "BT", "SF", "VN"]


@st.composite
def warehouse_parties(draw: st.DrawFn, roles: list[str]) -> Party:
    """An N1 loop of the 940/945: no REF, at most two additional names (one N2)."""
    with_id = draw(st.booleans())
    return Party(
        role=draw(codes(roles)),
        name=draw(text(60) if not with_id else optional(text(60))),
        id_qualifier=draw(codes(["1", "9", "91", "92", "ZZ"])) if with_id else None,
        id=draw(text(80, min_size=2)) if with_id else None,
        additional_names=draw(st.lists(text(60), max_size=2)),
        address=draw(optional(addresses())),
        contacts=draw(st.lists(contacts(), max_size=2)),
    )


@st.composite
def warehouse_dates(draw: st.DrawFn) -> WarehouseDate:
    time = draw(optional(times()))
    return WarehouseDate(
        qualifier=draw(codes(["02", "10", "11", "17", "37", "38"])),
        date=draw(dates()),
        time_qualifier=draw(codes(["Z", "W", "1"])) if time else None,
        time=time,
    )


def notes() -> st.SearchStrategy[WarehouseNote]:
    return st.builds(
        WarehouseNote, code=optional(codes(["WHI", "GEN", "DEL", "SPH"])), text=text(80)
    )


def n9_references() -> st.SearchStrategy[Reference]:
    """N9: N902 or N903 (R0203), never SE (serial numbers have a field of their own)."""
    return st.builds(
        Reference,
        qualifier=codes(["BR", "LI", "PJ", "PC", "CO", "ZZ"]),
        value=optional(text(30)),
        description=optional(text(45)),
    ).filter(lambda r: r.value is not None or r.description is not None)


def weights(unit_codes: list[str], qualified: bool = True) -> st.SearchStrategy[Weight]:
    qualifiers = optional(codes(["G", "N", "A3"])) if qualified else st.none()
    return st.builds(Weight, qualifier=qualifiers, value=decimals(8), unit=codes(unit_codes))


def line_numbers() -> st.SearchStrategy[str]:
    """LX01, a number of 1 to 6 digits."""
    return st.integers(1, 999_999).map(str)


@st.composite
def line_items(draw: st.DrawFn) -> ItemIdentification:
    """One to three id pairs: what a W01 or W12 holds."""
    return ItemIdentification(
        vendor_item_number=draw(text(48)),
        upc=draw(optional(identifiers(12, min_size=12))),
        other_ids=draw(
            st.lists(
                st.builds(ItemId, qualifier=codes(["EN", "IN", "SK", "UC"]), value=text(48)),
                max_size=1,
            )
        ),
    )


@st.composite
def order_lines(draw: st.DrawFn) -> WarehouseOrderLine:
    return WarehouseOrderLine(
        line_number=draw(line_numbers()),
        quantity=draw(decimals(12)),
        unit_of_measure=draw(codes(UNITS)),
        upc_case_code=draw(optional(identifiers(12, min_size=12))),
        item=draw(line_items()),
        lot_number=draw(optional(text(12))),
        description=draw(optional(text(45))),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
        references=draw(st.lists(n9_references(), max_size=2)),
        weight=draw(optional(weights(["L", "K"]))),
    )


@st.composite
def shipping_orders(draw: st.DrawFn) -> WarehouseShippingOrder:
    total = draw(optional(decimals(12)))
    return WarehouseShippingOrder(
        envelope=draw(envelopes()),
        order_status=draw(codes(["N", "C", "R", "F"])),
        depositor_order_number=draw(text(22)),
        po_number=draw(optional(text(22))),
        link_sequence=draw(optional(identifiers(6, min_size=6))),
        master_reference=draw(optional(text(22))),
        transaction_type=draw(optional(codes(["LS", "OT", "ZZ"]))),
        warehouse=draw(optional(warehouse_parties(["WH"]))),
        ship_to=draw(optional(warehouse_parties(["ST"]))),
        parties=draw(st.lists(warehouse_parties(ROLES), max_size=2)),
        references=draw(st.lists(n9_references(), max_size=3)),
        dates=draw(st.lists(warehouse_dates(), max_size=3)),
        notes=draw(st.lists(notes(), max_size=3)),
        transport=draw(
            optional(
                st.builds(
                    Transport,
                    transport_method=codes(["M", "H", "A", "U"]),
                    payment_method=codes(["PP", "CC", "TP"]),
                    carrier_scac=optional(identifiers(4, min_size=2)),
                    routing=optional(text(35)),
                )
            )
        ),
        lines=draw(st.lists(order_lines(), min_size=1, max_size=4)),
        total_quantity=total,
        total_weight=draw(optional(weights(["LB", "KG"], qualified=False))) if total else None,
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(shipping_orders())
def test_shipping_order_survives_render_and_parse(message: WarehouseShippingOrder) -> None:
    assert_round_trip(message)


def test_rendered_shipping_orders_validate_clean_against_the_maps() -> None:
    assert_rendered_validate_clean(shipping_orders())


def test_an_order_is_named_by_its_depositor_order_number_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(order_of()) == "WarehouseShippingOrder:SO-4711"

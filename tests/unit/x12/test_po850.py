"""850 Purchase Order: X12 -> PurchaseOrder and back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.transactions import po850
from gateway.errors import RenderError, TranslationError, UnreadableInput
from gateway.messages import ItemId, Note, PurchaseOrder
from tests.unit.x12.strategies import CORPUS, corpus_files, transaction_from_text

SAMPLE = """
BEG*00*SA*PO-1001*REL1*20240301~
CUR*BY*USD~
REF*DP*038~
REF*IA*VENDOR 7*OUR VENDOR NUMBER~
PER*BD*JANE BUYER*TE*5551234567*EM*JANE@EXAMPLE.COM~
ITD*08*3*2**30**60*****2/30 NET 60~
DTM*002*20240315~
DTM*010*240310*0800~
SAC*C*D240***500~
TD1*CTN25*10~
TD5*B*2*UPSN*U*UPS GROUND~
N9*L1*SPECIAL INSTRUCTIONS~
DTM*999*20240101~
MSG*DELIVER TO DOCK 4~
N1*ST*STORE 12*92*0012~
N2*RECEIVING~
N3*100 MAIN ST*SUITE 5~
N4*SPRINGFIELD*IL*62701*US~
REF*ZZ*BELONGS TO THE N1 LOOP~
PER*RE*DOCK MANAGER*TE*5550000~
N1*BY**9*0012345670001~
PO1*1*10*EA*2.50*PE*UP*012345678905*VN*V-100*BP*B-100*EN*4006381333931*VN*V-OLD~
PID*F****BLUE WIDGET   ~
PID*F****A SECOND DESCRIPTION~
DTM*002*20240320~
MSG*FRAGILE~
SLN*1**I*1*EA~
PID*F****SUBLINE DESCRIPTION~
DTM*002*20990101~
PO1*2*.5*CA*10.0**UK*00012345678905~
ZZZ*A SEGMENT NOBODY KNOWS~
PO1*3*10.0*EA~
CTT*3*20.5~
AMT*TT*100
"""


@pytest.fixture(scope="module")
def order() -> PurchaseOrder:
    return po850.parse(transaction_from_text(SAMPLE, "850"))


def test_header_segments_map_to_their_fields(order: PurchaseOrder) -> None:
    assert (order.purpose_code, order.order_type_code) == ("00", "SA")
    assert (order.po_number, order.release_number) == ("PO-1001", "REL1")
    assert order.po_date == dt.date(2024, 3, 1)
    assert order.currency == "USD"
    assert [(r.qualifier, r.value, r.description) for r in order.references] == [
        ("DP", "038", None),
        ("IA", "VENDOR 7", "OUR VENDOR NUMBER"),
    ]
    [buyer] = order.contacts
    assert (buyer.function_code, buyer.name, buyer.phone, buyer.email) == (
        "BD",
        "JANE BUYER",
        "5551234567",
        "JANE@EXAMPLE.COM",
    )
    [terms] = order.terms
    assert terms.type_code == "08" and terms.basis_date_code == "3"
    assert terms.discount_percent == Decimal("2") and terms.discount_days_due == 30
    assert terms.net_days == 60 and terms.description == "2/30 NET 60"
    [carrier] = order.carriers
    assert (carrier.id_qualifier, carrier.scac, carrier.transport_method) == ("2", "UPSN", "U")
    assert carrier.routing == "UPS GROUND"


def test_two_digit_years_are_read_and_a_dtm_in_an_n9_loop_is_not_a_header_date(
    order: PurchaseOrder,
) -> None:
    assert [(d.qualifier, d.date, d.time) for d in order.dates] == [
        ("002", dt.date(2024, 3, 15), None),
        ("010", dt.date(2024, 3, 10), "0800"),
    ]


def test_msg_in_the_n9_loop_is_a_header_note(order: PurchaseOrder) -> None:
    assert order.notes == [Note(text="DELIVER TO DOCK 4")]


def test_n1_loop_becomes_a_party_with_names_address_and_contacts(order: PurchaseOrder) -> None:
    ship_to, buyer = order.parties
    assert (ship_to.role, ship_to.name, ship_to.id_qualifier, ship_to.id) == (
        "ST",
        "STORE 12",
        "92",
        "0012",
    )
    assert ship_to.additional_names == ["RECEIVING"]
    assert ship_to.address is not None
    assert ship_to.address.lines == ["100 MAIN ST", "SUITE 5"]
    assert (ship_to.address.city, ship_to.address.state) == ("SPRINGFIELD", "IL")
    assert (ship_to.address.postal_code, ship_to.address.country) == ("62701", "US")
    assert [(c.function_code, c.phone) for c in ship_to.contacts] == [("RE", "5550000")]
    assert (buyer.role, buyer.name, buyer.id) == ("BY", None, "0012345670001")
    assert buyer.address is None


def test_po1_loop_maps_ids_description_dates_and_notes(order: PurchaseOrder) -> None:
    first = order.lines[0]
    assert first.line_number == "1"
    assert (first.quantity, first.unit_of_measure) == (Decimal(10), "EA")
    assert (first.unit_price, first.price_basis) == (Decimal("2.50"), "PE")
    assert first.item.upc == "012345678905"
    assert first.item.vendor_item_number == "V-100"
    assert first.item.buyer_item_number == "B-100"
    assert first.item.other_ids == [
        ItemId(qualifier="EN", value="4006381333931"),
        ItemId(qualifier="VN", value="V-OLD"),
    ]
    assert first.description == "BLUE WIDGET"
    assert [d.date for d in first.dates] == [dt.date(2024, 3, 20)]
    assert first.notes == [Note(text="FRAGILE")]


def test_quantities_in_every_x12_spelling_are_read(order: PurchaseOrder) -> None:
    assert [line.quantity for line in order.lines] == [Decimal(10), Decimal("0.5"), Decimal(10)]
    assert order.lines[1].unit_price == Decimal(10)
    assert order.lines[1].item.gtin == "00012345678905"
    assert order.lines[2].unit_price is None


HEAD = "BEG*00*SA*P1**20240101~"


@pytest.mark.parametrize(
    ("body", "location"),
    [
        pytest.param("CUR*BY*USD~PO1*1*1*EA", "segment 2", id="no BEG"),
        pytest.param("BEG*00*SA*P1~PO1*1*1*EA", "element BEG05", id="no PO date"),
        pytest.param("BEG*00*SA*P1**20241399~PO1*1*1*EA", "element BEG05", id="bad date"),
        pytest.param(HEAD, "segment 2", id="no PO1"),
        pytest.param(HEAD + "PO1*1**EA", "segment 3 (PO1), element PO102", id="no quantity"),
        pytest.param(HEAD + "PO1*1*1,5*EA", "element PO102", id="not a number"),
        pytest.param(HEAD + "PO1*1*1*EA~DTM*002", "segment 4 (DTM), element DTM02", id="no date"),
        pytest.param(HEAD + "PO1*1*1*EA~DTM*002*20240101*2561", "element DTM03", id="bad time"),
    ],
)
def test_unmappable_data_raises_with_a_location(body: str, location: str) -> None:
    with pytest.raises(TranslationError) as raised:
        po850.parse(transaction_from_text(body, "850"))
    assert raised.value.location is not None
    assert raised.value.location.startswith("transaction set 850/0001")
    assert location in raised.value.location


def test_another_transaction_set_is_refused() -> None:
    tx = transaction_from_text("BAK*00*AD*P1*20240101", "855")
    with pytest.raises(TranslationError, match="not a 850"):
        po850.parse(tx)


def rendered(message: PurchaseOrder) -> list[str]:
    return [segment.text() for segment in po850.render(message).body]


def test_render_writes_segments_in_standard_order_with_msg_notes_in_004010(
    order: PurchaseOrder,
) -> None:
    assert rendered(order) == [
        "BEG*00*SA*PO-1001*REL1*20240301",
        "CUR*BY*USD",
        "REF*DP*038",
        "REF*IA*VENDOR 7*OUR VENDOR NUMBER",
        "PER*BD*JANE BUYER*TE*5551234567*EM*JANE@EXAMPLE.COM",
        "SAC*C*D240***500",
        "ITD*08*3*2**30**60*****2/30 NET 60",
        "DTM*002*20240315",
        "DTM*010*20240310*0800",
        "TD5*B*2*UPSN*U*UPS GROUND",
        "AMT*TT*100",
        "N9*L1*SPECIAL INSTRUCTIONS",
        "N9*L1*NOTES",
        "MSG*DELIVER TO DOCK 4",
        "N1*ST*STORE 12*92*0012",
        "N2*RECEIVING",
        "N3*100 MAIN ST*SUITE 5",
        "N4*SPRINGFIELD*IL*62701*US",
        "REF*ZZ*BELONGS TO THE N1 LOOP",
        "PER*RE*DOCK MANAGER*TE*5550000",
        "N1*BY**9*0012345670001",
        "PO1*1*10*EA*2.5*PE*BP*B-100*VN*V-100*UP*012345678905*EN*4006381333931*VN*V-OLD",
        "PID*F****BLUE WIDGET",
        "PID*F****A SECOND DESCRIPTION",
        "DTM*002*20240320",
        "MSG*FRAGILE",
        "PO1*2*.5*CA*10**UK*00012345678905",
        "PO1*3*10*EA",
        "CTT*3*20.5",
    ]


def test_render_writes_notes_as_mtx_in_005010(order: PurchaseOrder) -> None:
    envelope = order.envelope.with_x12(version="005010")
    lines = rendered(order.model_copy(update={"envelope": envelope}))
    notes = lines.index("N9*L1*NOTES")
    assert lines[notes : notes + 2] == ["N9*L1*NOTES", "MTX**DELIVER TO DOCK 4"]
    assert "MTX**FRAGILE" in lines


def test_render_takes_st02_and_st03_from_the_envelope(order: PurchaseOrder) -> None:
    content = po850.render(order)
    assert (content.set_id, content.control_number) == ("850", "0001")
    assert content.implementation_reference is None


def test_numbers_are_written_plain_without_exponent_or_superfluous_zeros(
    order: PurchaseOrder,
) -> None:
    line = order.lines[0].model_copy(
        update={"quantity": Decimal("1E+2"), "unit_price": Decimal("0.0500")}
    )
    lines = rendered(order.model_copy(update={"lines": [line]}))
    assert next(s for s in lines if s.startswith("PO1")).startswith("PO1*1*100*EA*.05*")


def test_a_number_too_long_for_its_element_cannot_be_rendered(order: PurchaseOrder) -> None:
    line = order.lines[0].model_copy(update={"quantity": Decimal("1234567890123456")})
    with pytest.raises(RenderError, match="PO102"):
        po850.render(order.model_copy(update={"lines": [line]}))


def test_more_product_ids_than_po1_holds_cannot_be_rendered(order: PurchaseOrder) -> None:
    ids = [ItemId(qualifier="EN", value=str(n)) for n in range(11)]
    line = order.lines[0].model_copy(
        update={"item": order.lines[0].item.model_copy(update={"other_ids": ids})}
    )
    with pytest.raises(RenderError, match="PO1"):
        po850.render(order.model_copy(update={"lines": [line]}))


# ----------------------------------------------------------------------------------------------
# Real files


NOT_A_PURCHASE_ORDER = {
    "x12/hellooops__vscode-edi-support__docs__850-lineBreak.x12": "editor demo without PO1",
    "x12/hellooops__vscode-edi-support__docs__X12-interchanges.x12": "editor demo without PO1",
}
"""Corpus 850s that cannot become a PurchaseOrder: the PO1 loop (mandatory) is missing."""

UNREADABLE = {
    "x12/hellooops__vscode-edi-support__docs__850-comments.x12": "'// n' comments, not X12",
}


@pytest.mark.parametrize("name", corpus_files("850"))
def test_real_purchase_orders_translate(name: str) -> None:
    if name in UNREADABLE:
        with pytest.raises(UnreadableInput):
            list(transactions_in(CORPUS / name))
        return
    orders = [tx for tx in transactions_in(CORPUS / name) if tx.set_id == "850"]
    assert orders
    if name in NOT_A_PURCHASE_ORDER:
        with pytest.raises(TranslationError, match="no PO1"):
            for tx in orders:
                po850.parse(tx)
        return
    for tx in orders:
        message = po850.parse(tx)
        assert message.lines
        assert message.envelope == tx.envelope()


def test_a_real_purchase_order_translates_to_its_values() -> None:
    [tx] = transactions_in(CORPUS / "x12/aaronhuggins__node-x12__test__test-data__850.edi")
    order = po850.parse(tx)
    assert order.po_number == "08292233294"
    assert order.po_date == dt.date(2010, 11, 27)
    assert len(order.lines) == 6
    first = order.lines[0]
    assert (first.quantity, first.unit_price, first.unit_of_measure) == (
        Decimal(120),
        Decimal("9.25"),
        "EA",
    )
    assert first.item.vendor_item_number == "AB3542"
    assert first.description == "SMALL WIDGET"
    assert [line.quantity for line in order.lines][-1] == Decimal(696)
    assert [p.role for p in order.parties] == ["ST"]
    assert order.terms[0].net_days == 46


def test_a_real_purchase_order_renders_back_to_the_same_message() -> None:
    [tx] = transactions_in(CORPUS / "x12/aaronhuggins__node-x12__test__test-data__850.edi")
    order = po850.parse(tx)
    content = po850.render(order)
    again = po850.parse(
        transaction_from_text("~".join(s.text() for s in content.body), "850", "004010VICS")
    )
    # the segments kept unmapped are not written back (their positions are the original's)
    facts = {"envelope", "document_id", "unmapped"}
    assert again.model_dump(exclude=facts) == order.model_dump(exclude=facts)
    assert again.unmapped == []

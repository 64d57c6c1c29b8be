"""855 Purchase Order Acknowledgment: X12 -> PurchaseOrderAck and back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.transactions import poack855
from gateway.errors import TranslationError
from gateway.messages import LineAcknowledgment, LineStatus, Note, PurchaseOrderAck
from tests.unit.x12.strategies import CORPUS, corpus_files, transaction_from_text

SAMPLE = """
BAK*00*AC*PO-1001*20240301*REL1****20240302~
CUR*SE*USD~
REF*CO*ORDER 55~
PER*IC*SALES DESK*TE*5551234~
DTM*067*20240310~
N9*L1*REMARKS~
MSG*TWO LINES CHANGED~
N1*ST*STORE 12*92*0012~
N3*100 MAIN ST~
N4*SPRINGFIELD*IL*62701~
PO1*1*10*EA*2.50*PE*UP*012345678905*VN*V-100~
PID*F****BLUE WIDGET~
ACK*IA*6*EA*068*20240310~
DTM*068*20240311~
ACK*IB*4*EA*068*20240401~
SCH*4*EA***068*20240401~
PO1*2*5*CA~
ACK*IR~
PO1*3*1*EA~
CTT*3*16
"""


@pytest.fixture(scope="module")
def ack() -> PurchaseOrderAck:
    return poack855.parse(transaction_from_text(SAMPLE, "855"))


def test_bak_elements_map_to_their_fields(ack: PurchaseOrderAck) -> None:
    assert (ack.purpose_code, ack.ack_type, ack.po_number) == ("00", "AC", "PO-1001")
    assert ack.po_date == dt.date(2024, 3, 1)
    assert ack.release_number == "REL1"
    assert ack.ack_date == dt.date(2024, 3, 2)


def test_header_references_dates_notes_and_parties(ack: PurchaseOrderAck) -> None:
    assert [(r.qualifier, r.value) for r in ack.references] == [("CO", "ORDER 55")]
    assert [(d.qualifier, d.date) for d in ack.dates] == [("067", dt.date(2024, 3, 10))]
    assert ack.notes == [Note(text="TWO LINES CHANGED")]
    [ship_to] = ack.parties
    assert (ship_to.role, ship_to.id) == ("ST", "0012")
    assert ship_to.address is not None and ship_to.address.city == "SPRINGFIELD"


def test_each_ack_segment_is_a_line_acknowledgment(ack: PurchaseOrderAck) -> None:
    first = ack.lines[0]
    assert (first.line_number, first.quantity, first.unit_of_measure) == ("1", Decimal(10), "EA")
    assert first.unit_price == Decimal("2.5")
    assert (first.item.upc, first.item.vendor_item_number) == ("012345678905", "V-100")
    assert first.description == "BLUE WIDGET"
    assert first.acknowledgments == [
        LineAcknowledgment(
            status=LineStatus.ACCEPTED,
            quantity=Decimal(6),
            unit_of_measure="EA",
            date_qualifier="068",
            date=dt.date(2024, 3, 10),
        ),
        LineAcknowledgment(
            status=LineStatus.BACKORDERED,
            quantity=Decimal(4),
            unit_of_measure="EA",
            date_qualifier="068",
            date=dt.date(2024, 4, 1),
        ),
    ]
    assert ack.lines[1].acknowledgments == [LineAcknowledgment(status=LineStatus.REJECTED)]


def test_a_line_without_ack_keeps_no_acknowledgment_nothing_is_inferred(
    ack: PurchaseOrderAck,
) -> None:
    assert ack.lines[2].acknowledgments == []
    rejected = poack855.parse(transaction_from_text("BAK*00*RJ*P1*20240101~PO1*1*1*EA", "855"))
    assert (rejected.ack_type, rejected.lines[0].acknowledgments) == ("RJ", [])


def test_an_acknowledgment_without_lines_is_read() -> None:
    ack = poack855.parse(transaction_from_text("BAK*00*RJ*P1*20240101~CTT*0", "855"))
    assert ack.lines == []
    assert ack.ack_date is None


@pytest.mark.parametrize(
    ("body", "location"),
    [
        pytest.param("REF*CO*1~PO1*1*1*EA", "segment 2", id="no BAK"),
        pytest.param("BAK*00*AC*P1", "element BAK04", id="no PO date"),
        pytest.param("BAK*00*AC*P1*20240101*****2024", "element BAK09", id="bad ack date"),
        pytest.param(
            "BAK*00*AC*P1*20240101~PO1*1*1*EA~ACK*XX", "(ACK), element ACK01", id="status"
        ),
        pytest.param("BAK*00*AC*P1*20240101~PO1*1*1", "segment 3 (PO1), element PO103", id="unit"),
    ],
)
def test_unmappable_data_raises_with_a_location(body: str, location: str) -> None:
    with pytest.raises(TranslationError) as raised:
        poack855.parse(transaction_from_text(body, "855"))
    assert raised.value.location is not None
    assert location in raised.value.location


def rendered(message: PurchaseOrderAck) -> list[str]:
    return [segment.text() for segment in poack855.render(message).body]


def test_render_writes_bak09_lines_with_their_acks_and_ctt(ack: PurchaseOrderAck) -> None:
    assert rendered(ack) == [
        "BAK*00*AC*PO-1001*20240301*REL1****20240302",
        "REF*CO*ORDER 55",
        "DTM*067*20240310",
        "N9*L1*NOTES",
        "MSG*TWO LINES CHANGED",
        "N1*ST*STORE 12*92*0012",
        "N3*100 MAIN ST",
        "N4*SPRINGFIELD*IL*62701",
        "PO1*1*10*EA*2.5*PE*VN*V-100*UP*012345678905",
        "PID*F****BLUE WIDGET",
        "ACK*IA*6*EA*068*20240310",
        "ACK*IB*4*EA*068*20240401",
        "SCH*4*EA***068*20240401",
        "PO1*2*5*CA",
        "ACK*IR",
        "PO1*3*1*EA",
        "CTT*3*16",
    ]


def test_render_writes_notes_as_mtx_in_005010(ack: PurchaseOrderAck) -> None:
    envelope = ack.envelope.with_x12(version="005010")
    assert "MTX**TWO LINES CHANGED" in rendered(ack.model_copy(update={"envelope": envelope}))


def test_an_acknowledgment_without_lines_has_no_ctt(ack: PurchaseOrderAck) -> None:
    assert rendered(ack.model_copy(update={"lines": []}))[-1] == "N4*SPRINGFIELD*IL*62701"


# ----------------------------------------------------------------------------------------------
# Real files


@pytest.mark.parametrize("name", corpus_files("855"))
def test_real_acknowledgments_translate(name: str) -> None:
    acks = [tx for tx in transactions_in(CORPUS / name) if tx.set_id == "855"]
    assert acks
    for tx in acks:
        message = poack855.parse(tx)
        assert message.envelope == tx.envelope()


def test_a_real_004010_acknowledgment_translates_to_its_values() -> None:
    [tx] = transactions_in(CORPUS / "x12/aaronhuggins__node-x12__test__test-data__855.edi")
    ack = poack855.parse(tx)
    assert (ack.po_number, ack.ack_type) == ("POTEST1112", "AD")
    assert ack.ack_date == dt.date(2020, 10, 15)
    assert len(ack.lines) == 4
    second = ack.lines[1]
    assert second.item.other_ids[0].value == "9780767928427"
    assert second.description == "CLAPTON THE AUTOBIOGRAPHY"
    [status] = second.acknowledgments
    assert (status.status, status.quantity, status.unit_of_measure) == (
        LineStatus.REJECTED,
        Decimal(0),
        "UN",
    )


def test_a_real_005010_acknowledgment_translates_to_its_values() -> None:
    [tx] = transactions_in(
        CORPUS / "x12/Stedi-Demos__bootstrap-archived__src__resources__X12__5010__855__inbound.edi"
    )
    ack = poack855.parse(tx)
    assert x12_facts(ack.envelope).version == "005010"
    assert (ack.po_number, ack.po_date) == ("365465413", dt.date(2022, 9, 14))
    assert ack.ack_date == dt.date(2022, 9, 13)
    assert [p.role for p in ack.parties] == ["SE", "ST"]
    assert [(line.line_number, line.quantity) for line in ack.lines] == [
        ("item-1", Decimal(8)),
        ("item-2", Decimal(4)),
    ]
    assert ack.lines[0].description == "400 pound anvil"

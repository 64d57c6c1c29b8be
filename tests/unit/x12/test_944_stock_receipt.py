"""944 Warehouse Stock Transfer Receipt Advice <-> StockTransferReceipt: read, written,
validated, the corpus 944s, and round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.report import scan
from adapters.formats.x12.transactions import stock944
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import TranslationError
from gateway.messages import (
    ReceiptException,
    ReceivedLine,
    Reference,
    StockTransferReceipt,
    Weight,
)
from tests.unit.x12.strategies import (
    CORPUS,
    UNITS,
    codes,
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
from tests.unit.x12.test_940_warehouse_order import (
    ROLES,
    line_items,
    n9_references,
    notes,
    warehouse_dates,
    weights,
)
from tests.unit.x12.test_947_inventory_adjustment import stock_parties
from tests.unit.x12.test_round_trip import assert_round_trip
from tests.unit.x12.warehouse_checks import (
    assert_rendered_validate_clean,
    assert_sample_is_accepted,
)

RECEIPT = """
W17*F*20261216*WR-12*SO-4711*SHP-900*W*1530~
N1*WH*WEST DC*92*DC-WEST~N1*DE*WIDGETCO*9*0614141000005~
N9*BM*BOL-5~G62*11*20261216~
W07*10*CA*000100000010*VN*SKU-1*UP*012345678905*LOT-77~G69*BLUE WIDGET~N9*SE*SN-1~
N9*LI*1000~W20****36.5*G*L~W13*2*CA*01*LOT-77*AD~
W07*4*EA**VN*SKU-2~W14*14
"""


def receipt_of(body: str = RECEIPT, version: str = "004010") -> StockTransferReceipt:
    message = translate(transaction_from_text(body, "944", version))
    assert isinstance(message, StockTransferReceipt)
    return message


def test_w17_names_the_receipt_and_the_order_it_answers() -> None:
    receipt = receipt_of()
    assert (receipt.report_code, receipt.receipt_date) == ("F", dt.date(2026, 12, 16))
    assert (receipt.warehouse_receipt_number, receipt.depositor_order_number) == (
        "WR-12",
        "SO-4711",
    )
    assert (receipt.shipment_id, receipt.time_qualifier, receipt.time) == ("SHP-900", "W", "1530")
    assert receipt.warehouse is not None and receipt.warehouse.id == "DC-WEST"
    assert [p.role for p in receipt.parties] == ["DE"]
    assert receipt.references == [Reference(qualifier="BM", value="BOL-5")]
    assert (receipt.total_quantity, receipt.unmapped) == (Decimal(14), [])


def test_each_w07_is_a_line_with_its_lot_serials_catch_weight_and_exceptions() -> None:
    first, second = receipt_of().lines
    assert (first.quantity_received, first.unit_of_measure) == (Decimal(10), "CA")
    assert (first.item.vendor_item_number, first.item.upc) == ("SKU-1", "012345678905")
    assert (first.lot_number, first.description) == ("LOT-77", "BLUE WIDGET")
    assert first.serial_numbers == ["SN-1"]
    assert first.references == [Reference(qualifier="LI", value="1000")]
    assert first.weight == Weight(qualifier="G", value=Decimal("36.5"), unit="L")
    assert first.exceptions == [
        ReceiptException(
            quantity=Decimal(2),
            unit_of_measure="CA",
            condition_code="01",
            lot_number="LOT-77",
            damage_reason="AD",
        )
    ]
    assert (second.quantity_received, second.weight, second.exceptions) == (Decimal(4), None, [])


def test_a_receipt_without_w17_lines_or_w14_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no W17 segment"):
        receipt_of("N1*WH*WEST DC~W07*1*EA**VN*SKU-1~W14*1")
    with pytest.raises(TranslationError, match="no W07 segment"):
        receipt_of("W17*F*20261216*WR-1*SO-1~N1*WH*WEST DC~W14*1")
    with pytest.raises(TranslationError, match="no W14 segment"):
        receipt_of("W17*F*20261216*WR-1*SO-1~N1*WH*WEST DC~W07*1*EA**VN*SKU-1")
    with pytest.raises(TranslationError, match=r"segment 4 \(W07\), element W0701"):
        receipt_of("W17*F*20261216*WR-1*SO-1~N1*WH*WEST DC~W07*ten*EA**VN*SKU-1~W14*1")
    with pytest.raises(TranslationError, match=r"\(W17\), element W1704"):
        receipt_of("W17*F*20261216*WR-1~N1*WH*WEST DC~W07*1*EA**VN*SKU-1~W14*1")


def test_render_writes_the_w_segments_at_their_positions() -> None:
    segments = [s.text() for s in stock944.render(receipt_of()).body]
    assert segments[0] == "W17*F*20261216*WR-12*SO-4711*SHP-900*W*1530"
    assert "W07*10*CA*000100000010*VN*SKU-1*UP*012345678905*LOT-77" in segments
    assert "W13*2*CA*01*LOT-77*AD" in segments
    assert segments[-1] == "W14*14"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_944_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    assert_sample_is_accepted(RECEIPT, "944", version, receipt_of(RECEIPT, version))


def test_the_stupidedi_944_is_accepted_and_translates_to_its_values() -> None:
    [name] = [n for n in corpus_files("944") if "RE944" in n]
    data = (CORPUS / name).read_bytes()
    [tx] = transactions_in(data)
    receipt = translate(tx)
    assert isinstance(receipt, StockTransferReceipt)
    assert (receipt.warehouse_receipt_number, receipt.depositor_order_number) == (
        "WR12345",
        "DO12345",
    )
    [line] = receipt.lines
    assert (line.quantity_received, line.item.gtin, line.lot_number) == (
        Decimal(100),
        "ITEM123",
        "LOT456",
    )
    assert (receipt.total_quantity, receipt.unmapped) == (Decimal(100), [])
    assert scan(data, counter=InMemoryCounter()).accepted == 1


def test_the_node_x12_edi_944_translates_and_its_997_names_what_breaks_the_standard() -> None:
    """Its W07s carry a W0706 qualifier (LT) without its W0707 id, and its W08 an equipment
    number (W0805) without the initial (W0804): the 997 rejects the set with those elements,
    and the message keeps each such segment whole while reading its fields."""
    [name] = [n for n in corpus_files("944") if "node-x12-edi" in n]
    data = (CORPUS / name).read_bytes()
    [tx] = transactions_in(data)
    receipt = translate(tx)
    assert isinstance(receipt, StockTransferReceipt)
    assert [line.lot_number for line in receipt.lines] == [f"2241396{n}" for n in range(2, 7)]
    assert receipt.lines[0].weight == Weight(qualifier="N", value=Decimal(1800), unit="L")
    assert [u.segment_id for u in receipt.unmapped] == ["W08"] + ["W07"] * 5
    report = scan(data, counter=InMemoryCounter())
    ack = report.acknowledgements[0].text
    assert report.accepted == 0
    assert "AK3*W08*4**8" in ack and "AK3*W07*5**8" in ack and "AK5*R" in ack


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical


def receipt_exceptions() -> st.SearchStrategy[ReceiptException]:
    return st.builds(
        ReceiptException,
        quantity=decimals(12),
        unit_of_measure=codes(UNITS),
        condition_code=codes(["01", "02", "03"]),
        lot_number=optional(text(12)),
        damage_reason=optional(codes(["AD", "CD", "WD"])),
    )


@st.composite
def received_lines(draw: st.DrawFn) -> ReceivedLine:
    return ReceivedLine(
        quantity_received=draw(decimals(12)),
        unit_of_measure=draw(codes(UNITS)),
        upc_case_code=draw(optional(identifiers(12, min_size=12))),
        item=draw(line_items()),
        lot_number=draw(optional(text(12))),
        adjustment_code=draw(optional(codes(["A", "D"]))),
        description=draw(optional(text(45))),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
        references=draw(st.lists(n9_references(), max_size=2)),
        weight=draw(optional(weights(["L", "K"]))),
        exceptions=draw(st.lists(receipt_exceptions(), max_size=2)),
    )


@st.composite
def stock_transfer_receipts(draw: st.DrawFn) -> StockTransferReceipt:
    time = draw(optional(times()))
    linked = draw(st.booleans())
    return StockTransferReceipt(
        envelope=draw(envelopes()),
        report_code=draw(codes(["F", "J", "X"])),
        receipt_date=draw(dates()),
        warehouse_receipt_number=draw(text(12)),
        depositor_order_number=draw(text(22)),
        shipment_id=draw(optional(text(30))),
        time_qualifier=draw(codes(["W", "Z"])) if time else None,
        time=time,
        master_reference=draw(text(22)) if linked else None,
        link_sequence=draw(st.text("0123456789", min_size=6, max_size=6)) if linked else None,
        warehouse=draw(stock_parties(["WH"])),
        parties=draw(st.lists(stock_parties(ROLES), max_size=2)),
        references=draw(st.lists(n9_references(), max_size=3)),
        dates=draw(st.lists(warehouse_dates(), max_size=3)),
        notes=draw(st.lists(notes(), max_size=3)),
        lines=draw(st.lists(received_lines(), min_size=1, max_size=4)),
        total_quantity=draw(decimals(12)),
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(stock_transfer_receipts())
def test_stock_transfer_receipt_survives_render_and_parse(message: StockTransferReceipt) -> None:
    assert_round_trip(message)


def test_rendered_stock_transfer_receipts_validate_clean_against_the_maps() -> None:
    assert_rendered_validate_clean(stock_transfer_receipts())


def test_a_receipt_is_named_by_its_warehouse_receipt_number_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(receipt_of()) == "StockTransferReceipt:WR-12"

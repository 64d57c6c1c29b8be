"""943 Warehouse Stock Transfer Shipment Advice <-> StockTransferShipment: read, written,
validated, the corpus 943, and round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.report import scan
from adapters.formats.x12.transactions import stock943
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import TranslationError
from gateway.messages import (
    Reference,
    StockTransferShipment,
    TransferLine,
    Transport,
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
    transaction_from_text,
)
from tests.unit.x12.test_940_warehouse_order import (
    line_items,
    n9_references,
    notes,
    warehouse_dates,
    warehouse_parties,
    weights,
)
from tests.unit.x12.test_round_trip import assert_round_trip, interchange_text
from tests.unit.x12.warehouse_checks import (
    assert_rendered_validate_clean,
    assert_sample_is_accepted,
)

TRANSFER = """
W06*F*SO-4800*20261215*SHP-910**PO-2026-90~
N1*WH*WEST DC*92*DC-WEST~N1*SF*EAST DC*92*DC-EAST~N4*NEWARK*NJ*07101~N1*DE*WIDGETCO~
N9*BM*BOL-7~G62*17*20261218~NTE*WHI*FRAGILE~W27*M*UPSN*ROUTE 9*PP~
W04*10*CA*000100000010*VN*SKU-1*UP*012345678905~G69*BLUE WIDGET~N9*LT*LOT-77~N9*SE*SN-1~
N9*LI*1000~W20****36.5*G*L~
W04*4*EA**VN*SKU-2~W03*14*540*LB
"""


def transfer_of(body: str = TRANSFER, version: str = "004010") -> StockTransferShipment:
    message = translate(transaction_from_text(body, "943", version))
    assert isinstance(message, StockTransferShipment)
    return message


def test_w06_names_the_transfer_and_its_warehouses() -> None:
    transfer = transfer_of()
    assert (transfer.report_code, transfer.depositor_order_number) == ("F", "SO-4800")
    assert (transfer.ship_date, transfer.shipment_id, transfer.po_number) == (
        dt.date(2026, 12, 15),
        "SHP-910",
        "PO-2026-90",
    )
    assert transfer.warehouse is not None and transfer.warehouse.id == "DC-WEST"
    assert transfer.ship_from is not None and transfer.ship_from.id == "DC-EAST"
    assert [p.role for p in transfer.parties] == ["DE"]
    assert transfer.transport == Transport(
        transport_method="M", carrier_scac="UPSN", routing="ROUTE 9", payment_method="PP"
    )
    assert (transfer.total_quantity, transfer.total_weight) == (
        Decimal(14),
        Weight(value=Decimal(540), unit="LB"),
    )
    assert transfer.unmapped == []


def test_each_w04_is_a_line_with_its_lot_serials_and_weight() -> None:
    first, second = transfer_of().lines
    assert (first.quantity, first.unit_of_measure, first.upc_case_code) == (
        Decimal(10),
        "CA",
        "000100000010",
    )
    assert (first.item.vendor_item_number, first.item.upc) == ("SKU-1", "012345678905")
    assert (first.lot_number, first.description) == ("LOT-77", "BLUE WIDGET")
    assert first.serial_numbers == ["SN-1"]
    assert first.references == [Reference(qualifier="LI", value="1000")]
    assert first.weight == Weight(qualifier="G", value=Decimal("36.5"), unit="L")
    assert (second.item.vendor_item_number, second.lot_number, second.weight) == (
        "SKU-2",
        None,
        None,
    )


def test_a_transfer_without_w06_lines_or_w03_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no W06 segment"):
        transfer_of("N1*WH*WEST DC~W04*1*EA**VN*SKU-1~W03*1")
    with pytest.raises(TranslationError, match="no W04 segment"):
        transfer_of("W06*F*SO-1~N1*WH*WEST DC~W03*1")
    with pytest.raises(TranslationError, match="no W03 segment"):
        transfer_of("W06*F*SO-1~N1*WH*WEST DC~W04*1*EA**VN*SKU-1")
    with pytest.raises(TranslationError, match=r"segment 4 \(W04\), element W0401"):
        transfer_of("W06*F*SO-1~N1*WH*WEST DC~W04*ten*EA**VN*SKU-1~W03*1")
    with pytest.raises(TranslationError, match=r"\(W06\), element W0602"):
        transfer_of("W06*F~N1*WH*WEST DC~W04*1*EA**VN*SKU-1~W03*1")


def test_render_writes_the_lot_as_the_first_n9_of_its_line() -> None:
    segments = [s.text() for s in stock943.render(transfer_of()).body]
    assert segments[0] == "W06*F*SO-4800*20261215*SHP-910**PO-2026-90"
    assert "W27*M*UPSN*ROUTE 9*PP" in segments
    at = segments.index("W04*10*CA*000100000010*VN*SKU-1*UP*012345678905")
    assert segments[at + 1 : at + 6] == [
        "G69*BLUE WIDGET",
        "N9*LT*LOT-77",
        "N9*LI*1000",
        "N9*SE*SN-1",
        "W20****36.5*G*L",
    ]
    assert segments[-1] == "W03*14*540*LB"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_943_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    assert_sample_is_accepted(TRANSFER, "943", version, transfer_of(TRANSFER, version))


def test_a_943_without_its_carrier_is_rejected_by_the_functional_ack() -> None:
    body = TRANSFER.replace("W27*M*UPSN*ROUTE 9*PP~", "")
    report = scan(interchange_text(transfer_of(body)).encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted) == (1, 0)
    assert "AK5*R" in report.acknowledgements[0].text


def test_the_stupidedi_943_is_accepted_and_keeps_its_w27_naming_the_equipment() -> None:
    [name] = [n for n in corpus_files("943") if "AR943" in n]
    data = (CORPUS / name).read_bytes()
    [tx] = transactions_in(data)
    transfer = translate(tx)
    assert isinstance(transfer, StockTransferShipment)
    assert (transfer.depositor_order_number, transfer.ship_date) == (
        "DO12345",
        dt.date(2026, 7, 14),
    )
    [line] = transfer.lines
    assert (line.quantity, line.item.vendor_item_number) == (Decimal(100), "ITEM123")
    assert line.references == [Reference(qualifier="LI", value="REF456")]
    assert transfer.transport is None
    assert [(u.segment_id, u.elements) for u in transfer.unmapped] == [
        ("W27", ["M", "SCAC", "RTE", "PP", "", "EQIN", "EQNUM"])
    ]
    assert scan(data, counter=InMemoryCounter()).accepted == 1


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical

ROLES = ["DE", "CN", "BT", "VN", "ST"]


@st.composite
def transfer_lines(draw: st.DrawFn) -> TransferLine:
    return TransferLine(
        quantity=draw(decimals(9)),
        unit_of_measure=draw(codes(UNITS)),
        upc_case_code=draw(optional(identifiers(12, min_size=12))),
        item=draw(line_items()),
        lot_number=draw(optional(text(30))),
        description=draw(optional(text(45))),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
        references=draw(st.lists(n9_references(), max_size=2)),
        weight=draw(optional(weights(["L", "K"]))),
    )


@st.composite
def stock_transfer_shipments(draw: st.DrawFn) -> StockTransferShipment:
    total = draw(decimals(9))
    return StockTransferShipment(
        envelope=draw(envelopes()),
        report_code=draw(codes(["F", "J", "X"])),
        depositor_order_number=draw(text(22)),
        ship_date=draw(optional(dates())),
        shipment_id=draw(optional(text(30))),
        agent_shipment_id=draw(optional(text(12))),
        po_number=draw(optional(text(22))),
        warehouse=draw(warehouse_parties(["WH"])),
        ship_from=draw(optional(warehouse_parties(["SF"]))),
        parties=draw(st.lists(warehouse_parties(ROLES), max_size=2)),
        references=draw(st.lists(n9_references(), max_size=3)),
        dates=draw(st.lists(warehouse_dates(), max_size=3)),
        notes=draw(st.lists(notes(), max_size=3)),
        transport=draw(
            st.builds(
                Transport,
                transport_method=codes(["M", "H", "A", "U"]),
                payment_method=optional(codes(["PP", "CC", "TP"])),
                carrier_scac=optional(identifiers(4, min_size=2)),
                routing=optional(text(35)),
            )
        ),
        lines=draw(st.lists(transfer_lines(), min_size=1, max_size=4)),
        total_quantity=total,
        total_weight=draw(optional(weights(["LB", "KG"], qualified=False))),
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(stock_transfer_shipments())
def test_stock_transfer_shipment_survives_render_and_parse(message: StockTransferShipment) -> None:
    assert_round_trip(message)


def test_rendered_stock_transfer_shipments_validate_clean_against_the_maps() -> None:
    assert_rendered_validate_clean(stock_transfer_shipments())


def test_a_transfer_is_named_by_its_depositor_order_number_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(transfer_of()) == "StockTransferShipment:SO-4800"

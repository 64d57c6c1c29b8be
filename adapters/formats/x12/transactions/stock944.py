"""944 Warehouse Stock Transfer Receipt Advice <-> :class:`~gateway.messages.StockTransferReceipt`.

Header: W17 (W1701 reporting code, W1702 date received, W1703 warehouse receipt number, W1704
depositor order number, W1705 shipment id, W1706/W1707 time, W1708 master reference, W1709 link
sequence), N1 loops (the first WH is the warehouse), N9 references, G62 dates, NTE notes.
Detail: a W07 loop per line: W0701 quantity received, W0702 unit, W0703 U.P.C. case code, id
pairs at W0704, W0706 and W0710, W0708 lot, W0709 adjustment code; the first G69 description,
N9 references (``N9*SE``: serial numbers), the first W20's weight (a catch weight) and each W13
exception (damaged, over, short). Summary: W14 (W1401 quantity received). The same positions in
004010 and 005010. Every other segment (a W08 carrier, a W14 with more quantities) is kept, in
order, in the message's ``unmapped`` part (see common.py, "Lossless"); a W07 carrying an element
no field holds (a qualifier without its id) is kept whole, its fields read.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import ReceiptException, ReceivedLine, StockTransferReceipt

from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import SegmentAt, format_date, format_decimal, seg
from .warehouse_common import (
    id_pairs,
    pair_elements,
    parse_id_pairs,
    parse_line_details,
    parse_line_weight,
    place_id_pairs,
    render_line_details,
    render_line_weight,
)
from .warehouse_header import (
    HeaderTags,
    parse_parties_by_role,
    read_header,
    render_header_extras,
    render_header_parties,
    transaction_content,
)

SET_ID = "944"
FUNCTIONAL_ID = "RE"
MESSAGE = StockTransferReceipt

HEADER = HeaderTags(
    SET_ID,
    beginning="W17",
    beginning_what="warehouse receipt identification",
    beginning_held=range(1, 10),
    detail="W07",
    detail_what="a receipt advice has at least one line",
    summary=("W14",),
)
ID_PAIRS = (4, 6, 10)
"""W07 elements holding a product id qualifier (its value follows)."""


def parse(tx: TransactionSet) -> StockTransferReceipt:
    """The stock transfer receipt advice carried by ``tx``."""
    header = read_header(tx, HEADER)
    w17, extras = header.beginning, header.extras
    w14 = next((s for s in header.summary if s.tag == "W14"), None)
    if w14 is None:
        raise header.body.missing("W14", "total receipt information")
    w14.take((1,))
    (warehouse,), parties = parse_parties_by_role(header.party_loops, ("WH",))
    return StockTransferReceipt(
        envelope=tx.envelope(),
        report_code=w17.need(w17.text(1), 1, "reporting code"),
        receipt_date=w17.need(w17.date(2), 2, "date received"),
        warehouse_receipt_number=w17.need(w17.text(3), 3, "warehouse receipt number"),
        depositor_order_number=w17.need(w17.text(4), 4, "depositor order number"),
        shipment_id=w17.text(5),
        time_qualifier=w17.text(6),
        time=w17.time(7),
        master_reference=w17.text(8),
        link_sequence=w17.text(9),
        warehouse=warehouse,
        parties=parties,
        references=extras.references,
        dates=extras.dates,
        notes=extras.notes,
        lines=[_parse_w07(loop) for loop in header.lines],
        total_quantity=w14.need(w14.decimal(1), 1, "quantity received"),
        unmapped=header.body.unmapped(),
    )


def _parse_w07(loop: Sequence[SegmentAt]) -> ReceivedLine:
    w07 = loop[0].take({1, 2, 3, 8, 9} | pair_elements(loop[0], ID_PAIRS))
    details = parse_line_details(loop)
    return ReceivedLine(
        quantity_received=w07.need(w07.decimal(1), 1, "quantity received"),
        unit_of_measure=w07.need(w07.text(2), 2, "unit of measure"),
        upc_case_code=w07.text(3),
        item=parse_id_pairs(w07, ID_PAIRS),
        lot_number=w07.text(8),
        adjustment_code=w07.text(9),
        description=details.description,
        serial_numbers=details.serial_numbers,
        references=details.references,
        weight=parse_line_weight(loop),
        exceptions=[_parse_w13(s) for s in loop if s.tag == "W13"],
    )


def _parse_w13(s: SegmentAt) -> ReceiptException:
    s.take(range(1, 6))
    return ReceiptException(
        quantity=s.need(s.decimal(1), 1, "quantity"),
        unit_of_measure=s.need(s.text(2), 2, "unit of measure"),
        condition_code=s.need(s.text(3), 3, "receiving condition code"),
        lot_number=s.text(4),
        damage_reason=s.text(5),
    )


def render(message: StockTransferReceipt) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "W17",
            message.report_code,
            format_date(message.receipt_date),
            message.warehouse_receipt_number,
            message.depositor_order_number,
            message.shipment_id,
            message.time_qualifier,
            message.time,
            message.master_reference,
            message.link_sequence,
        )
    ]
    body += render_header_parties(message.warehouse, None, message.parties)
    body += render_header_extras(message.references, message.dates, message.notes)
    for line in message.lines:
        body += _render_line(line)
    body.append(seg("W14", format_decimal(message.total_quantity, 15, "W1401")))
    return transaction_content(SET_ID, body, message.envelope)


def _render_line(line: ReceivedLine) -> list[Segment]:
    pairs = id_pairs(line.item, len(ID_PAIRS), "W07")
    elements: list[str | None] = [None] * 11
    elements[:3] = [
        format_decimal(line.quantity_received, 15, "W0701"),
        line.unit_of_measure,
        line.upc_case_code,
    ]
    place_id_pairs(elements, pairs, ID_PAIRS)
    elements[7], elements[8] = line.lot_number, line.adjustment_code
    segments = [seg("W07", *elements)]
    segments += render_line_details(line.description, line.serial_numbers, line.references)
    segments += render_line_weight(line.weight)
    for exception in line.exceptions:
        segments.append(
            seg(
                "W13",
                format_decimal(exception.quantity, 15, "W1301"),
                exception.unit_of_measure,
                exception.condition_code,
                exception.lot_number,
                exception.damage_reason,
            )
        )
    return segments

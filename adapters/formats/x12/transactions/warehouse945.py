"""945 Warehouse Shipping Advice <-> :class:`~gateway.messages.WarehouseShippingAdvice`.

Header: W06 (W0601 reporting code, W0602 depositor order number, W0603 ship date, W0604 shipment
id, W0605 agent shipment id, W0606 PO number), N1 loops (the first WH is the warehouse, the
first ST the ship-to), N9 references, G62 dates, NTE notes, W27 transport (W2701 method, W2702
SCAC, W2703 routing, W2704 payment). Detail: an LX loop per line, its ``MAN*GM`` (SSCC-18) and
its W12: W1201 status, W1202 ordered, W1203 shipped, W1204 difference, W1205 unit, W1206 U.P.C.
case code, id pairs at W1207, W1217 and W1221, W1209 lot, W1210-W1212 the catch weight; the
first G69 description and N9 references (``N9*SE``: serial numbers). Summary: W03 (units
shipped, weight). The same positions in 004010 and 005010. Every other segment is kept, in
order, in the message's ``unmapped`` part (see common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import ShippedLine, WarehouseShippingAdvice

from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import SegmentAt, format_decimal, seg
from .warehouse_common import (
    id_pairs,
    parse_id_pairs,
    parse_line_details,
    parse_weight,
    place_id_pairs,
    render_line_details,
    wholly,
)
from .warehouse_header import (
    HeaderTags,
    parse_header_parties,
    parse_w27,
    read_header,
    render_header_extras,
    render_header_parties,
    render_w03,
    render_w06,
    render_w27,
    transaction_content,
)

SET_ID = "945"
FUNCTIONAL_ID = "SW"
MESSAGE = WarehouseShippingAdvice

HEADER = HeaderTags(
    SET_ID,
    beginning="W06",
    beginning_what="warehouse shipment identification",
    beginning_held=None,
    detail="LX",
    detail_what="a shipping advice has at least one line",
    summary=("W03",),
    transport="W27",
    transport_held=(1, 2, 3, 4),
)
ID_PAIRS = (7, 17, 21)
"""W12 elements holding a product id qualifier (its value follows)."""
SSCC = "GM"
"""MAN01 marks and numbers qualifier of an SSCC-18."""


def parse(tx: TransactionSet) -> WarehouseShippingAdvice:
    """The warehouse shipping advice carried by ``tx``."""
    header = read_header(tx, HEADER)
    w06, extras = header.beginning, header.extras
    warehouse, ship_to, parties = parse_header_parties(header.party_loops)
    w03 = wholly(next((s for s in header.summary if s.tag == "W03"), None), (1, 2, 3))
    transport = parse_w27(header.transport) if header.transport is not None else None
    return WarehouseShippingAdvice(
        envelope=tx.envelope(),
        report_code=w06.need(w06.text(1), 1, "reporting code"),
        depositor_order_number=w06.text(2),
        ship_date=w06.date(3),
        shipment_id=w06.text(4),
        agent_shipment_id=w06.text(5),
        po_number=w06.text(6),
        warehouse=warehouse,
        ship_to=ship_to,
        parties=parties,
        references=extras.references,
        dates=extras.dates,
        notes=extras.notes,
        transport=transport,
        lines=[line for loop in header.lines for line in _parse_lx(loop)],
        total_quantity=w03.decimal(1) if w03 else None,
        total_weight=parse_weight(w03, 2, 0, 3) if w03 else None,
        unmapped=header.body.unmapped(),
    )


def _parse_lx(loop: Sequence[SegmentAt]) -> list[ShippedLine]:
    lx = loop[0].take()
    number = lx.need(lx.text(1), 1, "assigned number")
    sscc: str | None = None
    items: list[list[SegmentAt]] = []
    for s in loop[1:]:
        if s.tag == "W12":
            items.append([s])
        elif items:
            items[-1].append(s)
        elif s.tag == "MAN" and s.text(1) == SSCC and sscc is None and wholly(s, (1, 2)):
            sscc = s.text(2)
    if not items:
        raise lx.error("the LX loop holds no W12 (warehouse item detail)")
    return [_parse_w12(number, sscc, item) for item in items]


def _parse_w12(number: str, sscc: str | None, loop: Sequence[SegmentAt]) -> ShippedLine:
    w12 = loop[0].take()
    details = parse_line_details(loop)
    return ShippedLine(
        line_number=number,
        status=w12.need(w12.text(1), 1, "shipment/order status code"),
        quantity_ordered=w12.decimal(2),
        quantity_shipped=w12.decimal(3),
        quantity_difference=w12.decimal(4),
        unit_of_measure=w12.text(5),
        upc_case_code=w12.text(6),
        item=parse_id_pairs(w12, ID_PAIRS),
        lot_number=w12.text(9),
        catch_weight=parse_weight(w12, 10, 11, 12),
        description=details.description,
        serial_numbers=details.serial_numbers,
        references=details.references,
        sscc=sscc,
    )


def render(message: WarehouseShippingAdvice) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [render_w06(message)]
    body += render_header_parties(message.warehouse, message.ship_to, message.parties)
    body += render_header_extras(message.references, message.dates, message.notes)
    if message.transport is not None:
        body.append(render_w27(message.transport))
    for line in message.lines:
        body += _render_line(line)
    if message.total_quantity is not None:
        body.append(render_w03(message.total_quantity, message.total_weight))
    return transaction_content(SET_ID, body, message.envelope)


def _render_line(line: ShippedLine) -> list[Segment]:
    pairs = id_pairs(line.item, len(ID_PAIRS), f"W12 of line {line.line_number}")
    weight = line.catch_weight
    elements: list[str | None] = [None] * 22
    elements[:6] = [
        line.status,
        format_decimal(line.quantity_ordered, 15, "W1202"),
        format_decimal(line.quantity_shipped, 10, "W1203"),
        format_decimal(line.quantity_difference, 9, "W1204"),
        line.unit_of_measure,
        line.upc_case_code,
    ]
    place_id_pairs(elements, pairs, ID_PAIRS)
    elements[8] = line.lot_number
    if weight is not None:
        elements[9] = format_decimal(weight.value, 10, "W1210")
        elements[10], elements[11] = weight.qualifier, weight.unit
    segments = [seg("LX", line.line_number)]
    if line.sscc:
        segments.append(seg("MAN", SSCC, line.sscc))
    segments.append(seg("W12", *elements))
    return segments + render_line_details(line.description, line.serial_numbers, line.references)

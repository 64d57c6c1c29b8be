"""940 Warehouse Shipping Order <-> :class:`~gateway.messages.WarehouseShippingOrder`.

Header: W05 (W0501 order status, W0502 depositor order number, W0503 PO number, W0504 link
sequence, W0505 master reference, W0506 transaction type), N1 loops (the first WH is the
warehouse, the first ST the ship-to), N9 references, G62 dates, NTE notes, W66 transport (W6601
payment, W6602 method, W6605 routing, W6610 SCAC). Detail: an LX loop per line, its W01 (W0101
quantity, W0102 unit, W0103 U.P.C. case code, id pairs at W0104, W0106 and W0115, W0113 lot),
the first G69 description, N9 references (``N9*SE``: serial numbers) and the first W20's weight.
Summary: W76 (total quantity and weight). The same positions in 004010 and 005010. Every other
segment is kept, in order, in the message's ``unmapped`` part (see common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import (
    Transport,
    WarehouseOrderLine,
    WarehouseShippingOrder,
)

from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import SegmentAt, format_decimal, seg
from .warehouse_common import (
    id_pairs,
    parse_id_pairs,
    parse_line_details,
    parse_line_weight,
    parse_weight,
    place_id_pairs,
    render_line_details,
    render_line_weight,
    wholly,
)
from .warehouse_header import (
    HeaderTags,
    parse_header_parties,
    read_header,
    render_header_extras,
    render_header_parties,
    transaction_content,
)

SET_ID = "940"
FUNCTIONAL_ID = "OW"
MESSAGE = WarehouseShippingOrder

HEADER = HeaderTags(
    SET_ID,
    beginning="W05",
    beginning_what="shipping order identification",
    beginning_held=None,
    detail="LX",
    detail_what="a shipping order has at least one line",
    summary=("W76",),
    transport="W66",
    transport_held=(1, 2, 5, 10),
)
ID_PAIRS = (4, 6, 15)
"""W01 elements holding a product id qualifier (its value follows)."""


def parse(tx: TransactionSet) -> WarehouseShippingOrder:
    """The warehouse shipping order carried by ``tx``."""
    header = read_header(tx, HEADER)
    w05, w66, extras = header.beginning, header.transport, header.extras
    warehouse, ship_to, parties = parse_header_parties(header.party_loops)
    w76 = wholly(next((s for s in header.summary if s.tag == "W76"), None), (1, 2, 3))
    transport = None
    if w66 is not None:
        transport = Transport(
            payment_method=w66.need(w66.text(1), 1, "shipment method of payment"),
            transport_method=w66.need(w66.text(2), 2, "transportation method"),
            routing=w66.text(5),
            carrier_scac=w66.text(10),
        )
    return WarehouseShippingOrder(
        envelope=tx.envelope(),
        order_status=w05.need(w05.text(1), 1, "order status code"),
        depositor_order_number=w05.need(w05.text(2), 2, "depositor order number"),
        po_number=w05.text(3),
        link_sequence=w05.text(4),
        master_reference=w05.text(5),
        transaction_type=w05.text(6),
        warehouse=warehouse,
        ship_to=ship_to,
        parties=parties,
        references=extras.references,
        dates=extras.dates,
        notes=extras.notes,
        transport=transport,
        lines=[line for loop in header.lines for line in _parse_lx(loop)],
        total_quantity=w76.decimal(1) if w76 else None,
        total_weight=parse_weight(w76, 2, 0, 3) if w76 else None,
        unmapped=header.body.unmapped(),
    )


def _parse_lx(loop: Sequence[SegmentAt]) -> list[WarehouseOrderLine]:
    lx = loop[0].take()
    number = lx.need(lx.text(1), 1, "assigned number")
    items: list[list[SegmentAt]] = []
    for s in loop[1:]:
        if s.tag == "W01":
            items.append([s])
        elif items:
            items[-1].append(s)
    if not items:
        raise lx.error("the LX loop holds no W01 (line item detail)")
    return [_parse_w01(number, item) for item in items]


def _parse_w01(number: str, loop: Sequence[SegmentAt]) -> WarehouseOrderLine:
    w01 = loop[0].take()
    details = parse_line_details(loop)
    return WarehouseOrderLine(
        line_number=number,
        quantity=w01.need(w01.decimal(1), 1, "quantity ordered"),
        unit_of_measure=w01.need(w01.text(2), 2, "unit of measure"),
        upc_case_code=w01.text(3),
        item=parse_id_pairs(w01, ID_PAIRS),
        lot_number=w01.text(13),
        description=details.description,
        serial_numbers=details.serial_numbers,
        references=details.references,
        weight=parse_line_weight(loop),
    )


def render(message: WarehouseShippingOrder) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "W05",
            message.order_status,
            message.depositor_order_number,
            message.po_number,
            message.link_sequence,
            message.master_reference,
            message.transaction_type,
        )
    ]
    body += render_header_parties(message.warehouse, message.ship_to, message.parties)
    body += render_header_extras(message.references, message.dates, message.notes)
    transport = message.transport
    if transport is not None:
        body.append(
            seg(
                "W66",
                transport.payment_method,
                transport.transport_method,
                None,
                None,
                transport.routing,
                *[None] * 4,
                transport.carrier_scac,
            )
        )
    for line in message.lines:
        body += _render_line(line)
    if message.total_quantity is not None:
        weight = message.total_weight
        body.append(
            seg(
                "W76",
                format_decimal(message.total_quantity, 15, "W7601"),
                format_decimal(weight.value if weight else None, 10, "W7602"),
                weight.unit if weight else None,
            )
        )
    return transaction_content(SET_ID, body, message.envelope)


def _render_line(line: WarehouseOrderLine) -> list[Segment]:
    pairs = id_pairs(line.item, len(ID_PAIRS), f"W01 of line {line.line_number}")
    elements: list[str | None] = [None] * 16
    elements[0] = format_decimal(line.quantity, 15, "W0101")
    elements[1] = line.unit_of_measure
    elements[2] = line.upc_case_code
    place_id_pairs(elements, pairs, ID_PAIRS)
    elements[12] = line.lot_number
    segments = [seg("LX", line.line_number), seg("W01", *elements)]
    segments += render_line_details(line.description, line.serial_numbers, line.references)
    return segments + render_line_weight(line.weight)

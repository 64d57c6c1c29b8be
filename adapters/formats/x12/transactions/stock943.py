"""943 Stock Transfer Shipment Advice <-> :class:`~gateway.messages.StockTransferShipment`.

Header: W06 (W0601 reporting code, W0602 depositor order number, W0603 ship date, W0604
shipment id, W0605 agent shipment id, W0606 PO number), N1 loops (the first WH is the warehouse
receiving, the first SF the ship-from), N9 references, G62 dates, NTE notes, W27 transport
(W2701 method, W2702 SCAC, W2703 routing, W2704 payment). Detail: a W04 loop per line: W0401
units shipped, W0402 unit, W0403 U.P.C. case code, id pairs at W0404, W0406 and W0414; the first
G69 description, N9 references (the first ``N9*LT``: the lot; ``N9*SE``: serial numbers) and the
first W20's weight. Summary: W03 (units shipped, weight). The same positions in 004010 and
005010. Every other segment is kept, in order, in the message's ``unmapped`` part (see
common.py, "Lossless"): a W27 naming the equipment, a W04 with a freight class, a W06 or W03
with more than its fields hold are kept whole (the W04's and W03's fields read).
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import Reference, StockTransferShipment, TransferLine

from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import SegmentAt, format_decimal, seg
from .warehouse_common import (
    id_pairs,
    pair_elements,
    parse_id_pairs,
    parse_line_details,
    parse_line_weight,
    parse_weight,
    place_id_pairs,
    render_line_details,
    render_line_weight,
)
from .warehouse_header import (
    HeaderTags,
    parse_parties_by_role,
    parse_w27,
    read_header,
    render_header_extras,
    render_header_parties,
    render_w03,
    render_w06,
    render_w27,
    transaction_content,
)

SET_ID = "943"
FUNCTIONAL_ID = "AR"
MESSAGE = StockTransferShipment

HEADER = HeaderTags(
    SET_ID,
    beginning="W06",
    beginning_what="warehouse shipment identification",
    beginning_held=range(1, 7),
    detail="W04",
    detail_what="a stock transfer has at least one line",
    summary=("W03",),
    transport="W27",
    transport_held=(1, 2, 3, 4),
)
ID_PAIRS = (4, 6, 14)
"""W04 elements holding a product id qualifier (its value follows)."""
LOT_NUMBER = "LT"
"""N901 reference qualifier of a lot number."""


def parse(tx: TransactionSet) -> StockTransferShipment:
    """The stock transfer shipment advice carried by ``tx``."""
    header = read_header(tx, HEADER)
    w06, extras = header.beginning, header.extras
    w03 = next((s for s in header.summary if s.tag == "W03"), None)
    if w03 is None:
        raise header.body.missing("W03", "total shipment information")
    w03.take((1, 2, 3))
    (warehouse, ship_from), parties = parse_parties_by_role(header.party_loops, ("WH", "SF"))
    transport = parse_w27(header.transport) if header.transport is not None else None
    return StockTransferShipment(
        envelope=tx.envelope(),
        report_code=w06.need(w06.text(1), 1, "reporting code"),
        depositor_order_number=w06.need(w06.text(2), 2, "depositor order number"),
        ship_date=w06.date(3),
        shipment_id=w06.text(4),
        agent_shipment_id=w06.text(5),
        po_number=w06.text(6),
        warehouse=warehouse,
        ship_from=ship_from,
        parties=parties,
        references=extras.references,
        dates=extras.dates,
        notes=extras.notes,
        transport=transport,
        lines=[_parse_w04(loop) for loop in header.lines],
        total_quantity=w03.need(w03.decimal(1), 1, "number of units shipped"),
        total_weight=parse_weight(w03, 2, 0, 3),
        unmapped=header.body.unmapped(),
    )


def _parse_w04(loop: Sequence[SegmentAt]) -> TransferLine:
    w04 = loop[0].take({1, 2, 3} | pair_elements(loop[0], ID_PAIRS))
    details = parse_line_details(loop)
    references = details.references
    lot = next((r for r in references if r.qualifier == LOT_NUMBER and r.value), None)
    return TransferLine(
        quantity=w04.need(w04.decimal(1), 1, "number of units shipped"),
        unit_of_measure=w04.need(w04.text(2), 2, "unit of measure"),
        upc_case_code=w04.text(3),
        item=parse_id_pairs(w04, ID_PAIRS),
        lot_number=lot.value if lot else None,
        description=details.description,
        serial_numbers=details.serial_numbers,
        references=[r for r in references if r is not lot],
        weight=parse_line_weight(loop),
    )


def render(message: StockTransferShipment) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [render_w06(message)]
    body += render_header_parties(message.warehouse, message.ship_from, message.parties)
    body += render_header_extras(message.references, message.dates, message.notes)
    if message.transport is not None:
        body.append(render_w27(message.transport))
    for line in message.lines:
        body += _render_line(line)
    body.append(render_w03(message.total_quantity, message.total_weight))
    return transaction_content(SET_ID, body, message.envelope)


def _render_line(line: TransferLine) -> list[Segment]:
    pairs = id_pairs(line.item, len(ID_PAIRS), "W04")
    elements: list[str | None] = [None] * 15
    elements[:3] = [
        format_decimal(line.quantity, 10, "W0401"),
        line.unit_of_measure,
        line.upc_case_code,
    ]
    place_id_pairs(elements, pairs, ID_PAIRS)
    lot = [Reference(qualifier=LOT_NUMBER, value=line.lot_number)] if line.lot_number else []
    segments = [seg("W04", *elements)]
    segments += render_line_details(line.description, line.serial_numbers, lot + line.references)
    return segments + render_line_weight(line.weight)

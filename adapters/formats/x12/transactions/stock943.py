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

from gateway.messages import Reference, StockTransferShipment, TransferLine, Transport

from ..envelopes import x12_facts
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import (
    SegmentAt,
    body_of,
    format_date,
    format_decimal,
    holds_only,
    loop_instances,
    seg,
    split_detail,
    walk,
)
from .warehouse_common import (
    N1_MEMBERS,
    HeaderExtras,
    id_pairs,
    pair_elements,
    parse_id_pairs,
    parse_n9,
    parse_parties_by_role,
    parse_weight,
    render_header_parties,
    render_line_references,
    render_n9,
    render_warehouse_date,
    render_warehouse_note,
    split_serials,
    wholly,
)

SET_ID = "943"
FUNCTIONAL_ID = "AR"
MESSAGE = StockTransferShipment

HEADER_LOOPS = {"N1": N1_MEMBERS, "LM": frozenset({"LQ"})}
ID_PAIRS = (4, 6, 14)
"""W04 elements holding a product id qualifier (its value follows)."""
LOT_NUMBER = "LT"
"""N901 reference qualifier of a lot number."""


def parse(tx: TransactionSet) -> StockTransferShipment:
    """The stock transfer shipment advice carried by ``tx``."""
    body = body_of(tx, SET_ID)
    header, loops, summary = split_detail(body.segments, "W04", summary=("W03",))
    walked = walk(header, HEADER_LOOPS)
    w06: SegmentAt | None = None
    w27: SegmentAt | None = None
    extras = HeaderExtras()
    for owner, s in walked:
        if owner is not None or extras.read(s):
            continue
        if s.tag == "W06" and w06 is None:
            w06 = s.take(range(1, 7))
        elif s.tag == "W27" and w27 is None:
            w27 = wholly(s, (1, 2, 3, 4))
    if w06 is None:
        raise body.missing("W06", "warehouse shipment identification")
    if not loops:
        raise body.missing("W04", "a stock transfer has at least one line")
    w03 = next((s for s in summary if s.tag == "W03"), None)
    if w03 is None:
        raise body.missing("W03", "total shipment information")
    w03.take((1, 2, 3))
    (warehouse, ship_from), parties = parse_parties_by_role(
        loop_instances(walked, "N1"), ("WH", "SF")
    )
    transport = None
    if w27 is not None:
        transport = Transport(
            transport_method=w27.need(w27.text(1), 1, "transportation method"),
            carrier_scac=w27.text(2),
            routing=w27.text(3),
            payment_method=w27.text(4),
        )
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
        lines=[_parse_w04(loop) for loop in loops],
        total_quantity=w03.need(w03.decimal(1), 1, "number of units shipped"),
        total_weight=parse_weight(w03, 2, 0, 3),
        unmapped=body.unmapped(),
    )


def _parse_w04(loop: Sequence[SegmentAt]) -> TransferLine:
    w04 = loop[0].take({1, 2, 3} | pair_elements(loop[0], ID_PAIRS))
    g69 = wholly(next((s for s in loop if s.tag == "G69"), None), (1,))
    w20 = wholly(next((s for s in loop if s.tag == "W20"), None), (4, 5, 6))
    n9s = [s for s in loop if s.tag == "N9" and holds_only(s, frozenset({1, 2, 3}))]
    serials, references = split_serials([parse_n9(s) for s in n9s])
    lot = next((r for r in references if r.qualifier == LOT_NUMBER and r.value), None)
    return TransferLine(
        quantity=w04.need(w04.decimal(1), 1, "number of units shipped"),
        unit_of_measure=w04.need(w04.text(2), 2, "unit of measure"),
        upc_case_code=w04.text(3),
        item=parse_id_pairs(w04, ID_PAIRS),
        lot_number=lot.value if lot else None,
        description=g69.text(1) if g69 else None,
        serial_numbers=serials,
        references=[r for r in references if r is not lot],
        weight=parse_weight(w20, 4, 5, 6) if w20 else None,
    )


def render(message: StockTransferShipment) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "W06",
            message.report_code,
            message.depositor_order_number,
            format_date(message.ship_date) if message.ship_date else None,
            message.shipment_id,
            message.agent_shipment_id,
            message.po_number,
        )
    ]
    body += render_header_parties(message.warehouse, message.ship_from, message.parties)
    body += [render_n9(r) for r in message.references]
    body += [render_warehouse_date(d) for d in message.dates]
    body += [render_warehouse_note(n) for n in message.notes]
    transport = message.transport
    if transport is not None:
        body.append(
            seg(
                "W27",
                transport.transport_method,
                transport.carrier_scac,
                transport.routing,
                transport.payment_method,
            )
        )
    for line in message.lines:
        body += _render_line(line)
    weight = message.total_weight
    body.append(
        seg(
            "W03",
            format_decimal(message.total_quantity, 10, "W0301"),
            format_decimal(weight.value if weight else None, 10, "W0302"),
            weight.unit if weight else None,
        )
    )
    facts = x12_facts(message.envelope)
    return TransactionContent(
        SET_ID,
        body,
        control_number=facts.transaction_control_number,
        implementation_reference=facts.implementation_reference,
    )


def _render_line(line: TransferLine) -> list[Segment]:
    pairs = id_pairs(line.item, len(ID_PAIRS), "W04")
    elements: list[str | None] = [None] * 15
    elements[:3] = [
        format_decimal(line.quantity, 10, "W0401"),
        line.unit_of_measure,
        line.upc_case_code,
    ]
    for (qualifier, value), position in zip(pairs, ID_PAIRS, strict=False):
        elements[position - 1], elements[position] = qualifier, value
    segments = [seg("W04", *elements)]
    if line.description:
        segments.append(seg("G69", line.description))
    lot = [Reference(qualifier=LOT_NUMBER, value=line.lot_number)] if line.lot_number else []
    segments += render_line_references(line.serial_numbers, lot + line.references)
    weight = line.weight
    if weight is not None:
        value = format_decimal(weight.value, 10, "W2004")
        segments.append(seg("W20", None, None, None, value, weight.qualifier, weight.unit))
    return segments

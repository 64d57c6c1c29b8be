"""947 Warehouse Inventory Adjustment Advice <-> :class:`~gateway.messages.InventoryAdjustment`.

Header: W15 (W1501 date, W1502 the warehouse's and W1503 the depositor's adjustment number,
W1504 purpose, W1505 transaction type, W1506 action code), N1 loops (the first WH is the
warehouse), N9 references, G62 dates, NTE notes. Detail: a W19 loop per line: W1901 reason
code, W1902 quantity, W1903 unit, W1904 U.P.C. case code, id pairs at W1905, W1907 and W1917,
W1909 lot, W1910-W1912 and W1913-W1915 weights, W1916 inventory transaction type; the first G69
description, N9 references (``N9*SE``: serial numbers) and G62 dates (an expiry date) of the
loop. The same positions in 004010 and 005010. Every other segment (a W19 loop's N1 or LM
loop, an AMT) is kept, in order, in the message's ``unmapped`` part (see common.py,
"Lossless"); a W15 or W19 carrying an element no field holds is kept whole, its fields read.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import AdjustedLine, InventoryAdjustment

from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import SegmentAt, format_date, format_decimal, holds_only, seg, walk
from .warehouse_common import (
    N1_MEMBERS,
    id_pairs,
    pair_elements,
    parse_id_pairs,
    parse_line_details,
    parse_warehouse_date,
    parse_weight,
    place_id_pairs,
    render_line_details,
    render_warehouse_date,
)
from .warehouse_header import (
    HeaderTags,
    parse_parties_by_role,
    read_header,
    render_header_extras,
    render_header_parties,
    transaction_content,
)

SET_ID = "947"
FUNCTIONAL_ID = "AW"
MESSAGE = InventoryAdjustment

HEADER = HeaderTags(
    SET_ID,
    beginning="W15",
    beginning_what="warehouse adjustment identification",
    beginning_held=range(1, 7),
    detail="W19",
    detail_what="an adjustment advice has at least one line",
)
LINE_LOOPS = {"N1": N1_MEMBERS | {"G61"}, "LM": frozenset({"LQ"})}
"""The loops inside a W19 loop, whose segments no field reads."""
ID_PAIRS = (5, 7, 17)
"""W19 elements holding a product id qualifier (its value follows)."""
WEIGHTS = ((10, 11, 12), (13, 14, 15))
"""W19 elements of its two weights: value, qualifier, unit."""


def parse(tx: TransactionSet) -> InventoryAdjustment:
    """The inventory adjustment advice carried by ``tx``."""
    header = read_header(tx, HEADER)
    w15, extras = header.beginning, header.extras
    (warehouse,), parties = parse_parties_by_role(header.party_loops, ("WH",))
    return InventoryAdjustment(
        envelope=tx.envelope(),
        adjustment_date=w15.need(w15.date(1), 1, "adjustment date"),
        adjustment_number=w15.text(2),
        depositor_adjustment_number=w15.text(3),
        purpose_code=w15.text(4),
        transaction_type=w15.text(5),
        action_code=w15.text(6),
        warehouse=warehouse,
        parties=parties,
        references=extras.references,
        dates=extras.dates,
        notes=extras.notes,
        lines=[_parse_w19(loop) for loop in header.lines],
        unmapped=header.body.unmapped(),
    )


def _parse_w19(loop: Sequence[SegmentAt]) -> AdjustedLine:
    w19 = loop[0]
    held = {1, 2, 3, 4, 9, 16} | pair_elements(w19, ID_PAIRS)
    weights = [parse_weight(w19, *elements) for elements in WEIGHTS]
    for elements, weight in zip(WEIGHTS, weights, strict=True):
        if weight is not None:
            held |= set(elements)
    w19.take(held)
    own = [s for owner, s in walk(loop[1:], LINE_LOOPS) if owner is None]
    details = parse_line_details(own)
    g62s = [s for s in own if s.tag == "G62" and holds_only(s, frozenset({1, 2, 3, 4}))]
    return AdjustedLine(
        reason_code=w19.need(w19.text(1), 1, "quantity or status adjustment reason code"),
        quantity=w19.need(w19.decimal(2), 2, "credit/debit quantity"),
        unit_of_measure=w19.need(w19.text(3), 3, "unit of measure"),
        upc_case_code=w19.text(4),
        item=parse_id_pairs(w19, ID_PAIRS),
        lot_number=w19.text(9),
        weights=[w for w in weights if w is not None],
        inventory_transaction_type=w19.text(16),
        description=details.description,
        serial_numbers=details.serial_numbers,
        references=details.references,
        dates=[parse_warehouse_date(s) for s in g62s],
    )


def render(message: InventoryAdjustment) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "W15",
            format_date(message.adjustment_date),
            message.adjustment_number,
            message.depositor_adjustment_number,
            message.purpose_code,
            message.transaction_type,
            message.action_code,
        )
    ]
    body += render_header_parties(message.warehouse, None, message.parties)
    body += render_header_extras(message.references, message.dates, message.notes)
    for line in message.lines:
        body += _render_line(line)
    return transaction_content(SET_ID, body, message.envelope)


def _render_line(line: AdjustedLine) -> list[Segment]:
    pairs = id_pairs(line.item, len(ID_PAIRS), "W19")
    elements: list[str | None] = [None] * 18
    elements[:4] = [
        line.reason_code,
        format_decimal(line.quantity, 10, "W1902"),
        line.unit_of_measure,
        line.upc_case_code,
    ]
    place_id_pairs(elements, pairs, ID_PAIRS)
    elements[8] = line.lot_number
    for (at, qualifier_at, unit_at), weight in zip(WEIGHTS, line.weights, strict=False):
        elements[at - 1] = format_decimal(weight.value, 10, f"W19{at:02d}")
        elements[qualifier_at - 1], elements[unit_at - 1] = weight.qualifier, weight.unit
    elements[15] = line.inventory_transaction_type
    segments = [seg("W19", *elements)]
    segments += render_line_details(line.description, line.serial_numbers, line.references)
    segments += [render_warehouse_date(d) for d in line.dates]
    return segments

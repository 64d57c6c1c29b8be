"""855 Purchase Order Acknowledgment <-> :class:`~gateway.messages.PurchaseOrderAck`.

Header: BAK (BAK01 purpose, BAK02 acknowledgment type, BAK03 PO number, BAK04 PO date, BAK05
release, BAK09 acknowledgment date: the same positions in 004010 and 005010), REF, DTM, notes
(MSG in an ``N9*L1`` loop in 004010, MTX in 005010), N1 loops. Detail: one PO1 loop per line with
its product ids, its PID descriptions (item_ids.py), its ACK segments and SCH schedules. Summary:
CTT with the number of PO1 segments and the hash total of PO102 (no CTT when there are no lines).

Many real 855s acknowledge some lines without an ACK segment: such a line keeps an empty
``acknowledgments`` list (BAK02 speaks for it, as for the whole order); nothing is inferred.

A CTT that says otherwise than the lines is kept in ``control_totals``; every segment not mapped
is kept in ``unmapped`` (see common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import (
    DateReference,
    LineAcknowledgment,
    LineStatus,
    Note,
    PurchaseOrderAck,
    PurchaseOrderAckLine,
    Reference,
)
from gateway.messages.orders import DeliverySchedule

from ..envelopes import group_version, x12_facts
from ..findings import quote
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .commercial import (
    parse_control_totals,
    parse_schedule,
    render_control_totals,
    render_schedule,
)
from .common import (
    N1_MEMBERS,
    NOTE_TAGS,
    NOTES_CONTAINER,
    SegmentAt,
    body_of,
    format_date,
    format_decimal,
    loop_instances,
    parse_date_reference,
    parse_item_ids,
    parse_note,
    parse_party,
    parse_reference,
    render_date_reference,
    render_item_ids,
    render_note,
    render_party,
    render_reference,
    seg,
    split_detail,
    take_notes_container,
    walk,
)
from .item_ids import NAMED_ITEM_IDS_2_1, read_descriptions, render_descriptions

SET_ID = "855"
FUNCTIONAL_ID = "PR"
MESSAGE = PurchaseOrderAck

N9_MEMBERS = frozenset({"DTM", "MSG", "MTX", "PWK", "EFI"})

HEADER_LOOPS = {
    "SAC": frozenset({"CUR"}),
    "N9": N9_MEMBERS,
    "N1": N1_MEMBERS | {"MSG", "MTX"},
    "ADV": frozenset({"DTM", "MTX"}),
}
"""Inner loops of the 855 header whose members could be mistaken for header segments."""

LINE_LOOPS = {
    "SAC": frozenset({"CUR"}),
    "ACK": frozenset({"DTM"}),
    "SCH": frozenset({"TD1", "TD5", "TD3", "TD4", "REF"}),
    "N9": N9_MEMBERS,
    "N1": N1_MEMBERS | {"QTY", "DTM", "SCH"},
    "SLN": frozenset(
        {"MSG", "MTX", "SI", "PID", "PO3", "MEA", "CTP", "PAM", "ACK", "SAC", "CUR", "DTM"}
        | {"PO4", "TAX", "ADV", "QTY", "N9", "N1", "N2", "IN2", "N3", "N4", "NX2", "REF", "PER"}
    ),
}
"""Inner loops of a PO1 loop whose members could be mistaken for line segments."""

PO1_ID_PAIRS = 10
"""PO106 to PO125."""


def parse(tx: TransactionSet) -> PurchaseOrderAck:
    """The purchase order acknowledgment carried by ``tx``."""
    body = body_of(tx, SET_ID)
    header, lines, summary = split_detail(body.segments, "PO1")
    walked = walk(header, HEADER_LOOPS)
    bak: SegmentAt | None = None
    references: list[Reference] = []
    dates: list[DateReference] = []
    notes: list[Note] = []
    for owner, s in walked:
        if owner is None and s.tag == "BAK" and bak is None:
            bak = s.take((1, 2, 3, 4, 5, 6, 7, 8, 9))
        elif owner is None and s.tag == "REF":
            references.append(parse_reference(s))
        elif owner is None and s.tag == "DTM":
            dates.append(parse_date_reference(s))
        elif s.tag == "N9" and owner == "N9":
            take_notes_container(s)  # other N9s stay unmapped
        elif s.tag in NOTE_TAGS and owner in (None, "N9") and (note := parse_note(s)):
            notes.append(note)
    if bak is None:
        raise body.missing("BAK", "beginning segment for purchase order acknowledgment")
    ack_type = bak.need(bak.text(2), 2, "acknowledgment type")
    return PurchaseOrderAck(
        envelope=tx.envelope(),
        purpose_code=bak.need(bak.text(1), 1, "transaction set purpose code"),
        ack_type=ack_type,
        po_number=bak.need(bak.text(3), 3, "purchase order number"),
        po_date=bak.need(bak.date(4), 4, "purchase order date"),
        release_number=bak.text(5),
        ack_date=bak.date(9),
        request_reference=bak.text(6),
        contract_number=bak.text(7),
        seller_order_number=bak.text(8),
        references=references,
        dates=dates,
        notes=notes,
        parties=[parse_party(loop) for loop in loop_instances(walked, "N1")],
        lines=(parsed := [_parse_line(loop, ack_type) for loop in lines]),
        control_totals=parse_control_totals(
            summary, len(parsed), (line.quantity for line in parsed)
        ),
        unmapped=body.unmapped(),
    )


def _parse_line(loop: Sequence[SegmentAt], ack_type: str) -> PurchaseOrderAckLine:
    po1 = loop[0].take(range(1, 26))  # PO101-PO105, ten product id pairs
    pids: list[SegmentAt] = []
    acknowledgments: list[LineAcknowledgment] = []
    schedules: list[DeliverySchedule] = []
    for owner, s in walk(loop[1:], LINE_LOOPS):
        if owner is None and s.tag == "PID":
            pids.append(s)
        elif owner == "ACK" and s.tag == "ACK":
            acknowledgments.append(_parse_ack(s))
        elif owner == "SCH" and s.tag == "SCH" and (schedule := parse_schedule(s)):
            schedules.append(schedule)
    description, descriptions = read_descriptions(pids)
    return PurchaseOrderAckLine(
        line_number=po1.text(1),
        quantity=po1.need(po1.decimal(2), 2, "quantity ordered"),
        unit_of_measure=po1.need(po1.text(3), 3, "unit of measure"),
        unit_price=po1.decimal(4),
        price_basis=po1.text(5),
        item=parse_item_ids(po1, 6, NAMED_ITEM_IDS_2_1),
        description=description,
        descriptions=descriptions,
        schedules=schedules,
        acknowledgments=acknowledgments,
    )


def _parse_ack(s: SegmentAt) -> LineAcknowledgment:
    code = s.take((1, 2, 3, 4, 5)).need(s.text(1), 1, "line item status code")
    try:
        status = LineStatus(code)
    except ValueError:
        raise s.error(f"{quote(code)} is not a line item status code (668)", 1) from None
    return LineAcknowledgment(
        status=status,
        quantity=s.decimal(2),
        unit_of_measure=s.text(3),
        date_qualifier=s.text(4),
        date=s.date(5),
    )


def render(message: PurchaseOrderAck) -> TransactionContent:
    """The body segments of ``message`` for its envelope's version."""
    version = group_version(message.envelope)
    body = [
        seg(
            "BAK",
            message.purpose_code,
            message.ack_type,
            message.po_number,
            format_date(message.po_date),
            message.release_number,
            message.request_reference,
            message.contract_number,
            message.seller_order_number,
            format_date(message.ack_date) if message.ack_date else None,
        )
    ]
    body += [render_reference(r) for r in message.references]
    body += [render_date_reference(d) for d in message.dates]
    if message.notes:
        body.append(seg("N9", *NOTES_CONTAINER))
        body += [render_note(n, version) for n in message.notes]
    for party in message.parties:
        body += render_party(party)
    for line in message.lines:
        body += _render_line(line)
    if message.lines or message.control_totals:
        quantities = (line.quantity for line in message.lines)
        totals = message.control_totals
        body.append(render_control_totals(totals, len(message.lines), quantities))
    return TransactionContent(
        SET_ID,
        body,
        control_number=x12_facts(message.envelope).transaction_control_number,
        implementation_reference=x12_facts(message.envelope).implementation_reference,
    )


def _render_line(line: PurchaseOrderAckLine) -> list[Segment]:
    segments = [
        seg(
            "PO1",
            line.line_number,
            format_decimal(line.quantity, 15, "PO102"),
            line.unit_of_measure,
            format_decimal(line.unit_price, 17, "PO104"),
            line.price_basis,
            *render_item_ids(line.item, PO1_ID_PAIRS, "PO1"),
        )
    ]
    segments += render_descriptions(line.description, line.descriptions)
    for ack in line.acknowledgments:
        segments.append(
            seg(
                "ACK",
                ack.status.value,
                format_decimal(ack.quantity, 15, "ACK02"),
                ack.unit_of_measure,
                ack.date_qualifier,
                format_date(ack.date) if ack.date else None,
            )
        )
    segments += [render_schedule(s) for s in line.schedules]
    return segments

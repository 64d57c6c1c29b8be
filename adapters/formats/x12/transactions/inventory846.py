"""846 Inventory Inquiry/Advice <-> :class:`~gateway.messages.InventoryAdvice`.

Header: BIA (BIA01 purpose, BIA02 report type, BIA03 reference, BIA04/BIA05 as-of date and time,
BIA06 action code: ``2`` makes the advice a delta), CUR, DTM, REF, N1 loops (the first ``N1*WH``
is the facility). Detail: one LIN loop per item (and location), read as:

- LIN01 line number, LIN02/LIN03... product id pairs; the first ``PID*F`` description; the
  LIN loop's own DTM, REF and MEA (its weight and dimensions: the catch weight of an item that
  varies in weight);
- each QTY loop: QTY01 qualifier (its state, when it names one), QTY02 quantity, QTY03 unit (or
  UIT01 after the QTY when QTY03 is empty), and in its LS/LE loop ``REF*LT`` lots (each with the
  ``DTM*036`` expiry that follows it) and ``REF*SE`` serial numbers;
- the LIN loop's N1 loop (after the QTY loops): the location of the stock.

Summary: CTT with the number of LIN loops. The same positions in 004010 and 005010.

Every other segment (and a CUR, UIT or LS/LE loop saying more than these fields) is kept, in
order, in the message's ``unmapped`` part (see common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import RenderError, TranslationError
from gateway.messages import (
    DateReference,
    InventoryAdvice,
    InventoryLine,
    InventoryQuantity,
    Lot,
    Reference,
)
from gateway.messages.blocks import Measurement

from ..envelopes import x12_facts
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .commercial import parse_measurement, render_measurement
from .common import (
    Body,
    SegmentAt,
    Walked,
    body_of,
    format_date,
    format_decimal,
    holds_only,
    loop_instances,
    parse_date_reference,
    parse_item_ids,
    parse_party,
    parse_reference,
    render_date_reference,
    render_item_ids,
    render_party,
    render_reference,
    seg,
    split_detail,
    walk,
)

SET_ID = "846"
FUNCTIONAL_ID = "IB"
MESSAGE = InventoryAdvice

HEADER_LOOPS = {
    "N1": frozenset({"N2", "N3", "N4", "REF", "PER"}),
    "LM": frozenset({"LQ"}),
}
"""Inner loops of the 846 header whose members could be mistaken for header segments."""

QTY_MEMBERS = frozenset({"UIT", "MEA", "LDT", "DTM", "SCH", "LM", "LQ"})
"""Segments of a QTY loop outside its LS/LE loop."""

LINE_LOOPS = {
    "LM": frozenset({"LQ"}),
    "SLN": frozenset({"PID", "MEA", "PKG", "MAN"}),
    "N1": frozenset({"N2", "N3", "N4", "REF", "PER"}),
}
"""Inner loops of a LIN loop (besides QTY, read on its own) holding segments a line also has."""

LIN_ID_PAIRS = 15
"""LIN02 to LIN31."""

EXPIRY = "036"
"""DTM01 date/time qualifier (374) 036: expiration."""


# ----------------------------------------------------------------------------------------------
# Reading


def parse(tx: TransactionSet) -> InventoryAdvice:
    """The inventory advice carried by ``tx`` (read a segment at a time: inventory846_parts.py,
    with the same steps)."""
    body = body_of(tx, SET_ID)
    header, lines, summary = split_detail(body.segments, "LIN")
    take_summary(summary[:1])
    head = AdviceHeader.read(header, body)
    if not lines:
        raise no_lines(body)
    return InventoryAdvice(
        envelope=tx.envelope(),
        **head.fields(),
        lines=[read_line(loop) for loop in lines],
        unmapped=body.unmapped(),
    )


def take_summary(first: Sequence[SegmentAt]) -> None:
    """The summary's first segment (``first``: it or nothing): a CTT counting the lines is taken
    (the count is the lines'); the others are kept."""
    for s in first:
        if s.tag == "CTT" and holds_only(s, frozenset({1})):
            s.take()


def no_lines(body: Body) -> TranslationError:
    return body.missing("LIN", "an inventory advice has at least one item")


@dataclass(slots=True)
class AdviceHeader:
    """The segments before the first LIN loop, read."""

    bia: SegmentAt
    cur: SegmentAt | None
    references: list[Reference]
    dates: list[DateReference]
    walked: Walked

    @classmethod
    def read(cls, header: Sequence[SegmentAt], body: Body) -> AdviceHeader:
        walked = walk(header, HEADER_LOOPS)
        bia: SegmentAt | None = None
        cur: SegmentAt | None = None
        references: list[Reference] = []
        dates: list[DateReference] = []
        for owner, s in walked:
            if owner is not None:
                continue
            if s.tag == "BIA" and bia is None:
                bia = s.take()
            elif s.tag == "CUR" and cur is None and holds_only(s, frozenset({1, 2})):
                cur = s.take()
            elif s.tag == "REF":
                references.append(parse_reference(s))
            elif s.tag == "DTM":
                dates.append(parse_date_reference(s))
        if bia is None:
            raise body.missing("BIA", "beginning segment for inventory inquiry/advice")
        return cls(bia, cur, references, dates, walked)

    def fields(self) -> dict[str, Any]:
        """The advice's fields but its envelope, lines and unmapped segments."""
        parties = [parse_party(loop) for loop in loop_instances(self.walked, "N1")]
        facility = next((p for p in parties if p.role == "WH"), None)
        if facility is not None:
            parties.remove(facility)
        bia, cur = self.bia, self.cur
        return {
            "purpose_code": bia.need(bia.text(1), 1, "transaction set purpose code"),
            "report_type": bia.need(bia.text(2), 2, "report type code"),
            "reference": bia.need(bia.text(3), 3, "reference identification"),
            "as_of_date": bia.need(bia.date(4), 4, "date"),
            "as_of_time": bia.time(5),
            "action_code": bia.text(6),
            "currency_entity": cur.text(1) if cur else None,
            "currency": cur.text(2) if cur else None,
            "references": self.references,
            "dates": self.dates,
            "facility": facility,
            "parties": parties,
        }


@dataclass(slots=True)
class _Quantity:
    """A QTY loop being read."""

    qty: SegmentAt
    unit_detail: str | None = None
    frame: list[SegmentAt] = field(default_factory=list)
    """The LS and LE of its LS/LE loop: taken when the loop gave a lot or serial number."""
    lots: list[Lot] = field(default_factory=list)
    serial_numbers: list[str] = field(default_factory=list)
    lot_open: bool = False
    """The last REF of the LS loop was a lot: a DTM*036 next is its expiry."""

    def build(self) -> InventoryQuantity:
        qty = self.qty.take()
        if self.lots or self.serial_numbers:
            for s in self.frame:
                s.take()
        unit = qty.segment.components(3)[0].strip() or self.unit_detail
        return InventoryQuantity(
            qualifier=qty.need(qty.text(1), 1, "quantity qualifier"),
            quantity=qty.need(qty.decimal(2), 2, "quantity"),
            unit_of_measure=unit,
            lots=self.lots,
            serial_numbers=self.serial_numbers,
        )

    def take(self, s: SegmentAt) -> None:
        """A segment of this quantity's LS/LE loop."""
        if s.tag == "REF":
            self.lot_open = False
            value = s.text(2)
            if not holds_only(s, frozenset({1, 2})) or value is None:
                return
            if s.text(1) == "LT":
                self.lots.append(Lot(number=s.take().need(value, 2, "lot number")))
                self.lot_open = True
            elif s.text(1) == "SE":
                self.serial_numbers.append(s.take().need(value, 2, "serial number"))
        elif s.tag == "DTM" and self.lot_open and s.text(1) == EXPIRY:
            if holds_only(s, frozenset({1, 2})):
                expiry = s.take().date(2)
                self.lots[-1] = self.lots[-1].model_copy(update={"expiry_date": expiry})
            self.lot_open = False


def read_line(loop: Sequence[SegmentAt]) -> InventoryLine:
    """The item line of the LIN loop ``loop``."""
    lin = loop[0]
    quantities: list[_Quantity] = []
    rest: list[SegmentAt] = []
    in_qty = in_ls = False
    for s in loop[1:]:
        if in_ls:
            if s.tag == "LE":
                in_ls = False
                quantities[-1].frame.append(s)
            else:
                quantities[-1].take(s)
            continue
        if s.tag == "QTY":
            quantities.append(_Quantity(s))
            in_qty = True
        elif in_qty and s.tag == "LS":
            in_ls = True
            quantities[-1].frame.append(s)
        elif in_qty and s.tag in QTY_MEMBERS:
            quantity = quantities[-1]
            unit_missing = not quantity.qty.segment.components(3)[0].strip()
            wanted = s.tag == "UIT" and unit_missing and quantity.unit_detail is None
            if wanted and holds_only(s, frozenset({1}), frozenset({1})):
                quantity.unit_detail = s.take().segment.components(1)[0].strip() or None
        else:
            in_qty = False
            rest.append(s)
    walked = walk(rest, LINE_LOOPS)
    description: str | None = None
    references: list[Reference] = []
    dates: list[DateReference] = []
    measurements: list[Measurement] = []
    for owner, s in walked:
        if owner is None and s.tag == "PID" and description is None and s.text(1) == "F":
            if holds_only(s, frozenset({1, 5})):
                description = s.take().text(5)
        elif owner is None and s.tag == "REF":
            references.append(parse_reference(s))
        elif owner is None and s.tag == "DTM":
            dates.append(parse_date_reference(s))
        elif owner is None and s.tag == "MEA" and (measurement := parse_measurement(s)):
            measurements.append(measurement)
    locations = loop_instances(walked, "N1")
    lin.take()
    return InventoryLine(
        line_number=lin.text(1),
        item=parse_item_ids(lin, 2),
        description=description,
        location=parse_party(locations[0]) if locations else None,
        references=references,
        dates=dates,
        measurements=measurements,
        quantities=[q.build() for q in quantities],
    )


# ----------------------------------------------------------------------------------------------
# Writing


def render(message: InventoryAdvice) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "BIA",
            message.purpose_code,
            message.report_type,
            message.reference,
            format_date(message.as_of_date),
            message.as_of_time,
            message.action_code,
        )
    ]
    if message.currency or message.currency_entity:
        body.append(seg("CUR", message.currency_entity, message.currency))
    body += [render_date_reference(d) for d in message.dates]
    body += [render_reference(r) for r in message.references]
    for party in [message.facility, *message.parties]:
        if party is not None:
            body += render_party(party)
    for line in message.lines:
        body += _render_line(line)
    body.append(seg("CTT", str(len(message.lines))))
    facts = x12_facts(message.envelope)
    return TransactionContent(
        SET_ID,
        body,
        control_number=facts.transaction_control_number,
        implementation_reference=facts.implementation_reference,
    )


def _render_line(line: InventoryLine) -> list[Segment]:
    ids = render_item_ids(line.item, LIN_ID_PAIRS, "LIN")
    if not ids:
        raise RenderError(
            f"line {line.line_number or '?'} names no item (LIN02/LIN03 are required)"
        )
    segments = [seg("LIN", line.line_number, *ids)]
    if line.description:
        segments.append(seg("PID", "F", None, None, None, line.description))
    segments += [render_measurement(m) for m in line.measurements]
    segments += [render_date_reference(d) for d in line.dates]
    segments += [render_reference(r) for r in line.references]
    for quantity in line.quantities:
        segments += _render_quantity(quantity)
    if line.location is not None:
        segments += render_party(line.location)
    return segments


def _render_quantity(quantity: InventoryQuantity) -> list[Segment]:
    segments = [
        seg(
            "QTY",
            quantity.qualifier,
            format_decimal(quantity.quantity, 15, "QTY02"),
            quantity.unit_of_measure,
        )
    ]
    if quantity.lots or quantity.serial_numbers:
        segments.append(seg("LS", "LT"))
        for lot in quantity.lots:
            segments.append(seg("REF", "LT", lot.number))
            if lot.expiry_date is not None:
                segments.append(seg("DTM", EXPIRY, format_date(lot.expiry_date)))
        segments += [seg("REF", "SE", serial) for serial in quantity.serial_numbers]
        segments.append(seg("LE", "LT"))
    return segments

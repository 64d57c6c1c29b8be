"""850 Purchase Order: one PO1 loop <-> :class:`~gateway.messages.PurchaseOrderLine` (the header
and summary are in po850.py, whose docstring says what each carries).

A line: PO1 (quantity, unit, price, basis, ten product id pairs), CTP prices, MEA, PID
descriptions (item_ids.py), PO4 pack sizes, REF, SAC, SDQ destination quantities, DTM, notes, TXI,
SCH and the line's N1 loops, written in that order (the standard's). Segments no field holds are
kept in the message's ``unmapped`` part (common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from gateway.messages import DateReference, Note, PurchaseOrderLine, Reference
from gateway.messages.blocks import AllowanceCharge, Measurement, Tax
from gateway.messages.orders import CatalogPrice, DeliverySchedule, DestinationQuantities, PackSize

from ..segments import Segment
from .commercial import (
    parse_allowance_charge,
    parse_catalog_price,
    parse_destination_quantities,
    parse_measurement,
    parse_pack_size,
    parse_schedule,
    parse_tax,
    render_allowance_charge,
    render_catalog_price,
    render_destination_quantities,
    render_measurement,
    render_pack_size,
    render_schedule,
    render_tax,
)
from .common import (
    N1_MEMBERS,
    NOTE_TAGS,
    SegmentAt,
    format_decimal,
    parse_date_reference,
    parse_note,
    parse_party,
    parse_reference,
    render_date_reference,
    render_item_ids,
    render_note,
    render_party,
    render_reference,
    seg,
    walk,
)
from .item_ids import (
    NAMED_ITEM_IDS_2_1,
    parse_item_ids,
    read_descriptions,
    render_descriptions,
)

T = TypeVar("T")

N9_MEMBERS = frozenset({"DTM", "MEA", "MSG", "MTX", "PWK", "EFI"})

LINE_LOOPS = {
    "SAC": frozenset({"CUR", "CTP"}),
    "SCH": frozenset({"TD1", "TD5", "TD3", "TD4", "REF"}),
    "LS": frozenset({"LDT", "QTY", "MSG", "MTX", "REF", "LM", "LQ", "LE"}),
    "N9": N9_MEMBERS,
    "N1": N1_MEMBERS | {"QTY", "DTM", "SCH", "LDT", "MAN", "MSG", "MTX"},
    "SLN": frozenset(
        {"MSG", "MTX", "SI", "PID", "PO3", "MEA", "TC2", "ADV", "DTM", "CTP", "PAM", "PO4", "TAX"}
        | {"N9", "SAC", "CUR", "QTY", "N1", "N2", "IN2", "N3", "N4", "NX2", "REF", "PER"}
    ),
    "AMT": frozenset({"REF", "PCT"}),
}
"""Inner loops of a PO1 loop whose members could be mistaken for line segments."""

PO1_ID_PAIRS = 10
"""PO106 to PO125."""
PO1_ELEMENTS = frozenset(range(1, 26))
"""The elements a PO1 is read into: PO101-PO105 and its ten product id pairs."""


def parse_line(loop: Sequence[SegmentAt]) -> PurchaseOrderLine:
    po1 = loop[0].take(PO1_ELEMENTS)
    pids: list[SegmentAt] = []
    dates: list[DateReference] = []
    notes: list[Note] = []
    extras = _LineExtras()
    for owner, s in walk(loop[1:], LINE_LOOPS):
        if owner is None and s.tag == "PID":
            pids.append(s)
        elif owner is None and s.tag == "DTM":
            dates.append(parse_date_reference(s))
        elif s.tag in NOTE_TAGS and owner in (None, "N9") and (note := parse_note(s)):
            notes.append(note)
        else:
            extras.read(owner, s)
    description, descriptions = read_descriptions(pids)
    return PurchaseOrderLine(
        line_number=po1.text(1),
        quantity=po1.need(po1.decimal(2), 2, "quantity ordered"),
        unit_of_measure=po1.need(po1.text(3), 3, "unit of measure"),
        unit_price=po1.decimal(4),
        price_basis=po1.text(5),
        item=parse_item_ids(po1, 6, NAMED_ITEM_IDS_2_1),
        description=description,
        descriptions=descriptions,
        dates=dates,
        notes=notes,
        prices=extras.prices,
        packaging=extras.packaging,
        allowances_charges=extras.charges,
        taxes=extras.taxes,
        measurements=extras.measurements,
        references=extras.references,
        schedules=extras.schedules,
        destination_quantities=extras.destinations,
        parties=[parse_party(loop) for loop in extras.party_loops],
    )


def add_found(found: list[T], value: T | None) -> None:
    """Append ``value`` unless the segment said more than its block holds (then it is kept)."""
    if value is not None:
        found.append(value)


class _LineExtras:
    """What schema 2.1 reads of a PO1 loop: CTP, PO4, SAC, TXI, MEA, REF, SDQ, SCH, N1 loops."""

    def __init__(self) -> None:
        self.prices: list[CatalogPrice] = []
        self.packaging: list[PackSize] = []
        self.charges: list[AllowanceCharge] = []
        self.taxes: list[Tax] = []
        self.measurements: list[Measurement] = []
        self.references: list[Reference] = []
        self.schedules: list[DeliverySchedule] = []
        self.destinations: list[DestinationQuantities] = []
        self.party_loops: list[list[SegmentAt]] = []

    def read(self, owner: str | None, s: SegmentAt) -> None:
        """Map ``s`` when it is one of these at line level (or opens its loop)."""
        if owner is None and s.tag == "CTP":
            add_found(self.prices, parse_catalog_price(s))
        elif owner is None and s.tag == "PO4":
            add_found(self.packaging, parse_pack_size(s))
        elif owner is None and s.tag == "TXI":
            add_found(self.taxes, parse_tax(s))
        elif owner is None and s.tag == "MEA":
            add_found(self.measurements, parse_measurement(s))
        elif owner is None and s.tag == "REF":
            self.references.append(parse_reference(s))
        elif owner == "SAC" and s.tag == "SAC":
            add_found(self.charges, parse_allowance_charge(s))
        elif owner == "SCH" and s.tag == "SCH":
            add_found(self.schedules, parse_schedule(s))
        elif owner is None and s.tag == "SDQ":
            add_found(self.destinations, parse_destination_quantities(s))
        elif owner == "N1" and s.tag == "N1":
            self.party_loops.append([s])
        elif owner == "N1" and self.party_loops:
            self.party_loops[-1].append(s)


def render_line(line: PurchaseOrderLine, version: str) -> list[Segment]:
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
    segments += [render_catalog_price(p) for p in line.prices]
    segments += [render_measurement(m) for m in line.measurements]
    segments += render_descriptions(line.description, line.descriptions)
    segments += [render_pack_size(p) for p in line.packaging]
    segments += [render_reference(r) for r in line.references]
    segments += [render_allowance_charge(c) for c in line.allowances_charges]
    segments += [render_destination_quantities(d) for d in line.destination_quantities]
    segments += [render_date_reference(d) for d in line.dates]
    segments += [render_note(n, version) for n in line.notes]
    segments += [render_tax(t) for t in line.taxes]
    segments += [render_schedule(s) for s in line.schedules]
    for party in line.parties:
        segments += render_party(party)
    return segments

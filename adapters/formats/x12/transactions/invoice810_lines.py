"""810 Invoice: one IT1 loop <-> :class:`~gateway.messages.InvoiceLine` (the header and summary
are in invoice810.py, whose docstring says what each carries).

A line: IT1 (IT101 number, IT102 quantity invoiced, IT103 unit, IT104 unit price, IT105 basis of
unit price, ten product id pairs IT106-IT125), TXI, CTP, MEA, PID descriptions (item_ids.py), PO4,
REF (the first ``REF*LT`` is the lot number, each ``REF*SE`` a serial number), DTM, SAC and the
line's N1 loops, written in that order (the standard's). A MEA inside the PID loop, a TXI inside
the SAC loop and every other segment (QTY, CUR, IT3, PAM, PWK, PKG, ITD, YNQ, PER, SDQ, CAD, SLN,
LM, V1, FA1 loops) are kept in the message's ``unmapped`` part (common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import DateReference, InvoiceLine, Reference
from gateway.messages.blocks import AllowanceCharge, Measurement, Tax
from gateway.messages.orders import CatalogPrice, PackSize

from ..segments import Segment
from .commercial import (
    parse_allowance_charge,
    parse_catalog_price,
    parse_measurement,
    parse_pack_size,
    parse_tax,
    render_allowance_charge,
    render_catalog_price,
    render_measurement,
    render_pack_size,
    render_tax,
)
from .common import (
    SegmentAt,
    format_decimal,
    parse_date_reference,
    parse_party,
    parse_reference,
    render_date_reference,
    render_item_ids,
    render_party,
    render_reference,
    seg,
    walk,
)
from .item_ids import NAMED_ITEM_IDS_2_1, parse_item_ids, read_descriptions, render_descriptions
from .loops import holds_only
from .po850_lines import add_found

PARTY_MEMBERS = frozenset({"N2", "N3", "N4", "REF", "PER", "DMG"})
"""Segments of an 810 N1 loop (header and line)."""

LINE_LOOPS = {
    "PID": frozenset({"MEA"}),
    "SAC": frozenset({"TXI", "DTM"}),
    "SLN": frozenset({"DTM", "REF", "PID", "SAC", "TC2", "TXI"}),
    "N1": PARTY_MEMBERS,
    "LM": frozenset({"LQ"}),
    "V1": frozenset({"R4", "DTM"}),
    "FA1": frozenset({"FA2"}),
}
"""Inner loops of an IT1 loop whose members could be mistaken for line segments."""

IT1_ID_PAIRS = 10
"""IT106 to IT125."""

LOT = "LT"
SERIAL = "SE"
"""REF01 qualifiers of a lot number and of a serial number."""


def parse_line(loop: Sequence[SegmentAt]) -> InvoiceLine:
    it1 = loop[0].take(range(1, 26))
    pids: list[SegmentAt] = []
    prices: list[CatalogPrice] = []
    taxes: list[Tax] = []
    measurements: list[Measurement] = []
    packaging: list[PackSize] = []
    charges: list[AllowanceCharge] = []
    references: list[Reference] = []
    dates: list[DateReference] = []
    party_loops: list[list[SegmentAt]] = []
    for owner, s in walk(loop[1:], LINE_LOOPS):
        if owner == "PID" and s.tag == "PID":
            pids.append(s)
        elif owner is None and s.tag == "CTP":
            add_found(prices, parse_catalog_price(s))
        elif owner is None and s.tag == "TXI":
            add_found(taxes, parse_tax(s))
        elif owner is None and s.tag == "MEA":
            add_found(measurements, parse_measurement(s))
        elif owner is None and s.tag == "PO4":
            add_found(packaging, parse_pack_size(s))
        elif owner is None and s.tag == "REF" and holds_only(s, frozenset({1, 2, 3})):
            references.append(parse_reference(s))
        elif owner is None and s.tag == "DTM":
            dates.append(parse_date_reference(s))
        elif owner == "SAC" and s.tag == "SAC":
            add_found(charges, parse_allowance_charge(s))
        elif owner == "N1" and s.tag == "N1":
            party_loops.append([s])
        elif owner == "N1" and party_loops:
            party_loops[-1].append(s)
    description, descriptions = read_descriptions(pids)
    lot = next((r for r in references if _names(r, LOT)), None)
    serials = [r for r in references if _names(r, SERIAL)]
    return InvoiceLine(
        line_number=it1.text(1),
        quantity=it1.decimal(2),
        unit_of_measure=it1.text(3),
        unit_price=it1.decimal(4),
        price_basis=it1.text(5),
        item=parse_item_ids(it1, 6, NAMED_ITEM_IDS_2_1),
        description=description,
        descriptions=descriptions,
        prices=prices,
        taxes=taxes,
        measurements=measurements,
        packaging=packaging,
        allowances_charges=charges,
        references=[r for r in references if r is not lot and r not in serials],
        lot_number=lot.value if lot else None,
        serial_numbers=[r.value for r in serials if r.value],
        dates=dates,
        parties=[parse_party(loop) for loop in party_loops],
    )


def _names(reference: Reference, qualifier: str) -> bool:
    """Whether ``reference`` is only a ``qualifier`` number (a REF03 would be lost as a lot)."""
    return reference.qualifier == qualifier and bool(reference.value) and not reference.description


def render_line(line: InvoiceLine) -> list[Segment]:
    segments = [
        seg(
            "IT1",
            line.line_number,
            format_decimal(line.quantity, 10, "IT102"),
            line.unit_of_measure,
            format_decimal(line.unit_price, 17, "IT104"),
            line.price_basis,
            *render_item_ids(line.item, IT1_ID_PAIRS, "IT1"),
        )
    ]
    segments += [render_tax(t) for t in line.taxes]
    segments += [render_catalog_price(p) for p in line.prices]
    segments += [render_measurement(m) for m in line.measurements]
    segments += render_descriptions(line.description, line.descriptions)
    segments += [render_pack_size(p) for p in line.packaging]
    segments += [render_reference(r) for r in line.references]
    if line.lot_number:
        segments.append(seg("REF", LOT, line.lot_number))
    segments += [seg("REF", SERIAL, serial) for serial in line.serial_numbers]
    segments += [render_date_reference(d) for d in line.dates]
    segments += [render_allowance_charge(c) for c in line.allowances_charges]
    for party in line.parties:
        segments += render_party(party)
    return segments

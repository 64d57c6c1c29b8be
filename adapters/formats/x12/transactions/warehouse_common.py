"""What the warehouse translations (940, 945, 943, 944, 947) share, header and lines alike: G62
dates, NTE notes, N9 references and serial numbers, a line's G69 description and W20 weight,
product id pairs at fixed positions, weights. Their headers: warehouse_header.py. Segments read
into fields are taken (:meth:`~.common.SegmentAt.take`); an optional one saying more than its
fields hold is left unread, kept as unmapped (:func:`wholly`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.errors import RenderError
from gateway.messages import (
    ItemId,
    ItemIdentification,
    Reference,
    WarehouseDate,
    WarehouseNote,
    Weight,
)

from ..segments import Segment
from .common import (
    NAMED_ITEM_IDS,
    SegmentAt,
    format_date,
    format_decimal,
    holds_only,
    seg,
)

N1_MEMBERS = frozenset({"N2", "N3", "N4", "PER"})
"""Segments of a header N1 loop of the warehouse sets."""
SERIAL_NUMBER = "SE"
"""N901 reference qualifier of a serial number."""


def parse_warehouse_date(s: SegmentAt) -> WarehouseDate:
    s.take()
    return WarehouseDate(
        qualifier=s.need(s.text(1), 1, "date qualifier"),
        date=s.need(s.date(2), 2, "date"),
        time_qualifier=s.text(3),
        time=s.time(4),
    )


def render_warehouse_date(date: WarehouseDate) -> Segment:
    return seg("G62", date.qualifier, format_date(date.date), date.time_qualifier, date.time)


def parse_warehouse_note(s: SegmentAt) -> WarehouseNote:
    s.take()
    return WarehouseNote(code=s.text(1), text=s.need(s.text(2), 2, "note text"))


def render_warehouse_note(note: WarehouseNote) -> Segment:
    return seg("NTE", note.code, note.text)


def parse_n9(s: SegmentAt) -> Reference:
    s.take()
    return Reference(
        qualifier=s.need(s.text(1), 1, "reference identification qualifier"),
        value=s.text(2),
        description=s.text(3),
    )


def render_n9(reference: Reference) -> Segment:
    return seg("N9", reference.qualifier, reference.value, reference.description)


@dataclass(frozen=True)
class LineDetails:
    """A line's first G69 description and its N9 references (``N9*SE``: serial numbers)."""

    description: str | None
    serial_numbers: list[str]
    references: list[Reference]


def parse_line_details(segments: Sequence[SegmentAt]) -> LineDetails:
    """The description and references among ``segments`` (a line's loop); a G69 or N9 saying
    more than its fields hold is kept unmapped."""
    g69 = wholly(next((s for s in segments if s.tag == "G69"), None), (1,))
    n9s = [s for s in segments if s.tag == "N9" and holds_only(s, frozenset({1, 2, 3}))]
    serials, references = split_serials([parse_n9(s) for s in n9s])
    return LineDetails(g69.text(1) if g69 else None, serials, references)


def render_line_details(
    description: str | None, serials: Sequence[str], references: Sequence[Reference]
) -> list[Segment]:
    """A line's G69 (when it has a description) and its N9 references, serial numbers last."""
    segments = [seg("G69", description)] if description else []
    return segments + render_line_references(serials, references)


def parse_line_weight(segments: Sequence[SegmentAt]) -> Weight | None:
    """The weight of the first W20 among ``segments`` (W2004 value, W2005 qualifier, W2006
    unit), when it says no more than that."""
    w20 = wholly(next((s for s in segments if s.tag == "W20"), None), (4, 5, 6))
    return parse_weight(w20, 4, 5, 6) if w20 else None


def render_line_weight(weight: Weight | None) -> list[Segment]:
    """A line's W20, when it has a weight."""
    if weight is None:
        return []
    value = format_decimal(weight.value, 10, "W2004")
    return [seg("W20", None, None, None, value, weight.qualifier, weight.unit)]


def split_serials(references: list[Reference]) -> tuple[list[str], list[Reference]]:
    """``N9*SE`` values (serial numbers) apart from the other references."""
    serials = [r.value for r in references if r.qualifier == SERIAL_NUMBER and r.value]
    others = [r for r in references if not (r.qualifier == SERIAL_NUMBER and r.value)]
    return serials, others


def render_line_references(
    serials: Sequence[str], references: Sequence[Reference]
) -> list[Segment]:
    return [render_n9(r) for r in references] + [seg("N9", SERIAL_NUMBER, s) for s in serials]


def parse_id_pairs(s: SegmentAt, pairs: Sequence[int]) -> ItemIdentification:
    """The product id pairs at ``pairs`` (each the qualifier's element; its value follows).

    The first BP, VN, UP and UK go to their fields, every other pair to ``other_ids``."""
    named: dict[str, str] = {}
    others: list[ItemId] = []
    for element in pairs:
        qualifier, value = s.text(element), s.text(element + 1)
        if qualifier is None or value is None:
            continue
        if qualifier in NAMED_ITEM_IDS and qualifier not in named:
            named[qualifier] = value
        else:
            others.append(ItemId(qualifier=qualifier, value=value))
    return ItemIdentification(
        buyer_item_number=named.get("BP"),
        vendor_item_number=named.get("VN"),
        upc=named.get("UP"),
        gtin=named.get("UK"),
        other_ids=others,
    )


def place_id_pairs(
    elements: list[str | None], pairs: Sequence[tuple[str, str]], positions: Sequence[int]
) -> None:
    """Put ``pairs`` (from :func:`id_pairs`) in ``elements`` of a segment, each qualifier at
    the element ``positions`` says (1-based, as in W0104), its value after it."""
    for (qualifier, value), position in zip(pairs, positions, strict=False):
        elements[position - 1], elements[position] = qualifier, value


def id_pairs(item: ItemIdentification, room: int, where: str) -> list[tuple[str, str]]:
    """The id pairs of ``item``, at most ``room`` of them (:class:`RenderError` beyond)."""
    named = [
        (qualifier, value)
        for qualifier, value in (
            ("BP", item.buyer_item_number),
            ("VN", item.vendor_item_number),
            ("UP", item.upc),
            ("UK", item.gtin),
        )
        if value
    ]
    pairs = named + [(other.qualifier, other.value) for other in item.other_ids]
    if len(pairs) > room:
        raise RenderError(f"{where} holds {room} product ids at most, not {len(pairs)}")
    return pairs


def wholly(s: SegmentAt | None, elements: Sequence[int]) -> SegmentAt | None:
    """``s`` taken when the fields it is read into hold every element it carries, else None (it
    is then kept as unmapped)."""
    if s is None or not holds_only(s, frozenset(elements)):
        return None
    return s.take()


def parse_weight(s: SegmentAt, value: int, qualifier: int, unit: int) -> Weight | None:
    """A weight from three elements of ``s``; None when its value is empty."""
    amount = s.decimal(value)
    if amount is None:
        return None
    return Weight(
        value=amount,
        qualifier=s.text(qualifier) if qualifier else None,
        unit=s.need(s.text(unit), unit, "weight unit"),
    )


def pair_elements(s: SegmentAt, pairs: Sequence[int]) -> set[int]:
    """The elements of the id pairs at ``pairs`` that :func:`parse_id_pairs` reads (a qualifier
    without its value, or a value without its qualifier, is not read)."""
    return {
        n
        for element in pairs
        if s.text(element) is not None and s.text(element + 1) is not None
        for n in (element, element + 1)
    }

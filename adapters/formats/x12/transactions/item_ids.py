"""Product id qualifier/value pairs (PO106/PO107..., LIN02/LIN03...) <-> ItemIdentification, and
an item's PID descriptions <-> its ``description`` and ``descriptions``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gateway.errors import RenderError
from gateway.messages import ItemId, ItemIdentification
from gateway.messages.blocks import ItemDescription, keep_other_ids_2_0

from ..segments import Segment
from .loops import holds_only

if TYPE_CHECKING:
    from .common import SegmentAt


NAMED_ITEM_IDS: Mapping[str, str] = {
    "BP": "buyer_item_number",
    "VN": "vendor_item_number",
    "UP": "upc",
    "UK": "gtin",
}
"""Product id qualifiers (235) with a field of their own in :class:`ItemIdentification`."""

NAMED_ITEM_IDS_2_1: Mapping[str, str] = {**NAMED_ITEM_IDS, "IN": "buyer_item_id"}
"""The same with IN, the buyer's item number, which schema 2.1 names: the 850, 855 and 856 read
it so; a set that passes no ``named`` keeps IN among ``other_ids``, as it did (a set's reading
changes only when its own module opts in)."""


def parse_item_ids(
    s: SegmentAt, first: int, named_ids: Mapping[str, str] = NAMED_ITEM_IDS
) -> ItemIdentification:
    """Qualifier/value pairs from element ``first`` on (PO106/PO107..., LIN02/LIN03...).

    The first pair of each qualifier of ``named_ids`` goes to its field; every other pair, a
    repeated one included, goes to ``other_ids`` in document order. A pair missing its qualifier
    or value is skipped.
    """
    named: dict[str, str] = {}
    others: list[ItemId] = []
    for element in range(first, len(s.segment.elements) + 1, 2):
        qualifier, value = s.text(element), s.text(element + 1)
        if qualifier is None or value is None:
            continue
        if qualifier in named_ids and qualifier not in named:
            named[qualifier] = value
        else:
            others.append(ItemId(qualifier=qualifier, value=value))
    ids = ItemIdentification(
        buyer_item_number=named.get("BP"),
        vendor_item_number=named.get("VN"),
        upc=named.get("UP"),
        gtin=named.get("UK"),
        buyer_item_id=named.get("IN"),
        other_ids=others,
    )
    if "IN" in named:  # 2.0 kept it among the others, where it stood
        keep_other_ids_2_0(ids, _others_2_0(s, first))
    return ids


def _others_2_0(s: SegmentAt, first: int) -> list[ItemId]:
    """The pairs from element ``first`` on that schema 2.0 listed in ``other_ids``."""
    named: set[str] = set()
    others: list[ItemId] = []
    for element in range(first, len(s.segment.elements) + 1, 2):
        qualifier, value = s.text(element), s.text(element + 1)
        if qualifier is None or value is None:
            continue
        if qualifier in NAMED_ITEM_IDS and qualifier not in named:
            named.add(qualifier)
        else:
            others.append(ItemId(qualifier=qualifier, value=value))
    return others


def render_item_ids(item: ItemIdentification, max_pairs: int, where: str) -> list[str]:
    """The qualifier/value pairs of ``item`` as consecutive element values."""
    pairs = [
        (qualifier, value)
        for qualifier, value in (
            ("BP", item.buyer_item_number),
            ("VN", item.vendor_item_number),
            ("UP", item.upc),
            ("UK", item.gtin),
            ("IN", item.buyer_item_id),
        )
        if value
    ]
    pairs += [(other.qualifier, other.value) for other in item.other_ids]
    if len(pairs) > max_pairs:
        raise RenderError(f"{where} holds {max_pairs} product ids at most, not {len(pairs)}")
    return [text for pair in pairs for text in pair]


PID_HELD = frozenset(range(1, 10))
"""PID01-PID09, all an :class:`ItemDescription` holds."""


def read_descriptions(pids: Sequence[SegmentAt]) -> tuple[str | None, list[ItemDescription]]:
    """An item's PIDs: ``description`` is PID05 of the first ``PID*F`` that has one (as schema
    2.0 read it); ``descriptions`` every PID but that one when it says no more (``PID*F****text``).
    A PID saying more than PID01-PID09 is kept, not listed."""
    first = next((s for s in pids if s.text(1) == "F" and s.text(5)), None)
    description = first.text(5) if first is not None else None
    descriptions: list[ItemDescription] = []
    for s in pids:
        if s is first and holds_only(s, frozenset({1, 5})):
            s.take()
        elif holds_only(s, PID_HELD):
            s.take()
            descriptions.append(
                ItemDescription(
                    type=s.need(s.text(1), 1, "item description type"),
                    characteristic_code=s.text(2),
                    agency=s.text(3),
                    code=s.text(4),
                    text=s.text(5),
                    surface_code=s.text(6),
                    source_subqualifier=s.text(7),
                    yes_no=s.text(8),
                    language=s.text(9),
                )
            )
    return description, descriptions


def render_descriptions(
    description: str | None, descriptions: Sequence[ItemDescription]
) -> list[Segment]:
    """``PID*F****description``, then each of ``descriptions``."""
    segments = [Segment("PID", ["F", "", "", "", description])] if description else []
    for d in descriptions:
        elements = [d.type, d.characteristic_code, d.agency, d.code, d.text, d.surface_code]
        elements += [d.source_subqualifier, d.yes_no, d.language]
        segments.append(Segment("PID", [e or "" for e in elements]))
    return segments

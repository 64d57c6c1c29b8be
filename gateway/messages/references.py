"""What a canonical message says it names of the reference data: items and locations.

An inventory or warehouse document names items (a SKU, a U.P.C., a vendor's number...) and
locations (a warehouse, a bin). A message that implements :class:`NamesItems` lists them, one
:class:`NamedItem` per line, and the gateway checks them against the reference data of the
partner it came from (:mod:`gateway.references`) whatever the message is: a set added later
only implements :meth:`NamesItems.named_items`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .blocks import ItemIdentification, Party


@dataclass(frozen=True, slots=True)
class NamedItem:
    """One line of a message: the ids of its item and the locations it is at."""

    line: str
    """Which line, as a person finds it (``line 2``, the line's own number when it has one)."""
    item_ids: tuple[str, ...]
    """Every id the line gives its item (any one known is enough: a SKU, or its U.P.C.)."""
    locations: tuple[str, ...] = ()
    """Every location the line is at (the facility, then the line's own), each to be known."""


@runtime_checkable
class NamesItems(Protocol):
    """A canonical message that names items and locations, line by line."""

    def named_items(self) -> Iterator[NamedItem]: ...


def item_ids(item: ItemIdentification, *more: str | None) -> tuple[str, ...]:
    """Every id of ``item``, in the order of its fields, then ``more`` (a line's U.P.C. case
    code), without blanks or repeats."""
    values = [
        item.buyer_item_number,
        item.vendor_item_number,
        item.upc,
        item.gtin,
        item.buyer_item_id,
        *(other.value for other in item.other_ids),
        *more,
    ]
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def locations(*parties: Party | None) -> tuple[str, ...]:
    """The ids of ``parties`` (N104, else the name), without blanks or repeats."""
    found = ((party.id or party.name or "").strip() for party in parties if party is not None)
    return tuple(dict.fromkeys(location for location in found if location))


def line_label(number: str | None, index: int) -> str:
    """``line 3`` (its own number), else its position: ``line #2``."""
    return f"line {number}" if number else f"line #{index}"


def named_in(
    lines: Iterable[tuple[str | None, tuple[str, ...], tuple[str, ...]]],
) -> Iterator[NamedItem]:
    """One :class:`NamedItem` per (line number, item ids, locations)."""
    for index, (number, ids, where) in enumerate(lines, start=1):
        yield NamedItem(line_label(number, index), ids, where)

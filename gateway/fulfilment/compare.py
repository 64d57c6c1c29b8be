"""An order's lines against the lines that shipped it: which item was shipped short, over, in
full, or without being ordered. Pure: no ledger, no messages (:mod:`.lines` makes the lines).

**Matching.** A line names its item by ids, most telling first (:func:`gateway.fulfilment.lines.
item_ids`): the id pairs it carries, its U.P.C. case code, the buyer's and vendor's numbers. A
shipped line is the ordered line that carries the first of its ids any ordered line carries; a
line without ids is matched by its line number. Quantities accumulate over every shipped line of
an item, across documents (an order answered by several 945s, a PO shipped in several 856s).

**Per item** (:class:`ItemOutcome`): ``complete`` (shipped as ordered), ``short`` (less, or
nothing), ``over`` (more), ``substituted`` (shipped, not ordered; or a line whose status says
the item was substituted, :data:`SUBSTITUTION_STATUSES`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

SUBSTITUTION_STATUSES = frozenset({"CS"})
"""W1201 (368) codes that say an item was substituted: CS shipment complete with substitution."""


class ItemOutcome(StrEnum):
    COMPLETE = "complete"
    SHORT = "short"
    OVER = "over"
    SUBSTITUTED = "substituted"


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """A line of an order or of a shipment, as compared."""

    item: str
    """The id shown for it (its first: ``UP:012345678905``)."""
    ids: tuple[tuple[str, str], ...]
    quantity: Decimal
    unit: str | None = None
    line_number: str | None = None
    status: str | None = None
    document_id: str = ""
    """The document it is from."""


@dataclasses.dataclass(frozen=True, slots=True)
class ItemResult:
    """One item of an order: what was ordered and shipped of it, and what that makes it."""

    item: str
    ordered: Decimal
    shipped: Decimal
    unit: str | None
    outcome: ItemOutcome
    line_number: str | None = None
    shipments: tuple[tuple[str, Decimal], ...] = ()
    """What each document that shipped it shipped of it, in order."""

    @property
    def documents(self) -> tuple[str, ...]:
        """The documents that shipped it, in order."""
        return tuple(document for document, _ in self.shipments)

    def as_detail(self) -> dict[str, object]:
        return {
            "item": self.item,
            "line_number": self.line_number,
            "ordered": str(self.ordered),
            "shipped": str(self.shipped),
            "unit": self.unit,
            "outcome": self.outcome.value,
            "shipped_by": {document: str(quantity) for document, quantity in self.shipments},
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison:
    """Every item of an order and of its shipments, ordered items first (in order)."""

    items: tuple[ItemResult, ...]

    def having(self, outcome: ItemOutcome) -> list[ItemResult]:
        return [item for item in self.items if item.outcome is outcome]

    @property
    def complete(self) -> bool:
        """Every item shipped as ordered, nothing else."""
        return all(item.outcome is ItemOutcome.COMPLETE for item in self.items)


def match(ordered: Sequence[Line], line: Line) -> int | None:
    """The index of the ordered line ``line`` ships (see the module's docstring), or None."""
    if not line.ids:
        for index, candidate in enumerate(ordered):
            if not candidate.ids and candidate.line_number == line.line_number:
                return index
        return None
    for pair in line.ids:
        for index, candidate in enumerate(ordered):
            if pair in candidate.ids:
                return index
    return None


def compare(ordered: Sequence[Line], shipped: Sequence[Line]) -> Comparison:
    """``ordered`` against everything ``shipped`` for it so far (see the module's docstring).
    Ordered lines of the same item (matched to one another) count as one item."""
    items: list[Line] = []
    quantities: list[Decimal] = []
    for line in ordered:
        index = match(items, line)
        if index is None:
            items.append(line)
            quantities.append(line.quantity)
        else:
            quantities[index] += line.quantity
    shipments: list[dict[str, Decimal]] = [{} for _ in items]
    substituted_status = [False] * len(items)
    extra: dict[str, tuple[Line, dict[str, Decimal]]] = {}
    for line in shipped:
        index = match(items, line)
        if index is None:
            _, by_document = extra.setdefault(line.item, (line, {}))
            _add(by_document, line)
            continue
        _add(shipments[index], line)
        substituted_status[index] |= (line.status or "") in SUBSTITUTION_STATUSES
    shipped_of = [sum(by.values(), Decimal(0)) for by in shipments]
    results = [
        ItemResult(
            item=line.item,
            ordered=quantity,
            shipped=shipped_of[index],
            unit=line.unit,
            outcome=_outcome(quantity, shipped_of[index], substituted_status[index]),
            line_number=line.line_number,
            shipments=tuple(shipments[index].items()),
        )
        for index, (line, quantity) in enumerate(zip(items, quantities, strict=True))
    ]
    results += [
        ItemResult(
            item=line.item,
            ordered=Decimal(0),
            shipped=sum(by_document.values(), Decimal(0)),
            unit=line.unit,
            outcome=ItemOutcome.SUBSTITUTED,
            line_number=line.line_number,
            shipments=tuple(by_document.items()),
        )
        for line, by_document in extra.values()
    ]
    return Comparison(tuple(results))


def _add(by_document: dict[str, Decimal], line: Line) -> None:
    by_document[line.document_id] = by_document.get(line.document_id, Decimal(0)) + line.quantity


def _outcome(ordered: Decimal, shipped: Decimal, substituted: bool) -> ItemOutcome:
    if substituted:
        return ItemOutcome.SUBSTITUTED
    if shipped < ordered:
        return ItemOutcome.SHORT
    if shipped > ordered:
        return ItemOutcome.OVER
    return ItemOutcome.COMPLETE


def described(items: Sequence[ItemResult], shown: int = 5) -> str:
    """The items as a timeline line says them: ``UP:0123 ordered 10, shipped 8; ...``."""
    parts = [f"{item.item} ordered {item.ordered}, shipped {item.shipped}" for item in items]
    more = f" (and {len(parts) - shown} more)" if len(parts) > shown else ""
    return "; ".join(parts[:shown]) + more

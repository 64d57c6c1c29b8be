"""An order as the ``order`` command and the console show it: per item what was ordered and what
each shipping document shipped of it, what that makes the order, and what each check found.
"""

from __future__ import annotations

import dataclasses
from typing import TextIO

from sqlalchemy.orm import Session

from ..ledger.orders import (
    OrderCheckRow,
    OrderKey,
    order_checks,
    order_lines,
    orders_numbered,
    orders_of_document,
)
from .compare import Comparison, ItemOutcome, compare
from .lines import ORDERED, SHIPPED, as_compared


@dataclasses.dataclass(frozen=True, slots=True)
class OrderView:
    order: OrderKey
    order_document: str | None
    """The document of the order (the 940 sent, the 850 received); None: not known."""
    correlation_id: str | None
    comparison: Comparison
    shipped_by: tuple[str, ...]
    """The documents that shipped it, in order."""
    checks: list[OrderCheckRow]

    @property
    def outcome(self) -> str:
        """``unmatched`` (no order known), ``complete``, or what is wrong with it so far
        (``short``, ``over``, ``substituted``, joined by ``+``)."""
        if self.order_document is None:
            return "unmatched"
        if self.comparison.complete:
            return ItemOutcome.COMPLETE.value
        found = {item.outcome for item in self.comparison.items}
        return "+".join(
            o.value for o in ItemOutcome if o in found and o is not ItemOutcome.COMPLETE
        )


def order_view(s: Session, order: OrderKey) -> OrderView:
    lines = order_lines(s, order)
    ordered = [line for line in lines if line.role == ORDERED]
    shipped = [line for line in lines if line.role == SHIPPED]
    return OrderView(
        order=order,
        order_document=ordered[0].document_id if ordered else None,
        correlation_id=ordered[0].correlation_id if ordered else None,
        comparison=compare(as_compared(ordered), as_compared(shipped)),
        shipped_by=tuple(dict.fromkeys(line.document_id for line in shipped)),
        checks=order_checks(s, order),
    )


def orders_named(s: Session, order_number: str, partner: str | None = None) -> list[OrderView]:
    """The orders numbered ``order_number`` (of ``partner``)."""
    return [order_view(s, order) for order in orders_numbered(s, order_number, partner)]


def orders_of(s: Session, document_id: str) -> list[OrderView]:
    """The orders the document ``document_id`` is, ships, or was checked against."""
    return [order_view(s, order) for order in orders_of_document(s, document_id)]


def print_order(view: OrderView, out: TextIO) -> None:
    """``view`` as the ``order`` command prints it."""
    order = view.order
    out.write(
        f"order {order.order_number} ({order.order_kind}) of {order.partner}: {view.outcome}\n"
    )
    if view.order_document is not None:
        out.write(f"  ordered by {view.order_document} (correlation {view.correlation_id})\n")
    for number, document in enumerate(view.shipped_by, start=1):
        out.write(f"  shipped by #{number} {document}\n")
    out.write(f"  {'item':30} {'ordered':>10} {'shipped':>10} {'unit':5} {'outcome':12} by\n")
    for item in view.comparison.items:
        by = ", ".join(
            f"#{view.shipped_by.index(document) + 1}: {quantity}"
            for document, quantity in item.shipments
        )
        out.write(
            f"  {item.item:30} {item.ordered!s:>10} {item.shipped!s:>10} {item.unit or '':5} "
            f"{item.outcome.value:12} {by}\n"
        )
    for check in view.checks:
        out.write(f"  {check.created_at.isoformat()}  {check.kind} {check.document_id}: ")
        out.write(f"{check.outcome}\n")

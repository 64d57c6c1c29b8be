"""945 against 940: each Warehouse Shipping Advice a 3PL sends is matched to the Warehouse
Shipping Order the gateway sent it for the same depositor order number (W0602 = W0502).

:func:`record_warehouse_order` keeps a 940's lines when it is rendered (a 940 sent again for
the order, a replacement, takes the place of the one before). :func:`check_shipping_advice`
records a 945's lines under its order and compares the order with everything its 945s shipped
so far (:mod:`.compare`): each outcome (``short``, ``over``, ``substituted``, ``complete``, or
``unmatched`` when no 940 is known) is recorded in ``order_checks``, said on the timelines of
the 945 and of the 940, and announced on ``edi.events`` (:mod:`.events`) with the 940
request's correlation id and the 945's document id.

Never twice: a 945 whose lines are recorded already (a replay) is not checked again, and a 945
for a shipment (W0604) recorded before replaces that shipment's lines rather than add to them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from .. import ledger
from ..ledger.orders import (
    OrderKey,
    forget_shipment,
    lines_of_document,
    order_checks,
    order_lines,
    record_order_lines,
)
from ..messages import WarehouseShippingAdvice, WarehouseShippingOrder
from .compare import Comparison, ItemOutcome, compare, described
from .events import FulfilmentOutcome, announced
from .lines import ORDERED, SHIPPED, as_compared, shipping_advice_lines, warehouse_order_lines

ORDER_KIND = "940"
ADVICE_KIND = "945"
_FOUND = (
    (ItemOutcome.SHORT, FulfilmentOutcome.SHORT),
    (ItemOutcome.OVER, FulfilmentOutcome.OVER),
    (ItemOutcome.SUBSTITUTED, FulfilmentOutcome.SUBSTITUTED),
)


def record_warehouse_order(
    s: Session,
    *,
    partner: str,
    order: WarehouseShippingOrder,
    document_id: str,
    correlation_id: str,
    at: dt.datetime | None = None,
) -> None:
    """Keep the lines of the 940 ``document_id`` sent to ``partner``."""
    key = OrderKey(partner, ORDER_KIND, order.depositor_order_number)
    forget_shipment(s, key, ORDER_KIND, key.order_number)
    record_order_lines(
        s,
        key,
        source_kind=ORDER_KIND,
        document_id=document_id,
        correlation_id=correlation_id,
        lines=warehouse_order_lines(order),
        shipment_ref=key.order_number,
        at=at,
    )


def check_shipping_advice(
    s: Session,
    *,
    partner: str,
    advice: WarehouseShippingAdvice,
    document_id: str,
    correlation_id: str,
    at: dt.datetime | None = None,
) -> list[ledger.NewMessage]:
    """Check the 945 ``document_id`` from ``partner`` against its 940 (see the module's
    docstring); returns the events to publish. ``correlation_id``: the 945's own, for an
    advice that matches no order."""
    if lines_of_document(s, document_id):
        return []  # checked before: a replay
    key = OrderKey(partner, ORDER_KIND, advice.depositor_order_number or "")
    replaced = forget_shipment(s, key, ADVICE_KIND, advice.shipment_id) if advice.shipment_id else 0
    recorded = order_lines(s, key)
    new = shipping_advice_lines(advice)
    ordered = [line for line in recorded if line.role == ORDERED]
    record_order_lines(
        s,
        key,
        source_kind=ADVICE_KIND,
        document_id=document_id,
        correlation_id=ordered[0].correlation_id if ordered else correlation_id,
        lines=new,
        shipment_ref=advice.shipment_id,
        at=at,
    )
    if not ordered:
        return [
            announced(
                s,
                outcome=FulfilmentOutcome.UNMATCHED,
                order=key,
                kind=ADVICE_KIND,
                document_id=document_id,
                correlation_id=correlation_id,
                detail={"depositor_order_number": key.order_number},
                message=f"945 for order {key.order_number or '(none)'}: no 940 sent to "
                f"{partner} has this depositor order number",
                at=at,
            )
        ]
    shipped = [line for line in recorded if line.role == SHIPPED]
    comparison = compare(as_compared(ordered), as_compared(shipped) + as_compared(new, document_id))
    order_document = ordered[0].document_id
    common = {
        "order_document_id": order_document,
        "answered_by": len({line.document_id for line in shipped} | {document_id}),
        **({"replaces_shipment": advice.shipment_id} if replaced else {}),
    }
    events = []
    for outcome, said in _outcomes(s, key, comparison):
        items = [r for r in comparison.items if r.outcome.value == outcome.value] or list(
            comparison.items
        )
        events.append(
            announced(
                s,
                outcome=outcome,
                order=key,
                kind=ADVICE_KIND,
                document_id=document_id,
                correlation_id=ordered[0].correlation_id,
                detail={**common, **said, "items": [item.as_detail() for item in items]},
                message=_message(key, outcome, described(items)),
                timelines=[order_document],
                at=at,
            )
        )
    return events


def _outcomes(
    s: Session, key: OrderKey, comparison: Comparison
) -> list[tuple[FulfilmentOutcome, dict[str, object]]]:
    """What to announce: each kind of difference the order has, or that it is complete."""
    if comparison.complete:
        after_short = any(c.outcome == FulfilmentOutcome.SHORT for c in order_checks(s, key))
        return [(FulfilmentOutcome.COMPLETE, {"after_short": after_short})]
    return [(said, {}) for found, said in _FOUND if comparison.having(found)]


def _message(key: OrderKey, outcome: FulfilmentOutcome, items: str) -> str:
    return f"order {key.order_number} {outcome.value}: {items}"

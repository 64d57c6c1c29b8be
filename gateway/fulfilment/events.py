"""The events of the cross-document checks, for the modern layer.

Each is written to the ledger's outbox in the transaction that records the check, and published
by the relay like every other message (buffered through a broker outage). On the events
exchange (``edi.events``): routing key ``edi.fulfilment.<outcome>.<partner>``, CloudEvent type
``edi.fulfilment.<outcome>``, id ``<document id>:<outcome>`` (stable: a redelivery is
recognisable), correlation id the order's (the 940 request's; the 856 request's own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from .. import ledger
from ..bus.cloudevents import event_body
from ..bus.topology import EVENTS_EXCHANGE, routing_word
from ..ledger.orders import OrderKey, record_order_check

FULFILMENT_ROUTING_KEY = "edi.fulfilment.{outcome}.{partner}"
FULFILMENT_EVENT_TYPE = "edi.fulfilment.{outcome}"


class FulfilmentOutcome(StrEnum):
    """What a check says of a document against its order."""

    SHORT = "short"
    """945: less shipped of an item than ordered, or an ordered item not shipped (so far,
    across the order's 945s)."""
    OVER = "over"
    """945: more shipped of an item than ordered; 856: more than the 850 ordered, counting the
    856s sent before for the PO."""
    SUBSTITUTED = "substituted"
    """945: an item shipped that was not ordered, or a line whose status says substituted."""
    COMPLETE = "complete"
    """945: the order is shipped as ordered, by this 945 and those before (``detail.after_short``
    when an earlier one was short)."""
    UNMATCHED = "unmatched"
    """945: no 940 the gateway sent this partner has its depositor order number."""
    NOT_ORDERED = "not_ordered"
    """856: an item the 850 did not order."""
    ORDER_UNKNOWN = "order_unknown"
    """856: a PO the gateway never received from this partner (not an error)."""


def fulfilment_event(
    *,
    outcome: FulfilmentOutcome,
    order: OrderKey,
    kind: str,
    document_id: str,
    correlation_id: str,
    detail: Mapping[str, Any],
    at: dt.datetime | None = None,
) -> ledger.NewMessage:
    """The event that the document ``document_id`` (of set ``kind``) is ``outcome`` against
    ``order``, as a message for the ledger's outbox."""
    event_id = f"{document_id}:{outcome.value}"
    event_type = FULFILMENT_EVENT_TYPE.format(outcome=outcome.value)
    data = {
        "outcome": outcome.value,
        "partner": order.partner,
        "kind": kind,
        "document_id": document_id,
        "order": {"kind": order.order_kind, "number": order.order_number},
        "detail": dict(detail),
    }
    return ledger.NewMessage(
        message_id=event_id,
        document_id=document_id,
        partner=order.partner,
        exchange=EVENTS_EXCHANGE,
        routing_key=FULFILMENT_ROUTING_KEY.format(
            outcome=outcome.value, partner=routing_word(order.partner)
        ),
        body=event_body(
            event_id=event_id,
            event_type=event_type,
            partner=order.partner,
            subject=document_id,
            correlation_id=correlation_id,
            data=data,
            time=at,
        ),
        headers={
            "event_type": event_type,
            "partner": order.partner,
            "kind": kind,
            "outcome": outcome.value,
            "document_id": document_id,
            "order_number": order.order_number,
            "correlation_id": correlation_id,
        },
        correlation_id=correlation_id,
        of_document=False,
    )


def announced(
    s: Session,
    *,
    outcome: FulfilmentOutcome,
    order: OrderKey,
    kind: str,
    document_id: str,
    correlation_id: str,
    detail: Mapping[str, Any],
    message: str,
    timelines: Sequence[str] = (),
    at: dt.datetime | None = None,
) -> ledger.NewMessage:
    """Record the check's ``outcome`` (``order_checks``), say ``message`` on the timelines of
    ``document_id`` and of ``timelines`` (the order's document), and return its event."""
    record_order_check(
        s,
        order,
        kind=kind,
        document_id=document_id,
        outcome=outcome.value,
        correlation_id=correlation_id,
        detail=detail,
        at=at,
    )
    for timeline in dict.fromkeys([document_id, *timelines]):
        ledger.add_event(
            s,
            kind=f"fulfilment_{outcome.value}",
            message=message,
            document_id=timeline,
            correlation_id=correlation_id,
            detail={"order": order.order_number, "outcome": outcome.value, "document": document_id},
            at=at,
        )
    return fulfilment_event(
        outcome=outcome,
        order=order,
        kind=kind,
        document_id=document_id,
        correlation_id=correlation_id,
        detail=detail,
        at=at,
    )

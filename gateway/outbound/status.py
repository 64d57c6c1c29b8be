"""Status events for the modern layer: an outbound document was sent, accepted, accepted with
errors, rejected, or its acknowledgement is overdue (and an invalid request was refused).

Each event is written to the ledger's outbox in the transaction that changes the document's
state, and published by the relay like every other message: nothing is announced that did not
happen, nothing that happened goes unannounced. Body: a CloudEvents 1.0 JSON envelope; ``id`` =
``<request id>:<state>`` (stable: a redelivery is recognisable); routing key
``edi.status.<state>.<partner>`` on the :data:`STATUS_EXCHANGE`; correlation id = the request's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from .. import ledger
from ..bus.cloudevents import event_body
from ..bus.topology import EVENTS_EXCHANGE, routing_word
from ..ledger.outbound import OutboundRow

STATUS_EXCHANGE = EVENTS_EXCHANGE
"""Topic exchange, durable: status events of outbound documents (``edi.events``)."""
STATUS_ROUTING_KEY = "edi.status.{state}.{partner}"


class OutboundStatus(StrEnum):
    """What the modern layer hears about an outbound document."""

    INVALID = "invalid"
    """The request was refused (and dead-lettered with the reason)."""
    SENT = "sent"
    """Written for the partner and delivered by its channel."""
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    REJECTED = "rejected"
    OVERDUE = "overdue"
    """No acknowledgement within the partner's deadline."""


def status_routing_key(state: OutboundStatus, partner: str) -> str:
    return STATUS_ROUTING_KEY.format(state=state.value, partner=routing_word(partner))


def status_message(
    *,
    state: OutboundStatus,
    request_id: str,
    partner: str,
    kind: str,
    correlation_id: str,
    document_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> ledger.NewMessage:
    """The status event, as a message for the ledger's outbox."""
    event_id = f"{request_id}:{state.value}"
    event_type = f"edi.out.status.{state.value}"
    data = {
        "request_id": request_id,
        "document_id": document_id,
        "partner": partner,
        "kind": kind,
        "state": state.value,
        "detail": dict(detail or {}),
    }
    body = event_body(
        event_id=event_id,
        event_type=event_type,
        partner=partner,
        subject=document_id or request_id,
        correlation_id=correlation_id,
        data=data,
        time=at,
    )
    headers = {
        "event_type": event_type,
        "partner": partner,
        "kind": kind,
        "state": state.value,
        "request_id": request_id,
        "correlation_id": correlation_id,
    }
    return ledger.NewMessage(
        message_id=event_id,
        document_id=document_id or request_id,
        partner=partner,
        exchange=STATUS_EXCHANGE,
        routing_key=status_routing_key(state, partner),
        body=body,
        headers=headers,
        correlation_id=correlation_id,
        of_document=False,
    )


def document_status(
    row: OutboundRow, state: OutboundStatus, *, detail: Mapping[str, Any], at: dt.datetime
) -> ledger.NewMessage:
    """The status event of an outbound document (its ledger row), for the ledger's outbox."""
    return status_message(
        state=state,
        request_id=row.request_id,
        partner=row.partner,
        kind=row.kind,
        correlation_id=row.correlation_id,
        document_id=row.document_id,
        detail=detail,
        at=at,
    )

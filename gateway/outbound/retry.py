"""``edi-gateway retry``: outbound requests refused for a cause since fixed, sent again.

A request refused for a cause that can be fixed (an unknown partner, a profile missing a field
the request needs) is kept in the ledger with the request as it came. Once the cause is fixed,
``retry`` publishes that request again to the request exchange, under its own id: the daemon
consumes it as any request arriving again, renders and sends it, or refuses it again for the
reason of now (:func:`gateway.ledger.outbound.retry_refused`). Nothing else changes: a request
that was rendered is never sent twice this way (``resend`` is for that).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from .. import ledger as repository
from ..bus.topology import REQUEST_EXCHANGE, request_routing_key
from ..ledger import outbound as ledger
from ..ledger.outbound import OutboundRow, OutboundState
from ..operations.exceptions import dismissed_requests

MOST = 100_000
"""Refused requests one ``retry --partner`` queues at most (run it again for more)."""


@dataclass(frozen=True, slots=True)
class Retry:
    """What ``retry`` found: the refused requests queued again, and those it cannot send again
    (their request could not be read when it came: only a corrected one can go), with why."""

    queued: list[OutboundRow]
    unsendable: list[tuple[OutboundRow, str]]


def refused(s: Session, *, request_id: str | None, partner: str | None) -> list[OutboundRow]:
    """The refused request with this request id, or those of this partner not dismissed
    (oldest first): a request an operator dismissed is sent again only when named."""
    if request_id is not None:
        row = ledger.outbound_by_request_ids(s, [request_id]).get(request_id)
        return [row] if row is not None and row.state == OutboundState.INVALID else []
    rows = ledger.outbound_in_state(s, OutboundState.INVALID, limit=MOST)
    rows = [row for row in rows if partner is None or row.partner == partner]
    dismissed = dismissed_requests(s, [row.request_id for row in rows])
    return [row for row in rows if row.request_id not in dismissed]


def queue_again(s: Session, rows: Sequence[OutboundRow]) -> Retry:
    """Each of ``rows`` queued in the ledger's outbox, to the request exchange, as it came
    (the relay publishes it); those whose request was not a readable event are not."""
    queued: list[OutboundRow] = []
    unsendable: list[tuple[OutboundRow, str]] = []
    messages: list[repository.NewMessage] = []
    for row in rows:
        event = row.request
        if not isinstance(event, dict) or event.get("id") != row.request_id:
            unsendable.append((row, "its request could not be read: send a corrected one"))
            continue
        messages.append(
            repository.NewMessage(
                message_id=row.request_id,
                document_id=row.request_id,
                partner=row.partner,
                exchange=REQUEST_EXCHANGE,
                routing_key=request_routing_key(row.kind, row.partner),
                body=json.dumps(event).encode(),
                headers={"partner": row.partner, "retried": True},
                correlation_id=row.correlation_id,
                of_document=False,
            )
        )
        queued.append(row)
    repository.enqueue_messages(s, messages)
    return Retry(queued, unsendable)

"""What the broker made of the outbox's messages: confirmed (``published``, and their documents
with them), nacked (still pending), returned (``unroutable``, until queued again). Each change
of a message writes its event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from ._documents import DocumentState
from ._outbox import _EVENT_COLUMNS, _OUTBOX_IDS, OutboxState, _outbox_events
from ._statements import _chunks, _now, _run, _values
from .models import DOCUMENTS, OUTBOX

PUBLISHABLE_DOCUMENT_STATES = (DocumentState.RECEIVED, DocumentState.PARSED)
"""A confirmed publish moves a document forward from these states only."""

_NOTE_NACKED = (
    update(OUTBOX)
    .where(_OUTBOX_IDS, OUTBOX.c.state == OutboxState.PENDING.value)
    .values(
        attempts=OUTBOX.c.attempts + 1,
        last_error=bindparam("p_reason", type_=OUTBOX.c.last_error.type),
    )
    .returning(*_EVENT_COLUMNS)
)
_MARK_PUBLISHED = (
    update(OUTBOX)
    .where(_OUTBOX_IDS, OUTBOX.c.state == OutboxState.PENDING.value)
    .values(
        state=OutboxState.PUBLISHED.value,
        published_at=bindparam("p_now", type_=OUTBOX.c.published_at.type),
    )
    .returning(*_EVENT_COLUMNS)
)
_PUBLISHED_AT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("p_id"))
    .values(published_at=bindparam("p_at", type_=OUTBOX.c.published_at.type))
)
_DOCUMENTS_PUBLISHED = (
    update(DOCUMENTS)
    .where(
        DOCUMENTS.c.id.in_(bindparam("p_ids", expanding=True)),
        DOCUMENTS.c.state.in_(_values(PUBLISHABLE_DOCUMENT_STATES)),
    )
    .values(
        state=DocumentState.PUBLISHED.value,
        updated_at=bindparam("p_now", type_=DOCUMENTS.c.updated_at.type),
    )
    .returning(DOCUMENTS.c.id, DOCUMENTS.c.file_id)
)
_MARK_UNROUTABLE = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("p_id"), OUTBOX.c.state != OutboxState.PUBLISHED.value)
    .values(
        state=OutboxState.UNROUTABLE.value,
        attempts=OUTBOX.c.attempts + 1,
        last_error=bindparam("p_reason", type_=OUTBOX.c.last_error.type),
    )
    .returning(*_EVENT_COLUMNS)
)
_REQUEUE_UNROUTABLE = (
    update(OUTBOX)
    .where(OUTBOX.c.state == OutboxState.UNROUTABLE.value)
    .values(state=OutboxState.PENDING.value)
    .returning(*_EVENT_COLUMNS)
)


def note_nacked(s: Session, outbox_ids: Sequence[int], reason: str) -> None:
    """The broker nacked these messages (a queue they route to is full and rejects publishes,
    or it could not take them): they stay pending, with one more attempt and the reason kept,
    and a ``nacked`` event each. The relay sends them again itself."""
    changed: list[Any] = []
    for chunk in _chunks(outbox_ids):
        changed += _run(s, _NOTE_NACKED, {"p_ids": chunk, "p_reason": reason}).all()
    _outbox_events(s, changed, "nacked", lambda _row: reason)


def mark_published(
    s: Session,
    outbox_ids: Sequence[int],
    *,
    at: dt.datetime | Mapping[int, dt.datetime] | None = None,
) -> None:
    """The broker confirmed these messages: ``published`` (at ``at``, when the confirm came: one
    moment for all, or one per outbox id; by default now), and their documents move to
    ``published`` (from received or parsed). Only pending rows change: a row marked unroutable
    in between stays unroutable, a row already published is left alone."""
    confirmed: Mapping[int, dt.datetime]
    if isinstance(at, Mapping):
        confirmed, now = at, max(at.values(), default=_now())
    else:
        confirmed, now = {}, at or _now()
    changed: list[Any] = []
    for chunk in _chunks(outbox_ids):
        changed += _run(s, _MARK_PUBLISHED, {"p_ids": chunk, "p_now": now}).all()
    earlier = [
        {"p_id": row.id, "p_at": confirmed[row.id]}
        for row in changed
        if confirmed.get(row.id, now) != now
    ]
    if earlier:  # one statement for the batch, each row its own confirm's moment
        s.connection().execute(_PUBLISHED_AT, earlier)
    document_pks = sorted({row.document_pk for row in changed if row.document_pk is not None})
    files: dict[int, int] = {}
    for chunk in _chunks(document_pks):
        for document_pk, file_id in _run(s, _DOCUMENTS_PUBLISHED, {"p_ids": chunk, "p_now": now}):
            files[document_pk] = file_id
    _outbox_events(
        s,
        changed,
        "published",
        lambda row: f"published to {row.exchange} with routing key {row.routing_key}",
        files,
    )


def mark_unroutable(s: Session, outbox_id: int, reason: str) -> None:
    """The message reached no queue (the broker returned it: nothing bound; its exchange does not
    exist; it is larger than the broker takes): state ``unroutable``, one more attempt, the
    reason kept. It is not lost: :func:`status` reports it, :func:`requeue_unroutable`
    makes it pending again. A message already confirmed is left alone."""
    changed = _run(s, _MARK_UNROUTABLE, {"p_id": outbox_id, "p_reason": reason}).all()
    _outbox_events(
        s,
        changed,
        "unroutable",
        lambda row: f"not routed ({row.exchange} / {row.routing_key}): {reason}",
    )


def requeue_unroutable(s: Session) -> int:
    """Make every unroutable message pending again; returns how many."""
    changed = _run(s, _REQUEUE_UNROUTABLE).all()
    _outbox_events(s, changed, "requeued", lambda _row: "unroutable message queued again")
    return len(changed)

"""Replay: the outbox messages of a document, a partner or a time, published again under the same
message ids (``edi-gateway replay``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ._outbox import _EVENT_COLUMNS, _OUTBOX_IDS, OutboxRow, OutboxState, _outbox, _outbox_events
from ._statements import _chunks, _run
from .models import OUTBOX

_RESET_FOR_REPLAY = (
    update(OUTBOX)
    .where(  # a withheld message waits for an operator (ledger._withheld)
        _OUTBOX_IDS,
        OUTBOX.c.state.not_in([OutboxState.PENDING.value, OutboxState.WITHHELD.value]),
    )
    .values(state=OutboxState.PENDING.value, published_at=None)
    .returning(*_EVENT_COLUMNS)
)


def documents_for_replay(
    s: Session,
    *,
    document_id: str | None = None,
    partner: str | None = None,
    since: dt.datetime | None = None,
) -> list[OutboxRow]:
    """The outbox messages of a document, or of a partner, or since a time (any combination of
    these, at least one), in id order, whatever their state."""
    if document_id is None and partner is None and since is None:
        raise ValueError("replay needs a document id, a partner or a time")
    query = select(OUTBOX).order_by(OUTBOX.c.id)
    if document_id is not None:
        query = query.where(OUTBOX.c.document_id == document_id)
    if partner is not None:
        query = query.where(OUTBOX.c.partner == partner)
    if since is not None:
        query = query.where(OUTBOX.c.created_at >= since)
    return _outbox(s, query, None)


def reset_for_replay(s: Session, outbox_ids: Sequence[int]) -> int:
    """Make these messages pending again, same message id (consumers deduplicate on it);
    returns how many changed (those already pending do not)."""
    changed: list[Any] = []
    for chunk in _chunks(outbox_ids):
        changed += _run(s, _RESET_FOR_REPLAY, {"p_ids": chunk}).all()
    _outbox_events(s, changed, "replay", lambda _row: "queued again for replay (same message id)")
    return len(changed)

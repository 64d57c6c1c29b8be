"""Withheld messages: a document's message kept back, in the outbox, for a business exception (it
names items or locations the reference data does not know: :mod:`gateway.references`) until an
operator releases it (reprocess, once the reference data knows them) or dismisses it.

The message is written with its document, in the transaction that records it, and moved to
``withheld`` (:attr:`~._outbox.OutboxState.WITHHELD`) with the reason in ``last_error`` and a
``withheld`` event: nothing is lost, and the relay never sees it. Releasing it makes it
``pending`` in one statement that only a withheld row passes, so two operators releasing it at
once publish it once; a replay leaves it alone (:mod:`._replay`). A dismissed one stays
withheld, its timeline saying ``withheld.dismissed``, why and by whom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from ._events import _event, _write_events
from ._outbox import _EVENT_COLUMNS, OutboxRow, OutboxState, _outbox, _outbox_events
from ._statements import Detail, _chunks, _now, _run
from .models import EVENTS, OUTBOX

WITHHELD_EVENT: Final = "withheld"
WITHHELD_RELEASED: Final = "released"
WITHHELD_DISMISSED: Final = "withheld.dismissed"
"""The timeline's events of a withheld message's document."""

_WITHHOLD = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("p_id"))
    .values(
        state=OutboxState.WITHHELD.value,
        last_error=bindparam("p_reason", type_=OUTBOX.c.last_error.type),
    )
)
_RELEASE = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id.in_(bindparam("p_ids", expanding=True)),
        OUTBOX.c.state == OutboxState.WITHHELD.value,
    )
    .values(state=OutboxState.PENDING.value)
    .returning(*_EVENT_COLUMNS)
)
_DISMISSED = exists().where(
    EVENTS.c.document_id == OUTBOX.c.document_id, EVENTS.c.kind == WITHHELD_DISMISSED
)
_WITHHELD_OF = (
    select(OUTBOX)
    .where(
        OUTBOX.c.document_id == bindparam("p_document_id"),
        OUTBOX.c.state == OutboxState.WITHHELD.value,
    )
    .order_by(OUTBOX.c.id)
)


@dataclass(frozen=True, slots=True)
class Withholding:
    """A message just enqueued, to withhold: its outbox id, why, and its document's ids."""

    outbox_id: int
    reason: str
    document_id: str
    file_id: int
    correlation_id: str
    detail: Detail


def withhold(s: Session, withheld: Sequence[Withholding]) -> None:
    """Withhold messages enqueued in this transaction, each with a ``withheld`` event."""
    if not withheld:
        return
    _run(s, _WITHHOLD, [{"p_id": w.outbox_id, "p_reason": w.reason} for w in withheld])
    now = _now()
    _write_events(
        s,
        [
            _event(
                now,
                WITHHELD_EVENT,
                f"withheld, not published: {w.reason}",
                file_id=w.file_id,
                document_id=w.document_id,
                correlation_id=w.correlation_id,
                detail=w.detail,
            )
            for w in withheld
        ],
    )


def withheld_of(s: Session, document_id: str) -> list[OutboxRow]:
    """The withheld messages of ``document_id`` (none: nothing of it is withheld)."""
    return _outbox(s, _WITHHELD_OF, {"p_document_id": document_id})


def release_withheld(s: Session, outbox_ids: Sequence[int], message: str) -> int:
    """Make these withheld messages pending (the relay publishes them), each with a
    ``released`` event saying ``message``; returns how many were still withheld."""
    changed: list[Any] = []
    for chunk in _chunks(list(outbox_ids)):
        changed += _run(s, _RELEASE, {"p_ids": chunk}).all()
    _outbox_events(s, changed, WITHHELD_RELEASED, lambda _row: message)
    return len(changed)


def open_withheld(s: Session, *, partner: str | None = None, limit: int) -> list[OutboxRow]:
    """The withheld messages nobody dismissed, of ``partner`` or of all: the newest ``limit``,
    newest first."""
    query = select(OUTBOX).where(OUTBOX.c.state == OutboxState.WITHHELD.value, ~_DISMISSED)
    if partner is not None:
        query = query.where(OUTBOX.c.partner == partner)
    return _outbox(s, query.order_by(OUTBOX.c.id.desc()).limit(limit), None)


def is_dismissed(s: Session, document_id: str) -> bool:
    query = select(EVENTS.c.id).where(
        EVENTS.c.document_id == document_id, EVENTS.c.kind == WITHHELD_DISMISSED
    )
    return s.execute(query.limit(1)).first() is not None

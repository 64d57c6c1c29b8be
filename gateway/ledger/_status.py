"""The ledger at a glance (``edi-gateway status``): files and documents by partner and state, the
outbox backlog, the acknowledgements still to write, outbound documents by partner and state."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ._acks import AckState
from ._outbox import OutboxState
from ._statements import _run, _values
from .models import ACKS, DOCUMENTS, FILES, OUTBOUND_DOCUMENTS, OUTBOX


@dataclasses.dataclass(frozen=True, slots=True)
class StatusReport:
    at: dt.datetime
    files: dict[str, dict[str, int]]
    """partner -> file state -> count"""
    documents: dict[str, dict[str, int]]
    """partner -> document state -> count"""
    outbox_pending: int
    outbox_unroutable: int
    outbox_backlog: dict[str, dict[str, int]]
    """partner -> pending / unroutable -> count (only partners with a backlog)"""
    oldest_pending_age_seconds: float | None
    """Age of the oldest pending outbox message, ``None`` when nothing is pending."""
    acks_to_write: int
    """Acknowledgements recorded but not yet written to the outbox folder."""
    outbound: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    """partner -> outbound document state (rendered, sent, accepted, overdue...) -> count"""


def _counts(s: Session, partner: Any, state: Any, *where: Any) -> dict[str, dict[str, int]]:
    """partner -> state -> count"""
    result: dict[str, dict[str, int]] = {}
    query = select(partner, state, func.count()).where(*where).group_by(partner, state)
    for row_partner, row_state, count in _run(s, query.order_by(partner, state)):
        result.setdefault(row_partner, {})[row_state] = count
    return result


def status(s: Session, now: dt.datetime) -> StatusReport:
    """Counts by partner and state, the outbox backlog and its oldest pending message's age,
    and the acknowledgements still to write."""
    backlog = _counts(
        s,
        OUTBOX.c.partner,
        OUTBOX.c.state,
        OUTBOX.c.state.in_(_values([OutboxState.PENDING, OutboxState.UNROUTABLE])),
    )
    oldest = _run(
        s,
        select(OUTBOX.c.created_at)
        .where(OUTBOX.c.state == OutboxState.PENDING.value)
        .order_by(OUTBOX.c.id)
        .limit(1),
    ).scalar_one_or_none()
    acks = _run(
        s,
        select(func.count()).select_from(ACKS).where(ACKS.c.state == AckState.PENDING_WRITE.value),
    ).scalar_one()
    return StatusReport(
        at=now,
        files=_counts(s, FILES.c.partner, FILES.c.state),
        documents=_counts(s, DOCUMENTS.c.partner, DOCUMENTS.c.state),
        outbox_pending=sum(c.get(OutboxState.PENDING.value, 0) for c in backlog.values()),
        outbox_unroutable=sum(c.get(OutboxState.UNROUTABLE.value, 0) for c in backlog.values()),
        outbox_backlog=backlog,
        oldest_pending_age_seconds=(
            None if oldest is None else max(0.0, (now - oldest).total_seconds())
        ),
        acks_to_write=acks,
        outbound=_counts(s, OUTBOUND_DOCUMENTS.c.partner, OUTBOUND_DOCUMENTS.c.state),
    )


def outbox_pending(s: Session) -> int:
    """How many messages wait to be published (the daemon's STATUS line; an index count)."""
    query = select(func.count()).select_from(OUTBOX)
    return int(_run(s, query.where(OUTBOX.c.state == OutboxState.PENDING.value)).scalar_one())

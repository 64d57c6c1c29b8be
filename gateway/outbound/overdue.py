"""Overdue acknowledgements: an outbound document still ``written`` or ``sent`` when its
``ack_due_at`` (set from the partner's ``ack_deadline_hours`` when it was written) has passed
becomes ``overdue``, and the modern layer gets an ``overdue`` status event, once.

The move is guarded (:func:`gateway.ledger.outbound.claim_state`): a document the pipeline
settles at the same moment keeps its answer, and a second sweep finds nothing to do. A late
997/999 still settles an overdue document (the format's document hook,
:meth:`gateway.ports.Format.on_document`).

:class:`OverdueSweep` runs :func:`mark_overdue` in a thread of its own every
``overdue_check_interval`` seconds (the daemon starts it; ``run --once`` sweeps once).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from ..ledger import enqueue_messages
from ..ledger.outbound import (
    AWAITING_ACK_STATES,
    OutboundRow,
    OutboundState,
    claim_state,
    outbound_overdue,
    set_outbound_state,
)
from .status import OutboundStatus, document_status

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
"""Seconds between sweeps (``overdue_check_interval`` in ``gateway.toml``)."""


def mark_overdue(target: sessionmaker[Session] | Session, now: dt.datetime | None = None) -> int:
    """Mark every document whose acknowledgement is overdue at ``now``; returns how many.

    With a session factory each document is marked in a transaction of its own (short, and never
    holding one row while waiting for another that the pipeline holds); with a session, in the
    caller's transaction.
    """
    now = now or dt.datetime.now(dt.UTC)
    if isinstance(target, Session):
        return sum(_mark(target, row, now) for row in outbound_overdue(target, now))
    with target.begin() as s:
        due = outbound_overdue(s, now)
    marked = 0
    for row in due:
        with target.begin() as s:
            marked += _mark(s, row, now)
    return marked


def _mark(s: Session, row: OutboundRow, now: dt.datetime) -> int:
    if not claim_state(
        s,
        row.id,
        OutboundState.OVERDUE,
        from_states=AWAITING_ACK_STATES,
        without_ack=True,
        at=now,
    ):
        return 0  # settled or marked in between
    due = row.ack_due_at.isoformat() if row.ack_due_at else None
    detail = {"ack_due_at": due, "marked_at": now.isoformat(), "was": row.state.value}
    set_outbound_state(
        s,
        row.id,
        OutboundState.OVERDUE,
        detail={"overdue": detail},
        message=f"{row.kind} for {row.partner}: no acknowledgement by {due}: overdue",
        at=now,
    )
    status = {
        "ack_due_at": due,
        "interchange_ref": row.interchange_ref,
        "group_ref": row.group_ref,
        "transaction_ref": row.transaction_ref,
        "file_name": row.file_name,
    }
    enqueue_messages(s, [document_status(row, OutboundStatus.OVERDUE, detail=status, at=now)])
    log.warning(
        "%s for %s (request %s, interchange %s): no acknowledgement by %s; overdue",
        row.kind,
        row.partner,
        row.request_id,
        row.interchange_ref,
        due,
    )
    return 1


class OverdueSweep:
    """Runs :func:`mark_overdue` every ``interval`` seconds in a thread of its own."""

    def __init__(self, factory: sessionmaker[Session], *, interval: float = DEFAULT_INTERVAL):
        self.factory = factory
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> int:
        """One sweep now; a failure (database unreachable...) is logged, and 0 returned."""
        try:
            return mark_overdue(self.factory)
        except Exception:
            log.exception("checking for overdue acknowledgements failed; trying again later")
            return 0

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._main, name="overdue", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _main(self) -> None:
        while not self._stopping.wait(self.interval):
            self.sweep()

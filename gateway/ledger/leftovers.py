"""Retention's second part (:mod:`.retention` says the rules): the rows about work done that no
inbound file nor outbound document holds, forgotten once older than the cutoff:

- a **pickup** ``done`` whose file was removed or moved at the partner's side; one kept there
  stays, whatever its age: it is what stops the gateway taking that file again;
- a **delivery** ``filed`` (over), unless an outbound document still ``written`` waits for it
  to say it was sent;
- a partner's acknowledgement matched to nothing we sent (``unmatched``);
- an order line or a check's findings (:mod:`.orders`) once no document, nor outbound document
  (by its document or request id), it is from remains in the ledger;
- a published message about no document (an outbound status event, a notice) and a timeline
  event about no file, once nothing it is about remains in the ledger.

And :func:`names_in_use`: the names in a partner's outbox folder that work under way needs, which
a copy in its ``sent/`` keeps taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from ._acks import AckState
from ._outbox import OutboxState
from ._statements import _chunks, _run
from .models import (
    ACKS,
    DELIVERIES,
    DOCUMENTS,
    EVENTS,
    ORDER_CHECKS,
    ORDER_LINES,
    OUTBOX,
    PARTNER_ACKS,
    REMOTE_PICKUPS,
)
from .outbound import OutboundState
from .retention import _CUTOFF, _IDS, QUARANTINE_NOTICE, T, _delete, _page
from .transfers import DeliveryState, PickupState

Going = dict[str, set[int]]
"""In a dry run, the ids of the rows counted as going, by table name."""
KEPT_REMOTELY = "keep"
"""A pickup's ``detail['remote']`` when the file stays on the partner's side."""

_PICKUPS = _page(
    select(REMOTE_PICKUPS.c.id, REMOTE_PICKUPS.c.detail).where(
        REMOTE_PICKUPS.c.state == PickupState.DONE.value, REMOTE_PICKUPS.c.updated_at < _CUTOFF
    ),
    REMOTE_PICKUPS.c.id,
)
_WAITING_FOR_DELIVERY = (
    select(T.c.id)
    .where(
        T.c.state == OutboundState.WRITTEN.value,
        T.c.partner == DELIVERIES.c.partner,
        T.c.file_name == DELIVERIES.c.local_name,
    )
    .exists()
)
_DELIVERIES = _page(
    select(DELIVERIES.c.id).where(
        DELIVERIES.c.state == DeliveryState.FILED.value,
        DELIVERIES.c.updated_at < _CUTOFF,
        ~_WAITING_FOR_DELIVERY,
    ),
    DELIVERIES.c.id,
)
_UNMATCHED_ACKS = _page(
    select(PARTNER_ACKS.c.id).where(
        PARTNER_ACKS.c.outbound_id.is_(None), PARTNER_ACKS.c.created_at < _CUTOFF
    ),
    PARTNER_ACKS.c.id,
)
_LONE_MESSAGES = _page(
    select(OUTBOX.c.id, OUTBOX.c.document_id).where(
        OUTBOX.c.document_pk.is_(None),
        OUTBOX.c.state == OutboxState.PUBLISHED.value,
        OUTBOX.c.published_at < _CUTOFF,
        ~OUTBOX.c.document_id.startswith(QUARANTINE_NOTICE),  # they go with their file
    ),
    OUTBOX.c.id,
)
_LONE_EVENTS = _page(
    select(EVENTS.c.id, EVENTS.c.document_id).where(
        EVENTS.c.file_id.is_(None), EVENTS.c.at < _CUTOFF
    ),
    EVENTS.c.id,
)
_ORDER_LINES = _page(
    select(ORDER_LINES.c.id, ORDER_LINES.c.document_id).where(ORDER_LINES.c.created_at < _CUTOFF),
    ORDER_LINES.c.id,
)
_ORDER_CHECKS = _page(
    select(ORDER_CHECKS.c.id, ORDER_CHECKS.c.document_id).where(
        ORDER_CHECKS.c.created_at < _CUTOFF
    ),
    ORDER_CHECKS.c.id,
)
_SUBJECTS = tuple(  # (table, the ids of its rows about these document ids, and which)
    (table.name, select(table.c.id, about).where(about.in_(_IDS)))
    for table, about in (
        (DOCUMENTS, DOCUMENTS.c.document_id),
        (T, T.c.document_id),
        (T, T.c.request_id),
        (OUTBOX, OUTBOX.c.document_id),  # for events only
    )
)
_LEFTOVERS: dict[str, tuple[Table, Select[Any], ColumnElement[bool] | None]] = {
    "pickups": (REMOTE_PICKUPS, _PICKUPS, REMOTE_PICKUPS.c.state == PickupState.DONE.value),
    "deliveries": (DELIVERIES, _DELIVERIES, DELIVERIES.c.state == DeliveryState.FILED.value),
    "unmatched_acks": (PARTNER_ACKS, _UNMATCHED_ACKS, None),
    "lone_messages": (OUTBOX, _LONE_MESSAGES, OUTBOX.c.state == OutboxState.PUBLISHED.value),
    "order_lines": (ORDER_LINES, _ORDER_LINES, None),
    "order_checks": (ORDER_CHECKS, _ORDER_CHECKS, None),
    "events": (EVENTS, _LONE_EVENTS, None),
}
"""Each kind of leftover: its table, the query of candidates, and what a row must still be when
it is deleted (PostgreSQL checks a row changed since it was read again). Events go last: the
rows they are about go before them."""
LEFTOVER_KINDS = tuple(_LEFTOVERS)


def prune_leftovers(
    s: Session,
    kind: str,
    cutoff: dt.datetime,
    *,
    after_id: int,
    limit: int,
    dry_run: Going | None = None,
) -> tuple[int, int] | None:
    """One batch of leftovers of ``kind`` (one of :data:`LEFTOVER_KINDS`) after ``after_id``:
    (the highest id looked at, how many were, or would be, deleted); None when none is left.
    ``dry_run``: delete nothing; the rows counted as going so far, which count as gone (and to
    which this batch's are added)."""
    table, query, still = _LEFTOVERS[kind]
    rows = _run(s, query, {"p_cutoff": cutoff, "p_after": after_id, "p_limit": limit}).all()
    if not rows:
        return None
    going = dry_run if dry_run is not None else {}
    left = [row for row in rows if row.id not in going.get(table.name, ())]  # counted before
    if kind == "pickups":
        gone = [row.id for row in left if (row.detail or {}).get("remote") != KEPT_REMOTELY]
    elif kind in ("lone_messages", "order_lines", "order_checks", "events"):
        about = {row.document_id for row in left} - {None}
        remaining = _remaining_subjects(s, about, kind == "events", going)
        gone = [row.id for row in left if row.document_id not in remaining]
    else:
        gone = [row.id for row in left]
    if dry_run is None:
        _delete(s, table, gone, condition=still)
    else:
        dry_run.setdefault(table.name, set()).update(gone)
    return rows[-1].id, len(gone)


def _remaining_subjects(
    s: Session, subjects: Iterable[str], with_messages: bool, going: Going
) -> set[str]:
    """Which of these document ids something staying in the ledger is about: a document, an
    outbound document (by its document or request id), ``with_messages`` also a message."""
    found: set[str] = set()
    for chunk in _chunks(sorted(subjects)):
        for table, query in _SUBJECTS if with_messages else _SUBJECTS[:-1]:
            for row_id, subject in _run(s, query, {"p_ids": chunk}):
                if row_id not in going.get(table, ()):
                    found.add(subject)
    return found


_NAMES_IN_USE = (
    select(DELIVERIES.c.local_name).where(
        DELIVERIES.c.partner == bindparam("p_partner"),
        DELIVERIES.c.state != DeliveryState.FILED.value,
    ),
    select(T.c.file_name).where(
        T.c.partner == bindparam("p_partner"),
        T.c.state == OutboundState.RENDERED.value,
        T.c.file_name.is_not(None),
    ),
    select(ACKS.c.name).where(
        ACKS.c.partner == bindparam("p_partner"), ACKS.c.state == AckState.PENDING_WRITE.value
    ),
)


def names_in_use(s: Session, partner: str) -> set[str]:
    """The names in ``outbox/<partner>/`` that work under way still needs, in the folder or in
    its ``sent/`` (a copy there is named so, or so plus ``.<delivery id>``): deliveries not
    over, outbound documents and acknowledgements not written yet."""
    return {
        name for query in _NAMES_IN_USE for name in _run(s, query, {"p_partner": partner}).scalars()
    }

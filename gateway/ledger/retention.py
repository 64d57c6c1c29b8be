"""Retention: what the ledger forgets once it has been settled for longer than the retention age
(``retention_days``), checked and deleted in bounded batches. :mod:`gateway.retention` drives
it (and removes the files on disk that go with the rows).

Settled, and so forgotten once everything about it is older than the cutoff:

- an inbound **file** ``archived``, ``quarantined`` or ``duplicate`` whose documents are all past
  publishing (not ``received`` nor ``parsed``), whose messages (its documents', its quarantine
  notice) are all ``published`` and whose acknowledgements are all ``written``: it goes with
  its documents, messages, acknowledgements and timeline (:func:`settled_files`). A document
  withheld (:mod:`._withheld`) and dismissed counts as settled once dismissed before the cutoff:
  it is never to be published, and its withheld messages go with it;
- an **outbound document** ``accepted``, ``accepted_with_errors``, ``rejected`` or ``invalid``
  (refused), or ``sent`` for a format that expects no acknowledgement (no ``ack_due_at``),
  whose status events are all ``published``: it goes with the partners' acknowledgements
  matched to it (:func:`settled_outbound`);
- the rows about work done that neither holds: pickups and deliveries over, partners'
  acknowledgements matched to nothing, the cross-document checks' order lines and findings,
  messages and events about nothing left (:mod:`.leftovers`).

Never: a file received and not processed, or processed and not archived; a message not
published (``pending``, ``unroutable``, ``withheld`` and not dismissed); an acknowledgement not
written; an outbound document not delivered (``rendered``, ``written``) or still waiting for the
partner's acknowledgement (``sent`` with a deadline, ``overdue``: a late answer still settles
it); a pickup or delivery under way; the control-number counters.

"Older than the cutoff" means all of it: a file's last change, its documents', the publication
of its messages (a replay yesterday makes a file of last year young again).

The daemon runs meanwhile. A batch is checked and deleted in one transaction that holds what it
deletes: on SQLite the database's write lock (:func:`hold_for_pruning`: ``BEGIN IMMEDIATE``), on
PostgreSQL the rows themselves (``SELECT ... FOR UPDATE``, parents before children: no child row
can be added to a row being deleted, and a row changed meanwhile is read as it is now); the
foreign keys catch anything else (a transaction adding to a row just deleted fails, and the daemon
tries it again, finding the row gone).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from ._acks import AckState
from ._documents import DocumentState
from ._files import FileState
from ._outbox import OutboxState
from ._statements import _chunks, _run, _values
from ._withheld import WITHHELD_DISMISSED
from .models import (
    ACKS,
    DOCUMENTS,
    EVENTS,
    FILES,
    OUTBOUND_DOCUMENTS,
    OUTBOX,
    PARTNER_ACKS,
)
from .outbound import OutboundState

SETTLED_FILE_STATES = (FileState.ARCHIVED, FileState.QUARANTINED, FileState.DUPLICATE)
SETTLED_DOCUMENT_STATES = tuple(set(DocumentState) - {DocumentState.RECEIVED, DocumentState.PARSED})
SETTLED_OUTBOUND_STATES = (
    OutboundState.ACCEPTED,
    OutboundState.ACCEPTED_WITH_ERRORS,
    OutboundState.REJECTED,
    OutboundState.INVALID,
)
"""Besides these, ``sent`` without ``ack_due_at``: delivered, and no acknowledgement expected."""
QUARANTINE_NOTICE = "file:"
"""The document id of a file's quarantine notice is ``file:<its correlation id>``."""

_CUTOFF: BindParameter[Any] = bindparam("p_cutoff")
_AFTER: BindParameter[Any] = bindparam("p_after")
_LIMIT: BindParameter[Any] = bindparam("p_limit")
_IDS: BindParameter[Any] = bindparam("p_ids", expanding=True)


def _page(query: Select[Any], key: Any) -> Select[Any]:
    return query.where(key > _AFTER).order_by(key).limit(_LIMIT)


# -- inbound files ----------------------------------------------------------------------------

_FILE_SETTLED = and_(FILES.c.state.in_(_values(SETTLED_FILE_STATES)), FILES.c.updated_at < _CUTOFF)
_FILE_CANDIDATES = _page(select(FILES.c.id).where(_FILE_SETTLED), FILES.c.id)
_FILES_HELD = select(
    FILES.c.id, FILES.c.partner, FILES.c.final_path, FILES.c.state, FILES.c.correlation_id
).where(FILES.c.id.in_(_IDS), _FILE_SETTLED)
_DOCUMENTS_OF = select(
    DOCUMENTS.c.id,
    DOCUMENTS.c.document_id,
    DOCUMENTS.c.file_id,
    DOCUMENTS.c.state,
    DOCUMENTS.c.updated_at,
).where(DOCUMENTS.c.file_id.in_(_IDS))
_MESSAGE_COLUMNS = (OUTBOX.c.id, OUTBOX.c.document_pk, OUTBOX.c.document_id, OUTBOX.c.state)
_MESSAGES_OF_DOCUMENTS = select(*_MESSAGE_COLUMNS, OUTBOX.c.published_at).where(
    OUTBOX.c.document_pk.in_(_IDS)
)
_MESSAGES_ABOUT = select(*_MESSAGE_COLUMNS, OUTBOX.c.published_at).where(
    OUTBOX.c.document_pk.is_(None), OUTBOX.c.document_id.in_(_IDS)
)
_ACKS_OF = select(ACKS.c.id, ACKS.c.file_id, ACKS.c.state).where(ACKS.c.file_id.in_(_IDS))
_DISMISSED_BEFORE = select(EVENTS.c.document_id).where(
    EVENTS.c.document_id.in_(_IDS), EVENTS.c.kind == WITHHELD_DISMISSED, EVENTS.c.at < _CUTOFF
)
_EVENTS_OF_FILES = select(func.count()).select_from(EVENTS).where(EVENTS.c.file_id.in_(_IDS))


@dataclasses.dataclass(frozen=True, slots=True)
class SettledFile:
    id: int
    partner: str
    final_path: str | None
    """Its archived or quarantined copy (a quarantined one has its report beside it)."""
    state: FileState


@dataclasses.dataclass(frozen=True, slots=True)
class FileBatch:
    """Settled files of one batch and what goes with them."""

    last_id: int
    """The highest file id looked at: the next batch starts after it."""
    files: list[SettledFile]
    documents: list[int]
    messages: list[int]
    acknowledgements: list[int]


def hold_for_pruning(s: Session) -> None:
    """Begin the session's transaction holding SQLite's write lock (waiting up to its busy
    timeout), so that what a batch checks stays so until it is deleted; on PostgreSQL the
    batch's ``FOR UPDATE`` holds its rows instead."""
    connection = s.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def settled_files(
    s: Session, cutoff: dt.datetime, *, after_id: int, limit: int, hold: bool
) -> FileBatch | None:
    """The files after ``after_id`` (up to ``limit`` looked at) settled before ``cutoff``, with
    their documents, messages and acknowledgements; None when no file is left to look at.
    ``hold``: lock them (PostgreSQL) until the transaction ends, to delete them."""
    params = {"p_cutoff": cutoff, "p_after": after_id, "p_limit": limit}
    candidates = list(_run(s, _FILE_CANDIDATES, params).scalars())
    if not candidates:
        return None
    held = {row.id: row for row in _locked(s, _FILES_HELD, candidates, hold, {"p_cutoff": cutoff})}
    young: set[int] = set()  # file ids with something unsettled, or settled too recently
    documents = _locked(s, _DOCUMENTS_OF, list(held), hold)
    file_of = {row.id: row.file_id for row in documents}
    dismissed = _dismissed_before(s, {row.document_id for row in documents}, cutoff)
    settled_states = _values(SETTLED_DOCUMENT_STATES)
    young.update(
        row.file_id
        for row in documents
        if row.updated_at >= cutoff
        or (
            row.state not in settled_states
            and not (row.state == DocumentState.PARSED.value and row.document_id in dismissed)
        )
    )
    notices = {f"{QUARANTINE_NOTICE}{row.correlation_id}": row.id for row in held.values()}
    messages = [
        (file_of[row.document_pk], row)
        for row in _locked(s, _MESSAGES_OF_DOCUMENTS, list(file_of), hold)
    ]
    messages += [
        (notices[row.document_id], row) for row in _locked(s, _MESSAGES_ABOUT, list(notices), hold)
    ]
    young.update(
        file_id
        for file_id, row in messages
        if not _published_before(row, cutoff)
        and not (row.state == OutboxState.WITHHELD.value and row.document_id in dismissed)
    )
    acks = _locked(s, _ACKS_OF, list(held), hold)
    young.update(row.file_id for row in acks if row.state != AckState.WRITTEN.value)
    return FileBatch(
        last_id=candidates[-1],
        files=[
            SettledFile(row.id, row.partner, row.final_path, FileState(row.state))
            for file_id, row in held.items()
            if file_id not in young
        ],
        documents=[row.id for row in documents if row.file_id not in young],
        messages=[row.id for file_id, row in messages if file_id not in young],
        acknowledgements=[row.id for row in acks if row.file_id not in young],
    )


def _dismissed_before(s: Session, document_ids: set[str], cutoff: dt.datetime) -> set[str]:
    """Which of ``document_ids`` were withheld and dismissed before ``cutoff``."""
    params = {"p_cutoff": cutoff}
    return {
        document_id
        for chunk in _chunks(sorted(document_ids))
        for document_id in _run(s, _DISMISSED_BEFORE, {**params, "p_ids": chunk}).scalars()
    }


def events_of_files(s: Session, file_ids: Sequence[int]) -> int:
    """How many timeline events the files have (what :func:`delete_files` removes with them)."""
    return sum(
        int(_run(s, _EVENTS_OF_FILES, {"p_ids": chunk}).scalar_one()) for chunk in _chunks(file_ids)
    )


def delete_files(s: Session, batch: FileBatch) -> int:
    """Delete the batch's files with all that goes with them; returns the events deleted."""
    file_ids = [row.id for row in batch.files]
    _delete(s, OUTBOX, batch.messages)
    _delete(s, ACKS, batch.acknowledgements)
    events = _delete(s, EVENTS, file_ids, EVENTS.c.file_id)
    _delete(s, DOCUMENTS, file_ids, DOCUMENTS.c.file_id)
    _delete(s, FILES, file_ids)
    return events


# -- outbound documents -----------------------------------------------------------------------

T = OUTBOUND_DOCUMENTS
_OUTBOUND_SETTLED = and_(
    or_(
        T.c.state.in_(_values(SETTLED_OUTBOUND_STATES)),
        and_(T.c.state == OutboundState.SENT.value, T.c.ack_due_at.is_(None)),
    ),
    T.c.updated_at < _CUTOFF,
)
_OUTBOUND_CANDIDATES = _page(select(T.c.id).where(_OUTBOUND_SETTLED), T.c.id)
_OUTBOUND_HELD = select(T.c.id, T.c.request_id, T.c.document_id).where(
    T.c.id.in_(_IDS), _OUTBOUND_SETTLED
)
_PARTNER_ACKS_OF = select(PARTNER_ACKS.c.id).where(PARTNER_ACKS.c.outbound_id.in_(_IDS))


@dataclasses.dataclass(frozen=True, slots=True)
class OutboundBatch:
    last_id: int
    """The highest outbound id looked at: the next batch starts after it."""
    outbound: list[int]
    messages: list[int]
    """Their status events."""
    partner_acks: list[int]
    """The partners' acknowledgements matched to them."""


def settled_outbound(
    s: Session, cutoff: dt.datetime, *, after_id: int, limit: int, hold: bool
) -> OutboundBatch | None:
    """The outbound documents after ``after_id`` (up to ``limit`` looked at) settled before
    ``cutoff``, with their status events and the acknowledgements matched to them; None when
    none is left to look at. ``hold``: lock them (PostgreSQL) until the transaction ends."""
    params = {"p_cutoff": cutoff, "p_after": after_id, "p_limit": limit}
    candidates = list(_run(s, _OUTBOUND_CANDIDATES, params).scalars())
    if not candidates:
        return None
    held = _locked(s, _OUTBOUND_HELD, candidates, hold, {"p_cutoff": cutoff})
    subjects: dict[str, set[int]] = {}  # the document ids their status events are under
    for row in held:
        for subject in {row.document_id, row.request_id} - {None}:
            subjects.setdefault(subject, set()).add(row.id)
    messages = _locked(s, _MESSAGES_ABOUT, list(subjects), hold)
    young = {
        outbound_id
        for row in messages
        if not _published_before(row, cutoff)
        for outbound_id in subjects[row.document_id]
    }
    kept = [row.id for row in held if row.id not in young]
    return OutboundBatch(
        last_id=candidates[-1],
        outbound=kept,
        messages=[row.id for row in messages if not subjects[row.document_id] & young],
        partner_acks=[row.id for row in _locked(s, _PARTNER_ACKS_OF, kept, hold)],
    )


def delete_outbound(s: Session, batch: OutboundBatch) -> None:
    _delete(s, OUTBOX, batch.messages)
    _delete(s, PARTNER_ACKS, batch.partner_acks)
    _delete(s, T, batch.outbound)


def _published_before(row: Any, cutoff: dt.datetime) -> bool:
    published: dt.datetime | None = row.published_at
    return row.state == OutboxState.PUBLISHED.value and published is not None and published < cutoff


def _locked(
    s: Session,
    query: Select[Any],
    ids: Sequence[Any],
    hold: bool,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """``query``'s rows for ``ids`` (in chunks), locked ``FOR UPDATE`` with ``hold`` (SQLite
    has no row locks: there the transaction holds the write lock)."""
    statement = query.with_for_update() if hold else query
    found: list[Any] = []
    for chunk in _chunks(ids):
        found += _run(s, statement, {**(params or {}), "p_ids": chunk}).all()
    return found


def _delete(
    s: Session, table: Any, ids: Sequence[int], key: Any = None, condition: Any = None
) -> int:
    """Delete the rows of ``table`` whose ``key`` (its id by default) is one of ``ids``, and
    that still meet ``condition``; returns how many."""
    column = table.c.id if key is None else key
    statement = delete(table).where(column.in_(_IDS))
    if condition is not None:
        statement = statement.where(condition)
    return sum(int(_run(s, statement, {"p_ids": chunk}).rowcount) for chunk in _chunks(ids))

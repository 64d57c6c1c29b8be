"""What the gateway records, and what it asks the ledger.

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the transaction to the caller
(``with factory.begin() as s:``), so that a document, its outbox messages, its acknowledgements
and its events commit together or not at all. Functions return plain frozen rows, never ORM
objects. Every change of state also writes an event: the timeline ``edi-gateway show`` prints.

The ledger is on the path of every file, so: statements are built once, at import, and run on the
session's connection (building SQLAlchemy statements per call costs more than running them), and
in sessions from :func:`gateway.ledger.session_factory` the events of a transaction are written
in one statement when it commits.

Outbox order: rows are published in id order. On PostgreSQL ids are handed out at insert time
but transactions may commit in another order, and :func:`reset_for_replay` makes old rows pending
again, so a reader must not keep ``after_id`` as a permanent cursor: it pages with ``after_id``
within one pass and starts each new pass from 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Connection,
    CursorResult,
    Executable,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .models import ACKS, DOCUMENTS, EVENTS, FILES, OUTBOX

Detail = Mapping[str, Any]

IN_CHUNK = 500
"""Ids per ``IN (...)`` list: well under every backend's limit on bound parameters."""


class FileState(StrEnum):
    RECEIVED = "received"
    """Claimed into the work folder and recorded; not processed yet."""
    PROCESSED = "processed"
    """Its documents, messages and replies are recorded; the original is still to be moved."""
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    """The same content was received before (within the duplicate window)."""


class DocumentState(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    PUBLISHED = "published"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


class OutboxState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    """The broker confirmed it."""
    UNROUTABLE = "unroutable"
    """Reached no queue (returned by the broker, exchange missing, too large): kept, reported,
    sent again after a requeue or a replay."""


class AckState(StrEnum):
    PENDING_WRITE = "pending_write"
    WRITTEN = "written"


NOT_ORIGINAL_FILE_STATES = (FileState.QUARANTINED, FileState.DUPLICATE)
"""A file in these states is never the earlier copy a duplicate refers to."""
NOT_ORIGINAL_DOCUMENT_STATES = (
    DocumentState.FAILED,
    DocumentState.QUARANTINED,
    DocumentState.DUPLICATE,
)
"""A document in these states is never the earlier copy a duplicate refers to."""
PUBLISHABLE_DOCUMENT_STATES = (DocumentState.RECEIVED, DocumentState.PARSED)
"""A confirmed publish moves a document forward from these states only."""


# -- rows ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class FileRow:
    id: int
    partner: str
    name: str
    sha256: str
    size: int
    work_path: str
    final_path: str | None
    state: FileState
    correlation_id: str
    detail: dict[str, Any] | None
    received_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    """The ledger's key of this record."""
    document_id: str
    """The stable id (partner, both parties, control numbers, content digest): the same for
    every copy of a document."""
    envelope_key: str | None
    """The id of the envelope references alone; None for documents without any."""
    file_id: int
    partner: str
    kind: str
    isa13: str | None
    gs06: str | None
    st02: str | None
    state: DocumentState
    correlation_id: str
    detail: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    message_id: str
    document_id: str
    document_pk: int | None
    """:attr:`DocumentRow.id` of the document record this message was written with."""
    partner: str
    exchange: str
    routing_key: str
    body: bytes
    headers: dict[str, Any]
    correlation_id: str
    state: OutboxState
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class AckRow:
    id: int
    file_id: int
    partner: str
    name: str
    text: str
    state: AckState
    created_at: dt.datetime
    written_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    at: dt.datetime
    kind: str
    message: str
    file_id: int | None
    document_id: str | None
    correlation_id: str | None
    detail: dict[str, Any] | None


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


_RowT = TypeVar("_RowT")
_T = TypeVar("_T")


def _run(s: Session, statement: Executable, params: Any = None) -> CursorResult[*tuple[Any, ...]]:
    """Run a prebuilt statement on the session's connection (in the caller's transaction)."""
    return s.connection().execute(statement, params or {})


def _rows(
    s: Session, statement: Executable, params: Any, row_type: type[_RowT], **enums: Any
) -> list[_RowT]:
    """Run ``statement`` (a select of a whole table) and build one ``row_type`` per row."""
    result = []
    for row in _run(s, statement, params).mappings():
        values = dict(row)
        for key, enum in enums.items():
            values[key] = enum(values[key])
        result.append(row_type(**values))
    return result


def _first(found: list[_RowT]) -> _RowT | None:
    return found[0] if found else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chunks(ids: Iterable[_T]) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for value in ids:
        chunk.append(value)
        if len(chunk) == IN_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _plain(detail: Detail | None) -> dict[str, Any] | None:
    return None if detail is None else dict(detail)


def _values(states: Iterable[StrEnum]) -> list[str]:
    return [state.value for state in states]


class BulkInsert:
    """An INSERT of many rows in one statement, each row a dict with every column but ``id``.

    PostgreSQL: one array per column, unnested on the server (``INSERT ... SELECT FROM
    unnest(...) WITH ORDINALITY ORDER BY``). The statement's text is the same for any number of
    rows, so neither SQLAlchemy nor psycopg rebuilds it, and the server plans a few parameters
    instead of one per value. The sequence gives the rows their ids in the order of the
    ``ORDER BY``, so the ids sorted are the rows' ids in order (what SQLAlchemy's own
    ``sort_by_parameter_order`` relies on there). A single row (a file that came alone, an
    event) goes as a plain ``INSERT ... VALUES``: cheaper to send than an array per column.

    SQLite: SQLAlchemy can only order the returned ids by running one statement per row, which
    costs more than the rest of the row's work; but there a statement of many rows assigns each
    row the largest id so far plus one, in the order of its rows, and nothing else writes
    between them (SQLite has one writer, and the rows go in one transaction), so the ids sorted
    are the rows' ids in order. Should they ever not be consecutive, the transaction fails
    rather than give a row another row's id.
    """

    def __init__(self, table: Table) -> None:
        self.columns = [column.name for column in table.c if not column.primary_key]
        self.rows = insert(table)
        self.rows_returning_ids = insert(table).returning(table.c.id)
        unnested = (
            func.unnest(
                *(bindparam(name, type_=ARRAY(table.c[name].type)) for name in self.columns)
            )
            .table_valued(*self.columns, with_ordinality="row_number")
            .render_derived()
        )
        self.arrays = insert(table).from_select(
            self.columns,
            select(*(unnested.c[name] for name in self.columns)).order_by(unnested.c.row_number),
        )
        self.arrays_returning_ids = self.arrays.returning(table.c.id)

    def __call__(self, s: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows``."""
        if rows:
            self._execute(s.connection(), rows, self.rows, self.arrays)

    def returning_ids(self, s: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert ``rows``; returns their new ids, in the order of the rows."""
        if not rows:
            return []
        connection = s.connection()
        result = self._execute(connection, rows, self.rows_returning_ids, self.arrays_returning_ids)
        ids: list[int] = sorted(result.scalars())
        if len(ids) != len(rows) or (
            connection.dialect.name == "sqlite" and ids[-1] - ids[0] != len(ids) - 1
        ):
            raise RuntimeError("the ledger handed out ids out of order: nothing recorded")
        return ids

    def _execute(
        self,
        connection: Connection,
        rows: Sequence[dict[str, Any]],
        plain: Executable,
        arrays: Executable,
    ) -> CursorResult[Any]:
        """``arrays`` for more than one row on PostgreSQL; else ``plain``, with the rows (one
        row as plain parameters costs less than one array per column, each inspected to be
        sent)."""
        if connection.dialect.name == "postgresql" and len(rows) > 1:
            return connection.execute(arrays, self._arrays(rows))
        return connection.execute(plain, rows[0] if len(rows) == 1 else rows)

    def _arrays(self, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
        return {name: [row[name] for row in rows] for name in self.columns}


# -- events ----------------------------------------------------------------------------------

_INSERT_EVENTS = BulkInsert(EVENTS)

BUFFER_EVENTS = "gateway.ledger.buffer_events"
"""``Session.info`` flag: events wait in the session and are written in one statement when the
transaction commits (:func:`flush_events`, hooked by :func:`gateway.ledger.session_factory`).
A session without the flag writes each event at once."""
_EVENT_BUFFER = "gateway.ledger.event_buffer"


def _event_buffer(s: Session) -> list[dict[str, Any]] | None:
    """The events waiting in the session's current transaction (``None``: not buffering).
    A new transaction, after a commit or a rollback, starts with an empty buffer."""
    if not s.info.get(BUFFER_EVENTS):
        return None
    transaction = s.get_transaction()
    cached = s.info.get(_EVENT_BUFFER)
    if cached is None or cached[0] is not transaction:
        cached = s.info[_EVENT_BUFFER] = (transaction, [])
    buffer: list[dict[str, Any]] = cached[1]
    return buffer


def _event(
    at: dt.datetime,
    kind: str,
    message: str,
    *,
    file_id: int | None = None,
    document_id: str | None = None,
    correlation_id: str | None = None,
    detail: Detail | None = None,
) -> dict[str, Any]:
    """One row of the timeline (``events``)."""
    return {
        "at": at,
        "kind": kind,
        "message": message,
        "file_id": file_id,
        "document_id": document_id,
        "correlation_id": correlation_id,
        "detail": _plain(detail),
    }


def flush_events(s: Session) -> None:
    """Write the events waiting in the session's transaction (before it commits)."""
    buffer = _event_buffer(s)
    if buffer:
        rows = list(buffer)
        buffer.clear()
        _INSERT_EVENTS(s, rows)


@contextmanager
def savepoint(s: Session) -> Iterator[None]:
    """A part of the transaction that an exception undoes alone (``SAVEPOINT``), timeline
    events included, before the exception goes on to the caller."""
    buffer = _event_buffer(s)
    buffered = len(buffer) if buffer is not None else 0
    try:
        with s.begin_nested():
            yield
    except BaseException:
        if buffer is not None:
            del buffer[buffered:]
        raise


def _write_events(s: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    buffer = _event_buffer(s)
    if buffer is None:
        _INSERT_EVENTS(s, rows)
    else:
        buffer.extend(rows)


def add_event(
    s: Session,
    *,
    kind: str,
    message: str,
    file_id: int | None = None,
    document_id: str | None = None,
    correlation_id: str | None = None,
    detail: Detail | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Add a line to the timeline of a file and/or a document."""
    _write_events(
        s,
        [
            _event(
                at or _now(),
                kind,
                message,
                file_id=file_id,
                document_id=document_id,
                correlation_id=correlation_id,
                detail=detail,
            )
        ],
    )


_FILE_TIMELINE = (
    select(EVENTS).where(EVENTS.c.file_id == bindparam("p_file_id")).order_by(EVENTS.c.id)
)
_FILES_OF_DOCUMENT = (
    select(DOCUMENTS.c.file_id)
    .where(DOCUMENTS.c.document_id == bindparam("p_document_id"))
    .distinct()
)
_DOCUMENT_TIMELINE = (
    # File ids as a list, not a subquery, and the file-level events picked in Python (see
    # timeline): so both backends use the two indexes, whatever the size of the table.
    select(EVENTS)
    .where(
        (EVENTS.c.document_id == bindparam("p_document_id"))
        | EVENTS.c.file_id.in_(bindparam("p_file_ids", expanding=True))
    )
    .order_by(EVENTS.c.id)
)


def timeline(s: Session, document_or_file_id: str | int) -> list[EventRow]:
    """The events of a document (by its document id) or of a file (by its numeric id), in order.

    A document's timeline includes the events of the file(s) it came in that concern the file
    as a whole (received, archived, acknowledgement written...); a file's timeline includes the
    events of its documents.
    """
    flush_events(s)
    key = str(document_or_file_id).strip()
    if key.isdigit():
        return _rows(s, _FILE_TIMELINE, {"p_file_id": int(key)}, EventRow)
    file_ids = list(_run(s, _FILES_OF_DOCUMENT, {"p_document_id": key}).scalars())
    events = _rows(s, _DOCUMENT_TIMELINE, {"p_document_id": key, "p_file_ids": file_ids}, EventRow)
    return [event for event in events if event.document_id in (None, key)]


# -- files -----------------------------------------------------------------------------------

_INSERT_FILES = BulkInsert(FILES)
_FILE_BY_ID = select(FILES).where(FILES.c.id == bindparam("p_id"))
_FILE_BY_WORK_PATH = (
    select(FILES)
    .where(FILES.c.work_path == bindparam("p_work_path"))
    .order_by(FILES.c.id.desc())
    .limit(1)
)
_FILES_BY_WORK_PATHS = select(FILES).where(
    FILES.c.work_path.in_(bindparam("p_work_paths", expanding=True))
)
_FILES_IN_STATE = (
    select(FILES)
    .where(FILES.c.state.in_(bindparam("p_states", expanding=True)))
    .order_by(FILES.c.id)
)
_FILES_IN_STATE_LIMIT = _FILES_IN_STATE.limit(bindparam("p_limit", type_=Integer))
_SAME_CONTENT = (
    select(FILES)
    .where(  # partner first: the index is (partner, sha256, received_at)
        FILES.c.partner.in_(bindparam("p_partners", expanding=True)),
        FILES.c.sha256.in_(bindparam("p_sha256s", expanding=True)),
        FILES.c.received_at >= bindparam("p_since"),
        FILES.c.state.not_in(_values(NOT_ORIGINAL_FILE_STATES)),
    )
    .order_by(FILES.c.id)
)
_FILES_WITH_EVENT = (
    select(EVENTS.c.file_id)
    .where(
        EVENTS.c.file_id.in_(bindparam("p_ids", expanding=True)),
        EVENTS.c.kind == bindparam("p_kind"),
    )
    .distinct()
)
_FILE_EXISTS = select(FILES.c.id).where(FILES.c.id == bindparam("p_id"))
_NEW_FINAL_PATH = bindparam("p_final_path", type_=String())
_UPDATE_FILE = (
    update(FILES)
    .where(
        FILES.c.id == bindparam("p_id"),
        # nothing new (same state, no other final path, no detail or message): no change
        or_(
            bindparam("p_force", type_=Boolean()),
            FILES.c.state != bindparam("p_state"),
            and_(
                cast(_NEW_FINAL_PATH, String()).is_not(None),
                FILES.c.final_path.is_distinct_from(_NEW_FINAL_PATH),
            ),
        ),
    )
    .values(
        state=bindparam("p_state"),
        updated_at=bindparam("p_now", type_=FILES.c.updated_at.type),
        final_path=func.coalesce(_NEW_FINAL_PATH, FILES.c.final_path),
        detail=func.coalesce(
            bindparam("p_detail", type_=FILES.c.detail.type),
            FILES.c.detail,
            type_=FILES.c.detail.type,
        ),
    )
    .returning(FILES.c.correlation_id)
)


@dataclasses.dataclass(frozen=True, slots=True)
class NewFile:
    """A claimed file to record (see :func:`record_files`)."""

    partner: str
    name: str
    sha256: str
    size: int
    work_path: str
    correlation_id: str
    detail: Detail | None = None


def record_files(s: Session, files: Sequence[NewFile]) -> list[int]:
    """Record claimed files (state ``received``), each with its ``received`` event; returns
    their ids, in order."""
    now = _now()
    ids = insert_files(s, files, now)
    received_events(s, [(file_id, f, now) for f, file_id in zip(files, ids, strict=True)])
    return ids


def insert_files(s: Session, files: Sequence[NewFile], at: dt.datetime) -> list[int]:
    """The files' rows alone (see :func:`record_files`), received ``at``, in one statement:
    atomic by itself, so it needs no transaction of its own (on PostgreSQL, one round trip
    instead of three). Their ``received`` events are the caller's to write
    (:func:`received_events`); returns the ids, in order."""
    if not files:
        return []
    rows = [
        {
            "partner": f.partner,
            "name": f.name,
            "sha256": f.sha256,
            "size": f.size,
            "work_path": f.work_path,
            "final_path": None,
            "state": FileState.RECEIVED.value,
            "correlation_id": f.correlation_id,
            "detail": _plain(f.detail),
            "received_at": at,
            "updated_at": at,
        }
        for f in files
    ]
    return _INSERT_FILES.returning_ids(s, rows)


def received_events(s: Session, files: Sequence[tuple[int, NewFile, dt.datetime]]) -> None:
    """The ``received`` line of each ``(file id, file, when)`` on the timeline."""
    _write_events(
        s,
        [
            _event(
                at,
                "received",
                f"file {f.name} received from {f.partner} ({f.size} bytes)",
                file_id=file_id,
                correlation_id=f.correlation_id,
                detail={"work_path": f.work_path, "sha256": f.sha256, "size": f.size},
            )
            for file_id, f, at in files
        ],
    )


def files_with_event(s: Session, file_ids: Iterable[int], kind: str) -> set[int]:
    """Those of ``file_ids`` whose timeline has an event of ``kind``."""
    found: set[int] = set()
    for chunk in _chunks(file_ids):
        found.update(_run(s, _FILES_WITH_EVENT, {"p_ids": chunk, "p_kind": kind}).scalars())
    return found


def record_file(
    s: Session,
    *,
    partner: str,
    name: str,
    sha256: str,
    size: int,
    work_path: str,
    correlation_id: str,
    detail: Detail | None = None,
) -> int:
    """Record a claimed file (state ``received``); returns its id."""
    [file_id] = record_files(
        s, [NewFile(partner, name, sha256, size, work_path, correlation_id, detail)]
    )
    return file_id


def _files(s: Session, statement: Executable, params: Any) -> list[FileRow]:
    return _rows(s, statement, params, FileRow, state=FileState)


def file_by_id(s: Session, file_id: int) -> FileRow | None:
    return _first(_files(s, _FILE_BY_ID, {"p_id": file_id}))


def file_by_work_path(s: Session, work_path: str) -> FileRow | None:
    """The newest file recorded at ``work_path`` (the claim's path in the work folder)."""
    return _first(_files(s, _FILE_BY_WORK_PATH, {"p_work_path": work_path}))


def files_by_work_paths(s: Session, work_paths: Iterable[str]) -> dict[str, FileRow]:
    """The newest file recorded at each of ``work_paths`` (those recorded at all)."""
    found: dict[str, FileRow] = {}
    for chunk in _chunks(work_paths):
        for row in _files(s, _FILES_BY_WORK_PATHS, {"p_work_paths": chunk}):
            if row.work_path not in found or found[row.work_path].id < row.id:
                found[row.work_path] = row
    return found


def files_in_state(
    s: Session, states: Iterable[FileState], *, limit: int | None = None
) -> list[FileRow]:
    """Files in any of ``states``, oldest first."""
    params: dict[str, Any] = {"p_states": [FileState(state).value for state in states]}
    if limit is None:
        return _files(s, _FILES_IN_STATE, params)
    return _files(s, _FILES_IN_STATE_LIMIT, {**params, "p_limit": limit})


def earlier_copies(
    s: Session, files: Sequence[tuple[str, str, int]], since: dt.datetime
) -> dict[int, FileRow]:
    """For each ``(partner, sha256, file id)``: the earliest file of the partner with the same
    content, received at or after ``since`` and recorded before that file, if any (file id ->
    that copy). Quarantined files and duplicates do not count as earlier copies. Only earlier
    records count, so that two copies recorded before either is processed (one batch, or a
    recovery) never both become duplicates of each other."""
    copies: dict[tuple[str, str], list[FileRow]] = {}
    partners = sorted({partner for partner, _, _ in files})
    for chunk in _chunks(sorted({sha256 for _, sha256, _ in files})):
        params = {"p_partners": partners, "p_sha256s": chunk, "p_since": since}
        for row in _files(s, _SAME_CONTENT, params):
            copies.setdefault((row.partner, row.sha256), []).append(row)
    found: dict[int, FileRow] = {}
    for partner, sha256, file_id in files:
        earliest = min(copies.get((partner, sha256), ()), key=lambda row: row.id, default=None)
        if earliest is not None and earliest.id < file_id:
            found[file_id] = earliest
    return found


def duplicate_file(
    s: Session, *, partner: str, sha256: str, since: dt.datetime, before_id: int
) -> FileRow | None:
    """The earliest copy of one file (see :func:`earlier_copies`), if any."""
    return earlier_copies(s, [(partner, sha256, before_id)], since).get(before_id)


@dataclasses.dataclass(frozen=True, slots=True)
class ProcessedFile:
    """A parsed file's outcome (see :func:`mark_processed`)."""

    file_id: int
    correlation_id: str
    final_path: str
    """Where the original goes: archive or quarantine."""
    detail: Detail


_MARK_PROCESSED = (
    update(FILES)
    .where(FILES.c.id == bindparam("p_id"))
    .values(
        state=FileState.PROCESSED.value,
        updated_at=bindparam("p_now", type_=FILES.c.updated_at.type),
        final_path=bindparam("p_final_path", type_=String()),
        detail=bindparam("p_detail", type_=FILES.c.detail.type),
    )
)


def mark_processed(s: Session, files: Sequence[ProcessedFile]) -> None:
    """Files parsed and recorded: state ``processed`` with their destination and summary, in one
    statement, with an event each."""
    if not files:
        return
    now = _now()
    params = [
        {
            "p_id": f.file_id,
            "p_now": now,
            "p_final_path": f.final_path,
            "p_detail": _plain(f.detail),
        }
        for f in files
    ]
    _run(s, _MARK_PROCESSED, params)
    _write_events(
        s,
        [
            _event(
                now,
                FileState.PROCESSED.value,
                f"file processed: {f.final_path}",
                file_id=f.file_id,
                correlation_id=f.correlation_id,
                detail=f.detail,
            )
            for f in files
        ],
    )


_REFRESH_FILE = (
    update(FILES)
    .where(FILES.c.id == bindparam("p_id"))
    .values(
        sha256=bindparam("p_sha256"),
        size=bindparam("p_size"),
        updated_at=bindparam("p_now", type_=FILES.c.updated_at.type),
    )
)


def refresh_file(s: Session, file_id: int, *, sha256: str, size: int) -> None:
    """A file not processed yet, read again (it changed after its claim): its digest and size
    as read now."""
    _run(s, _REFRESH_FILE, {"p_id": file_id, "p_sha256": sha256, "p_size": size, "p_now": _now()})


def set_file_state(
    s: Session,
    file_id: int,
    state: FileState,
    *,
    detail: Detail | None = None,
    final_path: str | None = None,
    message: str | None = None,
) -> None:
    """Move a file to ``state`` (and record its final path and detail, when given), with an
    event. Setting the state it already has, with nothing new, changes nothing."""
    state = FileState(state)
    now = _now()
    params = {
        "p_id": file_id,
        "p_state": state.value,
        "p_now": now,
        "p_final_path": final_path,
        "p_detail": _plain(detail),
        "p_force": detail is not None or message is not None,
    }
    correlation_id = _run(s, _UPDATE_FILE, params).scalar_one_or_none()
    if correlation_id is None:
        if _run(s, _FILE_EXISTS, {"p_id": file_id}).first() is None:
            raise LookupError(f"no file {file_id} in the ledger")
        return  # nothing new
    if message is None:
        message = f"file {state.value}" + (f": {final_path}" if final_path else "")
    add_event(
        s,
        kind=state.value,
        message=message,
        file_id=file_id,
        correlation_id=correlation_id,
        detail=detail,
        at=now,
    )


_SETTLE_FILES = (
    update(FILES)
    .where(
        FILES.c.id.in_(bindparam("p_ids", expanding=True)),
        FILES.c.state != bindparam("p_state"),
    )
    .values(
        state=bindparam("p_state"), updated_at=bindparam("p_now", type_=FILES.c.updated_at.type)
    )
    .returning(FILES.c.id, FILES.c.correlation_id, FILES.c.final_path)
)


def settle_files(s: Session, states: Mapping[int, FileState]) -> None:
    """Move files (id -> state) to their final state, keeping their final path and detail, with
    an event each; a file already in its state is left alone."""
    now = _now()
    by_state: dict[FileState, list[int]] = {}
    for file_id, state in states.items():
        by_state.setdefault(FileState(state), []).append(file_id)
    events = []
    for state, ids in by_state.items():
        for chunk in _chunks(ids):
            params = {"p_ids": chunk, "p_state": state.value, "p_now": now}
            for row in _run(s, _SETTLE_FILES, params):
                events.append(
                    _event(
                        now,
                        state.value,
                        f"file {state.value}" + (f": {row.final_path}" if row.final_path else ""),
                        file_id=row.id,
                        correlation_id=row.correlation_id,
                    )
                )
    _write_events(s, events)


# -- documents -------------------------------------------------------------------------------

_INSERT_DOCUMENTS = BulkInsert(DOCUMENTS)
_WRITTEN = "gateway.ledger.documents_written"


def _written(s: Session) -> dict[str, tuple[int, int]]:
    """Document id -> (record id, file id) of the documents recorded in the session's current
    transaction, so that :func:`enqueue` right after :func:`record_document` needs no query.
    Kept in ``Session.info`` with the transaction it belongs to: a new transaction (after a
    commit or a rollback) starts empty."""
    transaction = s.get_transaction()
    cached = s.info.get(_WRITTEN)
    if cached is None or cached[0] is not transaction:
        cached = s.info[_WRITTEN] = (transaction, {})
    written: dict[str, tuple[int, int]] = cached[1]
    return written


_DOCUMENTS_BY_ID = (
    select(DOCUMENTS)
    .where(DOCUMENTS.c.document_id == bindparam("p_document_id"))
    .order_by(DOCUMENTS.c.id)
)
_DOCUMENTS_OF_FILE = (
    select(DOCUMENTS).where(DOCUMENTS.c.file_id == bindparam("p_file_id")).order_by(DOCUMENTS.c.id)
)
_NEWEST_DOCUMENT = (
    select(DOCUMENTS.c.id, DOCUMENTS.c.file_id, DOCUMENTS.c.correlation_id)
    .where(DOCUMENTS.c.document_id == bindparam("p_document_id"))
    .order_by(DOCUMENTS.c.id.desc())
    .limit(1)
)
_NEWEST_DOCUMENT_IN_FILE = _NEWEST_DOCUMENT.where(DOCUMENTS.c.file_id == bindparam("p_file_id"))
_UPDATE_DOCUMENT = (
    update(DOCUMENTS)
    .where(DOCUMENTS.c.id == bindparam("p_id"))
    .values(
        state=bindparam("p_state"),
        updated_at=bindparam("p_now", type_=DOCUMENTS.c.updated_at.type),
        detail=func.coalesce(
            bindparam("p_detail", type_=DOCUMENTS.c.detail.type),
            DOCUMENTS.c.detail,
            type_=DOCUMENTS.c.detail.type,
        ),
    )
)


_SAME_ENVELOPES = (  # by key alone: with the partner too, SQLite scans the partner's documents
    select(DOCUMENTS)
    .where(
        DOCUMENTS.c.envelope_key.is_not(None),  # what the partial index holds
        DOCUMENTS.c.envelope_key.in_(bindparam("p_keys", expanding=True)),
        DOCUMENTS.c.created_at >= bindparam("p_since"),
        DOCUMENTS.c.state.not_in(_values(NOT_ORIGINAL_DOCUMENT_STATES)),
    )
    .order_by(DOCUMENTS.c.id)
)

EnvelopeKey = tuple[str, str]
"""partner, envelope key (:attr:`DocumentRow.envelope_key`): the documents sent under the same
envelope references, whether the same document again or other content reusing the numbers."""


def earlier_documents(
    s: Session, keys: Iterable[EnvelopeKey], since: dt.datetime
) -> dict[EnvelopeKey, list[DocumentRow]]:
    """The documents recorded at or after ``since`` under each of ``keys``, oldest first.
    Failed, quarantined and duplicate documents are left out: they are never the earlier copy a
    duplicate refers to, nor the first use of control numbers."""
    wanted = set(keys)
    found: dict[EnvelopeKey, list[DocumentRow]] = {}
    rows: list[DocumentRow] = []
    for chunk in _chunks(sorted({key for _, key in wanted})):
        rows += _documents(s, _SAME_ENVELOPES, {"p_keys": chunk, "p_since": since})
    for row in sorted(rows, key=lambda row: row.id):
        key = (row.partner, row.envelope_key or "")
        if key in wanted:
            found.setdefault(key, []).append(row)
    return found


def _describe(kind: str, isa13: str | None, gs06: str | None, st02: str | None) -> str:
    numbers = ", ".join(
        f"{label} {value}"
        for label, value in (("ISA13", isa13), ("GS06", gs06), ("ST02", st02))
        if value is not None
    )
    return f"{kind} ({numbers})" if numbers else kind


def _documents(s: Session, statement: Executable, params: Any) -> list[DocumentRow]:
    return _rows(s, statement, params, DocumentRow, state=DocumentState)


@dataclasses.dataclass(frozen=True, slots=True)
class NewDocument:
    """A document found in a file, to record (see :func:`record_documents`)."""

    document_id: str
    file_id: int
    partner: str
    kind: str
    isa13: str | None
    gs06: str | None
    st02: str | None
    state: DocumentState
    correlation_id: str
    detail: Detail | None = None
    envelope_key: str | None = None
    """:attr:`DocumentRow.envelope_key`."""


def record_documents(s: Session, documents: Sequence[NewDocument]) -> list[int]:
    """Record documents in one statement, with an event each; returns their record ids."""
    if not documents:
        return []
    now = _now()
    states = [DocumentState(d.state).value for d in documents]
    rows = [
        {
            "document_id": d.document_id,
            "envelope_key": d.envelope_key,
            "file_id": d.file_id,
            "partner": d.partner,
            "kind": d.kind,
            "isa13": d.isa13,
            "gs06": d.gs06,
            "st02": d.st02,
            "state": state,
            "correlation_id": d.correlation_id,
            "detail": _plain(d.detail),
            "created_at": now,
            "updated_at": now,
        }
        for d, state in zip(documents, states, strict=True)
    ]
    ids = _INSERT_DOCUMENTS.returning_ids(s, rows)
    written = _written(s)
    for d, record_id in zip(documents, ids, strict=True):
        written[d.document_id] = (record_id, d.file_id)
    _write_events(
        s,
        [
            _event(
                now,
                state,
                f"{_describe(d.kind, d.isa13, d.gs06, d.st02)} {state}",
                file_id=d.file_id,
                document_id=d.document_id,
                correlation_id=d.correlation_id,
                detail=d.detail,
            )
            for d, state in zip(documents, states, strict=True)
        ],
    )
    return ids


def record_document(
    s: Session,
    *,
    document_id: str,
    file_id: int,
    partner: str,
    kind: str,
    isa13: str | None,
    gs06: str | None,
    st02: str | None,
    state: DocumentState,
    correlation_id: str,
    detail: Detail | None = None,
    envelope_key: str | None = None,
) -> None:
    """Record a document found in file ``file_id``, with an event."""
    record_documents(
        s,
        [
            NewDocument(
                document_id,
                file_id,
                partner,
                kind,
                isa13,
                gs06,
                st02,
                state,
                correlation_id,
                detail,
                envelope_key,
            )
        ],
    )


def documents_by_id(s: Session, document_id: str) -> list[DocumentRow]:
    """Every record of ``document_id`` (a document sent again has several), oldest first."""
    return _documents(s, _DOCUMENTS_BY_ID, {"p_document_id": document_id})


def documents_of_file(s: Session, file_id: int) -> list[DocumentRow]:
    return _documents(s, _DOCUMENTS_OF_FILE, {"p_file_id": file_id})


def set_document_state(
    s: Session,
    document_id: str,
    state: DocumentState,
    *,
    detail: Detail | None = None,
    file_id: int | None = None,
    message: str | None = None,
) -> None:
    """Move a document to ``state``, with an event.

    A document id recorded more than once (sent again) names its newest record, or the one in
    ``file_id`` when given.
    """
    state = DocumentState(state)
    if file_id is None:
        target = _run(s, _NEWEST_DOCUMENT, {"p_document_id": document_id}).one_or_none()
    else:
        target = _run(
            s, _NEWEST_DOCUMENT_IN_FILE, {"p_document_id": document_id, "p_file_id": file_id}
        ).one_or_none()
    if target is None:
        raise LookupError(f"no document {document_id} in the ledger")
    now = _now()
    _run(
        s,
        _UPDATE_DOCUMENT,
        {"p_id": target.id, "p_state": state.value, "p_now": now, "p_detail": _plain(detail)},
    )
    add_event(
        s,
        kind=state.value,
        message=message or f"document {state.value}",
        file_id=target.file_id,
        document_id=document_id,
        correlation_id=target.correlation_id,
        detail=detail,
        at=now,
    )


# -- outbox ----------------------------------------------------------------------------------

_EVENT_COLUMNS = (
    OUTBOX.c.id,
    OUTBOX.c.document_id,
    OUTBOX.c.document_pk,
    OUTBOX.c.message_id,
    OUTBOX.c.correlation_id,
    OUTBOX.c.exchange,
    OUTBOX.c.routing_key,
)
_OUTBOX_IDS = OUTBOX.c.id.in_(bindparam("p_ids", expanding=True))
_INSERT_OUTBOX = BulkInsert(OUTBOX)
_OUTBOX_BY_ID = select(OUTBOX).where(OUTBOX.c.id == bindparam("p_id"))
_PENDING_OUTBOX = (
    select(OUTBOX)
    .where(OUTBOX.c.state == OutboxState.PENDING.value, OUTBOX.c.id > bindparam("p_after_id"))
    .order_by(OUTBOX.c.id)
    .limit(bindparam("p_limit", type_=Integer))
)
_PENDING_OUTBOX_EXCEPT = _PENDING_OUTBOX.where(
    tuple_(OUTBOX.c.exchange, OUTBOX.c.routing_key).not_in(bindparam("p_keys", expanding=True))
)
_PENDING_OUTBOX_OF = (
    select(OUTBOX)
    .where(
        OUTBOX.c.state == OutboxState.PENDING.value,
        OUTBOX.c.exchange == bindparam("p_exchange"),
        OUTBOX.c.routing_key == bindparam("p_routing_key"),
    )
    .order_by(OUTBOX.c.id)
    .limit(bindparam("p_limit", type_=Integer))
)
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
_FILES_OF_DOCUMENTS = select(DOCUMENTS.c.id, DOCUMENTS.c.file_id).where(
    DOCUMENTS.c.id.in_(bindparam("p_ids", expanding=True))
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
_RESET_FOR_REPLAY = (
    update(OUTBOX)
    .where(_OUTBOX_IDS, OUTBOX.c.state != OutboxState.PENDING.value)
    .values(state=OutboxState.PENDING.value, published_at=None)
    .returning(*_EVENT_COLUMNS)
)


def _outbox(s: Session, statement: Executable, params: Any) -> list[OutboxRow]:
    return _rows(s, statement, params, OutboxRow, state=OutboxState)


@dataclasses.dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to publish (see :func:`enqueue_messages`)."""

    message_id: str
    document_id: str
    partner: str
    exchange: str
    routing_key: str
    body: bytes
    headers: Mapping[str, Any]
    correlation_id: str
    record: tuple[int, int] | None = None
    """The document record (its id, its file's id) the message belongs to; by default the newest
    record of ``document_id``."""
    of_document: bool = True
    """False for a message about no inbound document (an outbound status event): no document
    record is looked up."""


def enqueue_messages(s: Session, messages: Sequence[NewMessage]) -> list[int]:
    """Add messages to publish (state ``pending``), each for the newest record of its document,
    in one statement; returns the outbox ids. Ids grow: id order is publish order."""
    if not messages:
        return []
    written = _written(s)
    records: list[tuple[int, int] | None] = []
    for m in messages:
        record = m.record or (written.get(m.document_id) if m.of_document else None)
        if record is None and m.of_document:
            newest = _run(s, _NEWEST_DOCUMENT, {"p_document_id": m.document_id}).one_or_none()
            record = None if newest is None else (newest.id, newest.file_id)
        records.append(record)
    now = _now()
    rows = [
        {
            "message_id": m.message_id,
            "document_id": m.document_id,
            "document_pk": None if record is None else record[0],
            "partner": m.partner,
            "exchange": m.exchange,
            "routing_key": m.routing_key,
            "body": bytes(m.body),
            "headers": dict(m.headers),
            "correlation_id": m.correlation_id,
            "state": OutboxState.PENDING.value,
            "attempts": 0,
            "last_error": None,
            "created_at": now,
            "published_at": None,
        }
        for m, record in zip(messages, records, strict=True)
    ]
    ids = _INSERT_OUTBOX.returning_ids(s, rows)
    _write_events(
        s,
        [
            _event(
                now,
                "enqueued",
                f"queued for {m.exchange} with routing key {m.routing_key}",
                file_id=None if record is None else record[1],
                document_id=m.document_id,
                correlation_id=m.correlation_id,
                detail={"outbox_id": outbox_id, "message_id": m.message_id},
            )
            for m, record, outbox_id in zip(messages, records, ids, strict=True)
        ],
    )
    return ids


def enqueue(
    s: Session,
    *,
    message_id: str,
    document_id: str,
    partner: str,
    exchange: str,
    routing_key: str,
    body: bytes,
    headers: Mapping[str, Any],
    correlation_id: str,
) -> int:
    """Add a message to publish (state ``pending``) for the newest record of ``document_id``;
    returns the outbox id. Ids grow: id order is publish order."""
    [outbox_id] = enqueue_messages(
        s,
        [
            NewMessage(
                message_id,
                document_id,
                partner,
                exchange,
                routing_key,
                body,
                headers,
                correlation_id,
            )
        ],
    )
    return outbox_id


def outbox_by_id(s: Session, outbox_id: int) -> OutboxRow | None:
    return _first(_outbox(s, _OUTBOX_BY_ID, {"p_id": outbox_id}))


def pending_outbox(
    s: Session,
    *,
    limit: int,
    after_id: int = 0,
    except_keys: Sequence[tuple[str, str]] = (),
) -> list[OutboxRow]:
    """Up to ``limit`` pending messages with an id above ``after_id``, in id order; none of those
    whose (exchange, routing key) is one of ``except_keys``."""
    params: dict[str, Any] = {"p_after_id": after_id, "p_limit": limit}
    if not except_keys:
        return _outbox(s, _PENDING_OUTBOX, params)
    return _outbox(s, _PENDING_OUTBOX_EXCEPT, {**params, "p_keys": list(except_keys)})


def pending_outbox_of(
    s: Session, exchange: str, routing_key: str, *, limit: int
) -> list[OutboxRow]:
    """The oldest ``limit`` pending messages for ``exchange`` with ``routing_key``, in id
    order."""
    params = {"p_exchange": exchange, "p_routing_key": routing_key, "p_limit": limit}
    return _outbox(s, _PENDING_OUTBOX_OF, params)


def note_nacked(s: Session, outbox_ids: Sequence[int], reason: str) -> None:
    """The broker nacked these messages (a queue they route to is full and rejects publishes,
    or it could not take them): they stay pending, with one more attempt and the reason kept,
    and a ``nacked`` event each. The relay sends them again itself."""
    changed: list[Any] = []
    for chunk in _chunks(outbox_ids):
        changed += _run(s, _NOTE_NACKED, {"p_ids": chunk, "p_reason": reason}).all()
    _outbox_events(s, changed, "nacked", lambda _row: reason)


def _outbox_events(
    s: Session,
    rows: Sequence[Any],
    kind: str,
    message: Callable[[Any], str],
    files: dict[int, int] | None = None,
) -> None:
    """One event per changed outbox row (``rows`` have the columns of ``_EVENT_COLUMNS``).
    ``files`` maps document keys to their file ids where the caller knows them already."""
    if not rows:
        return
    files = dict(files or {})
    unknown = {r.document_pk for r in rows if r.document_pk is not None} - files.keys()
    for chunk in _chunks(sorted(unknown)):
        files.update(
            (row.id, row.file_id) for row in _run(s, _FILES_OF_DOCUMENTS, {"p_ids": chunk})
        )
    at = _now()
    _write_events(
        s,
        [
            _event(
                at,
                kind,
                message(row),
                file_id=files.get(row.document_pk),
                document_id=row.document_id,
                correlation_id=row.correlation_id,
                detail={"outbox_id": row.id, "message_id": row.message_id},
            )
            for row in rows
        ],
    )


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


# -- acknowledgements ------------------------------------------------------------------------

_INSERT_ACKS = BulkInsert(ACKS)
_ACKS_TO_WRITE = (
    select(ACKS).where(ACKS.c.state == AckState.PENDING_WRITE.value).order_by(ACKS.c.id)
)
_ACKS_TO_WRITE_LIMIT = _ACKS_TO_WRITE.limit(bindparam("p_limit", type_=Integer))
_MARK_ACKS_WRITTEN = (
    update(ACKS)
    .where(
        ACKS.c.id.in_(bindparam("p_ids", expanding=True)),
        ACKS.c.state == AckState.PENDING_WRITE.value,
    )
    .values(
        state=AckState.WRITTEN.value,
        written_at=bindparam("p_now", type_=ACKS.c.written_at.type),
    )
    .returning(ACKS.c.id, ACKS.c.file_id, ACKS.c.partner, ACKS.c.name)
)


@dataclasses.dataclass(frozen=True, slots=True)
class NewAck:
    """An acknowledgement to write to ``outbox/<partner>/<name>`` (see :func:`record_acks`)."""

    file_id: int
    partner: str
    name: str
    text: str


def record_acks(s: Session, acks: Sequence[NewAck]) -> list[int]:
    """Acknowledgements to write (state ``pending_write``), in one statement; returns their
    ids."""
    if not acks:
        return []
    now = _now()
    rows = [
        {
            "file_id": a.file_id,
            "partner": a.partner,
            "name": a.name,
            "text": a.text,
            "state": AckState.PENDING_WRITE.value,
            "created_at": now,
            "written_at": None,
        }
        for a in acks
    ]
    ids = _INSERT_ACKS.returning_ids(s, rows)
    _write_events(
        s,
        [
            _event(
                now,
                "ack_recorded",
                f"acknowledgement {a.name} recorded",
                file_id=a.file_id,
                detail={"ack_id": ack_id},
            )
            for a, ack_id in zip(acks, ids, strict=True)
        ],
    )
    return ids


def record_ack(s: Session, *, file_id: int, partner: str, name: str, text: str) -> int:
    """An acknowledgement to write to ``outbox/<partner>/<name>`` (state ``pending_write``);
    returns its id."""
    [ack_id] = record_acks(s, [NewAck(file_id, partner, name, text)])
    return ack_id


def acks_to_write(s: Session, *, limit: int | None = None) -> list[AckRow]:
    """Acknowledgements not written yet, oldest first."""
    if limit is None:
        return _rows(s, _ACKS_TO_WRITE, None, AckRow, state=AckState)
    return _rows(s, _ACKS_TO_WRITE_LIMIT, {"p_limit": limit}, AckRow, state=AckState)


def mark_acks_written(s: Session, ack_ids: Sequence[int]) -> None:
    """These acknowledgements' files are written (and synced); a second call changes nothing."""
    now = _now()
    changed: list[Any] = []
    for chunk in _chunks(ack_ids):
        changed += _run(s, _MARK_ACKS_WRITTEN, {"p_ids": chunk, "p_now": now}).all()
    _write_events(
        s,
        [
            _event(
                now,
                "ack_written",
                f"acknowledgement written: outbox/{row.partner}/{row.name}",
                file_id=row.file_id,
                detail={"ack_id": row.id},
            )
            for row in changed
        ],
    )


_RENAME_ACK = (
    update(ACKS)
    .where(ACKS.c.id == bindparam("p_id"), ACKS.c.state == AckState.PENDING_WRITE.value)
    .values(name=bindparam("p_name"))
    .returning(ACKS.c.id, ACKS.c.file_id, ACKS.c.partner, ACKS.c.name)
)


def rename_acks(s: Session, names: Mapping[int, str]) -> None:
    """These acknowledgements were written under other names (``ack id -> name``): theirs were
    taken by other files (:mod:`gateway.spool`). Each gets an ``ack_renamed`` event saying
    why; one written already keeps its name."""
    if not names:
        return
    now = _now()
    events = []
    for ack_id, name in names.items():
        old = _run(s, select(ACKS.c.name).where(ACKS.c.id == ack_id)).scalar()
        for row in _run(s, _RENAME_ACK, {"p_id": ack_id, "p_name": name}):
            events.append(
                _event(
                    now,
                    "ack_renamed",
                    f"acknowledgement {old} written as {name}: outbox/{row.partner}/{old} is "
                    "taken by another file",
                    file_id=row.file_id,
                    detail={"ack_id": row.id, "name": name, "taken": old},
                )
            )
    _write_events(s, events)


def mark_ack_written(s: Session, ack_id: int) -> None:
    """The acknowledgement's file is written (and synced); a second call changes nothing."""
    mark_acks_written(s, [ack_id])


# -- status ----------------------------------------------------------------------------------


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
    )

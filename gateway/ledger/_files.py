"""Files received: recorded when claimed, read back, and moved through their states (received,
processed, then archived, quarantined or duplicate), each change with its event."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Executable,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from ._events import _event, _write_events, add_event
from ._statements import (
    BulkInsert,
    Detail,
    _chunks,
    _first,
    _now,
    _plain,
    _rows,
    _run,
    direct,
)
from .models import EVENTS, FILES


class FileState(StrEnum):
    RECEIVED = "received"
    """Claimed into the work folder and recorded; not processed yet."""
    PROCESSED = "processed"
    """Its documents, messages and replies are recorded; the original is still to be moved."""
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    """The same content was received before (within the duplicate window)."""


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
    if len(params) == 1:  # a trickle's batch: by the driver (executemany is SQLAlchemy's)
        direct(_MARK_PROCESSED).run(s.connection(), params[0])
    else:
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

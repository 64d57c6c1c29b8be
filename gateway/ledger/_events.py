"""The timeline (``events``): a line for every change of state of a file, a document, a message
or an acknowledgement, which ``edi-gateway show`` prints.

In sessions from :func:`gateway.ledger.session_factory` the events of a transaction wait in the
session and are written in one statement when it commits (:data:`BUFFER_EVENTS`); elsewhere each
is written at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ._statements import BulkInsert, Detail, _now, _plain, _rows, _run
from .models import DOCUMENTS, EVENTS


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


_INSERT_EVENTS = BulkInsert(EVENTS)

BUFFER_EVENTS = "gateway.ledger.buffer_events"
"""``Session.info`` flag: events wait in the session and are written in one statement when the
transaction commits (:func:`flush_events`, hooked by :func:`gateway.ledger.session_factory`).
A session without the flag writes each event at once."""
_EVENT_BUFFER = "gateway.ledger.event_buffer"
_TO_LOG = "gateway.ledger.events_to_log"
STEPS = frozenset(
    {"parsed", "enqueued", "ack_recorded", "processed", "ack_renamed", "outbound.renamed"}
)
"""Events that are steps inside a lifecycle event (a file processed is archived or
quarantined, an acknowledgement recorded is written): logged at DEBUG, the others at INFO."""
log = logging.getLogger("gateway.events")


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
    """Write the events waiting in the session's transaction (before it commits); they are
    logged once it has (:func:`log_committed_events`)."""
    buffer = _event_buffer(s)
    if buffer:
        rows = list(buffer)
        buffer.clear()
        _INSERT_EVENTS(s, rows)
        if log.isEnabledFor(logging.INFO):
            s.info.setdefault(_TO_LOG, []).extend(rows)


def log_committed_events(s: Session) -> None:
    """One log line per event a transaction committed (``gateway.events``: INFO, the
    :data:`STEPS` at DEBUG): what happened, with the document, file and correlation ids (as
    fields of their own in JSON logs)."""
    rows = s.info.pop(_TO_LOG, None)
    if not rows:
        return
    steps_logged = log.isEnabledFor(logging.DEBUG)
    for row in rows:
        if row["kind"] in STEPS and not steps_logged:
            continue  # a step's line at DEBUG, not logged: not made either
        ids = {key: row[key] for key in ("document_id", "file_id", "correlation_id") if row[key]}
        partner = (row["detail"] or {}).get("partner")
        if isinstance(partner, str):
            ids["partner"] = partner
        said = ", ".join(f"{key.removesuffix('_id')} {value}" for key, value in ids.items())
        log.log(
            logging.DEBUG if row["kind"] in STEPS else logging.INFO,
            "%s: %s%s",
            row["kind"],
            row["message"],
            f" [{said}]" if said else "",
            extra={"event": row["kind"], **ids},
        )


def forget_uncommitted_events(s: Session) -> None:
    """A rolled back transaction's events are not logged."""
    s.info.pop(_TO_LOG, None)


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

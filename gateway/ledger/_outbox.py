"""The outbox: messages to publish, queued with the records they are about, and read back by the
relay in id order.

Outbox order: rows are published in id order. On PostgreSQL ids are handed out at insert time
but transactions may commit in another order, and :func:`~gateway.ledger.reset_for_replay` makes
old rows pending again, so a reader must not keep ``after_id`` as a permanent cursor: it pages
with ``after_id`` within one pass and starts each new pass from 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Executable, Integer, bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from ._documents import _NEWEST_DOCUMENT, _written
from ._events import _event, _write_events
from ._statements import BulkInsert, _chunks, _first, _now, _rows, _run
from .models import DOCUMENTS, OUTBOX


class OutboxState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    """The broker confirmed it."""
    UNROUTABLE = "unroutable"
    """Reached no queue (returned by the broker, exchange missing, too large): kept, reported,
    sent again after a requeue or a replay."""
    HELD = "held"
    """A document of a file read in parts, recorded before the file is read to its end: pending
    once the file is accepted, deleted with its document if the file turns out unreadable
    (:mod:`._held`). The relay never sees it."""
    WITHHELD = "withheld"
    """A document's message kept back for a business exception (items or locations the
    reference data does not know): pending once an operator releases it, never published
    otherwise (:mod:`._withheld`). The relay never sees it; a replay leaves it alone."""


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

_SIZES: Final = (OUTBOX.c.id, func.length(OUTBOX.c.body))
"""The ids and body sizes of the rows a page would read: SQLite and PostgreSQL know a value's
length without reading it."""
_PENDING_SIZES = _PENDING_OUTBOX.with_only_columns(*_SIZES)
_PENDING_SIZES_EXCEPT = _PENDING_OUTBOX_EXCEPT.with_only_columns(*_SIZES)
_PENDING_BY_IDS = (
    select(OUTBOX)
    .where(_OUTBOX_IDS, OUTBOX.c.state == OutboxState.PENDING.value)
    .order_by(OUTBOX.c.id)
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
_PENDING_SIZES_OF = _PENDING_OUTBOX_OF.with_only_columns(*_SIZES)
_FILES_OF_DOCUMENTS = select(DOCUMENTS.c.id, DOCUMENTS.c.file_id).where(
    DOCUMENTS.c.id.in_(bindparam("p_ids", expanding=True))
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


def queued_row(message: NewMessage, outbox_id: int, at: dt.datetime) -> OutboxRow:
    """The pending row :func:`enqueue_messages` wrote for ``message`` under ``outbox_id``, as a
    read of the outbox would give it, without the read (what a committer hands the relay)."""
    return OutboxRow(
        id=outbox_id,
        message_id=message.message_id,
        document_id=message.document_id,
        document_pk=None if message.record is None else message.record[0],
        partner=message.partner,
        exchange=message.exchange,
        routing_key=message.routing_key,
        body=bytes(message.body),
        headers=dict(message.headers),
        correlation_id=message.correlation_id,
        state=OutboxState.PENDING,
        attempts=0,
        last_error=None,
        created_at=at,
        published_at=None,
    )


def enqueue_messages(
    s: Session, messages: Sequence[NewMessage], *, held: bool = False
) -> list[int]:
    """Add messages to publish (state ``pending``; ``held``: held until their file is read
    whole), each for the newest record of its document, in one statement; returns the outbox
    ids. Ids grow: id order is publish order."""
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
            "state": (OutboxState.HELD if held else OutboxState.PENDING).value,
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


def pending_page(
    s: Session,
    *,
    limit: int,
    max_bytes: int,
    after_id: int = 0,
    except_keys: Sequence[tuple[str, str]] = (),
) -> tuple[list[OutboxRow], bool]:
    """:func:`pending_outbox`, only the first rows whose bodies come to ``max_bytes`` at most
    (at least one): a page of a huge document's parts, megabytes each, is a few of them, not
    ``limit``. Their sizes are read first, then those rows (still pending: the relay may have
    marked some published in between). True with them when rows were left for the bytes."""
    params: dict[str, Any] = {"p_after_id": after_id, "p_limit": limit}
    if except_keys:
        params["p_keys"] = list(except_keys)
    sizes = _PENDING_SIZES_EXCEPT if except_keys else _PENDING_SIZES
    return _first_within(s, sizes, params, max_bytes)


def pending_outbox_of(
    s: Session, exchange: str, routing_key: str, *, limit: int, max_bytes: int
) -> list[OutboxRow]:
    """The oldest ``limit`` pending messages for ``exchange`` with ``routing_key``, in id
    order, as far as their bodies come to ``max_bytes`` (at least one: as :func:`pending_page`)."""
    params = {"p_exchange": exchange, "p_routing_key": routing_key, "p_limit": limit}
    return _first_within(s, _PENDING_SIZES_OF, params, max_bytes)[0]


def _first_within(
    s: Session, sizes: Executable, params: dict[str, Any], max_bytes: int
) -> tuple[list[OutboxRow], bool]:
    """The rows ``sizes`` (ids and body sizes, in id order) names, as far as their bodies come
    to ``max_bytes`` (at least one), read if still pending; True when rows were left out."""
    ids: list[int] = []
    total = 0
    cut = False
    for row_id, size in _run(s, sizes, params):
        if ids and total + size > max_bytes:
            cut = True
            break
        ids.append(row_id)
        total += size
    return (_outbox(s, _PENDING_BY_IDS, {"p_ids": ids}) if ids else []), cut


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

"""The documents of a file read in parts (a large flat file, read as a stream): each part is
recorded as it is read, its messages ``held`` (:attr:`~._outbox.OutboxState.HELD`); once the
file is read to its end they are released for publishing (:func:`release_held`), or, when the
file turns out unreadable as a whole, its documents are forgotten (:func:`forget_documents`),
as those of a file read whole would never have been recorded. A part read again after a crash
finds its documents recorded already (:func:`recorded_in_file`).

A document too large to hold (one huge transaction set) has its item parts given before it is
read to its end, before its id is known: they are held as they come (:func:`hold_ahead`),
under ids of their file, the document's key in it and their number (a part held already, the
file read again, is skipped); once the document is recorded and its header part queued, held,
each becomes its event under the document's id when the file is released
(:func:`settle_ahead`, in the transaction of :func:`release_held`). Those of a document not
published (rejected, a duplicate) are forgotten with their file's verdict
(:func:`forget_ahead`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from sqlalchemy import LargeBinary, bindparam, cast, delete, insert, select, update
from sqlalchemy.orm import Session

from ._outbox import OutboxState
from ._statements import _chunks, _now
from .models import DOCUMENTS, OUTBOX

PartAround = tuple[str, bytes, bytes, dict[str, Any]]
"""A part's event made around its entries: its message id, the bytes of its body before and
after its entries, its headers."""

AHEAD: Final = "ahead:"
"""What the ids of the item parts held ahead of their document begin with."""

_OF_FILE = select(DOCUMENTS.c.id).where(DOCUMENTS.c.file_id == bindparam("p_file_id"))


def recorded_in_file(s: Session, file_id: int, document_ids: Iterable[str]) -> set[str]:
    """Which of ``document_ids`` the file has recorded already."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(document_ids))):
        found.update(
            s.execute(
                select(DOCUMENTS.c.document_id).where(
                    DOCUMENTS.c.file_id == file_id, DOCUMENTS.c.document_id.in_(chunk)
                )
            ).scalars()
        )
    return found


def release_held(s: Session, file_id: int) -> int:
    """The file's held messages, to publish; returns how many."""
    done = s.execute(
        update(OUTBOX)
        .where(OUTBOX.c.state == OutboxState.HELD.value, OUTBOX.c.document_pk.in_(_OF_FILE))
        .values(state=OutboxState.PENDING.value),
        {"p_file_id": file_id},
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def forget_documents(s: Session, file_id: int) -> int:
    """The file's documents and their (held) messages, deleted, with the parts held ahead of
    its documents; returns how many documents."""
    forget_ahead(s, file_id)
    s.execute(delete(OUTBOX).where(OUTBOX.c.document_pk.in_(_OF_FILE)), {"p_file_id": file_id})
    done = s.execute(delete(DOCUMENTS).where(DOCUMENTS.c.file_id == file_id))
    return int(done.rowcount)  # type: ignore[attr-defined]


def _ahead_of(file_id: int) -> str:
    return f"{AHEAD}{file_id}"


def hold_ahead(
    s: Session,
    file_id: int,
    partner: str,
    correlation_id: str,
    parts: Sequence[tuple[str, int, str]],
) -> int:
    """Hold ``parts`` (document key, part number, entries as JSON text) of documents of the
    file not read to their end; those held already are skipped. Returns how many were held."""
    held_as = _ahead_of(file_id)
    ids = [f"{held_as}:{key}/{number}" for key, number, _ in parts]
    known: set[str] = set()
    for chunk in _chunks(ids):
        known.update(
            s.execute(
                select(OUTBOX.c.message_id).where(
                    OUTBOX.c.document_id == held_as, OUTBOX.c.message_id.in_(chunk)
                )
            ).scalars()
        )
    now = _now()
    held = 0
    for message_id, (_, _, entries) in zip(ids, parts, strict=True):
        if message_id in known:
            continue
        row: dict[str, Any] = {
            "message_id": message_id,
            "document_id": held_as,
            "document_pk": None,
            "partner": partner,
            "exchange": "",
            "routing_key": "",
            "body": entries.encode(),
            "headers": {},
            "correlation_id": correlation_id,
            "state": OutboxState.HELD.value,
            "attempts": 0,
            "last_error": None,
            "created_at": now,
            "published_at": None,
        }
        s.execute(insert(OUTBOX), row)  # one at a time, encoded as it goes: parts are MBs each
        del row
        held += 1
    return held


def settle_ahead(
    s: Session,
    file_id: int,
    key: str,
    document_id: str,
    header_id: str,
    event: Callable[[bytes, dict[str, Any], int], PartAround],
) -> int:
    """The parts held ahead of the document ``key`` of the file, made the events of the
    document ``document_id`` whose header part (message id ``header_id``) the file's record of
    it queued, held: each ``event(header body, header headers, number)`` (its message id, the
    bytes of its body before and after its entries, its headers), for the document's record,
    exchange and routing key, and released (pending): called in the transaction that releases
    the file's messages (:func:`release_held`, which then leaves them be: each part's row, MBs,
    is written once). Returns how many; none when the header was not queued (the document is
    not published).

    A part's entries stay in the database: its body is made there, around them (one ``UPDATE``
    a part), never read into this process."""
    header = s.execute(
        select(OUTBOX).where(
            OUTBOX.c.document_id == document_id,
            OUTBOX.c.message_id == header_id,
            OUTBOX.c.state == OutboxState.HELD.value,
            OUTBOX.c.document_pk.in_(_OF_FILE),
        ),
        {"p_file_id": file_id},
    ).first()
    if header is None:
        return 0
    prefix = f"{_ahead_of(file_id)}:{key}/"
    parts = s.execute(
        select(OUTBOX.c.id, OUTBOX.c.message_id)
        .where(OUTBOX.c.document_id == _ahead_of(file_id), OUTBOX.c.message_id.startswith(prefix))
        .order_by(OUTBOX.c.id)
    ).all()
    header_body, header_headers = bytes(header.body), dict(header.headers)
    for row_id, held_id in parts:
        message_id, before, after, headers = event(
            header_body, header_headers, int(held_id[len(prefix) :])
        )
        s.execute(
            _SETTLE,
            {
                "p_id": row_id,
                "p_message_id": message_id,
                "p_document_id": document_id,
                "p_document_pk": header.document_pk,
                "p_exchange": header.exchange,
                "p_routing_key": header.routing_key,
                "p_before": before,
                "p_after": after,
                "p_headers": headers,
                "p_correlation_id": header.correlation_id,
            },
        )
    return len(parts)


_SETTLE = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("p_id"))
    .values(
        message_id=bindparam("p_message_id"),
        document_id=bindparam("p_document_id"),
        document_pk=bindparam("p_document_pk"),
        exchange=bindparam("p_exchange"),
        routing_key=bindparam("p_routing_key"),
        body=cast(
            bindparam("p_before", type_=LargeBinary)
            .op("||")(OUTBOX.c.body)
            .op("||")(bindparam("p_after", type_=LargeBinary)),
            LargeBinary,
        ),
        headers=bindparam("p_headers", type_=OUTBOX.c.headers.type),
        correlation_id=bindparam("p_correlation_id"),
        state=OutboxState.PENDING.value,
    )
)
"""A part held ahead made its event: its body made in the database around its entries
(``CAST(before || body || after)``: SQLite's ``||`` makes text of blobs, the cast makes it
bytes again, unchanged)."""


def forget_ahead(s: Session, file_id: int) -> int:
    """The parts held ahead of the file's documents and not settled, deleted; returns how
    many."""
    done = s.execute(delete(OUTBOX).where(OUTBOX.c.document_id == _ahead_of(file_id)))
    return int(done.rowcount)  # type: ignore[attr-defined]

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
each becomes its event under the document's id (:func:`settle_ahead`), to be released with the
file. Those of a document not published (rejected, a duplicate) are forgotten with their file's
verdict (:func:`forget_ahead`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ._outbox import OutboxState
from ._statements import _chunks, _now
from .models import DOCUMENTS, OUTBOX

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
    event: Callable[[bytes, dict[str, Any], int, bytes], tuple[str, bytes, dict[str, Any]]],
) -> int:
    """The parts held ahead of the document ``key`` of the file, made the events of the
    document ``document_id`` whose header part (message id ``header_id``) the file's record of
    it queued, held: each ``event(header body, header headers, number, entries)`` (its message
    id, body, headers), for the document's record, exchange and routing key. Returns how many;
    none when the header was not queued (the document is not published)."""
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
    for row_id, held_id in parts:
        entries = s.execute(select(OUTBOX.c.body).where(OUTBOX.c.id == row_id)).scalar_one()
        number = int(held_id[len(prefix) :])
        message_id, body, headers = event(header.body, dict(header.headers), number, entries)
        s.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row_id)
            .values(
                message_id=message_id,
                document_id=document_id,
                document_pk=header.document_pk,
                exchange=header.exchange,
                routing_key=header.routing_key,
                body=body,
                headers=headers,
                correlation_id=header.correlation_id,
            )
        )
        del entries, body  # not alive while the next part is read: MBs each
    return len(parts)


def forget_ahead(s: Session, file_id: int) -> int:
    """The parts held ahead of the file's documents and not settled, deleted; returns how
    many."""
    done = s.execute(delete(OUTBOX).where(OUTBOX.c.document_id == _ahead_of(file_id)))
    return int(done.rowcount)  # type: ignore[attr-defined]

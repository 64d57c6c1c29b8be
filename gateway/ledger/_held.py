"""The documents of a file read in parts (a large flat file, read as a stream): each part is
recorded as it is read, its messages ``held`` (:attr:`~._outbox.OutboxState.HELD`); once the
file is read to its end they are released for publishing (:func:`release_held`), or, when the
file turns out unreadable as a whole, its documents are forgotten (:func:`forget_documents`),
as those of a file read whole would never have been recorded. A part read again after a crash
finds its documents recorded already (:func:`recorded_in_file`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from ._outbox import OutboxState
from ._statements import _chunks
from .models import DOCUMENTS, OUTBOX

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
    """The file's documents and their (held) messages, deleted; returns how many documents."""
    s.execute(delete(OUTBOX).where(OUTBOX.c.document_pk.in_(_OF_FILE)), {"p_file_id": file_id})
    done = s.execute(delete(DOCUMENTS).where(DOCUMENTS.c.file_id == file_id))
    return int(done.rowcount)  # type: ignore[attr-defined]

"""Reprocess: a quarantined file read again after a fix (its partner's profile, a mapping), or a
refused request sent again.

A file is never moved out of quarantine nor changed: a copy of it is written into its partner's
``inbox/<partner>/`` as ``reprocess-<file number>-<name>`` (never in place of another file:
:func:`gateway.spool.write_new`), and the daemon reads it as any file that arrives. The original
stays ``quarantined`` (so the copy is never taken for a duplicate of it: a quarantined file is
never an earlier copy) and its timeline says ``reprocessed``, by whom, and under which name;
once the daemon has recorded the copy (waited for up to ``wait`` seconds), the copy's timeline
says ``reprocess_of`` the original, and the original's ``reprocessed_as`` the copy. The copy's
name says which file it copies whatever happens.

A withheld document (it names items or locations the reference data did not know:
:mod:`gateway.references`) is checked again against its partner's reference data as it is now,
and once that knows everything it names, its message is released (``released`` on its
timeline, by whom) and the relay publishes it, under its document id, once; otherwise the
reprocess is refused, saying what is still unknown.

A refused request goes through ``retry`` (:func:`gateway.publish_again.retry_command`), with who
asked for it on its timeline.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .. import ledger
from ..config import Settings
from ..errors import ConfigError
from ..exit_codes import EXIT_VALID
from ..ledger.models import FILES
from ..references import ReferenceBook, unknown_in
from ..references.check import model_of_events
from ..spool import write_new
from . import ActionRefused
from .exceptions import FILE_REPROCESSED, FILE_TAKEN_AGAIN, REQUEST_RETRIED, quarantined_file

PREFIX = "reprocess-"


@dataclasses.dataclass(frozen=True, slots=True)
class Reprocessed:
    """A quarantined file put back: the original, where its copy was written, and the copy's
    file number once the daemon recorded it (None: not yet)."""

    original: ledger.FileRow
    copy: Path
    copy_id: int | None

    def sentence(self) -> str:
        taken = (
            f"taken by the daemon as file {self.copy_id}"
            if self.copy_id is not None
            else "not taken yet (is the daemon running? is the partner paused, or disabled?)"
        )
        return f"file {self.original.id} ({self.original.name}) copied to {self.copy}: {taken}"


def reprocess_file(
    factory: sessionmaker[Session], settings: Settings, file_id: int, *, by: str, wait: float = 0
) -> Reprocessed:
    """Put quarantined file ``file_id`` back in its partner's inbox (see the module's
    docstring); :class:`ActionRefused` when it is no quarantined file, was dismissed, or its
    original is gone from the quarantine folder."""
    with factory.begin() as s:
        row = quarantined_file(s, file_id)
    original = Path(row.final_path or "")
    try:
        data = original.read_bytes()
    except OSError as error:
        raise ActionRefused(
            f"file {file_id}: its original cannot be read at {original}: {error.strerror}"
        ) from error
    inbox = settings.path(settings.inbox) / row.partner
    [placed] = write_new([(inbox / f"{PREFIX}{row.id}-{row.name}", data)], again=True)
    with factory.begin() as s:
        ledger.add_event(
            s,
            kind=FILE_REPROCESSED,
            message=f"copied into the inbox as {placed.path.name} to be read again, by {by}",
            file_id=row.id,
            correlation_id=row.correlation_id,
            detail={"by": by, "copy": str(placed.path), "partner": row.partner},
        )
    copy_id = link_copy(factory, row, placed.path.name, by=by, wait=wait)
    return Reprocessed(row, placed.path, copy_id)


def link_copy(
    factory: sessionmaker[Session], original: ledger.FileRow, name: str, *, by: str, wait: float
) -> int | None:
    """Once the daemon has recorded the copy ``name`` of ``original`` (looked for during
    ``wait`` seconds): each one's timeline points at the other; the copy's file number."""
    deadline = time.monotonic() + wait
    while True:
        with factory.begin() as s:
            copy_id = _recorded_copy(s, original, name)
            if copy_id is not None:
                ledger.add_event(
                    s,
                    kind="reprocess_of",
                    message=f"a copy of quarantined file {original.id} ({original.name}), put "
                    f"back to be read again by {by}",
                    file_id=copy_id,
                    detail={"by": by, "reprocess_of": original.id},
                )
                ledger.add_event(
                    s,
                    kind=FILE_TAKEN_AGAIN,
                    message=f"its copy {name} was taken as file {copy_id}",
                    file_id=original.id,
                    correlation_id=original.correlation_id,
                    detail={"by": by, "copy_id": copy_id},
                )
                return copy_id
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def _recorded_copy(s: Session, original: ledger.FileRow, name: str) -> int | None:
    query = (  # the (partner, sha256, received_at) index
        select(FILES.c.id)
        .where(
            FILES.c.partner == original.partner,
            FILES.c.sha256 == original.sha256,
            FILES.c.received_at >= original.received_at,
            FILES.c.name == name,
            FILES.c.id > original.id,
        )
        .order_by(FILES.c.id.desc())
        .limit(1)
    )
    found: int | None = s.execute(query).scalar_one_or_none()
    return found


def retry_request(
    factory: sessionmaker[Session], settings: Settings, request_id: str, *, by: str, out: TextIO
) -> int:
    """Send refused request ``request_id`` again (``edi-gateway retry``'s path: the daemon
    renders it, or refuses it for the reason of now); its exit code. Who asked for it is on its
    timeline."""
    from ..publish_again import retry_command

    code = retry_command(
        settings, factory, request_id=request_id, partner=None, dry_run=False, out=out
    )
    if code == EXIT_VALID:
        with factory.begin() as s:
            ledger.add_event(
                s,
                kind=REQUEST_RETRIED,
                message=f"refused request sent again, by {by}",
                document_id=request_id,
                detail={"by": by},
            )
    return code


def is_withheld(factory: sessionmaker[Session], document_id: str) -> bool:
    """Whether ``document_id`` names a document whose message is withheld."""
    with factory.begin() as s:
        return bool(ledger.withheld_of(s, document_id))


def release_document(
    factory: sessionmaker[Session], settings: Settings, document_id: str, *, by: str
) -> str:
    """Publish withheld document ``document_id`` if its partner's reference data knows now
    what it names (see the module's docstring); what was done, in a sentence.
    :class:`ActionRefused` when it is not withheld, was dismissed, or still names unknown ids."""
    book = ReferenceBook.of(settings)
    with factory.begin() as s:
        rows = ledger.withheld_of(s, document_id)
        if not rows:
            raise ActionRefused(f"no document {document_id} is withheld")
        if ledger.is_dismissed(s, document_id):
            raise ActionRefused(f"document {document_id} was dismissed already")
        partner = rows[0].partner
        try:
            data = book.data_for(s, partner)
        except ConfigError as error:
            raise ActionRefused(
                f"the reference data of {partner} cannot be read: {error}"
            ) from None
        message = model_of_events([row.body for row in rows])  # one, or its parts
        if message is None:
            raise ActionRefused(f"document {document_id}: its message cannot be read back")
        unknowns = unknown_in(message, data)
        if unknowns is not None:
            kind = str(rows[0].headers.get("kind") or "the document")
            raise ActionRefused(f"still withheld: {unknowns.sentence(kind)}")
        released = ledger.release_withheld(
            s,
            [row.id for row in rows],
            f"released to be published, by {by}: the reference data ({data.describe()}) knows "
            "what it names",
        )
    if not released:
        raise ActionRefused(f"document {document_id} was released already")
    return f"document {document_id} ({partner}) released: it will be published"

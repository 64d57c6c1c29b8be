"""Inbound: claimed file -> ledger -> parse -> outbox rows and replies -> archive or quarantine.

The order of steps is what makes a crash at any instant harmless:

1. The file is claimed (atomic rename into ``work/``) by the source; nothing is recorded yet.
   A crash here leaves the file in ``work/``, and :meth:`Pipeline.recover` processes it.
2. The file is recorded in the ledger (state ``received``) and committed.
3. It is parsed; in ONE transaction the documents, the outbox rows (the messages to publish), the
   replies owed to the partner (997/999/TA1 text) and the file's destination are committed
   (state ``processed``). A crash before this commit repeats the parse; after it, nothing is
   parsed or enqueued again.
4. Replies are written to ``outbox/<partner>/`` (temp file, fsync, rename: same name and content
   if repeated) and marked written.
5. The original moves to its destination (archive or quarantine) and the state says so.
   Recovery finishes whichever of 4 and 5 a crash interrupted.

Publishing is not done here: the relay (``gateway.bus.relay``) drains the outbox rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ParsedDocument, Parser, ParseResult
from adapters.transport.folder import Claimed, fsync_directory

from .bus.cloudevents import cloud_event
from .bus.topology import INBOUND_EXCHANGE, routing_key
from .control_numbers import ControlNumberCounter
from .ledger import repository as ledger
from .ledger.repository import DocumentState, FileState
from .runtime.crashpoints import crash_point

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Folders:
    outbox: Path
    archive: Path
    quarantine: Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
    fsync_directory(path.parent)


class Pipeline:
    """Processes claimed files one at a time."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        parser: Parser,
        counter: ControlNumberCounter,
        folders: Folders,
        *,
        duplicate_window: dt.timedelta = dt.timedelta(days=30),
        source_name: str = "edi-gateway",
    ) -> None:
        self.factory = factory
        self.parser = parser
        self.counter = counter
        self.folders = folders
        self.duplicate_window = duplicate_window
        self.source_name = source_name

    # -- one file ------------------------------------------------------------------------------

    def process(self, claimed: Claimed) -> None:
        crash_point("after_claim")
        data = claimed.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with self.factory.begin() as s:
            row = ledger.file_by_work_path(s, str(claimed.path))
            if row is None:
                file_id = ledger.record_file(
                    s,
                    partner=claimed.partner,
                    name=claimed.name,
                    sha256=digest,
                    size=len(data),
                    work_path=str(claimed.path),
                    correlation_id=claimed.claim_id,
                )
            else:
                file_id = row.id
        crash_point("after_record")
        self._parse_and_commit(file_id, claimed, data, digest)
        crash_point("after_commit")
        self.finish()

    def _parse_and_commit(self, file_id: int, claimed: Claimed, data: bytes, digest: str) -> None:
        now = dt.datetime.now(dt.UTC)
        since = now - self.duplicate_window
        with self.factory.begin() as s:
            twin = ledger.duplicate_file(
                s, partner=claimed.partner, sha256=digest, since=since, exclude_id=file_id
            )
            if twin is not None:
                destination = self._archive_path(claimed, digest, now)
                ledger.set_file_state(
                    s,
                    file_id,
                    FileState.PROCESSED,
                    detail={"duplicate_of": twin.id, "reason": "same content received before"},
                    final_path=str(destination),
                )
                return
        result = self.parser(data, file_name=claimed.name, counter=self.counter)
        with self.factory.begin() as s:
            published = self._record_documents(s, file_id, claimed, result, since)
            for reply in result.replies:
                ledger.record_ack(
                    s, file_id=file_id, partner=claimed.partner, name=reply.name, text=reply.text
                )
            bad = result.has_errors
            destination = (
                self._quarantine_path(claimed) if bad else self._archive_path(claimed, digest, now)
            )
            summary: dict[str, Any] = {
                "documents": len(result.documents),
                "published": published,
                "replies": [r.name for r in result.replies],
                "errors": sum(1 for f in result.findings if f.get("severity") == "error"),
            }
            if result.unreadable:
                summary["unreadable"] = result.unreadable
            if bad:  # kept in the ledger so that a crash cannot lose the report
                summary["report"] = self._error_report(claimed, digest, result)
            ledger.set_file_state(
                s, file_id, FileState.PROCESSED, detail=summary, final_path=str(destination)
            )

    def _record_documents(
        self,
        s: Session,
        file_id: int,
        claimed: Claimed,
        result: ParseResult,
        since: dt.datetime,
    ) -> int:
        published = 0
        for doc in result.documents:
            twin = ledger.duplicate_document(
                s,
                partner=claimed.partner,
                isa13=doc.interchange,
                gs06=doc.group,
                st02=doc.transaction,
                since=since,
                exclude_file_id=file_id,
            )
            detail: dict[str, Any] | None
            if twin is not None:
                state, detail = DocumentState.DUPLICATE, {"duplicate_of_file": twin.file_id}
            elif doc.accepted:
                state, detail = DocumentState.PARSED, None
            else:
                state, detail = DocumentState.FAILED, {"errors": list(doc.errors[:50])}
            ledger.record_document(
                s,
                document_id=doc.document_id,
                file_id=file_id,
                partner=claimed.partner,
                kind=doc.kind,
                isa13=doc.interchange,
                gs06=doc.group,
                st02=doc.transaction,
                state=state,
                correlation_id=claimed.claim_id,
                detail=detail,
            )
            if state is DocumentState.PARSED:
                self._enqueue(s, doc, claimed)
                published += 1
        return published

    def _enqueue(self, s: Session, doc: ParsedDocument, claimed: Claimed) -> None:
        assert doc.message is not None, "only accepted documents are published"
        body, headers = cloud_event(
            doc.message,
            source=f"{self.source_name}/{claimed.partner}",
            correlation_id=claimed.claim_id,
            partner=claimed.partner,
            kind=doc.kind,
        )
        ledger.enqueue(
            s,
            message_id=doc.document_id,
            document_id=doc.document_id,
            partner=claimed.partner,
            exchange=INBOUND_EXCHANGE,
            routing_key=routing_key(doc.kind.lower(), claimed.partner),
            body=body,
            headers=headers,
            correlation_id=claimed.claim_id,
        )

    # -- finishing: replies and the original's destination --------------------------------------

    def finish(self) -> None:
        """Write pending replies and move processed originals; safe to repeat at any time."""
        with self.factory.begin() as s:
            acks = ledger.acks_to_write(s)
        for ack in acks:
            write_atomically(self.folders.outbox / ack.partner / ack.name, ack.text.encode())
            with self.factory.begin() as s:
                ledger.mark_ack_written(s, ack.id)
        with self.factory.begin() as s:
            pending = ledger.files_in_state(s, [FileState.PROCESSED])
        for row in pending:
            if row.final_path is None:
                continue
            self._move(row)

    def _move(self, row: ledger.FileRow) -> None:
        work, destination = Path(row.work_path), Path(row.final_path or "")
        quarantined = destination.is_relative_to(self.folders.quarantine)
        if work.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            if quarantined:
                report = (row.detail or {}).get("report", {})
                write_atomically(
                    destination.with_name(destination.name + ".error.json"),
                    json.dumps(report, indent=2, default=str).encode(),
                )
            shutil.move(work, destination)
            fsync_directory(destination.parent)
            fsync_directory(work.parent)
        elif not destination.exists():
            log.error("file %s is neither in the work folder nor at %s", work, destination)
            return
        crash_point("after_archive")
        if quarantined:
            final = FileState.QUARANTINED
        elif (row.detail or {}).get("duplicate_of") is not None:
            final = FileState.DUPLICATE
        else:
            final = FileState.ARCHIVED
        with self.factory.begin() as s:
            ledger.set_file_state(s, row.id, final, final_path=str(destination))

    # -- recovery ------------------------------------------------------------------------------

    def recover(self, leftovers: list[Claimed]) -> None:
        """Finish what a previous run left: files claimed but not processed, replies, moves."""
        self.finish()
        for claimed in leftovers:
            if claimed.path.exists():
                log.info("recovering %s (claimed before the last stop)", claimed.path)
                self.process(claimed)

    # -- destinations --------------------------------------------------------------------------

    def _archive_path(self, claimed: Claimed, digest: str, now: dt.datetime) -> Path:
        day = now.strftime("%Y/%m/%d")
        name = f"{digest[:16]}-{claimed.claim_id[:8]}-{claimed.name}"
        return self.folders.archive / claimed.partner / day / name

    def _quarantine_path(self, claimed: Claimed) -> Path:
        return self.folders.quarantine / claimed.partner / f"{claimed.claim_id[:8]}-{claimed.name}"

    @staticmethod
    def _error_report(claimed: Claimed, digest: str, result: ParseResult) -> dict[str, Any]:
        errors = [f for f in result.findings if f.get("severity") == "error"]
        return {
            "file": claimed.name,
            "partner": claimed.partner,
            "sha256": digest,
            "claim_id": claimed.claim_id,
            "why": result.unreadable or f"{len(errors)} error(s) found; see findings",
            "documents": [
                {"document_id": d.document_id, "kind": d.kind, "accepted": d.accepted}
                for d in result.documents
            ],
            "findings": result.findings[:500],
        }

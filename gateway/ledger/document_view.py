"""Everything the ledger knows about one document, gathered for its page in the console: the
record (or records: a copy sent again is recorded again), its file, its timeline, the
acknowledgement the gateway sent for its file, the messages it published, and for an outbound
document the request, the rendered text, the deliveries and the partner's answers.

Reading the original file from disk is :func:`read_kept_file`'s: only inside the folders the
gateway keeps files in (archive, quarantine, outbox), never through a path that leads out of
them, and at most :data:`SHOWN_BYTES`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ._acks import AckRow, AckState
from ._documents import DocumentRow, documents_by_id
from ._events import EventRow, timeline
from ._files import FileRow, file_by_id
from ._outbox import OutboxRow, OutboxState
from ._statements import _rows
from .models import ACKS, DELIVERIES, DOCUMENTS, OUTBOUND_DOCUMENTS, OUTBOX, PARTNER_ACKS
from .outbound import OutboundRow, outbound_by_document_id
from .reconciliation import PartnerAckRow, _ack_rows, partner_acks_of_outbound
from .transfers import DeliveryRow, _delivery

_ACKS_OF_FILE = select(ACKS).where(ACKS.c.file_id == bindparam("p_file_id")).order_by(ACKS.c.id)
_MESSAGES = (
    select(OUTBOX).where(OUTBOX.c.document_id == bindparam("p_document_id")).order_by(OUTBOX.c.id)
)
_DOCUMENTS_IN_FILE = select(func.count()).where(DOCUMENTS.c.file_id == bindparam("p_file_id"))
SHOWN_BYTES = 1024 * 1024
"""Bytes of a file (or a message body) a page shows at most; it says what it cut."""


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentView:
    """A document's page: an inbound document (``records``) or an outbound one (``outbound``)."""

    document_id: str
    records: list[DocumentRow]
    """Its records, newest first (several when a partner sent it again)."""
    file: FileRow | None
    """The file of the newest record."""
    siblings: int
    """Other documents of that file."""
    events: list[EventRow]
    acks_sent: list[AckRow]
    """The acknowledgements (997/999/TA1) the gateway wrote for its file."""
    messages: list[OutboxRow]
    """What it published (or will): the outbox rows of its document id."""
    outbound: OutboundRow | None
    deliveries: list[DeliveryRow]
    """The outbound file's deliveries to the partner's server."""
    partner_acks: list[PartnerAckRow]
    """The partner's acknowledgements of the outbound document; for an inbound document that
    is itself an acknowledgement, what it answered for."""
    findings: list[dict[str, Any]]
    """What the file's report found (segment positions included), errors first."""

    @property
    def direction(self) -> str:
        return "outbound" if self.outbound is not None and not self.records else "inbound"

    @property
    def correlation_id(self) -> str | None:
        if self.records:
            return self.records[0].correlation_id
        return self.outbound.correlation_id if self.outbound else None


def document_view(s: Session, document_id: str) -> DocumentView | None:
    """The page of the document ``document_id`` (an inbound document id, an outbound
    document's id or its request id); None when the ledger has no such document."""
    records = sorted(documents_by_id(s, document_id), key=lambda r: r.id, reverse=True)
    outbound = _outbound(s, document_id)
    if not records and outbound is None:
        return None
    file = file_by_id(s, records[0].file_id) if records else None
    siblings = (
        int(s.connection().execute(_DOCUMENTS_IN_FILE, {"p_file_id": file.id}).scalar_one()) - 1
        if file is not None
        else 0
    )
    own_id = (
        document_id if records or outbound is None else outbound.document_id or outbound.request_id
    )
    events = timeline(s, own_id)
    acks = (
        _rows(s, _ACKS_OF_FILE.params(p_file_id=file.id), None, AckRow, state=AckState)
        if file is not None
        else []
    )
    messages = _rows(s, _MESSAGES.params(p_document_id=own_id), None, OutboxRow, state=OutboxState)
    deliveries: list[DeliveryRow] = []
    answers: list[PartnerAckRow] = []
    if outbound is not None:
        answers = partner_acks_of_outbound(s, outbound.id)
        if outbound.file_name:
            named = select(DELIVERIES).where(
                DELIVERIES.c.partner == outbound.partner,
                DELIVERIES.c.local_name == outbound.file_name,
            )
            deliveries = [
                _delivery(row) for row in s.connection().execute(named.order_by(DELIVERIES.c.id))
            ]
    if records:
        answers += _ack_rows(
            s, select(PARTNER_ACKS).where(PARTNER_ACKS.c.document_id == document_id)
        )
    if outbound is not None and outbound.content:  # a page shows no secret
        outbound = dataclasses.replace(outbound, content=masked_security(outbound.content))
    return DocumentView(
        document_id=document_id,
        records=records,
        file=file,
        siblings=max(0, siblings),
        events=events,
        acks_sent=[dataclasses.replace(a, text=masked_security(a.text)) for a in acks],
        messages=messages,
        outbound=outbound,
        deliveries=deliveries,
        partner_acks=answers,
        findings=_findings(file),
    )


def _outbound(s: Session, document_id: str) -> OutboundRow | None:
    """The outbound document of this document id, or of this request id."""
    found = outbound_by_document_id(s, document_id)
    if found:
        return found[-1]
    statement = select(OUTBOUND_DOCUMENTS.c.id).where(
        OUTBOUND_DOCUMENTS.c.request_id == document_id
    )
    row_id = s.connection().execute(statement).scalar()
    if row_id is None:
        return None
    from .outbound import outbound_by_id

    return outbound_by_id(s, int(row_id))


def _findings(file: FileRow | None) -> list[dict[str, Any]]:
    report = (file.detail or {}).get("report") if file is not None else None
    findings = report.get("findings") if isinstance(report, dict) else None
    return [f for f in findings if isinstance(f, dict)] if isinstance(findings, list) else []


@dataclasses.dataclass(frozen=True, slots=True)
class KeptFile:
    """A file as a page shows it: its text (at most :data:`SHOWN_BYTES`), or why not."""

    path: str
    text: str | None
    size: int
    cut: bool
    """Only its first :data:`SHOWN_BYTES` are in ``text``."""
    why_not: str | None = None


def read_kept_file(path: str | None, folders: Sequence[Path]) -> KeptFile | None:
    """The file at ``path`` when it is inside one of ``folders`` (the gateway's archive,
    quarantine and outbox), links resolved first: a path leading anywhere else is not read.
    None for no path."""
    if not path:
        return None
    resolved = Path(os.path.realpath(path))
    roots = [Path(os.path.realpath(folder)) for folder in folders]
    if not any(resolved.is_relative_to(root) for root in roots):
        return KeptFile(path, None, 0, False, "outside the gateway's folders: not read")
    try:
        with resolved.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = file.read(SHOWN_BYTES)
    except FileNotFoundError:
        return KeptFile(path, None, 0, False, "no longer on disk (pruned or moved)")
    except OSError as error:
        return KeptFile(path, None, 0, False, f"cannot be read: {error.strerror}")
    text = masked_security(data.decode("utf-8", errors="replace"))
    return KeptFile(path, text, size, size > SHOWN_BYTES)


def masked_security(text: str) -> str:
    """``text`` with the password of every ISA segment in it masked: ISA02 (authorization
    information) and ISA04 (security information) are fixed-width secrets some partners use,
    and a page never shows a secret. Only a well-formed ISA (its separators where the standard
    puts them) is touched; blank ones stay as they are."""
    found = text.find("ISA")
    while found != -1 and len(text) >= found + 106:
        isa = text[found : found + 106]
        separator = isa[3]
        if all(isa[i] == separator for i in (6, 17, 20, 31)):
            for start in (7, 21):
                if isa[start : start + 10].strip():
                    isa = isa[:start] + "#" * 10 + isa[start + 10 :]
            text = text[:found] + isa + text[found + 106 :]
        found = text.find("ISA", found + 3)
    return text


def segments(text: str) -> list[str]:
    """X12 text one segment per item (the terminator is ISA's 106th character); other text
    by its lines."""
    stripped = masked_security(text.lstrip())
    if stripped.startswith("ISA") and len(stripped) >= 106:
        terminator = stripped[105]
        parts = [p.strip("\r\n") for p in stripped.split(terminator)]
        return [p + terminator for p in parts if p.strip()]
    return text.splitlines()


def canonical_json(message: OutboxRow) -> tuple[str, bool]:
    """A message's body as indented JSON (at most :data:`SHOWN_BYTES`), and whether it was cut."""
    body = message.body[:SHOWN_BYTES]
    try:
        text = json.dumps(json.loads(message.body), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", errors="replace")
    return text[:SHOWN_BYTES], len(message.body) > SHOWN_BYTES

"""What waits for a person: quarantined files, refused outbound requests and documents withheld
for a business exception (items or locations the reference data does not know:
:mod:`gateway.references`) that nobody has reprocessed or dismissed yet, each with its cause
(for grouping) and why (a sentence), grouped by partner and cause (the console's
``/exceptions``, ``edi-gateway exceptions``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from .. import ledger
from ..ledger.models import EVENTS, FILES, OUTBOUND_DOCUMENTS
from ..ledger.outbound import OutboundRow, OutboundState
from ..references.check import UNKNOWN_ITEM, UNKNOWN_LOCATION, UNREADABLE, UnknownLine
from . import ActionRefused

_T = TypeVar("_T")
MOST = 1000
"""Quarantined files and refused requests listed at most (the newest of them)."""
FILE_DISMISSED = "dismissed"
FILE_REPROCESSED = "reprocessed"
FILE_TAKEN_AGAIN = "reprocessed_as"
REQUEST_DISMISSED = "outbound.dismissed"
REQUEST_RETRIED = "outbound.retried"
"""The events of an action on an exception (written by :mod:`.dismiss` and :mod:`.reprocess`):
a dismissed one is closed, and so is a file whose copy the daemon took (``reprocessed_as``:
the copy carries on, listed itself if it is quarantined too); a file reprocessed whose copy
waits in the inbox stays listed, and a request sent again stays listed while it is refused."""

PLAIN_CAUSES = {
    "envelope.sender_not_allowed": "sent under ids its profile does not declare",
    "envelope.receiver_not_allowed": "addressed to ids that are not ours",
    "unreadable": "unreadable: not a file of its partner's format",
    "refused": "refused before it was read",
    "set_aside": "set aside: processing it failed, or it changed after it was read",
    UNKNOWN_ITEM: "names items the reference data does not know",
    UNKNOWN_LOCATION: "names locations the reference data does not know",
    UNREADABLE: "withheld: its reference data or its message cannot be read",
}
"""Headings, in plain words, of causes whose first finding names one file's particulars;
other causes are headed by their first finding's own sentence (``SE01 does not match the
number of segments from ST to SE``), or said from their code."""


@dataclasses.dataclass(frozen=True, slots=True)
class ExceptionItem:
    """One thing to look at: a quarantined file (``kind`` ``file``, ``target`` its number),
    a refused request (``request``, ``target`` its request id) or a withheld document
    (``document``, ``target`` its document id)."""

    kind: str
    target: str
    partner: str
    name: str
    """The file's name, or the request's kind (856...)."""
    cause: str
    """What it is grouped by: the first error's code, or a word for the whole."""
    heading: str
    """The cause in plain words."""
    why: str
    findings: list[str]
    """The first errors, each a sentence."""
    at: dt.datetime
    reprocessed: int = 0
    """Times it was reprocessed (its copy waits in the inbox for the daemon)."""

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["at"] = self.at.isoformat()
        return data


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    partner: str
    cause: str
    heading: str
    items: list[ExceptionItem]


def heading(cause: str, said: str = "") -> str:
    """``cause`` in plain words (``said``: its first finding's sentence)."""
    if cause in PLAIN_CAUSES:
        return PLAIN_CAUSES[cause]
    if said:
        return said if len(said) <= 120 else said[:119] + "…"
    area, _, rest = cause.partition(".")
    return f"{area}: {rest.replace('_', ' ')}" if rest else cause.replace("_", " ")


_OPEN_FILES = (  # the state index; each candidate's events by the file_id index
    select(FILES)
    .where(
        FILES.c.state == ledger.FileState.QUARANTINED.value,
        ~exists().where(
            EVENTS.c.file_id == FILES.c.id, EVENTS.c.kind.in_([FILE_DISMISSED, FILE_TAKEN_AGAIN])
        ),
    )
    .order_by(FILES.c.id.desc())
    .limit(MOST)
)
_OPEN_REQUESTS = (  # the (state, ack_due_at) index; the events by the document_id index
    select(OUTBOUND_DOCUMENTS)
    .where(
        OUTBOUND_DOCUMENTS.c.state == OutboundState.INVALID.value,
        ~exists().where(
            EVENTS.c.document_id == OUTBOUND_DOCUMENTS.c.request_id,
            EVENTS.c.kind == REQUEST_DISMISSED,
        ),
    )
    .order_by(OUTBOUND_DOCUMENTS.c.id.desc())
    .limit(MOST)
)


def open_exceptions(s: Session, *, partner: str | None = None) -> list[ExceptionItem]:
    """Every quarantined file and refused request still open (see :data:`FILE_DISMISSED`), of
    ``partner`` or of all: the newest :data:`MOST` of each, oldest first."""
    files_query, requests_query = _OPEN_FILES, _OPEN_REQUESTS
    if partner is not None:
        files_query = files_query.where(FILES.c.partner == partner)
        requests_query = requests_query.where(OUTBOUND_DOCUMENTS.c.partner == partner)
    files = [
        ledger.FileRow(**{**r, "state": ledger.FileState(r["state"])})
        for r in s.execute(files_query).mappings()
    ]
    reprocessed = _reprocessed_counts(s, [row.id for row in files])
    found = [_of_file(row, reprocessed.get(row.id, 0)) for row in reversed(files)]
    requests = [
        OutboundRow(**{**r, "state": OutboundState(r["state"])})
        for r in s.execute(requests_query).mappings()
    ]
    withheld = list(reversed(ledger.open_withheld(s, partner=partner, limit=MOST)))
    details = _withheld_details(s, [row.document_id for row in withheld])
    return (
        found
        + [_of_request(row) for row in reversed(requests)]
        + [_of_withheld(row, details.get(row.document_id, {})) for row in withheld]
    )


def grouped(found: Iterable[ExceptionItem]) -> list[Group]:
    """``found`` by partner, then cause (the larger groups first within a partner)."""
    groups: dict[tuple[str, str], list[ExceptionItem]] = {}
    for item in found:
        groups.setdefault((item.partner, item.cause), []).append(item)
    ordered = sorted(groups.items(), key=lambda pair: (pair[0][0], -len(pair[1]), pair[0][1]))
    return [Group(p, cause, items[0].heading, items) for (p, cause), items in ordered]


def _of_file(row: ledger.FileRow, reprocessed: int) -> ExceptionItem:
    detail = row.detail or {}
    report: dict[str, Any] = detail.get("report") or {}
    errors = [f for f in report.get("findings", []) if f.get("severity") == "error"]
    if errors:
        cause = str(errors[0].get("code") or "error")
    elif detail.get("unreadable"):
        cause = "unreadable"
    elif detail.get("refused"):
        cause = "refused"
    else:
        cause = "set_aside"
    why = str(report.get("why") or detail.get("unreadable") or detail.get("refused") or "")
    messages = [str(f.get("message", "")) for f in errors[:5]]
    return ExceptionItem(
        "file",
        str(row.id),
        row.partner,
        row.name,
        cause,
        heading(cause, messages[0] if messages else ""),
        why or "quarantined",
        [m for m in messages if m and m != why],
        row.received_at,
        reprocessed,
    )


def _of_request(row: OutboundRow) -> ExceptionItem:
    detail = row.detail or {}
    reason = str(detail.get("reason") or "refused")
    cause = str(detail.get("code") or reason.split(":", 1)[0])
    return ExceptionItem(
        "request",
        row.request_id,
        row.partner,
        row.kind,
        cause[:80],
        f"request refused: {cause[:80]}",
        reason,
        [],
        row.created_at,
    )


def _of_withheld(row: ledger.OutboxRow, detail: dict[str, Any]) -> ExceptionItem:
    cause = str(detail.get("cause") or UNKNOWN_ITEM)
    lines = detail.get("lines")
    said = [UnknownLine.of_detail(line).describe() for line in (lines or [])[:5]]
    kind = str(row.headers.get("kind") or "document")
    return ExceptionItem(
        "document",
        row.document_id,
        row.partner,
        f"{kind} {row.routing_key}",
        cause,
        heading(cause),
        row.last_error or "withheld",
        said,
        row.created_at,
    )


def _withheld_details(s: Session, document_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The detail of each document's newest ``withheld`` event (why: which lines, which ids)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(document_ids):
        query = (
            select(EVENTS.c.document_id, EVENTS.c.detail)
            .where(EVENTS.c.document_id.in_(chunk), EVENTS.c.kind == ledger.WITHHELD_EVENT)
            .order_by(EVENTS.c.id)
        )
        for document_id, detail in s.execute(query):
            found[str(document_id)] = detail if isinstance(detail, dict) else {}
    return found


def _reprocessed_counts(s: Session, file_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in _chunks(file_ids):
        query = select(EVENTS.c.file_id).where(
            EVENTS.c.file_id.in_(chunk), EVENTS.c.kind == FILE_REPROCESSED
        )
        for file_id in s.execute(query).scalars():
            counts[file_id] = counts.get(file_id, 0) + 1
    return counts


def quarantined_file(s: Session, file_id: int) -> ledger.FileRow:
    """File ``file_id``, when it is in quarantine and nobody dismissed it (what reprocess and
    dismiss act on); :class:`ActionRefused` saying why not."""
    row = ledger.file_by_id(s, file_id)
    if row is None:
        raise ActionRefused(f"no file {file_id} in the ledger")
    if row.state is not ledger.FileState.QUARANTINED:
        raise ActionRefused(f"file {file_id} is {row.state.value}, not quarantined")
    if ledger.files_with_event(s, [file_id], FILE_DISMISSED):
        raise ActionRefused(f"file {file_id} was dismissed already")
    return row


def dismissed_requests(s: Session, request_ids: list[str]) -> set[str]:
    """Those of ``request_ids`` dismissed."""
    found: set[str] = set()
    for chunk in _chunks(request_ids):
        query = select(EVENTS.c.document_id).where(
            EVENTS.c.document_id.in_(chunk),
            EVENTS.c.kind == REQUEST_DISMISSED,
        )
        found.update(str(v) for v in s.execute(query).scalars())
    return found


def _chunks(values: Sequence[_T], size: int = 500) -> Iterable[list[_T]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])

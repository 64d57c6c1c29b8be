"""Dismiss: a quarantined file, a refused request or a withheld document that needs nothing
more (a test file, a partner's mistake it sent again corrected), closed with a reason. Nothing
is deleted: the file stays quarantined, the request refused and the document's message withheld
(``retention_days`` forgets files and requests in time), their timeline says ``dismissed`` (a
document's ``withheld.dismissed``), why and by whom, and the exceptions no longer list them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from .. import ledger
from ..ledger.outbound import OutboundState, outbound_by_request_ids
from . import ActionRefused
from .exceptions import FILE_DISMISSED, REQUEST_DISMISSED, dismissed_requests, quarantined_file


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ActionRefused("a dismissal needs a reason")
    return reason[:500]


def dismiss_file(factory: sessionmaker[Session], file_id: int, reason: str, *, by: str) -> str:
    """Dismiss quarantined file ``file_id``; what was done, in a sentence."""
    reason = _reason(reason)
    with factory.begin() as s:
        row = quarantined_file(s, file_id)
        ledger.add_event(
            s,
            kind=FILE_DISMISSED,
            message=f"dismissed by {by}: {reason}",
            file_id=file_id,
            correlation_id=row.correlation_id,
            detail={"by": by, "reason": reason, "partner": row.partner},
        )
    return f"file {file_id} ({row.name}, {row.partner}) dismissed: {reason}"


def dismiss_request(
    factory: sessionmaker[Session], request_id: str, reason: str, *, by: str
) -> str:
    """Dismiss refused request ``request_id``; what was done, in a sentence."""
    reason = _reason(reason)
    with factory.begin() as s:
        row = outbound_by_request_ids(s, [request_id]).get(request_id)
        if row is None:
            raise ActionRefused(f"no outbound request {request_id} in the ledger")
        if row.state is not OutboundState.INVALID:
            raise ActionRefused(f"request {request_id} is {row.state.value}, not refused")
        if dismissed_requests(s, [request_id]):
            raise ActionRefused(f"request {request_id} was dismissed already")
        ledger.add_event(
            s,
            kind=REQUEST_DISMISSED,
            message=f"dismissed by {by}: {reason}",
            document_id=request_id,
            correlation_id=row.correlation_id,
            detail={"by": by, "reason": reason, "partner": row.partner},
        )
    return f"request {request_id} ({row.kind}, {row.partner}) dismissed: {reason}"


def dismiss_document(
    factory: sessionmaker[Session], document_id: str, reason: str, *, by: str
) -> str:
    """Dismiss withheld document ``document_id``: it is never published (its message stays
    withheld); what was done, in a sentence."""
    reason = _reason(reason)
    with factory.begin() as s:
        rows = ledger.withheld_of(s, document_id)
        if not rows:
            raise ActionRefused(f"no document {document_id} is withheld")
        if ledger.is_dismissed(s, document_id):
            raise ActionRefused(f"document {document_id} was dismissed already")
        row = rows[0]
        ledger.add_event(
            s,
            kind=ledger.WITHHELD_DISMISSED,
            message=f"dismissed by {by}: {reason}",
            document_id=document_id,
            correlation_id=row.correlation_id,
            detail={"by": by, "reason": reason, "partner": row.partner},
        )
    return f"document {document_id} ({row.partner}) dismissed: {reason}"

"""Documents found in files: recorded with their envelope's control numbers, read back, and
moved through their states, each change with its event. A document sent again has a record per
copy, under the same document id."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import Executable, bindparam, func, select, update
from sqlalchemy.orm import Session

from ._events import _event, _write_events, add_event
from ._statements import BulkInsert, Detail, _now, _plain, _rows, _run
from .models import DOCUMENTS


class DocumentState(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    PUBLISHED = "published"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    """The ledger's key of this record."""
    document_id: str
    """The stable id (partner, both parties, control numbers, content digest): the same for
    every copy of a document."""
    envelope_key: str | None
    """The id of the envelope references alone; None for documents without any."""
    file_id: int
    partner: str
    kind: str
    interchange_ref: str | None
    group_ref: str | None
    transaction_ref: str | None
    state: DocumentState
    correlation_id: str
    detail: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime
    format: str | None = None
    """The kind of format it was read in; None for rows without one."""
    business_key: str | None = None
    """What it is in business terms (:func:`gateway.duplicates.business_key`); None without."""
    content_digest: str | None = None
    """The digest of its canonical content; None for rows recorded before schema 2.0."""


_INSERT_DOCUMENTS = BulkInsert(DOCUMENTS)
_WRITTEN = "gateway.ledger.documents_written"


def _written(s: Session) -> dict[str, tuple[int, int]]:
    """Document id -> (record id, file id) of the documents recorded in the session's current
    transaction, so that :func:`enqueue` right after :func:`record_document` needs no query.
    Kept in ``Session.info`` with the transaction it belongs to: a new transaction (after a
    commit or a rollback) starts empty."""
    transaction = s.get_transaction()
    cached = s.info.get(_WRITTEN)
    if cached is None or cached[0] is not transaction:
        cached = s.info[_WRITTEN] = (transaction, {})
    written: dict[str, tuple[int, int]] = cached[1]
    return written


_DOCUMENTS_BY_ID = (
    select(DOCUMENTS)
    .where(DOCUMENTS.c.document_id == bindparam("p_document_id"))
    .order_by(DOCUMENTS.c.id)
)
_DOCUMENTS_OF_FILE = (
    select(DOCUMENTS).where(DOCUMENTS.c.file_id == bindparam("p_file_id")).order_by(DOCUMENTS.c.id)
)
_NEWEST_DOCUMENT = (
    select(DOCUMENTS.c.id, DOCUMENTS.c.file_id, DOCUMENTS.c.correlation_id)
    .where(DOCUMENTS.c.document_id == bindparam("p_document_id"))
    .order_by(DOCUMENTS.c.id.desc())
    .limit(1)
)
_NEWEST_DOCUMENT_IN_FILE = _NEWEST_DOCUMENT.where(DOCUMENTS.c.file_id == bindparam("p_file_id"))
_UPDATE_DOCUMENT = (
    update(DOCUMENTS)
    .where(DOCUMENTS.c.id == bindparam("p_id"))
    .values(
        state=bindparam("p_state"),
        updated_at=bindparam("p_now", type_=DOCUMENTS.c.updated_at.type),
        detail=func.coalesce(
            bindparam("p_detail", type_=DOCUMENTS.c.detail.type),
            DOCUMENTS.c.detail,
            type_=DOCUMENTS.c.detail.type,
        ),
    )
)


def _describe(
    kind: str, interchange_ref: str | None, group_ref: str | None, transaction_ref: str | None
) -> str:
    numbers = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("interchange", interchange_ref),
            ("group", group_ref),
            ("transaction", transaction_ref),
        )
        if value is not None
    )
    return f"{kind} ({numbers})" if numbers else kind


def _documents(s: Session, statement: Executable, params: Any) -> list[DocumentRow]:
    return _rows(s, statement, params, DocumentRow, state=DocumentState)


@dataclasses.dataclass(frozen=True, slots=True)
class NewDocument:
    """A document found in a file, to record (see :func:`record_documents`)."""

    document_id: str
    file_id: int
    partner: str
    kind: str
    interchange_ref: str | None
    group_ref: str | None
    transaction_ref: str | None
    state: DocumentState
    correlation_id: str
    detail: Detail | None = None
    envelope_key: str | None = None
    """:attr:`DocumentRow.envelope_key`."""
    format: str | None = None
    business_key: str | None = None
    content_digest: str | None = None


def record_documents(s: Session, documents: Sequence[NewDocument]) -> list[int]:
    """Record documents in one statement, with an event each; returns their record ids."""
    if not documents:
        return []
    now = _now()
    states = [DocumentState(d.state).value for d in documents]
    rows = [
        {
            "document_id": d.document_id,
            "envelope_key": d.envelope_key,
            "file_id": d.file_id,
            "partner": d.partner,
            "kind": d.kind,
            "interchange_ref": d.interchange_ref,
            "group_ref": d.group_ref,
            "transaction_ref": d.transaction_ref,
            "format": d.format,
            "business_key": d.business_key,
            "content_digest": d.content_digest,
            "state": state,
            "correlation_id": d.correlation_id,
            "detail": _plain(d.detail),
            "created_at": now,
            "updated_at": now,
        }
        for d, state in zip(documents, states, strict=True)
    ]
    ids = _INSERT_DOCUMENTS.returning_ids(s, rows)
    written = _written(s)
    for d, record_id in zip(documents, ids, strict=True):
        written[d.document_id] = (record_id, d.file_id)
    _write_events(
        s,
        [
            _event(
                now,
                state,
                f"{_describe(d.kind, d.interchange_ref, d.group_ref, d.transaction_ref)} {state}",
                file_id=d.file_id,
                document_id=d.document_id,
                correlation_id=d.correlation_id,
                detail=d.detail,
            )
            for d, state in zip(documents, states, strict=True)
        ],
    )
    return ids


def record_document(
    s: Session,
    *,
    document_id: str,
    file_id: int,
    partner: str,
    kind: str,
    interchange_ref: str | None,
    group_ref: str | None,
    transaction_ref: str | None,
    state: DocumentState,
    correlation_id: str,
    detail: Detail | None = None,
    envelope_key: str | None = None,
) -> None:
    """Record a document found in file ``file_id``, with an event."""
    record_documents(
        s,
        [
            NewDocument(
                document_id,
                file_id,
                partner,
                kind,
                interchange_ref,
                group_ref,
                transaction_ref,
                state,
                correlation_id,
                detail,
                envelope_key,
            )
        ],
    )


def documents_by_id(s: Session, document_id: str) -> list[DocumentRow]:
    """Every record of ``document_id`` (a document sent again has several), oldest first."""
    return _documents(s, _DOCUMENTS_BY_ID, {"p_document_id": document_id})


def documents_of_file(s: Session, file_id: int) -> list[DocumentRow]:
    return _documents(s, _DOCUMENTS_OF_FILE, {"p_file_id": file_id})


def set_document_state(
    s: Session,
    document_id: str,
    state: DocumentState,
    *,
    detail: Detail | None = None,
    file_id: int | None = None,
    message: str | None = None,
) -> None:
    """Move a document to ``state``, with an event.

    A document id recorded more than once (sent again) names its newest record, or the one in
    ``file_id`` when given.
    """
    state = DocumentState(state)
    if file_id is None:
        target = _run(s, _NEWEST_DOCUMENT, {"p_document_id": document_id}).one_or_none()
    else:
        target = _run(
            s, _NEWEST_DOCUMENT_IN_FILE, {"p_document_id": document_id, "p_file_id": file_id}
        ).one_or_none()
    if target is None:
        raise LookupError(f"no document {document_id} in the ledger")
    now = _now()
    _run(
        s,
        _UPDATE_DOCUMENT,
        {"p_id": target.id, "p_state": state.value, "p_now": now, "p_detail": _plain(detail)},
    )
    add_event(
        s,
        kind=state.value,
        message=message or f"document {state.value}",
        file_id=target.file_id,
        document_id=document_id,
        correlation_id=target.correlation_id,
        detail=detail,
        at=now,
    )

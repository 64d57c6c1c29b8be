"""What was received before: the earlier copies of files (same content), and the earlier documents
under the same envelope references or the same business key, within the duplicate window, that
:mod:`gateway.duplicates` classifies a batch against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from ._documents import DocumentRow, DocumentState, _documents
from ._files import FileRow, FileState, _files
from ._statements import IN_CHUNK, _chunks, _values
from .models import DOCUMENTS, FILES

NOT_ORIGINAL_FILE_STATES = (FileState.QUARANTINED, FileState.DUPLICATE)
"""A file in these states is never the earlier copy a duplicate refers to."""
NOT_ORIGINAL_DOCUMENT_STATES = (
    DocumentState.FAILED,
    DocumentState.QUARANTINED,
    DocumentState.DUPLICATE,
)
"""A document in these states is never the earlier copy a duplicate refers to."""

_SAME_CONTENT = (
    select(FILES)
    .where(  # partner first: the index is (partner, sha256, received_at)
        FILES.c.partner.in_(bindparam("p_partners", expanding=True)),
        FILES.c.sha256.in_(bindparam("p_sha256s", expanding=True)),
        FILES.c.received_at >= bindparam("p_since"),
        FILES.c.state.not_in(_values(NOT_ORIGINAL_FILE_STATES)),
    )
    .order_by(FILES.c.id)
)


def earlier_copies(
    s: Session, files: Sequence[tuple[str, str, int]], since: dt.datetime
) -> dict[int, FileRow]:
    """For each ``(partner, sha256, file id)``: the earliest file of the partner with the same
    content, received at or after ``since`` and recorded before that file, if any (file id ->
    that copy). Quarantined files and duplicates do not count as earlier copies. Only earlier
    records count, so that two copies recorded before either is processed (one batch, or a
    recovery) never both become duplicates of each other."""
    copies: dict[tuple[str, str], list[FileRow]] = {}
    partners = sorted({partner for partner, _, _ in files})
    for chunk in _chunks(sorted({sha256 for _, sha256, _ in files})):
        params = {"p_partners": partners, "p_sha256s": chunk, "p_since": since}
        for row in _files(s, _SAME_CONTENT, params):
            copies.setdefault((row.partner, row.sha256), []).append(row)
    found: dict[int, FileRow] = {}
    for partner, sha256, file_id in files:
        earliest = min(copies.get((partner, sha256), ()), key=lambda row: row.id, default=None)
        if earliest is not None and earliest.id < file_id:
            found[file_id] = earliest
    return found


def duplicate_file(
    s: Session, *, partner: str, sha256: str, since: dt.datetime, before_id: int
) -> FileRow | None:
    """The earliest copy of one file (see :func:`earlier_copies`), if any."""
    return earlier_copies(s, [(partner, sha256, before_id)], since).get(before_id)


_SAME_ENVELOPES = (  # by key alone: with the partner too, SQLite scans the partner's documents
    select(DOCUMENTS)
    .where(
        DOCUMENTS.c.envelope_key.is_not(None),  # what the partial index holds
        DOCUMENTS.c.envelope_key.in_(bindparam("p_keys", expanding=True)),
        DOCUMENTS.c.created_at >= bindparam("p_since"),
        DOCUMENTS.c.state.not_in(_values(NOT_ORIGINAL_DOCUMENT_STATES)),
    )
    .order_by(DOCUMENTS.c.id)
)

EnvelopeKey = tuple[str, str]
"""partner, envelope key (:attr:`DocumentRow.envelope_key`): the documents sent under the same
envelope references, whether the same document again or other content reusing the numbers."""


def earlier_documents(
    s: Session, keys: Iterable[EnvelopeKey], since: dt.datetime
) -> dict[EnvelopeKey, list[DocumentRow]]:
    """The documents recorded at or after ``since`` under each of ``keys``, oldest first.
    Failed, quarantined and duplicate documents are left out: they are never the earlier copy a
    duplicate refers to, nor the first use of control numbers."""
    wanted = set(keys)
    found: dict[EnvelopeKey, list[DocumentRow]] = {}
    rows: list[DocumentRow] = []
    for chunk in _chunks(sorted({key for _, key in wanted})):
        rows += _documents(s, _SAME_ENVELOPES, {"p_keys": chunk, "p_since": since})
    for row in sorted(rows, key=lambda row: row.id):
        key = (row.partner, row.envelope_key or "")
        if key in wanted:
            found.setdefault(key, []).append(row)
    return found


BusinessKey = tuple[str, str]
"""partner, business key (:attr:`DocumentRow.business_key`): the documents that are the same
order or shipment, sent again or revised."""

_SAME_ENVELOPES_OR_BUSINESS = (  # each side matches its own partial index (SQLite: OR by union)
    select(DOCUMENTS)
    .where(
        or_(
            and_(
                DOCUMENTS.c.envelope_key.is_not(None),
                DOCUMENTS.c.envelope_key.in_(bindparam("p_keys", expanding=True)),
            ),
            and_(
                DOCUMENTS.c.business_key.is_not(None),
                DOCUMENTS.c.partner.in_(bindparam("p_partners", expanding=True)),
                DOCUMENTS.c.business_key.in_(bindparam("p_business", expanding=True)),
            ),
        ),
        DOCUMENTS.c.created_at >= bindparam("p_since"),
        DOCUMENTS.c.state.not_in(_values(NOT_ORIGINAL_DOCUMENT_STATES)),
    )
    .order_by(DOCUMENTS.c.id)
)


def earlier_of_batch(
    s: Session,
    envelope_keys: Iterable[EnvelopeKey],
    business_keys: Iterable[BusinessKey],
    since: dt.datetime,
) -> tuple[dict[EnvelopeKey, list[DocumentRow]], dict[BusinessKey, list[DocumentRow]]]:
    """The documents recorded at or after ``since`` under each of ``envelope_keys`` (as
    :func:`earlier_documents`) and under each of ``business_keys``, oldest first: one round
    trip for a batch (they are looked up on every batch, and a trickle is one file a batch)."""
    by_envelope, by_business = set(envelope_keys), set(business_keys)
    keys = sorted({key for _, key in by_envelope})
    business = sorted({key for _, key in by_business})
    if not business:
        return earlier_documents(s, by_envelope, since), {}
    if len(keys) > IN_CHUNK or len(business) > IN_CHUNK:  # never for a batch of usual size
        rows = [r for group in earlier_documents(s, by_envelope, since).values() for r in group]
        rows += [r for c in _chunks(business) for r in _business_rows(s, by_business, c, since)]
    else:
        params = {
            "p_keys": keys,
            "p_partners": sorted({partner for partner, _ in by_business}),
            "p_business": business,
            "p_since": since,
        }
        rows = _documents(s, _SAME_ENVELOPES_OR_BUSINESS, params)
    found_envelope: dict[EnvelopeKey, list[DocumentRow]] = {}
    found_business: dict[BusinessKey, list[DocumentRow]] = {}
    for row in sorted({row.id: row for row in rows}.values(), key=lambda row: row.id):
        if (row.partner, row.envelope_key or "") in by_envelope:
            found_envelope.setdefault((row.partner, row.envelope_key or ""), []).append(row)
        if (row.partner, row.business_key or "") in by_business:
            found_business.setdefault((row.partner, row.business_key or ""), []).append(row)
    return found_envelope, found_business


def _business_rows(
    s: Session, wanted: set[BusinessKey], keys: list[str], since: dt.datetime
) -> list[DocumentRow]:
    params = {
        "p_keys": [],
        "p_partners": sorted({partner for partner, _ in wanted}),
        "p_business": keys,
        "p_since": since,
    }
    return _documents(s, _SAME_ENVELOPES_OR_BUSINESS, params)

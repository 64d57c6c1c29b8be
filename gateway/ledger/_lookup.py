"""What an operator's id names (``edi-gateway show ID``): a document id, a file's number, a
claim id (the correlation id of a file and its documents), an outbound request id, or a
business key (``PurchaseOrder:4500012345``, or the number alone: ``4500012345``)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ._statements import _run
from .models import DOCUMENTS, EVENTS, FILES, OUTBOUND_DOCUMENTS


@dataclasses.dataclass(frozen=True, slots=True)
class Found:
    what: str
    """How the id was read: ``document``, ``file``, ``claim``, ``request``, ``business key``."""
    timelines: tuple[str | int, ...]
    """The document ids or file numbers whose timelines it names (several: a business key
    sent more than once)."""


def find(s: Session, key: str) -> Found | None:
    """What ``key`` names, tried in that order; None when nothing does."""
    key = key.strip()
    if key.isdigit():
        exists = _run(s, select(FILES.c.id).where(FILES.c.id == int(key))).first()
        return Found("file", (int(key),)) if exists else None
    if _run(s, select(EVENTS.c.id).where(EVENTS.c.document_id == key).limit(1)).first():
        return Found("document", (key,))
    files = _run(s, select(FILES.c.id).where(FILES.c.correlation_id == key)).scalars().all()
    if files:
        return Found("claim", tuple(files))
    requested = _run(
        s,
        select(OUTBOUND_DOCUMENTS.c.document_id).where(OUTBOUND_DOCUMENTS.c.request_id == key),
    ).scalars()
    documents = tuple(dict.fromkeys(requested))
    if documents:
        return Found("request", documents)
    matching = or_(DOCUMENTS.c.business_key == key, DOCUMENTS.c.business_key.like(f"%:{key}"))
    keyed = _run(
        s, select(DOCUMENTS.c.document_id).where(matching).order_by(DOCUMENTS.c.id)
    ).scalars()
    documents = tuple(dict.fromkeys(keyed))
    return Found("business key", documents) if documents else None

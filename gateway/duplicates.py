"""Which documents of a batch were seen before, and how.

A document's id covers its partner, both parties' ids, its control numbers and a digest of its
content (:func:`gateway.messages.document_id_of`), and its envelope key the same without the
partner and the content. Against the documents the ledger recorded in the duplicate window, and
those of the batch before it, each document is:

- **new**: nothing was recorded under its envelope key;
- a **duplicate**: the same document (same id) was recorded before, in another file. It is
  recorded, and not published again. A document recorded before canonical schema 1.1 has no
  digest in its id (its id is its envelope key): a match on the key is then taken for the same
  document, as it was before the upgrade. One recorded under schema 2.0 has the id 2.0 gave it,
  which is the document's ``former_document_id`` where 2.1 reads it otherwise
  (:mod:`gateway.messages.upgrade`): that is a match too;
- **reused**: its control numbers were used before, between the same parties, for other content
  (a partner whose counters were reset). It is a new document: published, with the finding
  ``control_numbers_reused`` on its timeline and a notice, unless the partner's policy rejects
  such documents (:class:`gateway.ports.InboundPolicy`).

Then, by its **business key** (what the document is in business terms: the order's number, the
shipment's id, :func:`business_key`), a document that is not a duplicate by its envelope is:

- a **business duplicate**: the partner sent the same content under that key before, under other
  control numbers (an order sent again as new; its content as schema 2.0 read it counts too). It
  is recorded, announced, and not published again unless the partner's policy says so;
- a **revision** of the newest earlier document under that key when their content differs (an
  order changed and sent again): published, marked as a revision of it (its timeline, a notice,
  the ``revision_of`` header).

No peer gateway does this: they see a new interchange, and the ERP gets the order twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from .ledger import BusinessKey, DocumentRow, EnvelopeKey

BUSINESS_KEYS: Mapping[str, str] = {
    "PurchaseOrder": "po_number",
    "PurchaseOrderAck": "po_number",
    "ShipNotice": "shipment_id",
    "InventoryAdvice": "reference",
    "WarehouseShippingOrder": "depositor_order_number",
    "WarehouseShippingAdvice": "shipment_id",
    "InventoryAdjustment": "adjustment_number",
    "StockTransferReceipt": "warehouse_receipt_number",
    "StockTransferShipment": "depositor_order_number",
    "Invoice": "invoice_number",
}
"""The field that names a document in business terms, by canonical message type (a message
type without one has no business key: acknowledgements, untranslated sets)."""


def business_key(message: object) -> str | None:
    """``<message type>:<value of its key field>`` (``PurchaseOrder:4500012345``); None for a
    message without a business key, or with an empty one."""
    message_type = getattr(message, "message_type", "")
    field = BUSINESS_KEYS.get(message_type)
    value = getattr(message, field, None) if field is not None else None
    if not isinstance(value, str) or not value.strip():
        return None
    return f"{message_type}:{value.strip()}"


class Document(Protocol):
    """What the verdict looks at (a format's parsed document has it)."""

    @property
    def document_id(self) -> str: ...
    @property
    def envelope_key(self) -> str: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def business_key(self) -> str: ...
    @property
    def content_digest(self) -> str: ...
    @property
    def former_document_id(self) -> str: ...
    @property
    def former_content_digest(self) -> str: ...


class Seen(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    REUSED = "reused"
    BUSINESS_DUPLICATE = "business_duplicate"


@dataclass(frozen=True, slots=True)
class Verdict:
    seen: Seen
    earlier_file: int | None = None
    """The file of the earlier document (the copy, or the first use of the numbers)."""
    earlier_document: str | None = None
    """The id of the earlier document."""
    revision_of: str | None = None
    """The id of the newest earlier document under the same business key, with other content."""


NEW = Verdict(Seen.NEW)


@dataclass(frozen=True, slots=True)
class _Earlier:
    document_id: str
    file_id: int
    legacy: bool = False
    """Recorded before schema 1.1: its id has no content digest."""


def classify(
    found: Sequence[tuple[int, str, Document]],
    earlier: Mapping[EnvelopeKey, list[DocumentRow]],
    earlier_business: Mapping[BusinessKey, list[DocumentRow]] | None = None,
) -> list[Verdict]:
    """A verdict for each ``(file id, partner, document)`` of ``found``, in order, against the
    ``earlier`` documents by envelope key and ``earlier_business`` by business key (from the
    ledger), and the accepted documents of ``found`` before it."""
    seen = {
        key: [_Earlier(r.document_id, r.file_id, r.document_id == r.envelope_key) for r in rows]
        for key, rows in earlier.items()
    }
    business = {
        key: [(r.document_id, r.file_id, r.content_digest) for r in rows]
        for key, rows in (earlier_business or {}).items()
    }
    verdicts: list[Verdict] = []
    for file_id, partner, doc in found:
        verdict = NEW
        if doc.envelope_key:
            key = (partner, doc.envelope_key)
            others = [e for e in seen.get(key, ()) if e.file_id != file_id]
            ids = (doc.document_id, doc.former_document_id)
            same = next((e for e in others if e.document_id in ids or e.legacy), None)
            if same is not None:
                verdicts.append(Verdict(Seen.DUPLICATE, same.file_id, same.document_id))
                continue
            if others:
                verdict = Verdict(Seen.REUSED, others[0].file_id, others[0].document_id)
            if doc.accepted:
                seen.setdefault(key, []).append(_Earlier(doc.document_id, file_id))
        if doc.accepted and doc.business_key:
            verdict = _by_business_key(
                verdict, doc, business.setdefault((partner, doc.business_key), []), file_id
            )
        verdicts.append(verdict)
    return verdicts


def _by_business_key(
    verdict: Verdict, doc: Document, earlier: list[tuple[str, int, str | None]], file_id: int
) -> Verdict:
    """``verdict`` as the documents sent before under the document's business key change it
    (``earlier``: theirs, oldest first; the document joins them unless it is a copy)."""
    digests = {doc.content_digest, doc.former_content_digest} - {""}
    same = next((e for e in earlier if e[2] in digests and e[0] != doc.document_id), None)
    if same is not None:
        return Verdict(Seen.BUSINESS_DUPLICATE, same[1], same[0])
    revision_of = next((e[0] for e in reversed(earlier) if e[0] != doc.document_id), None)
    earlier.append((doc.document_id, file_id, doc.content_digest))
    if revision_of is None:
        return verdict
    return Verdict(verdict.seen, verdict.earlier_file, verdict.earlier_document, revision_of)

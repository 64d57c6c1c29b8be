"""Which documents of a batch were seen before, and how.

A document's id covers its partner, both parties' ids, its control numbers and a digest of its
content (:func:`gateway.messages.document_id_of`), and its envelope key the same without the
partner and the content. Against the documents the ledger recorded in the duplicate window, and
those of the batch before it, each document is:

- **new**: nothing was recorded under its envelope key;
- a **duplicate**: the same document (same id) was recorded before, in another file. It is
  recorded, and not published again. A document recorded before canonical schema 1.1 has no
  digest in its id (its id is its envelope key): a match on the key is then taken for the same
  document, as it was before the upgrade;
- **reused**: its control numbers were used before, between the same parties, for other content
  (a partner whose counters were reset). It is a new document: published, with the finding
  ``control_numbers_reused`` on its timeline and a notice, unless the partner's policy rejects
  such documents (:class:`gateway.partners.InboundPolicy`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from .ledger import DocumentRow, EnvelopeKey


class Document(Protocol):
    """What the verdict looks at (a format's parsed document has it)."""

    @property
    def document_id(self) -> str: ...
    @property
    def envelope_key(self) -> str: ...
    @property
    def accepted(self) -> bool: ...


class Seen(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    REUSED = "reused"


@dataclass(frozen=True, slots=True)
class Verdict:
    seen: Seen
    earlier_file: int | None = None
    """The file of the earlier document (the copy, or the first use of the numbers)."""
    earlier_document: str | None = None
    """The id of the earlier document."""


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
) -> list[Verdict]:
    """A verdict for each ``(file id, partner, document)`` of ``found``, in order, against the
    ``earlier`` documents by envelope key (from the ledger) and the accepted documents of
    ``found`` before it."""
    seen = {
        key: [_Earlier(r.document_id, r.file_id, r.document_id == r.envelope_key) for r in rows]
        for key, rows in earlier.items()
    }
    verdicts: list[Verdict] = []
    for file_id, partner, doc in found:
        if not doc.envelope_key:
            verdicts.append(NEW)
            continue
        key = (partner, doc.envelope_key)
        others = [e for e in seen.get(key, ()) if e.file_id != file_id]
        same = next((e for e in others if e.document_id == doc.document_id or e.legacy), None)
        if same is not None:
            verdicts.append(Verdict(Seen.DUPLICATE, same.file_id, same.document_id))
            continue
        if others:
            first = others[0]
            verdicts.append(Verdict(Seen.REUSED, first.file_id, first.document_id))
        else:
            verdicts.append(NEW)
        if doc.accepted:
            seen.setdefault(key, []).append(_Earlier(doc.document_id, file_id))
    return verdicts

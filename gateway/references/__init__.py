"""Reference data: the items (SKUs) and locations a partner's inventory and warehouse documents
may name, and the documents naming others, withheld as exceptions instead of published.

- :mod:`.lists`: a reference list (items, locations) and the home's files
  ``mappings/reference/<partner>.toml`` and ``all.toml``, read again when they change.
- :mod:`.check`: which lines of a message name what the reference data does not know, over the
  protocol :class:`~gateway.messages.references.NamesItems` that canonical messages implement.
- :mod:`.book`: a partner's reference data, every list that applies to it together.

A partner's profile says which kinds of document are checked (``reference_check = ["846",
"945"]``). A document naming an unknown item or location is recorded with its message withheld
in the outbox (:mod:`gateway.ledger._withheld`) and the reason on its timeline, announced on
``edi.events`` (``edi.notice.unknown_reference.<partner>``) and listed by the exceptions; its
997/999 still accepts it (the exception is a business one: the X12 was right). ``reprocess``
publishes it once the reference data knows what it names, ``dismiss`` closes it
(:mod:`gateway.operations`).
"""

from __future__ import annotations

from .book import ReferenceBook
from .check import UNKNOWN_ITEM, UNKNOWN_LOCATION, Unknowns, model_of, names_items, unknown_in
from .lists import REFERENCE_DIR, SHARED, ReferenceData, ReferenceFiles

__all__ = [
    "REFERENCE_DIR",
    "SHARED",
    "UNKNOWN_ITEM",
    "UNKNOWN_LOCATION",
    "ReferenceBook",
    "ReferenceData",
    "ReferenceFiles",
    "Unknowns",
    "model_of",
    "names_items",
    "unknown_in",
]

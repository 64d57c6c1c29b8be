"""What a message's content digest was under schema 2.0, for the documents 2.0 read too.

Schema 2.1 (issue 25) reads more of an 850, 855 and 856: new fields, the ``unmapped`` part, and
a few product id pairs (IN; an 856 LIN's LT and SN) moved out of ``other_ids`` into fields of
their own. A document holding any of them has another content digest, and so another
``document_id``, than the one 2.0 gave it. Sent again after the upgrade, a document the ledger
recorded under 2.0 would then be taken for other content under the same control numbers (or a
revision of its order) and published a second time. :func:`former_content_digest` gives the
digest 2.0 gave it, which :mod:`gateway.duplicates` also accepts as the same document.

The 2.0 content is the 2.1 message without what 2.1 added: every field added in 2.1 is marked
``exclude_if=empty`` (:mod:`.blocks`), and is left out here even when it holds something; the
moved id pairs are put back where 2.0 listed them (:attr:`.ItemIdentification._other_ids_2_0`,
kept by the reader). tests/unit/test_upgrade_digest.py holds this equal to the old tree's
digests over the whole corpus.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from .blocks import ItemIdentification, empty
from .identity import digest_of

READ_BY_2_0 = frozenset({"PurchaseOrder", "PurchaseOrderAck", "ShipNotice"})
"""The message types 2.0 had and 2.1 reads differently; the others' digests did not change
(acknowledgements) or have no 2.0 reading (846, 940, 945 and the sets after them)."""

_Exclude = dict[Any, Any]
_Path = tuple[str | int, ...]


def former_content_digest(message: object) -> str | None:
    """The content digest schema 2.0 gave ``message``'s document; None where it is the same as
    2.1's, or the message type had no 2.0 reading (or ``message`` is no model)."""
    if (
        not isinstance(message, BaseModel)
        or getattr(message, "message_type", None) not in READ_BY_2_0
    ):
        return None
    exclude: _Exclude = {"envelope": True, "document_id": True}
    moved: list[tuple[_Path, list[Any]]] = []
    if not _added(message, exclude, moved, ()):
        return None
    content = message.model_dump(exclude=exclude)
    for path, others in moved:
        _at(content, path)["other_ids"] = others
    return digest_of(content)


def _added(
    model: BaseModel, exclude: _Exclude, moved: list[tuple[_Path, list[Any]]], path: _Path
) -> bool:
    """Whether ``model`` holds anything 2.0 did not read; fills ``exclude`` (the 2.1 fields to
    leave out, nested as ``model_dump`` takes them) and ``moved`` (the 2.0 ``other_ids`` to put
    back, by path)."""
    found = False
    if isinstance(model, ItemIdentification) and model._other_ids_2_0 is not None:
        moved.append((path, [i.model_dump() for i in model._other_ids_2_0]))
        found = True
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if field.exclude_if is empty:
            if not empty(value):
                exclude[name] = True
                found = True
            continue
        if isinstance(value, BaseModel):
            inner: _Exclude = {}
            if _added(value, inner, moved, (*path, name)):
                found = True
                if inner:
                    exclude[name] = inner
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            items: _Exclude = {}
            for index, item in enumerate(value):
                inner = {}
                if _added(item, inner, moved, (*path, name, index)):
                    found = True
                    if inner:
                        items[index] = inner
            if items:
                exclude[name] = items
    return found


def _at(content: Mapping[str, Any], path: _Path) -> Any:
    node: Any = content
    for step in path:
        node = node[step]
    return node

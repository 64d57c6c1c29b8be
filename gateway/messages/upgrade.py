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
moved id pairs are put back where 2.0 listed them (:func:`.blocks.keep_other_ids_2_0`,
kept by the reader). tests/unit/test_upgrade_digest.py holds this equal to the old tree's
digests over the whole corpus.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ForwardRef, Literal, get_args, get_origin

from pydantic import BaseModel

from .blocks import ItemIdentification, empty, other_ids_2_0
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
    if not _holds_added(message):  # most documents: looked at without noting where
        return None
    exclude: _Exclude = {"envelope": True, "document_id": True}
    moved: list[tuple[_Path, list[Any]]] = []
    _added(message, exclude, moved, ())
    content = message.model_dump(exclude=exclude)
    for path, others in moved:
        _at(content, path)["other_ids"] = others
    return digest_of(content)


def _holds_added(model: BaseModel) -> bool:
    """Whether ``model`` holds anything 2.0 did not read (what :func:`_added` says, without
    noting what and where)."""
    walk = _WALKS.get(type(model)) or _walk(type(model))
    values = model.__dict__
    added = walk.added
    if added and walk.added_values(values) != walk.empties and not _all_empty(values, added):
        return True
    if isinstance(model, ItemIdentification) and other_ids_2_0(model) is not None:
        return True
    for name in walk.nested:
        value = values[name]
        if isinstance(value, BaseModel):
            if _holds_added(value):
                return True
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for item in value:
                if _holds_added(item):
                    return True
    return False


def _all_empty(values: Mapping[str, Any], names: tuple[str, ...]) -> bool:
    return all(empty(values[name]) for name in names)


def _added(
    model: BaseModel, exclude: _Exclude, moved: list[tuple[_Path, list[Any]]], path: _Path
) -> bool:
    """Whether ``model`` holds anything 2.0 did not read; fills ``exclude`` (the 2.1 fields to
    leave out, nested as ``model_dump`` takes them) and ``moved`` (the 2.0 ``other_ids`` to put
    back, by path)."""
    found = False
    if isinstance(model, ItemIdentification):
        former = other_ids_2_0(model)
        if former is not None:
            moved.append((path, [i.model_dump() for i in former]))
            found = True
    walk = _WALKS.get(type(model)) or _walk(type(model))
    values = model.__dict__
    if walk.added and walk.added_values(values) != walk.empties:
        for name in walk.added:
            if not empty(values[name]):
                exclude[name] = True
                found = True
    for name in walk.nested:
        value = values[name]
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


@dataclass(frozen=True)
class _Walk:
    """What :func:`_added` looks at in a model of a type (:func:`_walk`)."""

    added: tuple[str, ...]
    """The fields 2.1 added (``exclude_if=empty``)."""
    added_values: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    """Their values, from the model's ``__dict__``."""
    empties: tuple[Any, ...]
    """Their values when all are empty as their defaults are (``None``, ``[]``): then
    :func:`_added` need not look at each (one comparison, not one call per field)."""
    nested: tuple[str, ...]
    """The others whose type can hold a model that can hold something 2.1 added; a field of
    text, a number or a date, or of models without any (an :class:`~.blocks.ItemId`, a
    :class:`~.envelope.PartyId`) is passed by: a message of a hundred lines has thousands, and
    looking at each took most of the time."""


@functools.cache
def _walk(model: type[BaseModel]) -> _Walk:
    """What :func:`_added` looks at in a ``model`` (worked out once per type)."""
    fields = model.model_fields
    added = tuple(name for name, field in fields.items() if field.exclude_if is empty)
    nested = tuple(
        name
        for name, field in fields.items()
        if field.exclude_if is not empty and _may_hold_added(field.annotation)
    )
    defaults = tuple(fields[name].get_default(call_default_factory=True) for name in added)
    getter = operator.itemgetter(*added) if added else (lambda values: ())
    walk = _Walk(
        added=added,
        added_values=(lambda values: (getter(values),)) if len(added) == 1 else getter,
        empties=tuple(d if empty(d) else None for d in defaults),
        nested=nested,
    )
    _WALKS[model] = walk
    return walk


_WALKS: dict[type[BaseModel], _Walk] = {}


def _may_hold_added(annotation: object) -> bool:
    """Whether a field of this type can hold a model that can hold something 2.1 added (what
    is not known, may)."""
    origin = get_origin(annotation)
    if origin is None and isinstance(annotation, type):
        return issubclass(annotation, BaseModel) and _can_hold_added(annotation)
    if annotation is Any or isinstance(annotation, str | ForwardRef):
        return True
    return origin is not Literal and any(_may_hold_added(a) for a in get_args(annotation))


_LOOKING: set[type[BaseModel]] = set()


def _can_hold_added(model: type[BaseModel]) -> bool:
    """Whether a ``model`` (or a subclass) can hold something 2.1 added: an ``exclude_if=empty``
    field, the 2.0 ``other_ids`` of an :class:`~.blocks.ItemIdentification`, or a model that
    can (a model that holds itself, through others, may)."""
    if model in _LOOKING:
        return True
    _LOOKING.add(model)
    try:
        return (
            issubclass(model, ItemIdentification)
            or bool(_walk(model).added or _walk(model).nested)
            or any(_can_hold_added(sub) for sub in model.__subclasses__())
        )
    finally:
        _LOOKING.discard(model)


def _at(content: Mapping[str, Any], path: _Path) -> Any:
    node: Any = content
    for step in path:
        node = node[step]
    return node

"""The content digest of a message read through a field map, from the values the map read.

:func:`gateway.messages.content_digest` dumps the validated message (``model_dump``: every field
of every line, each field added in schema 2.1 asked whether it is empty) and writes it as
canonical JSON. A field map reads few of those fields, and reads them as the model holds them
(a text for a text, a :class:`~decimal.Decimal` for a decimal, a date for a date): once the
message is valid, its dump is the map's values over the model's defaults. :class:`MappedDigest`
writes that: each object of the map's values over its model's defaults (dumped once, as a
template), then the same canonical JSON (:func:`~gateway.messages.identity.digest_of`): on a
CSV order of ten lines, about half the work of ``content_digest``.

A map it cannot vouch for gets no :class:`MappedDigest` (:meth:`MappedDigest.of` is None: the
format takes ``content_digest``): a field the map reads as another type than the model holds
(a text into an integer or a decimal, which validation converts), a model with validators,
serializers, computed fields or extra fields (which could make its dump other than its values),
a field left out of the dump. tests/unit/test_mapped_digest.py holds the digests equal to
``content_digest`` over generated field maps and rows, the shipped mappings and the corpus.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from annotated_types import BaseMetadata
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from gateway.errors import GatewayError
from gateway.messages.identity import digest_of

from .field_map import FieldSpec, spec_of

EXCLUDED = frozenset({"envelope", "document_id"})
"""What a content digest leaves out of a message (:func:`gateway.messages.content_digest`)."""

Filler = Callable[[dict[str, Any]], dict[str, Any]]


class Unsure(GatewayError):
    """A field map whose values the model may hold otherwise (said why): never raised out of
    this module, the digest is then the message's own."""


class MappedDigest:
    """The content digest of the messages of one model read with one field map, from the
    map's values (each message once valid): equal to ``content_digest`` of the message."""

    def __init__(self, fill: Filler) -> None:
        self._fill = fill

    @classmethod
    def of(
        cls, model: type[BaseModel], specs: Mapping[str, FieldSpec | str]
    ) -> MappedDigest | None:
        """The digest of ``model``'s messages read with ``specs``; None when the map's values
        could differ from what the model holds (:class:`Unsure`)."""
        try:
            return cls(_filler(model, specs, EXCLUDED))
        except Unsure:
            return None

    def __call__(self, values: dict[str, Any]) -> str:
        """The digest of the message validated from ``values`` (the map's, without the
        envelope)."""
        return digest_of(self._fill(values))


def _filler(
    model: type[BaseModel], specs: Mapping[str, FieldSpec | str], excluded: frozenset[str]
) -> Filler:
    """How the values ``specs`` read for a ``model`` become its dump (without ``excluded``):
    over the dump of its defaults, each nested object or list's items filled in turn."""
    _check_model(model)
    fields = model.model_fields
    groups: dict[str, dict[str, FieldSpec | str]] = {}
    leaves: dict[str, FieldSpec] = {}
    for name, spec in specs.items():
        first, dot, rest = name.partition(".")
        if dot:
            groups.setdefault(first, {})[rest] = spec
        else:
            leaves[first] = spec_of(spec)
    if set(groups) & set(leaves):
        raise Unsure(f"{model.__name__}: a field both set whole and by its fields")
    nested: list[tuple[str, Filler, bool]] = []
    """(field, the filler of its model, whether it holds a list of them)."""
    for name in (*groups, *leaves):
        field = fields.get(name)
        if field is None or name in excluded or field.exclude:
            raise Unsure(f"{model.__name__}.{name}: no field of its dump")
        if name in groups:
            inner = _model_of(field.annotation, many=False)
            nested.append((name, _filler(inner, groups[name], frozenset()), False))
            continue
        spec = leaves[name]
        if spec.value is None and spec.each is not None:
            inner = _model_of(field.annotation, many=True)
            nested.append((name, _filler(inner, spec.fields or {}, frozenset()), True))
            continue
        _check_leaf(model, name, field.annotation, spec)
    template = _template(model, excluded)
    leave_out = [(n, f.exclude_if) for n, f in fields.items() if f.exclude_if is not None]
    checked = [(n, check) for n, check in leave_out if n in groups or n in leaves]
    nested = [(name, inner, many) for name, inner, many in nested if inner is not _as_read]
    """(An object or list of objects of a model whose dump is its values is written as read.)"""
    if not nested and not checked:
        if not template:
            return _as_read
        return lambda values: {**template, **values}
    if len(nested) == 1 and not checked:
        return _fill_one(template, *nested[0])
    return _fill(template, nested, checked)


def _as_read(values: dict[str, Any]) -> dict[str, Any]:
    """A model whose every field the map gives (and must: none has a default)."""
    return values


def _fill_one(template: dict[str, Any], name: str, inner: Filler, many: bool) -> Filler:
    """:func:`_fill` of one nested object or list and no field left out when empty (a line's
    item, an order's lines)."""
    if many:

        def fill_list(values: dict[str, Any]) -> dict[str, Any]:
            dump = {**template, **values}
            value = values.get(name)
            if value is not None:
                dump[name] = [inner(item) for item in value]
            return dump

        return fill_list

    def fill_object(values: dict[str, Any]) -> dict[str, Any]:
        dump = {**template, **values}
        value = values.get(name)
        if value is not None:
            dump[name] = inner(value)
        return dump

    return fill_object


def _fill(
    template: dict[str, Any],
    nested: list[tuple[str, Filler, bool]],
    checked: list[tuple[str, Callable[[Any], bool]]],
) -> Filler:
    def fill(values: dict[str, Any]) -> dict[str, Any]:
        dump = {**template, **values}
        for name, inner, many in nested:
            value = values.get(name)
            if value is not None:
                dump[name] = [inner(item) for item in value] if many else inner(value)
        for name, leave_out in checked:
            if name in values and leave_out(values[name]):
                del dump[name]
        return dump

    return fill


@functools.cache
def _template(model: type[BaseModel], excluded: frozenset[str]) -> dict[str, Any]:
    """The dump of ``model``'s defaults: each field with one (the model's fields the map
    does not give hold it), as ``model_dump`` writes it. Made once per model (pydantic works
    out whether a default factory takes the other fields from its signature, milliseconds a
    model): never changed, each message's dump is a copy laid over it."""
    template: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in excluded or field.is_required():
            continue
        if field.default_factory_takes_validated_data:
            raise Unsure(f"{model.__name__}.{name}: a default made of the other fields")
        default = field.get_default(call_default_factory=True, validated_data={})
        if field.exclude_if is not None and field.exclude_if(default):
            continue
        template[name] = default.model_dump() if isinstance(default, BaseModel) else default
    return template


def _check_model(model: type[BaseModel]) -> None:
    """:class:`Unsure` unless ``model``'s dump is its fields' values as validated: no
    validator or serializer, no computed or extra field, no annotation but constraints."""
    decorators = model.__pydantic_decorators__
    if (
        decorators.model_validators
        or decorators.field_validators
        or decorators.field_serializers
        or decorators.model_serializers
        or decorators.root_validators
        or decorators.validators
        or set(decorators.computed_fields) - EXCLUDED
        or model.model_config.get("extra") not in (None, "forbid", "ignore")
    ):
        raise Unsure(f"{model.__name__}: validators, serializers or fields of its own")
    for name, field in model.model_fields.items():
        if not all(isinstance(item, BaseMetadata) for item in field.metadata):
            raise Unsure(f"{model.__name__}.{name}: an annotation other than a constraint")


def _model_of(annotation: Any, *, many: bool) -> type[BaseModel]:
    """The model a field of ``annotation`` holds (in a list when ``many``), None allowed."""
    inner = _optional(annotation)
    if many:
        if typing.get_origin(inner) is not list:
            raise Unsure(f"{annotation}: not a list")
        [inner] = typing.get_args(inner)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    raise Unsure(f"{annotation}: not a model")


_LEAF_TYPES: Mapping[str, type] = {"text": str, "time": str, "date": dt.date, "decimal": Decimal}
"""The type of what a field map reads, by the field's ``type``."""


def _check_leaf(model: type[BaseModel], name: str, annotation: Any, spec: FieldSpec) -> None:
    """:class:`Unsure` unless the model holds what ``spec`` reads as it is read (a text as a
    text, a date as a date, a decimal as a decimal; a list of them for ``many``)."""
    read: type = str if spec.value is not None else _LEAF_TYPES[spec.type]
    held = _optional(annotation)
    if spec.many and spec.value is None:
        if typing.get_origin(held) is not list:
            raise Unsure(f"{model.__name__}.{name}: many values into {annotation}")
        [held] = typing.get_args(held)
        held = _optional(held)
    if held is not read:
        raise Unsure(f"{model.__name__}.{name}: {read.__name__} read into {annotation}")


def _optional(annotation: Any) -> Any:
    """``X`` of ``X | None`` or of ``Annotated[X, Field(<constraints>)]`` (``annotation``
    itself otherwise)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _optional(args[0])
    if origin is typing.Annotated:
        held, *extra = typing.get_args(annotation)
        if all(_constraint(item) for item in extra):
            return _optional(held)
    return annotation


def _constraint(item: Any) -> bool:
    """Whether an annotation's ``item`` only constrains a value (``min_length``...)."""
    if isinstance(item, FieldInfo):
        return all(isinstance(inner, BaseMetadata) for inner in item.metadata)
    return isinstance(item, BaseMetadata)

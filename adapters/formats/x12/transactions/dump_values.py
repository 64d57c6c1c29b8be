"""Segments read straight into canonical models' dumps, no model built (issue 26).

A set read in parts (an 856 item, an 846 line) built each item as its model, then dumped it
twice: as JSON text for its part and in Python mode for the content digest. The readers of
:mod:`.asn856_item_dumps` and :mod:`.inventory846_line_dumps` make the dump itself, with the
steps of the model's reader; this module holds what they share:

- the elements read as :class:`~.common.SegmentAt` reads them (:func:`values_of`, then
  :func:`text_at`, :func:`decimal_at`, :func:`date_at`...), where whatever the reader would
  raise an error for raises :class:`Unsure` instead: the item is then read through its model,
  which raises the error;
- :func:`dumps_as_written`: whether a model's dump is the values given it, in its fields' order
  (no validator, serializer or computed field; the fields left out when empty as the dumps
  leave them out), checked of every model a reader dumps when it is imported;
- :func:`dump_text`: ``model_dump_json`` of the model whose dump is given.

A dump so made is the model's dump because each value is what the model holds once validated:
a text stripped and not empty (``Text`` fields are never given None), a
:class:`~decimal.Decimal` as read (pydantic keeps it), a date, an integer.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Final, TypeVar

import orjson
from pydantic import BaseModel

from gateway.errors import GatewayError

from ..segments import Segment
from ..structure import parse_date, parse_time
from .common import SegmentAt

Dump = dict[str, Any]
"""A model's ``model_dump()`` (Python mode)."""
Values = list[str | None]
"""A segment's elements as :meth:`.common.SegmentAt.text` reads them (stripped, None when
empty), element 01 first."""
T = TypeVar("T")

_NUMBER: Final = re.compile(r"-?(\d+\.?\d*|\.\d+)")
"""As :meth:`.common.SegmentAt.decimal` reads a number."""
REFERENCE: Final = frozenset({1, 2, 3})
"""The elements :func:`.common.parse_reference` reads."""
DATE: Final = frozenset({1, 2, 3})
DATE_D8: Final = frozenset({1, 3, 5, 6})
"""The elements :func:`.common.parse_date_reference` reads (a date in DTM02, or in DTM06)."""
MEASUREMENT: Final = frozenset({1, 2, 3, 4})


class Unsure(GatewayError):
    """The reader would raise an error here, or reads what a dump does not say: the item is
    read through its model (never raised out of the readers of dumps)."""


def dumps_as_written(
    model: type[BaseModel], fields: tuple[tuple[str, bool], ...], validator: str | None = None
) -> bool:
    """Whether ``model``'s dump is its fields' values in ``fields``' order, those marked left
    out when empty (None or ``[]``, ``exclude_if``): no serializer or computed field, none
    excluded, and no validator but the model validator named ``validator`` (whose effect the
    reader writes itself; the differential tests hold it so)."""
    decorators = model.__pydantic_decorators__
    if (
        list(decorators.model_validators) != ([validator] if validator else [])
        or decorators.field_validators
        or decorators.field_serializers
        or decorators.model_serializers
        or decorators.root_validators
        or decorators.validators
        or decorators.computed_fields
    ):
        return False
    held = tuple((name, f.exclude_if is not None) for name, f in model.model_fields.items())
    return held == fields and not any(f.exclude for f in model.model_fields.values())


def dump_text(dump: Dump) -> str:
    """``model_dump_json`` of the model whose ``model_dump()`` is ``dump`` (the same compact
    JSON, keys in the fields' order, a decimal as its text, a date in ISO form, an enum as its
    value; tests/unit/x12/test_item_dumps_856.py)."""
    return orjson.dumps(dump, default=_json_value).decode()


def _json_value(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} in a dump")  # pragma: no cover - dates are native


def values_of(at: SegmentAt) -> Values:
    return [e.strip() or None for e in at.segment.elements]


def elements_of(segment: Segment) -> Values:
    """:func:`values_of` a segment."""
    return [e.strip() or None for e in segment.elements]


def holds_only(values: Values, elements: frozenset[int]) -> bool:
    """:func:`.loops.holds_only` without composites."""
    limit = _PREFIXES.get(elements)
    if limit is None:
        last = max(elements, default=0)
        limit = _PREFIXES[elements] = last if elements == frozenset(range(1, last + 1)) else 0
    if limit:  # elements 1 to limit: none after them
        return len(values) <= limit or not any(values[limit:])
    for n, v in enumerate(values, 1):  # noqa: SIM110 - twice as fast as all() of a generator
        if v is not None and n not in elements:
            return False
    return True


_PREFIXES: dict[frozenset[int], int] = {}
"""For each set of elements :func:`holds_only` was asked about, its last element when it is
every element from 1 to that one (else 0)."""


def padded(values: Values, length: int) -> Values:
    """``values`` at least ``length`` long (None after its last element): element n is then
    ``values[n - 1]``, for n up to ``length``."""
    short = length - len(values)
    return values + [None] * short if short > 0 else values


def text_at(values: Values, n: int) -> str | None:
    return values[n - 1] if n <= len(values) else None


def decimal_at(values: Values, n: int) -> Decimal | None:
    return decimal_of(values[n - 1] if n <= len(values) else None)


def decimal_of(text: str | None) -> Decimal | None:
    """An element's value as :meth:`.common.SegmentAt.decimal` reads it."""
    if text is None:
        return None
    if not text.isdecimal() and not _NUMBER.fullmatch(text):  # isdecimal: \d+ of _NUMBER
        raise Unsure
    return Decimal(text)


def integer_at(values: Values, n: int) -> int | None:
    return integer_of(values[n - 1] if n <= len(values) else None)


def integer_of(text: str | None) -> int | None:
    """An element's value as :meth:`.common.SegmentAt.integer` reads it."""
    value = decimal_of(text)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise Unsure
    return int(value)


def date_at(values: Values, n: int) -> dt.date | None:
    text = values[n - 1] if n <= len(values) else None
    if text is None:
        return None
    day = parse_date(text)
    if day is None:
        raise Unsure
    return day


def time_at(values: Values, n: int) -> str | None:
    text = values[n - 1] if n <= len(values) else None
    if text is None:
        return None
    if not text.isdigit() or not 4 <= len(text) <= 8 or parse_time(text) is None:
        raise Unsure
    return text


def need(value: T | None) -> T:
    """:meth:`.common.SegmentAt.need`: a value missing is the model reader's error."""
    if value is None:
        raise Unsure
    return value


def reference_dump(values: Values) -> Dump:
    """:func:`.common.parse_reference` (taken when it holds only :data:`REFERENCE`)."""
    return {
        "qualifier": need(text_at(values, 1)),
        "value": text_at(values, 2),
        "description": text_at(values, 3),
    }


def date_reference_dump(values: Values) -> Dump:
    """:func:`.common.parse_date_reference` (taken when it holds only :func:`date_held`)."""
    day = date_at(values, 2)
    if day is None and text_at(values, 5) == "D8":
        day = date_at(values, 6)
    return {"qualifier": need(text_at(values, 1)), "date": need(day), "time": time_at(values, 3)}


def date_held(values: Values) -> frozenset[int]:
    """The elements a DTM read by :func:`date_reference_dump` is taken holding no more than."""
    return DATE if date_at(values, 2) is not None else DATE_D8


def measurement_dump(segment: Segment) -> Dump | None:
    """:func:`.commercial.parse_measurement` (None: the MEA says more; it is not taken)."""
    values = elements_of(segment)
    if not holds_only(values, MEASUREMENT):
        return None
    components = segment.components(4)
    if any(c.strip() for c in components[1:]):
        return None
    return {
        "reference_code": text_at(values, 1),
        "qualifier": text_at(values, 2),
        "value": decimal_at(values, 3),
        "unit": components[0].strip() or None,
    }


def item_ids(lin: Values, refused: frozenset[str] = frozenset()) -> Dump:
    """The dump of :func:`.item_ids.parse_item_ids` from a LIN's elements (LIN02 on, in pairs):
    the ids :data:`~.item_ids.NAMED_ITEM_IDS` names (the first of each), the others as qualifier
    and value; :class:`Unsure` at a qualifier of ``refused`` (one its model's reader names)."""
    bp = vn = up = uk = None  # the first of each id NAMED_ITEM_IDS names
    others: list[Dump] = []
    for at in range(1, len(lin) - 1, 2):  # LIN02 (element 2) at 1, LIN03 after it
        qualifier, value = lin[at], lin[at + 1]
        if qualifier is None or value is None:
            continue
        if qualifier in refused:
            raise Unsure
        if qualifier == "VN" and vn is None:
            vn = value
        elif qualifier == "UP" and up is None:
            up = value
        elif qualifier == "BP" and bp is None:
            bp = value
        elif qualifier == "UK" and uk is None:
            uk = value
        else:
            others.append({"qualifier": qualifier, "value": value})
    return {
        "buyer_item_number": bp,
        "vendor_item_number": vn,
        "upc": up,
        "gtin": uk,
        "other_ids": others,
    }

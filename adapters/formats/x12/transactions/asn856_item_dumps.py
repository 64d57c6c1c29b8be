"""An 856 item level read straight into its canonical dump, no model built (issue 26).

:func:`.asn856_items.read_item` builds a :class:`~gateway.messages.ShippedItem` (and its item
ids, references, dates... each a model); a set read in parts then dumps it twice, as JSON text
for its part and in Python mode for the content digest. Most of a huge 856's time went there.
:func:`item_dump` reads the same level into what ``read_item(...).model_dump()`` is, with the
same steps, and :func:`dump_text` writes what ``model_dump_json`` writes. That is the model's
dump because every value is already what the model holds once validated (a text stripped and
not empty, a :class:`~decimal.Decimal` as read, a date, an integer) and the models have no
validator, serializer or computed field, which :data:`DUMPS_MODELS` checks of each model's
fields as this module writes them when it is imported (else the fast path is off).

What it cannot vouch for it leaves to ``read_item`` (:func:`item_dump` is None): any error
``read_item`` raises (a missing SN1, a number or date that is none), and product ids schema 2.0
read otherwise (IN, LT, SN: :func:`~gateway.messages.blocks.keep_other_ids_2_0`). It takes
(:meth:`~.common.SegmentAt.take`) the segments ``read_item`` takes, and only once it vouches.
:class:`PackDump` and :func:`tare_dump` are a pack's and a tare's dumps around item dumps.
tests/unit/x12/test_item_dumps_856.py holds them equal to the models' over the corpus and
generated sets.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import orjson
from pydantic import BaseModel

from gateway.messages import (
    DateReference,
    ItemId,
    ItemIdentification,
    Pack,
    Reference,
    ShippedItem,
    Tare,
    Weight,
)
from gateway.messages.blocks import ItemDescription, Measurement
from gateway.messages.orders import PackSize

from ..structure import parse_date, parse_time
from .common import SegmentAt

Dump = dict[str, Any]
"""A model's ``model_dump()`` (Python mode)."""

_NUMBER: Final = re.compile(r"-?(\d+\.?\d*|\.\d+)")
"""As :meth:`.common.SegmentAt.decimal` reads a number."""
_SECOND_IDS: Final = frozenset({"IN", "LT", "SN"})
"""Product id qualifiers read into fields with 2.0's ids kept aside: left to ``read_item``."""
_NAMED: Final = {"BP": "buyer_item_number", "VN": "vendor_item_number", "UP": "upc", "UK": "gtin"}
_ELEMENTS_SN1: Final = frozenset(range(1, 7))
_ELEMENTS_LIN: Final = frozenset(range(1, 32))
_ELEMENTS_PID_F: Final = frozenset({1, 5})
_ELEMENTS_PID: Final = frozenset(range(1, 10))
_ELEMENTS_PO4: Final = frozenset(range(1, 15))
_ELEMENTS_MEA: Final = frozenset({1, 2, 3, 4})
_ELEMENTS_REF: Final = frozenset({1, 2, 3})
_ELEMENTS_DTM_DAY: Final = frozenset({1, 2, 3})
_ELEMENTS_DTM_D8: Final = frozenset({1, 3, 5, 6})

DUMPS_MODELS: Final[dict[type[BaseModel], tuple[tuple[str, bool], ...]]] = {
    ShippedItem: (
        ("line_number", False),
        ("item", False),
        ("quantity_shipped", False),
        ("unit_of_measure", False),
        ("quantity_ordered", False),
        ("quantity_shipped_to_date", True),
        ("ordered_unit_of_measure", False),
        ("description", False),
        ("descriptions", True),
        ("packaging", True),
        ("measurements", True),
        ("lot_number", True),
        ("serial_numbers", True),
        ("expiration_date", True),
        ("references", True),
        ("dates", True),
    ),
    ItemIdentification: (
        ("buyer_item_number", False),
        ("vendor_item_number", False),
        ("upc", False),
        ("gtin", False),
        ("buyer_item_id", True),
        ("other_ids", False),
    ),
    ItemId: (("qualifier", False), ("value", False)),
    ItemDescription: tuple(
        (name, False)
        for name in (
            "type",
            "characteristic_code",
            "agency",
            "code",
            "text",
            "surface_code",
            "source_subqualifier",
            "yes_no",
            "language",
        )
    ),
    PackSize: tuple(
        (name, False)
        for name in (
            "pack",
            "size",
            "unit_of_measure",
            "packaging_code",
            "weight_qualifier",
            "gross_weight",
            "weight_unit",
            "gross_volume",
            "volume_unit",
            "length",
            "width",
            "height",
            "dimension_unit",
            "inner_pack",
        )
    ),
    Measurement: (
        ("reference_code", False),
        ("qualifier", False),
        ("value", False),
        ("unit", False),
    ),
    Reference: (("qualifier", False), ("value", False), ("description", False)),
    DateReference: (("qualifier", False), ("date", False), ("time", False)),
    Pack: (("sscc", False), ("tracking_number", False), ("weight", False), ("items", False)),
    Tare: (("sscc", False), ("packs", False)),
}
"""The models this module dumps: their fields in order, and whether each is left out of the
dump when empty (``exclude_if``); the dumps below are written so."""


def dumps_as_written(model: type[BaseModel], fields: tuple[tuple[str, bool], ...]) -> bool:
    """Whether ``model``'s dump is its fields' values in ``fields``' order, those marked left
    out when empty (None or ``[]``): no validator, serializer or computed field, none excluded."""
    decorators = model.__pydantic_decorators__
    if (
        decorators.model_validators
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


FAST: Final = all(dumps_as_written(model, fields) for model, fields in DUMPS_MODELS.items())
"""Whether :func:`item_dump` may be used (the models are as this module writes them)."""


def dump_text(dump: Dump) -> str:
    """``model_dump_json`` of the model whose ``model_dump()`` is ``dump`` (the same compact
    JSON, keys in the fields' order, a decimal as its text, a date in ISO form)."""
    return orjson.dumps(dump, default=_json_value).decode()


def _json_value(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} in a dump")  # pragma: no cover - dates are native


class _Unsure(Exception):
    """The level is left to ``read_item`` (never raised out of this module)."""


def _values(at: SegmentAt) -> list[str | None]:
    """Each element as :meth:`.common.SegmentAt.text` reads it (stripped, None when empty)."""
    return [e.strip() or None for e in at.segment.elements]


def _holds_only(values: list[str | None], elements: frozenset[int]) -> bool:
    """:func:`.loops.holds_only` without composites."""
    return all(v is None or n in elements for n, v in enumerate(values, 1))


def _text(values: list[str | None], n: int) -> str | None:
    return values[n - 1] if n <= len(values) else None


def _decimal(values: list[str | None], n: int) -> Decimal | None:
    text = values[n - 1] if n <= len(values) else None
    if text is None:
        return None
    if not _NUMBER.fullmatch(text):
        raise _Unsure
    return Decimal(text)


def _integer(values: list[str | None], n: int) -> int | None:
    value = _decimal(values, n)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise _Unsure
    return int(value)


def _date(values: list[str | None], n: int) -> dt.date | None:
    text = values[n - 1] if n <= len(values) else None
    if text is None:
        return None
    day = parse_date(text)
    if day is None:
        raise _Unsure
    return day


def _time(values: list[str | None], n: int) -> str | None:
    text = values[n - 1] if n <= len(values) else None
    if text is None:
        return None
    if not text.isdigit() or not 4 <= len(text) <= 8 or parse_time(text) is None:
        raise _Unsure
    return text


def _need(value: Any) -> Any:
    if value is None:
        raise _Unsure
    return value


def item_dump(hl: SegmentAt, own: Sequence[SegmentAt]) -> tuple[Dump, list[SegmentAt]] | None:
    """``read_item(hl, own).model_dump()`` and the segments it takes (to be taken by the
    caller), or None when ``read_item`` is to read the level (see the module's docstring)."""
    if not FAST:
        return None
    try:
        return _item_dump(own)
    except _Unsure:
        return None


def _item_dump(own: Sequence[SegmentAt]) -> tuple[Dump, list[SegmentAt]]:
    taken: list[SegmentAt] = []
    sn1 = lin = None
    pids: list[tuple[SegmentAt, list[str | None]]] = []
    po4s: list[tuple[SegmentAt, list[str | None]]] = []
    meas: list[SegmentAt] = []
    refs: list[list[str | None]] = []
    dtms: list[list[str | None]] = []
    for at in own:
        tag = at.segment.tag
        if tag == "SN1":
            if sn1 is None:
                sn1 = _values(at)
                if _holds_only(sn1, _ELEMENTS_SN1):
                    taken.append(at)
        elif tag == "LIN":
            if lin is None:
                lin = _values(at)
                if _holds_only(lin, _ELEMENTS_LIN):
                    taken.append(at)
        elif tag == "PID":
            pids.append((at, _values(at)))
        elif tag == "PO4":
            po4s.append((at, _values(at)))
        elif tag == "MEA":
            meas.append(at)
        elif tag == "REF":
            values = _values(at)
            if _holds_only(values, _ELEMENTS_REF):
                taken.append(at)
            refs.append(values)
        elif tag == "DTM":
            values = _values(at)
            dtms.append(values)
            day = _date(values, 2)
            if _holds_only(values, _ELEMENTS_DTM_DAY if day is not None else _ELEMENTS_DTM_D8):
                taken.append(at)
    if sn1 is None:
        raise _Unsure
    description, descriptions = _descriptions(pids, taken)
    packaging = [_pack_size(values) for at, values in po4s if _holds_only(values, _ELEMENTS_PO4)]
    taken += [at for at, values in po4s if _holds_only(values, _ELEMENTS_PO4)]
    measurements = []
    for at in meas:
        measurement = _measurement(at)
        if measurement is not None:
            taken.append(at)
            measurements.append(measurement)
    item = _ids(lin) if lin is not None else _NO_IDS
    references = [
        {"qualifier": _need(_text(v, 1)), "value": _text(v, 2), "description": _text(v, 3)}
        for v in refs
    ]
    lot = next((r for r in references if r["qualifier"] == "LT" and r["value"]), None)
    serials = [r for r in references if r["qualifier"] == "SE" and r["value"]]
    dates = [_date_reference(v) for v in dtms]
    expiry = next((d for d in dates if d["qualifier"] == "036" and d["time"] is None), None)
    dump: Dump = {
        "line_number": (_text(lin, 1) if lin is not None else None) or _text(sn1, 1),
        "item": item,
        "quantity_shipped": _need(_decimal(sn1, 2)),
        "unit_of_measure": _need(_text(sn1, 3)),
        "quantity_ordered": _decimal(sn1, 5),
    }
    to_date = _decimal(sn1, 4)
    if to_date is not None:
        dump["quantity_shipped_to_date"] = to_date
    dump["ordered_unit_of_measure"] = _text(sn1, 6)
    dump["description"] = description
    if descriptions:
        dump["descriptions"] = descriptions
    if packaging:
        dump["packaging"] = packaging
    if measurements:
        dump["measurements"] = measurements
    if lot is not None:
        dump["lot_number"] = lot["value"]
    if serials:
        dump["serial_numbers"] = [r["value"] for r in serials]
    if expiry is not None:
        dump["expiration_date"] = expiry["date"]
    kept = [r for r in references if r is not lot and r not in serials]
    if kept:
        dump["references"] = kept
    other_dates = [d for d in dates if d is not expiry]
    if other_dates:
        dump["dates"] = other_dates
    return dump, taken


_NO_IDS: Final[Dump] = {
    "buyer_item_number": None,
    "vendor_item_number": None,
    "upc": None,
    "gtin": None,
    "other_ids": [],
}
"""The dump of ``ItemIdentification()`` (never changed: a dump made of it is written only)."""


def _ids(lin: list[str | None]) -> Dump:
    """:func:`.item_ids.parse_item_ids` from LIN02 with the 2.1 names, none of ``_SECOND_IDS``."""
    named: dict[str, str] = {}
    others: list[Dump] = []
    for element in range(2, len(lin) + 1, 2):
        qualifier, value = _text(lin, element), _text(lin, element + 1)
        if qualifier is None or value is None:
            continue
        if qualifier in _SECOND_IDS:
            raise _Unsure
        if qualifier in _NAMED and qualifier not in named:
            named[qualifier] = value
        else:
            others.append({"qualifier": qualifier, "value": value})
    return {
        "buyer_item_number": named.get("BP"),
        "vendor_item_number": named.get("VN"),
        "upc": named.get("UP"),
        "gtin": named.get("UK"),
        "other_ids": others,
    }


def _descriptions(
    pids: list[tuple[SegmentAt, list[str | None]]], taken: list[SegmentAt]
) -> tuple[str | None, list[Dump]]:
    """:func:`.item_ids.read_descriptions`."""
    first = next((at for at, v in pids if _text(v, 1) == "F" and _text(v, 5)), None)
    description: str | None = None
    descriptions: list[Dump] = []
    for at, v in pids:
        if at is first:
            description = _text(v, 5)
            if _holds_only(v, _ELEMENTS_PID_F):
                taken.append(at)
                continue
        if _holds_only(v, _ELEMENTS_PID):
            taken.append(at)
            descriptions.append(
                {
                    "type": _need(_text(v, 1)),
                    "characteristic_code": _text(v, 2),
                    "agency": _text(v, 3),
                    "code": _text(v, 4),
                    "text": _text(v, 5),
                    "surface_code": _text(v, 6),
                    "source_subqualifier": _text(v, 7),
                    "yes_no": _text(v, 8),
                    "language": _text(v, 9),
                }
            )
    return description, descriptions


def _pack_size(v: list[str | None]) -> Dump:
    """:func:`.commercial.parse_pack_size` of a PO4 holding no more than it reads."""
    return {
        "pack": _integer(v, 1),
        "size": _decimal(v, 2),
        "unit_of_measure": _text(v, 3),
        "packaging_code": _text(v, 4),
        "weight_qualifier": _text(v, 5),
        "gross_weight": _decimal(v, 6),
        "weight_unit": _text(v, 7),
        "gross_volume": _decimal(v, 8),
        "volume_unit": _text(v, 9),
        "length": _decimal(v, 10),
        "width": _decimal(v, 11),
        "height": _decimal(v, 12),
        "dimension_unit": _text(v, 13),
        "inner_pack": _integer(v, 14),
    }


def _measurement(at: SegmentAt) -> Dump | None:
    """:func:`.commercial.parse_measurement` (None: the MEA says more, it is kept)."""
    v = _values(at)
    if not _holds_only(v, _ELEMENTS_MEA):
        return None
    components = at.segment.components(4)
    if any(c.strip() for c in components[1:]):
        return None
    return {
        "reference_code": _text(v, 1),
        "qualifier": _text(v, 2),
        "value": _decimal(v, 3),
        "unit": components[0].strip() or None,
    }


def _date_reference(v: list[str | None]) -> Dump:
    """:func:`.common.parse_date_reference`."""
    day = _date(v, 2)
    if day is None and _text(v, 5) == "D8":
        day = _date(v, 6)
    return {"qualifier": _need(_text(v, 1)), "date": _need(day), "time": _time(v, 3)}


@dataclass(slots=True)
class PackDump:
    """A pack (its MAN and TD1 read by ``asn856._pack``) gathering its items' dumps."""

    sscc: str | None
    tracking_number: str | None
    weight: Weight | None
    items: list[Dump] = field(default_factory=list)

    def dump(self) -> Dump:
        """``Pack(...).model_dump()``."""
        weight = None if self.weight is None else self.weight.model_dump()
        return {
            "sscc": self.sscc,
            "tracking_number": self.tracking_number,
            "weight": weight,
            "items": self.items,
        }


def tare_dump(sscc: str | None, packs: Sequence[PackDump]) -> Dump:
    """``Tare(...).model_dump()``."""
    return {"sscc": sscc, "packs": [p.dump() for p in packs]}

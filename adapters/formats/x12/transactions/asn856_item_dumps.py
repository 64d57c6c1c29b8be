"""An 856 item level read straight into its canonical dump, no model built (issue 26).

:func:`.asn856_items.read_item` builds a :class:`~gateway.messages.ShippedItem` (and its item
ids, references, dates... each a model); a set read in parts then dumps it twice, as JSON text
for its part and in Python mode for the content digest. Most of a huge 856's time went there.
:func:`item_dump` reads the same level into what ``read_item(...).model_dump()`` is, with the
same steps (the elements read by :mod:`.dump_values`, whose docstring says why the dump is the
model's), for the models :data:`DUMPS_MODELS` lists and checks when it is imported (else
:data:`FAST` is False and every item goes through its model).

What it cannot vouch for it leaves to ``read_item`` (:func:`item_dump` is None): any error
``read_item`` raises (a missing SN1, a number or date that is none), and product ids schema 2.0
read otherwise (IN, LT, SN: :func:`~gateway.messages.blocks.keep_other_ids_2_0`). It takes
(:meth:`~.common.SegmentAt.take`) the segments ``read_item`` takes, and only once it vouches;
it reads the segments themselves (an item level is made :class:`~.common.SegmentAt` only when
``read_item`` reads it or for its segments kept unmapped).
:class:`PackDump` and :func:`tare_dump` are a pack's and a tare's dumps around item dumps.
tests/unit/x12/test_item_dumps_856.py holds them equal to the models' (the parts byte for byte)
over the corpus, generated and drawn sets and items of every shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

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

from ..segments import Segment
from .asn856 import HL_LOOPS
from .dump_values import (
    REFERENCE,
    Dump,
    Unsure,
    Values,
    date_held,
    date_reference_dump,
    decimal_of,
    dumps_as_written,
    holds_only,
    integer_of,
    item_ids,
    measurement_dump,
    need,
    padded,
    reference_dump,
    text_at,
)

_SECOND_IDS: Final = frozenset({"IN", "LT", "SN"})
"""Product id qualifiers read into fields with 2.0's ids kept aside: left to ``read_item``."""
_SN1_READ: Final = 6
_LIN_READ: Final = 31
_REF_READ: Final = max(REFERENCE)
_PO4_READ: Final = 14
"""The elements read of each (1 to n): one holding none after them is taken (holds_only)."""
_ELEMENTS_PID: Final = frozenset(range(1, 10))

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


FAST: Final = all(dumps_as_written(model, fields) for model, fields in DUMPS_MODELS.items())
"""Whether :func:`item_dump` may be used (the models are as this module writes them)."""


def item_dump(level: Sequence[Segment]) -> tuple[Dump, list[int]] | None:
    """``read_item(hl, own).model_dump()`` of the item level ``level`` (its segments, its HL
    first; ``own``: those :func:`.loops.walk` over :data:`.asn856.HL_LOOPS` leaves to the
    level) and the indexes in ``level`` of the segments it takes (to be taken by the caller),
    or None when ``read_item`` is to read the level (see the module's docstring)."""
    if not FAST:
        return None
    try:
        return _item_dump(level)
    except Unsure:
        return None


def _item_dump(level: Sequence[Segment]) -> tuple[Dump, list[int]]:
    taken: list[int] = []
    sn1 = lin = None
    pids: list[tuple[int, Values]] = []
    po4s: list[tuple[int, Values]] = []
    meas: list[tuple[int, Segment]] = []
    refs: list[Values] = []
    dtms: list[Values] = []
    loops = HL_LOOPS
    inner: frozenset[str] | None = None  # the inner loop open's tags: not the level's (walk)
    for index, segment in enumerate(level):  # the HL first: none of the tags below
        tag = segment.tag
        if inner is not None:
            if tag in inner:
                continue
            inner = None
        # elements_of and holds_only written out (a few calls less per segment)
        if tag == "SN1":
            if sn1 is None:
                sn1 = [e.strip() or None for e in segment.elements]
                if len(sn1) <= _SN1_READ or not any(sn1[_SN1_READ:]):
                    taken.append(index)
        elif tag == "LIN":
            if lin is None:
                lin = [e.strip() or None for e in segment.elements]
                if len(lin) <= _LIN_READ or not any(lin[_LIN_READ:]):
                    taken.append(index)
        elif tag == "PID":
            pids.append((index, [e.strip() or None for e in segment.elements]))
        elif tag == "PO4":
            po4s.append((index, [e.strip() or None for e in segment.elements]))
        elif tag == "MEA":
            meas.append((index, segment))
        elif tag == "REF":
            values = [e.strip() or None for e in segment.elements]
            if len(values) <= _REF_READ or not any(values[_REF_READ:]):
                taken.append(index)
            refs.append(values)
        elif tag == "DTM":
            values = [e.strip() or None for e in segment.elements]
            dtms.append(values)
            if holds_only(values, date_held(values)):
                taken.append(index)
        elif tag in loops:
            inner = loops[tag]
    if sn1 is None:
        raise Unsure
    description: str | None = None
    descriptions: list[Dump] = []
    if len(pids) == 1 and _described(pids[0][1]):  # the usual: one PID*F, saying no more
        description = pids[0][1][4]
        taken.append(pids[0][0])
    elif pids:
        description, descriptions = _descriptions(pids, taken)
    packaging = []
    for index, values in po4s:
        if len(values) <= _PO4_READ or not any(values[_PO4_READ:]):  # holds_only
            taken.append(index)
            packaging.append(_pack_size(values))
    measurements = []
    for index, segment in meas:
        measurement = measurement_dump(segment)
        if measurement is not None:
            taken.append(index)
            measurements.append(measurement)
    item = item_ids(lin, _SECOND_IDS) if lin is not None else _NO_IDS
    references = [reference_dump(v) for v in refs] if refs else []
    lot = serials = None
    if references:
        lot = next((r for r in references if r["qualifier"] == "LT" and r["value"]), None)
        serials = [r for r in references if r["qualifier"] == "SE" and r["value"]]
    dates = [date_reference_dump(v) for v in dtms] if dtms else []
    expiry = None
    if dates:
        expiry = next((d for d in dates if d["qualifier"] == "036" and d["time"] is None), None)
    if len(sn1) < _SN1_READ:
        sn1 += [None] * (_SN1_READ - len(sn1))  # padded
    ordered, to_date = sn1[4], sn1[3]
    dump: Dump = {
        "line_number": (lin[0] if lin else None) or sn1[0],
        "item": item,
        "quantity_shipped": need(decimal_of(sn1[1])),
        "unit_of_measure": need(sn1[2]),
        "quantity_ordered": None if ordered is None else decimal_of(ordered),
    }
    if to_date is not None:
        dump["quantity_shipped_to_date"] = decimal_of(to_date)
    dump["ordered_unit_of_measure"] = sn1[5]
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
    if references:
        kept = [r for r in references if r is not lot and r not in (serials or ())]
        if kept:
            dump["references"] = kept
    if dates:
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


def _descriptions(
    pids: list[tuple[int, Values]], taken: list[int]
) -> tuple[str | None, list[Dump]]:
    """:func:`.item_ids.read_descriptions`."""
    first = None
    for n, v in pids:
        if len(v) >= 5 and v[0] == "F" and v[4]:  # PID01 F, PID05 some text
            first = n
            break
    description: str | None = None
    descriptions: list[Dump] = []
    for n, v in pids:
        if n == first:
            description = v[4]
            if not any(v[1:4]) and not any(v[5:]):  # it holds PID01 and PID05 only
                taken.append(n)
                continue
        if holds_only(v, _ELEMENTS_PID):
            taken.append(n)
            descriptions.append(
                {
                    "type": need(text_at(v, 1)),
                    "characteristic_code": text_at(v, 2),
                    "agency": text_at(v, 3),
                    "code": text_at(v, 4),
                    "text": text_at(v, 5),
                    "surface_code": text_at(v, 6),
                    "source_subqualifier": text_at(v, 7),
                    "yes_no": text_at(v, 8),
                    "language": text_at(v, 9),
                }
            )
    return description, descriptions


def _described(v: Values) -> bool:
    """Whether a PID is a PID*F with its text (PID05) and no other element."""
    return len(v) == 5 and v[0] == "F" and v[4] is not None and not any(v[1:4])


def _pack_size(v: Values) -> Dump:
    """:func:`.commercial.parse_pack_size` of a PO4 holding no more than it reads."""
    v = padded(v, _PO4_READ)
    pack, size, weight, volume = v[0], v[1], v[5], v[7]
    length, width, height, inner = v[9], v[10], v[11], v[13]
    return {  # the empty elements not read as numbers
        "pack": None if pack is None else integer_of(pack),
        "size": None if size is None else decimal_of(size),
        "unit_of_measure": v[2],
        "packaging_code": v[3],
        "weight_qualifier": v[4],
        "gross_weight": None if weight is None else decimal_of(weight),
        "weight_unit": v[6],
        "gross_volume": None if volume is None else decimal_of(volume),
        "volume_unit": v[8],
        "length": None if length is None else decimal_of(length),
        "width": None if width is None else decimal_of(width),
        "height": None if height is None else decimal_of(height),
        "dimension_unit": v[12],
        "inner_pack": None if inner is None else integer_of(inner),
    }


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

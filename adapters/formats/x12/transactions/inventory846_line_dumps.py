"""An 846 LIN loop read straight into its line's canonical dump, no model built (issue 26).

:func:`line_dump` is what ``read_line(loop).model_dump()`` is (:func:`.inventory846.read_line`),
read with the same steps (the elements read by :mod:`.dump_values`, whose docstring says why
the dump is the model's), for the models :data:`DUMPS_MODELS` lists and checks when it is
imported (else :data:`FAST` is False and every line goes through its model). A quantity's
state is what :class:`~gateway.messages.InventoryQuantity`'s validator makes of its qualifier
alone (:data:`~gateway.messages.inventory.QUALIFIER_STATES`).

What it cannot vouch for it leaves to ``read_line`` (:func:`line_dump` is None): any error
``read_line`` raises, and a location's N1 loop with a PER (its contacts). It takes
(:meth:`~.common.SegmentAt.take`) the segments ``read_line`` takes, and only once it vouches.
tests/unit/x12/test_line_dumps_846.py holds the parts so made equal to the models' (byte for
byte) over the corpus, generated sets and lines of every shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from pydantic import BaseModel

from gateway.messages import (
    Address,
    DateReference,
    InventoryLine,
    InventoryQuantity,
    ItemId,
    ItemIdentification,
    Party,
    Reference,
)
from gateway.messages.blocks import Measurement
from gateway.messages.inventory import QUALIFIER_STATES, Lot

from ..segments import Segment
from .dump_values import (
    REFERENCE,
    Dump,
    Unsure,
    Values,
    date_at,
    date_held,
    date_reference_dump,
    decimal_at,
    dumps_as_written,
    elements_of,
    holds_only,
    item_ids,
    measurement_dump,
    need,
    reference_dump,
    text_at,
)
from .inventory846 import EXPIRY, LINE_LOOPS, QTY_MEMBERS

_LOT: Final = frozenset({1, 2})
_UNIT: Final = frozenset({1})
"""UIT01 (its first component)."""
_PID_F: Final = frozenset({1, 5})
_N1: Final = frozenset({1, 2, 3, 4})
_N2_N3: Final = frozenset({1, 2})

DUMPS_MODELS: Final[dict[type[BaseModel], tuple[tuple[tuple[str, bool], ...], str | None]]] = {
    InventoryLine: (
        (
            ("line_number", False),
            ("item", False),
            ("description", False),
            ("location", False),
            ("references", False),
            ("dates", False),
            ("measurements", True),
            ("quantities", False),
        ),
        None,
    ),
    InventoryQuantity: (
        (
            ("qualifier", False),
            ("state", False),
            ("quantity", False),
            ("unit_of_measure", False),
            ("lots", False),
            ("serial_numbers", False),
        ),
        "_state_and_qualifier",
    ),
    Lot: ((("number", False), ("expiry_date", False)), None),
    ItemIdentification: (
        (
            ("buyer_item_number", False),
            ("vendor_item_number", False),
            ("upc", False),
            ("gtin", False),
            ("buyer_item_id", True),
            ("other_ids", False),
        ),
        None,
    ),
    ItemId: ((("qualifier", False), ("value", False)), None),
    Party: (
        (
            ("role", False),
            ("name", False),
            ("id_qualifier", False),
            ("id", False),
            ("additional_names", False),
            ("address", False),
            ("contacts", False),
            ("references", True),
        ),
        None,
    ),
    Address: (
        tuple((name, False) for name in ("lines", "city", "state", "postal_code", "country")),
        None,
    ),
    Reference: ((("qualifier", False), ("value", False), ("description", False)), None),
    DateReference: ((("qualifier", False), ("date", False), ("time", False)), None),
    Measurement: (
        (("reference_code", False), ("qualifier", False), ("value", False), ("unit", False)),
        None,
    ),
}
"""The models this module dumps: their fields in order and whether each is left out when
empty, and the one model validator whose effect it writes itself."""

FAST: Final = all(
    dumps_as_written(model, fields, validator)
    for model, (fields, validator) in DUMPS_MODELS.items()
)
"""Whether :func:`line_dump` may be used (the models are as this module writes them)."""


@dataclass(slots=True)
class _Quantity:
    """:class:`.inventory846._Quantity`: a QTY loop being read, into its dump."""

    qty: int
    """The index of its QTY in the loop."""
    elements: Values
    unit: str
    """QTY03's first component."""
    unit_detail: str | None = None
    frame: list[int] = field(default_factory=list)
    lots: list[Dump] = field(default_factory=list)
    serial_numbers: list[str] = field(default_factory=list)
    lot_open: bool = False

    def dump(self, taken: list[int]) -> Dump:
        taken.append(self.qty)
        if self.lots or self.serial_numbers:
            taken += self.frame
        qualifier = need(text_at(self.elements, 1))
        quantity = need(decimal_at(self.elements, 2))
        return {
            "qualifier": qualifier,
            "state": QUALIFIER_STATES.get(qualifier),
            "quantity": quantity,
            "unit_of_measure": self.unit or self.unit_detail,
            "lots": self.lots,
            "serial_numbers": self.serial_numbers,
        }

    def take(self, index: int, segment: Segment, taken: list[int]) -> None:
        """A segment of this quantity's LS/LE loop."""
        tag = segment.tag
        if tag == "REF":
            self.lot_open = False
            values = elements_of(segment)
            value = text_at(values, 2)
            if not holds_only(values, _LOT) or value is None:
                return
            if text_at(values, 1) == "LT":
                taken.append(index)
                self.lots.append({"number": value, "expiry_date": None})
                self.lot_open = True
            elif text_at(values, 1) == "SE":
                taken.append(index)
                self.serial_numbers.append(value)
        elif tag == "DTM" and self.lot_open:
            values = elements_of(segment)
            if text_at(values, 1) != EXPIRY:
                return
            if holds_only(values, _LOT):
                taken.append(index)
                self.lots[-1] = {**self.lots[-1], "expiry_date": date_at(values, 2)}
            self.lot_open = False


def line_dump(loop: Sequence[Segment]) -> tuple[Dump, list[int]] | None:
    """``read_line(...).model_dump()`` of the LIN loop ``loop`` (its segments, the LIN first)
    and the indexes in ``loop`` of the segments it takes (to be taken by the caller), or None
    when ``read_line`` is to read the loop (see the module's docstring)."""
    if not FAST:
        return None
    try:
        return _line_dump(loop)
    except Unsure:
        return None


def _line_dump(loop: Sequence[Segment]) -> tuple[Dump, list[int]]:
    taken: list[int] = []
    quantities: list[_Quantity] = []
    rest: list[int] = []
    in_qty = in_ls = False
    for index in range(1, len(loop)):
        segment = loop[index]
        tag = segment.tag
        if in_ls:
            if tag == "LE":
                in_ls = False
                quantities[-1].frame.append(index)
            else:
                quantities[-1].take(index, segment, taken)
            continue
        if tag == "QTY":
            unit = segment.components(3)[0].strip()
            quantities.append(_Quantity(index, elements_of(segment), unit))
            in_qty = True
        elif in_qty and tag == "LS":
            in_ls = True
            quantities[-1].frame.append(index)
        elif in_qty and tag in QTY_MEMBERS:
            quantity = quantities[-1]
            if tag == "UIT" and not quantity.unit and quantity.unit_detail is None:
                values = elements_of(segment)
                components = segment.components(1)
                if holds_only(values, _UNIT) and not any(c.strip() for c in components[1:]):
                    taken.append(index)
                    quantity.unit_detail = components[0].strip() or None
        else:
            in_qty = False
            rest.append(index)
    description: str | None = None
    references: list[Dump] = []
    dates: list[Dump] = []
    measurements: list[Dump] = []
    location: list[int] = []
    """The first N1 loop's segments (their indexes)."""
    owner: str | None = None
    for index in rest:  # :func:`.loops.walk` and ``loop_instances`` of ``read_line``
        segment = loop[index]
        tag = segment.tag
        if owner is not None and tag in LINE_LOOPS[owner]:
            pass
        elif tag in LINE_LOOPS:
            owner = tag
            if tag == "N1" and location:
                location.append(-1)  # a second N1 loop: the first one ends
        else:
            owner = None
        if owner == "N1":
            if not location or location[-1] != -1:
                location.append(index)
            continue
        if owner is not None:
            continue
        if tag == "PID" and description is None:
            values = elements_of(segment)
            if text_at(values, 1) == "F" and holds_only(values, _PID_F):
                taken.append(index)
                description = text_at(values, 5)
        elif tag == "REF":
            values = elements_of(segment)
            if holds_only(values, REFERENCE):
                taken.append(index)
            references.append(reference_dump(values))
        elif tag == "DTM":
            values = elements_of(segment)
            if holds_only(values, date_held(values)):
                taken.append(index)
            dates.append(date_reference_dump(values))
        elif tag == "MEA":
            measurement = measurement_dump(segment)
            if measurement is not None:
                taken.append(index)
                measurements.append(measurement)
    taken.append(0)
    lin = elements_of(loop[0])
    first_n1 = [i for i in location if i >= 0]
    dump: Dump = {
        "line_number": text_at(lin, 1),
        "item": item_ids(lin),
        "description": description,
        "location": _party(loop, first_n1, taken) if first_n1 else None,
        "references": references,
        "dates": dates,
    }
    if measurements:
        dump["measurements"] = measurements
    dump["quantities"] = [q.dump(taken) for q in quantities]
    return dump, taken


def _party(loop: Sequence[Segment], indexes: list[int], taken: list[int]) -> Dump:
    """:func:`.common.parse_party` of the N1 loop of ``loop``'s segments at ``indexes`` (the
    N1 first), without a PER."""
    n1 = elements_of(loop[indexes[0]])
    if holds_only(n1, _N1):
        taken.append(indexes[0])
    names: list[str] = []
    lines: list[str] = []
    n4: Values | None = None
    references: list[Dump] = []
    for index in indexes[1:]:
        segment = loop[index]
        tag = segment.tag
        if tag in ("N2", "N3"):
            values = elements_of(segment)
            if holds_only(values, _N2_N3):
                taken.append(index)
            read = [v for v in (text_at(values, 1), text_at(values, 2)) if v]
            if tag == "N2":
                names += read
            else:
                lines += read
        elif tag == "N4" and n4 is None:
            n4 = elements_of(segment)
            if holds_only(n4, _N1):
                taken.append(index)
        elif tag == "PER":
            raise Unsure
        elif tag == "REF":
            values = elements_of(segment)
            if holds_only(values, REFERENCE):
                taken.append(index)
            references.append(reference_dump(values))
    address = None
    if lines or (n4 is not None and any(text_at(n4, n) for n in (1, 2, 3, 4))):
        address = {
            "lines": lines,
            "city": text_at(n4, 1) if n4 else None,
            "state": text_at(n4, 2) if n4 else None,
            "postal_code": text_at(n4, 3) if n4 else None,
            "country": text_at(n4, 4) if n4 else None,
        }
    party: Dump = {
        "role": need(text_at(n1, 1)),
        "name": text_at(n1, 2),
        "id_qualifier": text_at(n1, 3),
        "id": text_at(n1, 4),
        "additional_names": names,
        "address": address,
        "contacts": [],
    }
    if references:
        party["references"] = references
    return party

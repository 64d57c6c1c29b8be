"""856 transport segments, read and written: TD1 (packaging, lading quantity, weight, volume),
TD5 (routing sequence, SCAC, transport method, routing) and TD3 (equipment and seal).

A ship notice holds one of each TD1 and TD5 fact (the first segment that has it, as partners
split them over several segments). A TD1 or TD5 is taken (mapped) only when every element it
carries is one of those facts, as read; one that says more (a second weight, TD103 commodity
codes, a second carrier) stays whole in ``unmapped``, so nothing it says is lost (its facts are
still read when it is the first to have them, as in schema 2.0). A TD3 is an
:class:`~gateway.messages.shipments.Equipment` when it carries no more than TD301-TD303 and TD309.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.messages import Weight
from gateway.messages.shipments import Equipment, Volume

from ..segments import Segment
from .common import SegmentAt, holds_only, seg
from .values import format_decimal, format_integer

TD1_ELEMENTS = frozenset({1, 2, 6, 7, 8, 9, 10})
TD5_ELEMENTS = frozenset({1, 2, 3, 4, 5})
TD3_ELEMENTS = frozenset({1, 2, 3, 9})


@dataclass(frozen=True, slots=True)
class Td1:
    """The TD1 facts of a level."""

    packaging_code: str | None = None
    lading_quantity: int | None = None
    weight: Weight | None = None
    volume: Volume | None = None


def _weight(td1: SegmentAt) -> Weight | None:
    value = td1.decimal(7)
    if value is None:
        return None
    unit = td1.need(td1.text(8), 8, "unit of measure of the weight")
    return Weight(qualifier=td1.text(6), value=value, unit=unit)


def _volume(td1: SegmentAt) -> Volume | None:
    value = td1.decimal(9)
    if value is None:
        return None
    return Volume(value=value, unit=td1.need(td1.text(10), 10, "unit of measure of the volume"))


def read_td1(segments: Sequence[SegmentAt], elements: frozenset[int] = TD1_ELEMENTS) -> Td1:
    """Each fact from the first TD1 that has it; the TD1s saying no more than that are taken.

    ``elements``: those the level maps (a pack maps only the weight, TD106-TD108)."""
    facts = Td1()
    for td1 in segments:
        facts = Td1(
            facts.packaging_code or td1.text(1),
            facts.lading_quantity if facts.lading_quantity is not None else td1.integer(2),
            facts.weight or _weight(td1),
            facts.volume or _volume(td1),
        )
    for td1 in segments:
        weight, volume = _weight(td1), _volume(td1)
        agrees = (
            holds_only(td1, elements)
            and td1.text(1) in (None, facts.packaging_code)
            and td1.integer(2) in (None, facts.lading_quantity)
            and (td1.text(6) is None or weight is not None)
            and weight in (None, facts.weight)
            and volume in (None, facts.volume)
        )
        if agrees:
            td1.take()
    return facts


def render_td1(facts: Td1) -> Segment:
    elements: list[str | None] = [
        facts.packaging_code,
        format_integer(facts.lading_quantity, 7, "TD102"),
        None,
        None,
        None,
    ]
    weight, volume = facts.weight, facts.volume
    elements += (
        [weight.qualifier, format_decimal(weight.value, 10, "TD107"), weight.unit]
        if (weight)
        else [None, None, None]
    )
    if volume:
        elements += [format_decimal(volume.value, 8, "TD109"), volume.unit]
    return seg("TD1", *elements)


@dataclass(frozen=True, slots=True)
class Td5:
    """The TD5 facts of the shipment."""

    routing_sequence_code: str | None = None
    scac: str | None = None
    transport_method: str | None = None
    routing: str | None = None


def _scac(td5: SegmentAt) -> str | None:
    return td5.text(3) if td5.text(2) == "2" else None


def read_td5(segments: Sequence[SegmentAt]) -> Td5:
    """Each fact from the first TD5 that has it; the TD5s saying no more than that are taken."""
    facts = Td5()
    for td5 in segments:
        facts = Td5(
            facts.routing_sequence_code or td5.text(1),
            facts.scac or _scac(td5),
            facts.transport_method or td5.text(4),
            facts.routing or td5.text(5),
        )
    for td5 in segments:
        agrees = (
            holds_only(td5, TD5_ELEMENTS)
            and td5.text(1) in (None, facts.routing_sequence_code)
            and td5.text(2) in (None, "2")
            and (td5.text(2) is None) == (td5.text(3) is None)
            and _scac(td5) in (None, facts.scac)
            and td5.text(4) in (None, facts.transport_method)
            and td5.text(5) in (None, facts.routing)
        )
        if agrees:
            td5.take()
    return facts


def render_td5(facts: Td5) -> list[Segment]:
    """One TD5, or none when the ship notice has no TD5 fact."""
    if not any((facts.routing_sequence_code, facts.scac, facts.transport_method, facts.routing)):
        return []
    qualifier = "2" if facts.scac else None
    return [
        seg(
            "TD5",
            facts.routing_sequence_code,
            qualifier,
            facts.scac,
            facts.transport_method,
            facts.routing,
        )
    ]


def read_td3(s: SegmentAt) -> Equipment | None:
    """The equipment a TD3 names, taken; None (it stays unmapped) when it carries more."""
    if not holds_only(s, TD3_ELEMENTS):
        return None
    s.take()
    return Equipment(
        description_code=s.text(1), initial=s.text(2), number=s.text(3), seal_number=s.text(9)
    )


def render_td3(equipment: Equipment) -> Segment:
    return seg(
        "TD3",
        equipment.description_code,
        equipment.initial,
        equipment.number,
        None,
        None,
        None,
        None,
        None,
        equipment.seal_number,
    )

"""Writing X12: envelopes (ISA/GS/ST/SE/GE/IEA) with computed counts and control numbers.

Transaction-set renderers produce only the body segments (between ST and SE); this module wraps
them. Every element value is checked: a value holding one of the interchange's separators or a
line break cannot be written in X12 (a reader takes a line break for the end of a segment, or
drops it) and raises :class:`~gateway.errors.RenderError`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import RenderError

from .segments import Segment, Separators

VERSION_TO_ISA12 = {"004010": "00401", "005010": "00501"}


def interchange_version_for(group_version: str) -> str:
    """ISA12 for a GS08 version: ``004010...`` -> ``00401``, ``005010...`` -> ``00501``."""
    return VERSION_TO_ISA12.get(group_version[:6], group_version[1:6])


@dataclass(frozen=True, slots=True)
class TransactionContent:
    set_id: str
    body: Sequence[Segment]
    control_number: str | None = None
    """ST02; by default 0001, 0002, ... within the group."""
    implementation_reference: str | None = None
    """ST03 (005010)."""


@dataclass(frozen=True, slots=True)
class GroupContent:
    functional_id: str
    version: str
    """GS08, e.g. 004010 or 005010 (or 004010VICS)."""
    transactions: Sequence[TransactionContent]
    application_sender: str | None = None
    """GS02; by default the interchange sender id."""
    application_receiver: str | None = None
    control_number: int | None = None
    """GS06; by default the next number of the counter."""
    created_at: dt.datetime | None = None
    """GS04/GS05; by default the interchange's date and time."""


@dataclass(frozen=True, slots=True)
class InterchangeSpec:
    """Who sends to whom, in which version and style."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    version: str = "00401"
    """ISA12."""
    usage_indicator: str = "P"
    ack_requested: str = "0"
    separators: Separators = field(default_factory=Separators)
    authorization_qualifier: str = "00"
    authorization: str = ""
    security_qualifier: str = "00"
    security: str = ""

    def sequence(self, level: str) -> str:
        """Name of the control-number sequence for this sender/receiver pair at ``level``."""
        return (
            f"{level}:{self.sender_qualifier}/{self.sender_id.strip()}"
            f">{self.receiver_qualifier}/{self.receiver_id.strip()}"
        )


def composite(*parts: str | None) -> str:
    """A composite element value built from components (trailing empty ones dropped).

    The component separator is not known yet at render time, so ``\\x1f`` (unit separator) stands
    for it and is replaced when the interchange is written.
    """
    values = [p or "" for p in parts]
    while values and values[-1] == "":
        values.pop()
    return COMPONENT_PLACEHOLDER.join(values)


COMPONENT_PLACEHOLDER = "\x1f"


LINE_BREAKS = ("\r", "\n")
"""Never in a value: readers take them for the end of a segment, or drop them."""


def _format(seg: Segment, separators: Separators, reserved: tuple[str, ...] | None = None) -> str:
    """``seg`` as X12 text; ``reserved``: ``separators.used()`` (when the caller has it)."""
    values = seg.elements
    if values and values[-1] == "":  # trailing empty elements are not written
        end = len(values) - 1
        while end and values[end - 1] == "":
            end -= 1
        values = values[:end]
    joined = "".join(values)  # one look for every separator, at every value at once
    for sep in reserved if reserved is not None else separators.used():
        if sep in joined:
            _refuse(seg.tag, values, separators)
    for line_break in LINE_BREAKS:
        if line_break in joined:
            _refuse(seg.tag, values, separators)
    if COMPONENT_PLACEHOLDER in joined:
        values = [value.replace(COMPONENT_PLACEHOLDER, separators.component) for value in values]
    return separators.element.join([seg.tag, *values]) + separators.segment + separators.line_break


def _refuse(tag: str, values: Sequence[str], separators: Separators) -> None:
    """Raise the :class:`RenderError` for the first of ``values`` (elements 01...) that holds
    a separator or a line break. (A separator of more than one character seen across two
    values, in none of them: nothing is raised.)"""
    reserved = separators.used()
    for number, value in enumerate(values, start=1):
        for sep in reserved:
            if sep in value:
                raise RenderError(
                    f"{tag}{number:02d} value {value!r} contains the separator {sep!r}, "
                    "which X12 cannot carry; choose other separators or change the value"
                )
        for line_break in LINE_BREAKS:
            if line_break in value:
                raise RenderError(
                    f"{tag}{number:02d} value {value!r} contains a line break "
                    f"({line_break!r}), which X12 cannot carry; change the value"
                )


def format_segments(segments: Sequence[Segment], separators: Separators) -> str:
    """Segments as X12 text, each followed by the terminator and the line break."""
    reserved = separators.used()
    return "".join([_format(seg, separators, reserved) for seg in segments])


def _fixed(value: str, width: int, what: str) -> str:
    if len(value) > width:
        raise RenderError(f"{what} {value!r} is longer than {width} characters")
    return value.ljust(width)


def effective_separators(spec: InterchangeSpec) -> Separators:
    """The spec's separators, with the repetition separator only where the version has one."""
    seps = spec.separators
    if spec.version < "00402":
        return seps if seps.repetition is None else replace(seps, repetition=None)
    return seps if seps.repetition else replace(seps, repetition="^")


def isa_segment(spec: InterchangeSpec, control_number: int, at: dt.datetime) -> str:
    """The ISA as fixed-width text (106 characters including the terminator)."""
    isa = _isa_of(spec)
    date = f"{at.year % 100:02d}{at.month:02d}{at.day:02d}"  # %y%m%d without strftime's cost
    time, control = f"{at.hour:02d}{at.minute:02d}", f"{control_number:09d}"
    fields = [*isa.head, date, time, *isa.middle, control, *isa.tail]
    if isa.reserved_in_spec or any(sep in date + time + control for sep in isa.reserved):
        for number, value in enumerate(fields[1:16], start=1):  # the one that holds it
            for sep in isa.reserved:
                if sep in value:
                    raise RenderError(f"ISA{number:02d} value {value!r} contains separator {sep!r}")
    return isa.element.join(fields) + isa.end


@dataclass(frozen=True, slots=True)
class _IsaOfSpec:
    """What an ISA takes from its :class:`InterchangeSpec`: all but its date, time and control
    number (:func:`_isa_of`)."""

    head: tuple[str, ...]
    """``ISA`` and ISA01-ISA08."""
    middle: tuple[str, str]
    """ISA11 and ISA12."""
    tail: tuple[str, str, str]
    """ISA14-ISA16."""
    element: str
    end: str
    """The terminator and the line break."""
    reserved: tuple[str, ...]
    reserved_in_spec: bool
    """One of these values (ISA01-ISA08, ISA11, ISA12, ISA14, ISA15) holds a reserved character
    (or two of them do, together)."""


@functools.lru_cache(maxsize=256)
def _isa_of(spec: InterchangeSpec) -> _IsaOfSpec:
    """The fixed part of the ISAs of ``spec``, worked out once (every ack to a partner pair is
    written under an equal spec); a value too long raises, each time."""
    seps = effective_separators(spec)
    head = (
        "ISA",
        _fixed(spec.authorization_qualifier, 2, "ISA01"),
        _fixed(spec.authorization, 10, "ISA02"),
        _fixed(spec.security_qualifier, 2, "ISA03"),
        _fixed(spec.security, 10, "ISA04"),
        _fixed(spec.sender_qualifier, 2, "ISA05"),
        _fixed(spec.sender_id, 15, "ISA06"),
        _fixed(spec.receiver_qualifier, 2, "ISA07"),
        _fixed(spec.receiver_id, 15, "ISA08"),
    )
    middle = (seps.repetition or "U", _fixed(spec.version, 5, "ISA12"))
    tail = (spec.ack_requested, spec.usage_indicator, seps.component)
    reserved = (seps.element, seps.segment, seps.component, *LINE_BREAKS)
    values = "".join((*head[1:], *middle, *tail[:2]))
    return _IsaOfSpec(
        head,
        middle,
        tail,
        seps.element,
        seps.segment + seps.line_break,
        reserved,
        any(sep in values for sep in reserved),
    )


def write_interchange(
    spec: InterchangeSpec,
    groups: Sequence[GroupContent],
    counter: ControlNumberCounter,
    *,
    control_number: int | None = None,
    at: dt.datetime | None = None,
    interchange_segments: Sequence[Segment] = (),
) -> str:
    """One interchange holding ``groups``, as text.

    Control numbers come from ``counter`` unless given; segment and group counts are computed.
    ``interchange_segments`` (TA1s) are written right after the ISA, before the first group.
    """
    seps = effective_separators(spec)
    reserved = seps.used()
    when = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    isa13 = control_number if control_number is not None else counter.next(spec.sequence("ISA"))
    parts = [isa_segment(spec, isa13, when), format_segments(interchange_segments, seps)]
    for group in groups:
        gs06 = group.control_number
        if gs06 is None:
            gs06 = counter.next(spec.sequence(f"GS.{group.functional_id}"))
        created = group.created_at or when
        gs = Segment(
            "GS",
            [
                group.functional_id,
                group.application_sender or spec.sender_id.strip(),
                group.application_receiver or spec.receiver_id.strip(),
                _date(created),
                f"{created.hour:02d}{created.minute:02d}{created.second:02d}"
                if created.second
                else f"{created.hour:02d}{created.minute:02d}",
                str(gs06),
                "X",
                group.version,
            ],
        )
        parts.append(_format(gs, seps, reserved))
        for index, tx in enumerate(group.transactions, start=1):
            st02 = tx.control_number or f"{index:04d}"
            st = Segment("ST", [tx.set_id, st02, tx.implementation_reference or ""])
            parts.append(_format(st, seps, reserved))
            parts += [_format(segment, seps, reserved) for segment in tx.body]
            parts.append(_format(Segment("SE", [str(len(tx.body) + 2), st02]), seps, reserved))
        ge = Segment("GE", [str(len(group.transactions)), str(gs06)])
        parts.append(_format(ge, seps, reserved))
    parts.append(_format(Segment("IEA", [str(len(groups)), f"{isa13:09d}"]), seps, reserved))
    return "".join(parts)


def _date(moment: dt.datetime) -> str:
    """``moment.strftime("%Y%m%d")`` without strftime's cost (it writes a year before 1000
    unpadded: it is kept for one)."""
    if moment.year < 1000:
        return moment.strftime("%Y%m%d")
    return f"{moment.year}{moment.month:02d}{moment.day:02d}"


def renumber_interchange(text: str, separators: Separators, isa13: int, gs06: int) -> str:
    """``text`` (one interchange holding one group, as :func:`write_interchange` writes it with
    ``separators``) with other control numbers: ISA13 and IEA02, GS06 and GE02.

    A document can so be rendered and validated before its numbers are drawn: nothing else in
    it depends on them.
    """
    end = separators.segment + separators.line_break
    segments = text.split(end)
    tags = [segment.split(separators.element, 1)[0] for segment in segments]
    if tags[:2] != ["ISA", "GS"] or tags[-3:] != ["GE", "IEA", ""] or tags.count("GS") != 1:
        raise ValueError("not one interchange holding one group, written with these separators")

    def put(index: int, position: int, value: str) -> None:
        elements = segments[index].split(separators.element)
        elements[position] = value
        segments[index] = separators.element.join(elements)

    put(0, 13, f"{isa13:09d}")
    put(1, 6, str(gs06))
    put(-3, 2, str(gs06))
    put(-2, 2, f"{isa13:09d}")
    return end.join(segments)


_UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9._-]+")


def interchange_file_name(kinds: str, sender_id: str, receiver_id: str, isa13: str | int) -> str:
    """The file name of an interchange the gateway writes: ``<kinds>-<ISA06>-<ISA08>-<ISA13>.x12``
    (``997-GATEWAY-ACME-000000042.x12``), each id trimmed and anything but letters, digits,
    ``.``, ``_`` and ``-`` in it replaced by ``_``. ISA13 counts per sender and receiver, so the
    name is unique until the sequence wraps (or an id comes under two qualifiers, or two ids read
    alike once made safe): the writer (:mod:`gateway.spool`) never lets a file take the place of
    another all the same."""
    parts = [_UNSAFE_IN_NAMES.sub("_", part.strip()) or "_" for part in (sender_id, receiver_id)]
    return f"{kinds}-{parts[0]}-{parts[1]}-{int(isa13):09d}.x12"

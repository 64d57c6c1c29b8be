"""What the 850, 855 and 856 translations share.

Reading. :class:`SegmentAt` is a body segment with its position in the transaction set (ST = 1,
as in 997/999 AK3/IK3); it reads typed values and raises
:class:`~gateway.errors.TranslationError` saying which segment and element could not be mapped.
The loops a translation needs are recovered without a full map (loops.py). Segments the
canonical model has no field for are kept as unmapped (see Lossless).

Mapping. N1 loops <-> :class:`Party`, REF <-> :class:`Reference`, DTM <-> :class:`DateReference`,
PER <-> :class:`Contact`, MSG/MTX/NTE <-> :class:`Note`; product id pairs <->
:class:`ItemIdentification` and PID descriptions in item_ids.py; the commercial segments schema
2.1 added (SAC, TXI, MEA, CTP, PO4, SCH, SDQ, PKG, FOB, AMT, CTT) in commercial.py.

Lossless. Every segment a translation maps to fields that say all it says is *taken*
(:meth:`SegmentAt.take`; the parse_* functions here take what they read); :meth:`Body.unmapped`
keeps every other one, whole and in order, for the message's ``unmapped`` part, so that mapped
plus kept is always every segment read (tests/conformance/test_lossless.py proves it over the
corpus). A segment with an element no field holds (a PER's telex number, an N1's N105) is kept
whole even though its other elements fill fields as before.

Writing: values.py (numbers, dates), re-exported here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from gateway.errors import TranslationError
from gateway.messages import (
    Address,
    Contact,
    DateReference,
    Note,
    Party,
    Reference,
)
from gateway.messages.blocks import UnmappedSegment

from ..findings import quote
from ..segments import Segment
from ..structure import TransactionSet, parse_date, parse_time
from .item_ids import NAMED_ITEM_IDS, parse_item_ids, render_item_ids
from .loops import Walked, holds_only, loop_instances, split_detail, walk
from .values import format_date, format_decimal, format_implied, format_integer, hash_total

__all__ = [
    "NAMED_ITEM_IDS",
    "Walked",
    "format_date",
    "format_decimal",
    "format_implied",
    "format_integer",
    "hash_total",
    "holds_only",
    "loop_instances",
    "parse_item_ids",
    "render_item_ids",
    "split_detail",
    "walk",
]

T = TypeVar("T")

_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)")
"""An X12 numeric value (types R and N): optional minus, digits, optional decimal point."""

NOTE_TAGS: Mapping[str, int] = {"MSG": 1, "MTX": 2, "NTE": 2}
"""Free-form text segments and the element holding their text."""
NOTE_ELEMENTS: Mapping[str, tuple[int, ...]] = {"MSG": (1,), "MTX": (1, 2, 3), "NTE": (1, 2)}
"""The elements a :class:`Note` holds of each."""


# ----------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True, slots=True)
class SegmentAt:
    """A body segment, where it sits, and typed access to its elements."""

    segment: Segment
    position: int
    """Position in the transaction set, ST = 1."""
    transaction: str
    """Which transaction set, e.g. ``850/0001``, for messages."""
    taken: set[int]
    """Positions of the set's segments mapped to a field, shared by the segments of one set."""

    def take(self, held: Iterable[int] | None = None) -> SegmentAt:
        """Mark this segment mapped to a field (it is then not kept as unmapped); itself.

        With ``held``, the elements the fields it is read into hold: a segment carrying any
        other element is not taken, so it is kept whole (its fields are still filled, as
        schema 2.0 read them, and nothing it says is lost)."""
        if held is None or holds_only(
            self, held if isinstance(held, frozenset) else frozenset(held)
        ):
            self.taken.add(self.position)
        return self

    @property
    def tag(self) -> str:
        return self.segment.tag

    def where(self, element: int | None = None) -> str:
        place = f"transaction set {self.transaction}, segment {self.position} ({self.tag})"
        return f"{place}, element {self.tag}{element:02d}" if element else place

    def error(self, message: str, element: int | None = None) -> TranslationError:
        return TranslationError(message, location=self.where(element))

    def need(self, value: T | None, element: int, what: str) -> T:
        """``value``, or a TranslationError saying that ``what`` (the element) is missing."""
        if value is None:
            raise self.error(f"{what} is missing", element)
        return value

    def text(self, element: int) -> str | None:
        return self.segment.value(element)

    def decimal(self, element: int) -> Decimal | None:
        text = self.text(element)
        if text is None:
            return None
        if not _NUMBER.fullmatch(text):
            raise self.error(f"{quote(text)} is not a number", element)
        return Decimal(text)

    def integer(self, element: int) -> int | None:
        value = self.decimal(element)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise self.error(f"{quote(self.text(element))} is not a whole number", element)
        return int(value)

    def date(self, element: int) -> dt.date | None:
        """CCYYMMDD, or YYMMDD as versions before 004010 write it."""
        text = self.text(element)
        if text is None:
            return None
        day = parse_date(text)
        if day is None:
            raise self.error(f"{quote(text)} is not a date (CCYYMMDD)", element)
        return day

    def time(self, element: int) -> str | None:
        """HHMM[SS[d..]] kept as written, after checking that it is a time of day."""
        text = self.text(element)
        if text is None:
            return None
        if not text.isdigit() or not 4 <= len(text) <= 8 or parse_time(text) is None:
            raise self.error(f"{quote(text)} is not a time (HHMM[SS])", element)
        return text


@dataclass(frozen=True, slots=True)
class Body:
    """The segments between ST and SE of one transaction set."""

    transaction: str
    segments: list[SegmentAt]
    taken: set[int]

    def unmapped(self) -> list[UnmappedSegment]:
        """Every segment not taken, in order, as read (composites split into components)."""
        return [
            UnmappedSegment(segment_id=s.tag, position=s.position, elements=_elements(s.segment))
            for s in self.segments
            if s.position not in self.taken
        ]

    def missing(self, tag: str, what: str) -> TranslationError:
        return TranslationError(
            f"the transaction set has no {tag} segment ({what})",
            location=f"transaction set {self.transaction}, segment 2",
        )


def body_of(tx: TransactionSet, set_id: str) -> Body:
    """The body of ``tx``, which must be a ``set_id`` transaction set."""
    label = f"{tx.set_id}/{tx.control_number}"
    if tx.set_id != set_id:
        raise TranslationError(
            f"a {tx.set_id} transaction set is not a {set_id}",
            location=f"transaction set {label}, segment 1 (ST), element ST01",
        )
    taken: set[int] = set()
    segments = [SegmentAt(seg, n, label, taken) for n, seg in enumerate(tx.body, start=2)]
    return Body(label, segments, taken)


def _elements(segment: Segment) -> list[str | list[str]]:
    elements = list(segment.elements)
    while elements and elements[-1] == "":
        elements.pop()
    component = segment.separators.component
    return [e.split(component) if component and component in e else e for e in elements]


# ----------------------------------------------------------------------------------------------
# Shared segments, both ways


def seg(tag: str, *elements: str | None) -> Segment:
    """A segment to write; None stands for an empty element."""
    return Segment(tag, [e or "" for e in elements])


def parse_reference(s: SegmentAt) -> Reference:
    s.take((1, 2, 3))
    return Reference(
        qualifier=s.need(s.text(1), 1, "reference identification qualifier"),
        value=s.text(2),
        description=s.text(3),
    )


def render_reference(reference: Reference) -> Segment:
    return seg("REF", reference.qualifier, reference.value, reference.description)


def parse_date_reference(s: SegmentAt) -> DateReference:
    """DTM: qualifier, date (DTM02, or DTM06 when DTM05 says D8) and time."""
    day = s.date(2)
    s.take((1, 2, 3) if day is not None else (1, 3, 5, 6))
    if day is None and s.text(5) == "D8":
        day = s.date(6)
    return DateReference(
        qualifier=s.need(s.text(1), 1, "date/time qualifier"),
        date=s.need(day, 2, "date"),
        time=s.time(3),
    )


def render_date_reference(date: DateReference) -> Segment:
    return seg("DTM", date.qualifier, format_date(date.date), date.time)


def parse_contact(s: SegmentAt) -> Contact:
    """PER: the first TE number is the phone, the first EM number the email, the first FX the fax,
    wherever they sit."""
    phone = email = fax = None
    held = [1, 2]
    for qualifier_element in (3, 5, 7):
        qualifier, number = s.text(qualifier_element), s.text(qualifier_element + 1)
        if qualifier == "TE" and phone is None:
            phone = number
        elif qualifier == "EM" and email is None:
            email = number
        elif qualifier == "FX" and fax is None:
            fax = number
        else:
            continue
        held += [qualifier_element, qualifier_element + 1]
    s.take(held)
    return Contact(
        function_code=s.need(s.text(1), 1, "contact function code"),
        name=s.text(2),
        phone=phone,
        email=email,
        fax=fax,
    )


def render_contact(contact: Contact) -> Segment:
    elements: list[str | None] = [contact.function_code, contact.name]
    for qualifier, number in (("TE", contact.phone), ("EM", contact.email), ("FX", contact.fax)):
        if number:
            elements += [qualifier, number]
    return seg("PER", *elements)


N1_MEMBERS = frozenset(
    {"N2", "IN2", "N3", "N4", "NX2", "REF", "PER", "SI", "FOB", "TD1", "TD5", "TD3", "TD4", "PKG"}
)
"""Segments of a header N1 loop in 850/855/856, 004010 and 005010."""


def parse_party(loop: Sequence[SegmentAt]) -> Party:
    """An N1 loop (N1 first): N1, N2 names, N3 lines, the first N4, PER contacts, REF."""
    n1 = loop[0].take((1, 2, 3, 4))
    names: list[str] = []
    lines: list[str] = []
    n4: SegmentAt | None = None
    contacts: list[Contact] = []
    references: list[Reference] = []
    for s in loop[1:]:
        if s.tag == "N2":
            names += [v for v in (s.take((1, 2)).text(1), s.text(2)) if v]
        elif s.tag == "N3":
            lines += [v for v in (s.take((1, 2)).text(1), s.text(2)) if v]
        elif s.tag == "N4" and n4 is None:
            n4 = s.take((1, 2, 3, 4))
        elif s.tag == "PER":
            contacts.append(parse_contact(s))
        elif s.tag == "REF":
            references.append(parse_reference(s))
    address = None
    if lines or (n4 is not None and any(n4.text(n) for n in (1, 2, 3, 4))):
        address = Address(
            lines=lines,
            city=n4.text(1) if n4 else None,
            state=n4.text(2) if n4 else None,
            postal_code=n4.text(3) if n4 else None,
            country=n4.text(4) if n4 else None,
        )
    return Party(
        role=n1.need(n1.text(1), 1, "entity identifier code"),
        name=n1.text(2),
        id_qualifier=n1.text(3),
        id=n1.text(4),
        additional_names=names,
        address=address,
        contacts=contacts,
        references=references,
    )


def _two_by_two(values: Sequence[str]) -> list[list[str]]:
    return [list(values[i : i + 2]) for i in range(0, len(values), 2)]


def render_party(party: Party) -> list[Segment]:
    """N1, N2 (two names each), N3 (two lines each), N4, PER."""
    segments = [seg("N1", party.role, party.name, party.id_qualifier, party.id)]
    segments += [seg("N2", *names) for names in _two_by_two(party.additional_names)]
    address = party.address
    if address is not None:
        segments += [seg("N3", *lines) for lines in _two_by_two(address.lines)]
        n4 = (address.city, address.state, address.postal_code, address.country)
        if any(n4):
            segments.append(seg("N4", *n4))
    segments += [render_reference(r) for r in party.references]
    segments += [render_contact(c) for c in party.contacts]
    return segments


def parse_note(s: SegmentAt) -> Note | None:
    """MSG01, NTE02 or MTX02 (MTX03 continues MTX02), with the code of MTX01 or NTE01; None
    when the segment carries no text (it then stays unmapped)."""
    if s.tag == "MTX":
        text = (s.segment.get(2) + s.segment.get(3)).strip()
    else:
        text = s.text(NOTE_TAGS[s.tag]) or ""
    if not text:
        return None
    s.take(NOTE_ELEMENTS[s.tag])
    return Note(text=text, code=s.text(1) if s.tag in ("MTX", "NTE") else None)


NOTES_CONTAINER = ("L1", "NOTES", None)
"""N901-N903 of the N9 the gateway writes to hold header notes (MSG/MTX are only allowed in an
N9 loop): read back, that N9 is the notes' container and nothing more."""


N9_HELD = frozenset({1, 2, 3})


def take_notes_container(s: SegmentAt) -> bool:
    """Whether ``s`` is an N9 holding notes as the gateway writes them; taken if it is."""
    if (s.text(1), s.text(2), s.text(3)) != NOTES_CONTAINER or not holds_only(s, N9_HELD):
        return False
    s.take()
    return True


def is_005010_or_later(version: str) -> bool:
    return version[:6] >= "005010"


def render_note(note: Note, version: str) -> Segment:
    """MSG in 004010 (it became MTX in 005010, whose MTX01 holds the note's code: MSG has no
    element for it, so a note's code is not written in 004010)."""
    if is_005010_or_later(version):
        return seg("MTX", note.code, note.text)
    return seg("MSG", note.text)

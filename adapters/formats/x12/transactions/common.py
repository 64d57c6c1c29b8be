"""What the 850, 855 and 856 translations share.

Reading. :class:`SegmentAt` is a body segment with its position in the transaction set (ST = 1,
as in 997/999 AK3/IK3); it reads typed values and raises
:class:`~gateway.errors.TranslationError` saying which segment and element could not be mapped.
The loops a translation needs are recovered without a full map, from two facts of X12: the detail
loop (PO1, HL) repeats until the summary (CTT), see :func:`split_detail`; and a loop inside it
holds a known set of member segments and ends at the first segment that is not one of them, see
:func:`walk`. Segments the canonical model has no field for are stepped over.

Mapping. N1 loops <-> :class:`Party`, REF <-> :class:`Reference`, DTM <-> :class:`DateReference`,
PER <-> :class:`Contact`, product id pairs <-> :class:`ItemIdentification`, MSG/MTX/NTE <->
:class:`Note`.

Writing. Numbers are written plain (never with an exponent), trailing zeros and the leading zero
of a fraction suppressed, as X12.6 asks for type R; a value with more digits than its element
holds raises :class:`~gateway.errors.RenderError` rather than being rounded. Dates are CCYYMMDD.

(Over 400 lines: the segment readers and writers every transaction module shares, one small
function per segment; split by segment they would be a dozen files of twenty lines.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from gateway.errors import RenderError, TranslationError
from gateway.messages import (
    Address,
    Contact,
    DateReference,
    ItemId,
    ItemIdentification,
    Note,
    Party,
    Reference,
)

from ..findings import quote
from ..segments import Segment
from ..structure import TransactionSet, parse_date, parse_time

T = TypeVar("T")

_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)")
"""An X12 numeric value (types R and N): optional minus, digits, optional decimal point."""

NOTE_TAGS: Mapping[str, int] = {"MSG": 1, "MTX": 2, "NTE": 2}
"""Free-form text segments and the element holding their text."""


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
    return Body(label, [SegmentAt(seg, n, label) for n, seg in enumerate(tx.body, start=2)])


def split_detail(
    segments: Sequence[SegmentAt], starter: str, summary: Iterable[str] = ("CTT",)
) -> tuple[list[SegmentAt], list[list[SegmentAt]], list[SegmentAt]]:
    """Header segments, one list per detail loop (each opened by ``starter``), summary segments.

    A detail loop runs until the next ``starter`` or the first ``summary`` segment, so whatever a
    partner puts inside it stays with it.
    """
    ends = frozenset(summary)
    header: list[SegmentAt] = []
    loops: list[list[SegmentAt]] = []
    tail: list[SegmentAt] = []
    for seg in segments:
        if tail or seg.tag in ends:
            tail.append(seg)
        elif seg.tag == starter:
            loops.append([seg])
        elif loops:
            loops[-1].append(seg)
        else:
            header.append(seg)
    return header, loops, tail


Walked = list[tuple[str | None, SegmentAt]]
"""Segments with the loop that holds them (the tag of its first segment), None at the level read."""


def walk(segments: Iterable[SegmentAt], loops: Mapping[str, frozenset[str]]) -> Walked:
    """Assign each segment to the inner loop holding it, or to the level being read.

    ``loops`` maps each inner loop's first segment to the segments it may contain (nested loops
    flattened). A loop ends at the first segment that is not one of its members.
    """
    owner: str | None = None
    walked: Walked = []
    for seg in segments:
        if owner is not None and seg.tag in loops[owner]:
            pass
        elif seg.tag in loops:
            owner = seg.tag
        else:
            owner = None
        walked.append((owner, seg))
    return walked


def loop_instances(walked: Walked, starter: str) -> list[list[SegmentAt]]:
    """Every instance of the inner loop ``starter``, each a list starting with its first segment."""
    instances: list[list[SegmentAt]] = []
    for owner, seg in walked:
        if owner != starter:
            continue
        if seg.tag == starter:
            instances.append([seg])
        else:
            instances[-1].append(seg)
    return instances


# ----------------------------------------------------------------------------------------------
# Shared segments, both ways


def seg(tag: str, *elements: str | None) -> Segment:
    """A segment to write; None stands for an empty element."""
    return Segment(tag, [e or "" for e in elements])


def parse_reference(s: SegmentAt) -> Reference:
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
    """PER: the first TE number is the phone, the first EM number the email, wherever they sit."""
    phone = email = None
    for qualifier_element in (3, 5, 7):
        qualifier, number = s.text(qualifier_element), s.text(qualifier_element + 1)
        if qualifier == "TE" and phone is None:
            phone = number
        elif qualifier == "EM" and email is None:
            email = number
    return Contact(
        function_code=s.need(s.text(1), 1, "contact function code"),
        name=s.text(2),
        phone=phone,
        email=email,
    )


def render_contact(contact: Contact) -> Segment:
    elements: list[str | None] = [contact.function_code, contact.name]
    for qualifier, number in (("TE", contact.phone), ("EM", contact.email)):
        if number:
            elements += [qualifier, number]
    return seg("PER", *elements)


N1_MEMBERS = frozenset(
    {"N2", "IN2", "N3", "N4", "NX2", "REF", "PER", "SI", "FOB", "TD1", "TD5", "TD3", "TD4", "PKG"}
)
"""Segments of a header N1 loop in 850/855/856, 004010 and 005010."""


def parse_party(loop: Sequence[SegmentAt]) -> Party:
    """An N1 loop (N1 first): N1, N2 names, N3 lines, the first N4, PER contacts."""
    n1 = loop[0]
    names: list[str] = []
    lines: list[str] = []
    n4: SegmentAt | None = None
    contacts: list[Contact] = []
    for s in loop[1:]:
        if s.tag == "N2":
            names += [v for v in (s.text(1), s.text(2)) if v]
        elif s.tag == "N3":
            lines += [v for v in (s.text(1), s.text(2)) if v]
        elif s.tag == "N4" and n4 is None:
            n4 = s
        elif s.tag == "PER":
            contacts.append(parse_contact(s))
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
    segments += [render_contact(c) for c in party.contacts]
    return segments


NAMED_ITEM_IDS: Mapping[str, str] = {
    "BP": "buyer_item_number",
    "VN": "vendor_item_number",
    "UP": "upc",
    "UK": "gtin",
}
"""Product id qualifiers (235) with a field of their own in :class:`ItemIdentification`."""


def parse_item_ids(s: SegmentAt, first: int) -> ItemIdentification:
    """Qualifier/value pairs from element ``first`` on (PO106/PO107..., LIN02/LIN03...).

    The first BP, VN, UP and UK go to their fields; every other pair, a repeated one included,
    goes to ``other_ids`` in document order. A pair missing its qualifier or value is skipped.
    """
    named: dict[str, str] = {}
    others: list[ItemId] = []
    for element in range(first, len(s.segment.elements) + 1, 2):
        qualifier, value = s.text(element), s.text(element + 1)
        if qualifier is None or value is None:
            continue
        if qualifier in NAMED_ITEM_IDS and qualifier not in named:
            named[qualifier] = value
        else:
            others.append(ItemId(qualifier=qualifier, value=value))
    return ItemIdentification(
        buyer_item_number=named.get("BP"),
        vendor_item_number=named.get("VN"),
        upc=named.get("UP"),
        gtin=named.get("UK"),
        other_ids=others,
    )


def render_item_ids(item: ItemIdentification, max_pairs: int, where: str) -> list[str]:
    """The qualifier/value pairs of ``item`` as consecutive element values."""
    pairs = [
        (qualifier, value)
        for qualifier, value in (
            ("BP", item.buyer_item_number),
            ("VN", item.vendor_item_number),
            ("UP", item.upc),
            ("UK", item.gtin),
        )
        if value
    ]
    pairs += [(other.qualifier, other.value) for other in item.other_ids]
    if len(pairs) > max_pairs:
        raise RenderError(f"{where} holds {max_pairs} product ids at most, not {len(pairs)}")
    return [text for pair in pairs for text in pair]


def parse_note(s: SegmentAt) -> Note | None:
    """MSG01, NTE02 or MTX02 (MTX03 continues MTX02); None when the segment carries no text."""
    if s.tag == "MTX":
        text = (s.segment.get(2) + s.segment.get(3)).strip()
    else:
        text = s.text(NOTE_TAGS[s.tag]) or ""
    return Note(text=text) if text else None


def is_005010_or_later(version: str) -> bool:
    return version[:6] >= "005010"


def render_note(note: Note, version: str) -> Segment:
    """MSG in 004010 (it became MTX in 005010)."""
    if is_005010_or_later(version):
        return seg("MTX", None, note.text)
    return seg("MSG", note.text)


# ----------------------------------------------------------------------------------------------
# Values


def format_date(day: dt.date) -> str:
    """CCYYMMDD."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def format_decimal(value: Decimal | None, max_digits: int, element: str) -> str:
    """An R (decimal) element value: plain digits, no exponent, no superfluous zeros.

    ``max_digits`` is the element's maximum length (digits only: sign and decimal point do not
    count). ``""`` for None.
    """
    if value is None:
        return ""
    if not value.is_finite():
        raise RenderError(f"{element} value {value} is not a number")
    if value.is_zero():
        return "0"
    text = format(value.normalize(), "f")
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("-")
    if digits.startswith("0."):
        digits = digits[1:]
    if sum(c.isdigit() for c in digits) > max_digits:
        raise RenderError(f"{element} value {value} has more than {max_digits} digits")
    return sign + digits


def format_integer(value: int | None, max_digits: int, element: str) -> str:
    """An N0 (integer) element value; ``""`` for None."""
    if value is None:
        return ""
    text = str(value)
    if len(text.lstrip("-")) > max_digits:
        raise RenderError(f"{element} value {value} has more than {max_digits} digits")
    return text


def hash_total(values: Iterable[Decimal], max_digits: int = 10) -> str:
    """A CTT02 hash total of quantities, or ``""`` when the sum does not fit the element."""
    try:
        return format_decimal(sum(values, Decimal(0)), max_digits, "CTT02")
    except RenderError:
        return ""

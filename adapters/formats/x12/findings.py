"""Findings: what the reader and validator have to say about a document, for people and for acks.

A finding is never an exception. It says what is wrong, exactly where (file, interchange ISA13,
group GS06, transaction ST02, segment position and id, element), what was expected and what was
found, and which acknowledgement code reports it (TA1 I18, AK9 716, AK5/IK5 718, AK3/IK3 720,
AK4/IK4 723).

A finding quotes little of what it found, whatever the input: at most :data:`QUOTED` characters of
a value (with the value's length), at most :data:`TEXT_LIMIT` of any other text. A 60 MB element
once made every finding about it 120 MB (the value in ``found`` and again in the message), and a
126 MB report.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Final

QUOTED: Final = 100
"""Characters of a value a finding quotes at most, in ``found`` (then ``found_length`` says how
long the value is) and in its message (:func:`quote`). No fewer than the 99 characters of the
bad value an AK404/IK404 copies."""
TEXT_LIMIT: Final = 1000
"""Characters of any other text of a finding at most (its message, what was expected, its
place), cut with the same marker as :func:`quote`'s."""


def quote(value: object, limit: int = QUOTED) -> str:
    """``repr(value)`` for a message; a text longer than ``limit`` as its start and its
    length: ``'XXXX'…(60,000,000 characters)``."""
    if not isinstance(value, str) or len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}{_left_off(len(value))}"


def excerpt(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text``, or when longer than ``limit`` its start and its length:
    ``XXXX…(60,000,000 characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{_left_off(len(text))}"


def _left_off(length: int) -> str:
    return f"…({length:,} characters)"


class Severity(StrEnum):
    ERROR = "error"
    """The document (or the part named) cannot be accepted as is."""
    WARNING = "warning"
    """Tolerated: the document is processed, but the partner should hear about it."""


class Level(StrEnum):
    FILE = "file"
    INTERCHANGE = "interchange"
    GROUP = "group"
    TRANSACTION = "transaction"
    SEGMENT = "segment"
    ELEMENT = "element"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    """Stable machine-readable id, e.g. ``envelope.se_count``, ``syntax.element_too_long``."""
    message: str
    """One sentence for a person."""
    level: Level
    severity: Severity = Severity.ERROR
    file: str | None = None
    """Name of the file the finding is about."""
    interchange: str | None = None
    """ISA13 of the interchange concerned."""
    group: str | None = None
    """GS06 of the functional group concerned."""
    transaction: str | None = None
    """ST02 of the transaction set concerned."""
    transaction_set_id: str | None = None
    """ST01, e.g. 850."""
    segment_id: str | None = None
    segment_position: int | None = None
    """Position in the transaction set, ST = 1 (what AK302/IK302 report)."""
    file_position: int | None = None
    """1-based position of the segment in the file."""
    loop_id: str | None = None
    element: str | None = None
    """Element reference designator, e.g. ``BEG03``."""
    element_position: int | None = None
    component_position: int | None = None
    repetition_position: int | None = None
    data_element: str | None = None
    """Data element reference number, e.g. ``324``."""
    expected: str | None = None
    found: str | None = None
    """What was found, its first :data:`QUOTED` characters when it is longer."""
    found_length: int | None = None
    """The length of what was found, when ``found`` holds only its start."""
    ta1_code: str | None = None
    """TA105 interchange note code (I18)."""
    group_code: str | None = None
    """AK905 functional group syntax error code (716)."""
    transaction_code: str | None = None
    """AK502 / IK502 transaction set syntax error code (718)."""
    segment_code: str | None = None
    """AK304 / IK304 segment syntax error code (720)."""
    element_code: str | None = None
    """AK403 / IK403 data element syntax error code (723)."""
    downgraded_by: str | None = None
    """The partner's policy that made this error a warning (its profile key,
    ``x12.validation.sets.850.warn``): the set is accepted, and its 997/999 notes the finding
    (AK5/IK5 ``E``, :mod:`.validation_policy`). None for a finding of its own severity."""

    def __post_init__(self) -> None:
        """Bound what it quotes, whoever made it (see :data:`QUOTED`, :data:`TEXT_LIMIT`)."""
        found = self.found
        if isinstance(found, str) and len(found) > QUOTED:
            object.__setattr__(self, "found", found[:QUOTED])
            if self.found_length is None:
                object.__setattr__(self, "found_length", len(found))
        for name in _TEXTS:
            text = getattr(self, name)
            if isinstance(text, str) and len(text) > TEXT_LIMIT:
                object.__setattr__(self, name, excerpt(text))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def acknowledged(self) -> bool:
        """Whether the 997/999 reports it: an error (the set is rejected) or an error a
        partner's policy downgraded (the set is accepted, errors noted)."""
        return self.is_error or self.downgraded_by is not None

    def where(self) -> str:
        """Where the finding is, from the interchange down, in words."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.interchange is not None:
            parts.append(f"interchange {self.interchange}")
        if self.group is not None:
            parts.append(f"group {self.group}")
        if self.transaction is not None:
            kind = f" ({self.transaction_set_id})" if self.transaction_set_id else ""
            parts.append(f"transaction {self.transaction}{kind}")
        if self.segment_id is not None or self.segment_position is not None:
            seg = f"segment {self.segment_id or '?'}"
            if self.segment_position is not None:
                seg += f" #{self.segment_position} in the transaction"
            if self.file_position is not None:
                seg += f" (#{self.file_position} in the file)"
            parts.append(seg)
        elif self.file_position is not None:
            parts.append(f"segment #{self.file_position} in the file")
        if self.element is not None:
            parts.append(f"element {self.element}")
        return ", ".join(parts) or "file"

    def describe(self) -> str:
        """One line for a person: severity, place, message, expected vs found."""
        said = self.severity.value
        if self.downgraded_by is not None:
            said += f" (downgraded by {self.downgraded_by})"
        text = f"{said}: {self.where()}: {self.message}"
        details = []
        if self.expected is not None:
            details.append(f"expected {self.expected!r}")
        if self.found is not None:
            more = "" if self.found_length is None else _left_off(self.found_length)
            details.append(f"found {self.found!r}{more}")
        if details:
            text += f" ({', '.join(details)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, in declaration order (what ``asdict`` gives, minus Nones)."""
        return {name: value for name in _FIELDS if (value := getattr(self, name)) is not None}


_FIELDS = tuple(f.name for f in fields(Finding))
_TEXTS = (
    "message",
    "expected",
    "file",
    "interchange",
    "group",
    "transaction",
    "transaction_set_id",
    "segment_id",
    "loop_id",
    "element",
    "data_element",
    "downgraded_by",
)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)

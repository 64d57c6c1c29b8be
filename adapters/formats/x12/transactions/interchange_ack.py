"""TA1 Interchange Acknowledgment <-> :class:`InterchangeAck`.

A TA1 is not a transaction set: it is one segment in an interchange envelope, after the ISA and
before any GS (the reader yields it as a :class:`~..structure.TechnicalAck` event)::

    TA1*000000905*240131*1100*A*000~
        TA101 ISA13 acknowledged, TA102 its ISA09 date (YYMMDD), TA103 its ISA10 time (HHMM),
        TA104 A accepted / E accepted with errors noted / R rejected, TA105 note code (I18)
"""

from __future__ import annotations

from typing import Final, Literal, cast

from gateway.errors import TranslationError
from gateway.messages import InterchangeAck

from ..findings import quote
from ..segments import Segment
from ..structure import InterchangeHeader, parse_date

SEGMENT_ID: Final = "TA1"
MESSAGE: Final = InterchangeAck

NO_ERROR: Final = "000"
"""TA105 code for "no error"."""

_STATUSES: Final = ("A", "E", "R")


def parse_ta1(segment: Segment, interchange: InterchangeHeader) -> InterchangeAck:
    """The :class:`InterchangeAck` a received TA1 carries; ``interchange`` is the one holding it.

    A missing TA105 (some partners leave it out on an accepting TA1) is read as ``000``.
    Raises :class:`TranslationError` for a segment that is not a TA1 or an unusable element.
    """
    if segment.tag != SEGMENT_ID:
        raise TranslationError(f"segment {segment.tag!r} is not a TA1")
    control_number = _required(segment, 1)
    date_text = _required(segment, 2)
    date = parse_date(date_text)
    if date is None:
        raise TranslationError(f"{quote(date_text)} is not a date", location="TA102")
    status = _required(segment, 4)
    if status not in _STATUSES:
        raise TranslationError(f"{quote(status)} is not one of A, E, R", location="TA104")
    return InterchangeAck(
        envelope=interchange.envelope(),
        interchange_control_number=control_number,
        interchange_date=date,
        interchange_time=_required(segment, 3),
        status=cast(Literal["A", "E", "R"], status),
        note_code=segment.value(5) or NO_ERROR,
    )


def render_ta1(ack: InterchangeAck) -> Segment:
    """The TA1 segment for ``ack`` (its envelope is written by the interchange around it)."""
    return Segment(
        SEGMENT_ID,
        [
            ack.interchange_control_number,
            ack.interchange_date.strftime("%y%m%d"),
            ack.interchange_time,
            ack.status,
            ack.note_code,
        ],
    )


def _required(segment: Segment, number: int) -> str:
    value = segment.value(number)
    if value is None:
        raise TranslationError("required element is empty", location=f"TA1{number:02d}")
    return value

"""997 Functional Acknowledgment and 999 Implementation Acknowledgment <-> :class:`FunctionalAck`.

One 997/999 transaction set acknowledges one functional group::

    AK1                     the group acknowledged (GS01, GS06, GS08 in a 999)
    AK2                     per transaction set acknowledged (ST01, ST02, ST03 in a 999)
      AK3 / IK3             per segment in error (segment id, position with ST = 1, loop, code)
        AK4 / IK4           per element in error (position[:component[:repetition]], code, copy)
        CTX                 999 context: read over, never written
      AK5 / IK5             the set's status and up to five codes
    AK9                     the group's status, counts and up to five codes

The 997 uses AK3/AK4/AK5, the 999 IK3/IK4/IK5; :func:`parse` accepts either spelling in either
set (partners mix them up) and :func:`render` writes the one that belongs to ``ack.kind``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal, cast, get_args

from gateway.errors import RenderError, TranslationError
from gateway.messages import ElementError, FunctionalAck, SegmentError, TransactionSetAck

from ..envelopes import x12_facts
from ..findings import quote
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent, composite

SET_IDS: Final = ("997", "999")
FUNCTIONAL_ID: Final = "FA"
MESSAGE: Final = FunctionalAck

MAX_CODES: Final = 5
"""AK502-AK506 / IK502-IK506 and AK905-AK909 hold at most five codes each."""

TransactionStatus = Literal["A", "E", "M", "R", "W", "X"]
GroupStatus = Literal["A", "E", "M", "P", "R", "W", "X"]
_TRANSACTION_STATUSES: Final = frozenset(get_args(TransactionStatus))
_GROUP_STATUSES: Final = frozenset(get_args(GroupStatus))

_SEGMENT_TAGS: Final = {"997": ("AK3", "AK4", "AK5"), "999": ("IK3", "IK4", "IK5")}


# ----------------------------------------------------------------------------------------------
# X12 -> canonical


def parse(tx: TransactionSet) -> FunctionalAck:
    """The :class:`FunctionalAck` a received 997 or 999 carries.

    Raises :class:`TranslationError` when the set is not a 997/999, when AK1 or AK9 is missing,
    when a segment appears where it cannot (an AK4 before any AK3, an AK5 before any AK2), when a
    status or a count is not valid, or for a segment a 997/999 does not define.
    """
    kind = tx.set_id
    if kind not in SET_IDS:
        raise TranslationError(f"transaction set {kind!r} is not a 997 or 999")
    return _Parser(tx).parse(cast(Literal["997", "999"], kind))


class _Parser:
    def __init__(self, tx: TransactionSet) -> None:
        self.tx = tx
        self.ak1: Segment | None = None
        self.ak9: Segment | None = None
        self.transactions: list[TransactionSetAck] = []
        # The open AK2 loop, built up until its AK5 closes it.
        self.ak2: Segment | None = None
        self.segment_errors: list[SegmentError] = []
        self.segment: Segment | None = None
        self.elements: list[ElementError] = []

    def parse(self, kind: Literal["997", "999"]) -> FunctionalAck:
        for position, seg in enumerate(self.tx.body, start=2):
            self._segment(seg, position)
        if self.ak2 is not None:
            raise self._error("the last AK2 loop has no AK5/IK5", self.ak2, None)
        if self.ak1 is None:
            raise TranslationError("the acknowledgment has no AK1 segment")
        if self.ak9 is None:
            raise TranslationError("the acknowledgment has no AK9 segment")
        ak1, ak9 = self.ak1, self.ak9
        return FunctionalAck(
            envelope=self.tx.envelope(),
            kind=kind,
            functional_id=_required(ak1, 1),
            group_control_number=_required(ak1, 2),
            group_version=ak1.value(3),
            status=cast(GroupStatus, _code(ak9, 1, _GROUP_STATUSES)),
            transaction_sets_included=_number(ak9, 2),
            transaction_sets_received=_number(ak9, 3),
            transaction_sets_accepted=_number(ak9, 4),
            error_codes=_codes(ak9, 5),
            transactions=self.transactions,
        )

    def _error(self, message: str, seg: Segment, position: int | None) -> TranslationError:
        where = f"{seg.tag} segment #{position}" if position else f"{seg.tag} segment"
        return TranslationError(message, location=f"{where} of the {self.tx.set_id}")

    def _segment(self, seg: Segment, position: int) -> None:
        tag = seg.tag
        if tag == "AK1":
            if self.ak1 is not None:
                raise self._error("a second AK1 segment", seg, position)
            self.ak1 = seg
        elif tag == "AK2":
            if self.ak2 is not None:
                raise self._error("AK2 before the previous AK2 loop's AK5", seg, position)
            self.ak2 = seg
        elif tag in ("AK3", "IK3"):
            if self.ak2 is None:
                raise self._error(f"{tag} outside an AK2 loop", seg, position)
            self._close_segment_error()
            self.segment = seg
        elif tag in ("AK4", "IK4"):
            if self.segment is None:
                raise self._error(f"{tag} without an AK3/IK3 before it", seg, position)
            self.elements.append(self._element_error(seg, position))
        elif tag in ("AK5", "IK5"):
            if self.ak2 is None:
                raise self._error(f"{tag} outside an AK2 loop", seg, position)
            self._close_segment_error()
            self.transactions.append(self._transaction_ack(self.ak2, seg))
            self.ak2, self.segment_errors = None, []
        elif tag == "AK9":
            if self.ak9 is not None:
                raise self._error("a second AK9 segment", seg, position)
            self.ak9 = seg
        elif tag != "CTX":  # 999 context segments are informative only
            raise self._error(f"segment {tag} does not belong in a 997/999", seg, position)

    def _close_segment_error(self) -> None:
        seg = self.segment
        if seg is None:
            return
        self.segment_errors.append(
            SegmentError(
                segment_id=_required(seg, 1),
                position=_number(seg, 2),
                loop_id=seg.value(3),
                error_code=seg.value(4),
                elements=self.elements,
            )
        )
        self.segment, self.elements = None, []

    def _element_error(self, seg: Segment, position: int) -> ElementError:
        parts = [part.strip() for part in seg.components(1)]
        if not parts[0].isdigit() or any(p and not p.isdigit() for p in parts[1:3]):
            raise self._error(
                f"{seg.tag}01 position {quote(seg.get(1))} is not numeric", seg, position
            )
        return ElementError(
            position=int(parts[0]),
            component_position=_optional_int(parts, 1),
            repetition_position=_optional_int(parts, 2),
            reference_number=seg.value(2),
            error_code=_required(seg, 3),
            bad_value=seg.value(4),
        )

    def _transaction_ack(self, ak2: Segment, ak5: Segment) -> TransactionSetAck:
        return TransactionSetAck(
            transaction_set_id=_required(ak2, 1),
            control_number=_required(ak2, 2),
            implementation_reference=ak2.value(3),
            status=cast(TransactionStatus, _code(ak5, 1, _TRANSACTION_STATUSES)),
            error_codes=_codes(ak5, 2),
            segment_errors=self.segment_errors,
        )


def _location(seg: Segment, number: int) -> str:
    return f"{seg.tag}{number:02d}"


def _required(seg: Segment, number: int) -> str:
    value = seg.value(number)
    if value is None:
        raise TranslationError("required element is empty", location=_location(seg, number))
    return value


def _code(seg: Segment, number: int, allowed: frozenset[str]) -> str:
    value = _required(seg, number)
    if value not in allowed:
        raise TranslationError(
            f"{quote(value)} is not one of {', '.join(sorted(allowed))}",
            location=_location(seg, number),
        )
    return value


def _number(seg: Segment, number: int) -> int:
    value = _required(seg, number)
    if not value.isdigit():
        raise TranslationError(f"{quote(value)} is not a number", location=_location(seg, number))
    return int(value)


def _optional_int(parts: list[str], index: int) -> int | None:
    return int(parts[index]) if len(parts) > index and parts[index] else None


def _codes(seg: Segment, first: int) -> list[str]:
    """The non-empty codes from element ``first`` on (at most :data:`MAX_CODES`)."""
    values = (seg.value(n) for n in range(first, first + MAX_CODES))
    return [v for v in values if v is not None]


# ----------------------------------------------------------------------------------------------
# canonical -> X12


def render(
    ack: FunctionalAck,
    *,
    control_number: str | None = None,
    clean: Callable[[str | None], str | None] | None = None,
) -> TransactionContent:
    """The 997/999 body (AK1 to AK9) for ``ack``, ready for :func:`~..writer.write_interchange`.

    ST02 and ST03 come from the ack's envelope (ST02 left to the writer when empty), ST02 from
    ``control_number`` when given. ``clean``: what each AK404/IK404 bad-value copy becomes
    (:func:`render_body`).
    """
    facts = x12_facts(ack.envelope)
    return TransactionContent(
        set_id=ack.kind,
        body=render_body(ack, clean=clean),
        control_number=control_number or facts.transaction_control_number or None,
        implementation_reference=facts.implementation_reference,
    )


def render_body(
    ack: FunctionalAck, *, clean: Callable[[str | None], str | None] | None = None
) -> list[Segment]:
    """The segments between ST and SE of the 997/999 for ``ack``; each AK404/IK404 is
    ``clean`` of the bad-value copy when given (the acks renderer clears them of the outbound
    separators), else the copy as it is."""
    ak3, ak4, ak5 = _SEGMENT_TAGS[ack.kind]
    body = [Segment("AK1", [ack.functional_id, ack.group_control_number, ack.group_version or ""])]
    for tx in ack.transactions:
        body.append(
            Segment(
                "AK2", [tx.transaction_set_id, tx.control_number, tx.implementation_reference or ""]
            )
        )
        for error in tx.segment_errors:
            body.append(
                Segment(
                    ak3,
                    [
                        error.segment_id,
                        str(error.position),
                        error.loop_id or "",
                        error.error_code or "",
                    ],
                )
            )
            body.extend(_element_segment(ak4, element, clean) for element in error.elements)
        body.append(Segment(ak5, [tx.status, *_limited(tx.error_codes, f"{ak5}02")]))
    body.append(
        Segment(
            "AK9",
            [
                ack.status,
                str(ack.transaction_sets_included),
                str(ack.transaction_sets_received),
                str(ack.transaction_sets_accepted),
                *_limited(ack.error_codes, "AK905"),
            ],
        )
    )
    return body


def _element_segment(
    tag: str, element: ElementError, clean: Callable[[str | None], str | None] | None
) -> Segment:
    position = composite(
        str(element.position),
        _text(element.component_position),
        _text(element.repetition_position),
    )
    bad_value = element.bad_value if clean is None else clean(element.bad_value)
    return Segment(
        tag, [position, element.reference_number or "", element.error_code, bad_value or ""]
    )


def _text(number: int | None) -> str | None:
    return None if number is None else str(number)


def _limited(codes: Sequence[str], where: str) -> list[str]:
    if len(codes) > MAX_CODES:
        raise RenderError(f"{where}: at most {MAX_CODES} error codes fit, got {len(codes)}")
    return list(codes)

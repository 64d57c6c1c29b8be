"""Acknowledgements the gateway writes itself: 997, 999 and TA1, built from what the reader found.

The reader's :class:`~.structure.GroupEnd` and :class:`~.structure.InterchangeEnd` events carry
everything an acknowledgement needs. :func:`acks_for` decides what one inbound interchange is
owed (following an :class:`AckPolicy`), :func:`render_acks` writes it as one outbound interchange.

Choices made here, so that partners get the same answer every time:

- **Which functional ack.** ``auto``: a 997 for groups before 005010 (GS08 ``004010``,
  ``004010VICS``, ``003040``...), a 999 from 005010 on. Groups of acknowledgements (GS01 ``FA``)
  are never acknowledged, nor are groups without a GS01 or GS06 (an AK1 cannot name them; their
  findings say what is wrong).
- **Every transaction set gets its AK2 loop**, accepted ones included (with ``AK5*A``): partners
  reconcile per set, and an AK2 per set is what most of them expect. Sets without an ST01 or ST02
  cannot be named in an AK2; they count as received and not accepted.
- **Statuses.** A set with an error finding is rejected (AK501 ``R``). Warnings never reach the
  partner (the reader keeps only errors in a :class:`~.structure.TransactionSummary`), except
  errors the partner's policy downgraded (:mod:`.validation_policy`): a set with those and no
  error is accepted with errors noted (AK501 ``E``), and they are reported as errors are (codes,
  AK3/AK4). The group (AK901) is ``A`` when every set is accepted, ``E`` when every set is and
  some with errors noted, ``P`` when some are, ``R`` when none is, when the group holds no set,
  or when the group itself has an error (GE missing, GE01 or GE02 wrong...), whatever its
  sets' statuses.
- **Counts.** AK902 is GE01 as received; when the GE is missing or GE01 is not a number, it is
  the number of sets actually read. AK903 is the number read, AK904 the number accepted on their
  own syntax.
- **Codes.** AK502-AK506 are the distinct transaction codes (718) of the set's findings, plus
  ``5`` (segments in error) when AK3 loops are present and no finding said so; AK905-AK909 the
  distinct group codes (716) of the group's findings; five at most each, in finding order.
- **AK3/IK3 and AK4/IK4.** One AK3 per segment with segment- or element-level error findings,
  ordered by position (ST = 1), at most :data:`MAX_SEGMENT_ERRORS` per set (X12 sets no limit;
  past a hundred, an ack stops being readable and the first ones say enough). AK304 is the
  segment finding's code, or ``8`` (segment has data element errors) when only elements are in
  error. One AK4 per element error with a code (at most :data:`MAX_ELEMENT_ERRORS`, the AK4/IK4
  maximum use): position, component, repetition (999 only), data element number, code, and a
  copy of the bad value reduced to printable ASCII without separator characters, at most 99
  characters. Loop ids longer than the 4 characters AK303 holds are left out.
- **Implementation codes in a 997.** The ``I`` codes (``I5``, ``I6``...) exist only in the 999.
  In a 997, ``I5`` becomes ``5`` (segments in error) and an element's ``I6`` (code value not
  used in the implementation) becomes ``7`` (invalid code value), and the 005010 element codes
  ``12`` and ``13`` (too many repetitions, components) become ``3`` (too many data elements);
  other ``I`` codes have no 997 counterpart and are left out (an AK4 without its code too).
- **Envelope.** The ack goes back the way the document came: sender and receiver swapped
  (ISA05-08, GS02/GS03), ISA12 and ISA15 as received, ISA14 ``0``, separators as received (unless
  they are unusable: the same twice, alphanumeric, or not ASCII, which no X12 reply can hold).
  GS08 mirrors the inbound GS08 for a 997 (``004010VICS`` stays ``004010VICS``). A 999
  answering a HIPAA group (GS08 ``005010X222A1``...) or a group before 005010 is written under
  its own guide ``005010X231A1`` (GS08 and ST03), as HIPAA requires;
  other 999s mirror GS08 (``005010`` stays ``005010``); AK103 always names the inbound GS08.
  Control numbers come from the :class:`~gateway.control_numbers.ControlNumberCounter` when the
  acks are rendered (the same sequences the writer uses for that partner pair); until then the
  envelopes hold :data:`PENDING`.
- **TA1.** Sent (policy ``on-request-or-error``) when ISA14 is ``1`` or the interchange has an
  error finding with a TA1 code. TA104 is ``R`` when the interchange has any error finding (the
  reader's severity says it cannot be accepted as is), ``E`` when it only has warnings with a TA1
  code, ``A`` otherwise; TA105 is the code of the first such finding, else ``000``. TA102/TA103
  echo ISA09/ISA10; when those are unreadable, the date and time of ``now`` stand in. A TA1 that
  rejects the interchange is its only acknowledgement: none of its transaction sets is accepted
  (the sender must send it again), so no 997/999 speaks for its groups. Likewise the sets of a
  group whose 997/999 rejects it for errors of its own (AK9 ``R``) are not accepted, whatever
  their AK5/IK5 (:func:`~.report.scan`).
- **One outbound interchange per inbound interchange**, never merged: the TA1 (if any) right
  after the ISA, then one FA group per distinct GS08/GS02/GS03, holding the 997/999 sets in the
  order of the inbound groups.

(Over 400 lines: the 997, the 999 and the TA1 are built from the same findings by the same
rules, which read best side by side; split by acknowledgement, each would restate them.)
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import RenderError
from gateway.messages import (
    ElementError,
    Envelope,
    FunctionalAck,
    InterchangeAck,
    SegmentError,
    TransactionSetAck,
    X12Envelope,
)

from .envelopes import group_version, x12_facts
from .findings import Finding, Level
from .segments import Separators
from .structure import (
    GroupEnd,
    InterchangeEnd,
    InterchangeHeader,
    TransactionSummary,
    parse_date,
    parse_time,
)
from .transactions.functional_ack import MAX_CODES, render
from .transactions.interchange_ack import NO_ERROR, render_ta1
from .writer import (
    GroupContent,
    InterchangeSpec,
    effective_separators,
    write_interchange,
)

AckKind = Literal["997", "999"]

MAX_SEGMENT_ERRORS: Final = 100
"""AK3/IK3 loops written per transaction set at most (the first ones, by position)."""
MAX_ELEMENT_ERRORS: Final = 99
"""AK4/IK4 segments per AK3/IK3 loop at most (their maximum use in 997 and 999)."""
MAX_BAD_VALUE: Final = 99
"""AK404/IK404 holds at most 99 characters."""
MAX_LOOP_ID: Final = 4
"""AK303/IK303 holds at most 4 characters."""
PENDING: Final = ""
"""Control number of an ack's own envelope until :func:`render_acks` assigns it."""
IMPLEMENTATION_ACK_GUIDE: Final = "005010X231A1"
"""GS08/ST03 of a 999 answering a HIPAA group (the 999 implementation guide)."""
FUNCTIONAL_ACK_GROUP: Final = "FA"
SEGMENTS_IN_ERROR: Final = "5"
"""AK502 code: one or more segments in error."""
ELEMENTS_IN_ERROR: Final = "8"
"""AK304 code: segment has data element errors."""

_HIPAA_VERSION = re.compile(r"^\d{6}X\d{3}")
_FALLBACK_ISA12 = "00401"


@dataclass(frozen=True, slots=True)
class AckPolicy:
    """Which acknowledgements a partner gets (set per partner profile)."""

    functional: Literal["auto", "997", "999", "none"] = "auto"
    """``auto``: 997 before 005010, 999 from 005010 on."""
    ta1: Literal["on-request-or-error", "always", "never"] = "on-request-or-error"


DEFAULT_POLICY: Final = AckPolicy()


@dataclass(frozen=True, slots=True)
class InterchangeAcks:
    """The acknowledgements owed for one inbound interchange, not yet rendered."""

    inbound: InterchangeHeader
    functional: tuple[FunctionalAck, ...] = ()
    technical: InterchangeAck | None = None

    @property
    def empty(self) -> bool:
        return not self.functional and self.technical is None

    @property
    def rejected(self) -> bool:
        """The TA1 rejects the interchange (TA104 ``R``): nothing in it is to be processed."""
        return self.technical is not None and self.technical.status == "R"


@dataclass(frozen=True, slots=True)
class RenderedAcks:
    """One outbound interchange of acknowledgements, and the acks with their final envelopes."""

    text: str
    interchange_control_number: str
    functional: tuple[FunctionalAck, ...] = ()
    technical: InterchangeAck | None = None


# ----------------------------------------------------------------------------------------------
# Choosing


def functional_ack_kind(group: GroupEnd, policy: AckPolicy = DEFAULT_POLICY) -> AckKind | None:
    """997, 999 or None (no functional ack) for ``group`` under ``policy``."""
    header = group.header
    if policy.functional == "none" or header.functional_id == FUNCTIONAL_ACK_GROUP:
        return None
    if not header.functional_id or not header.control_number:
        return None
    if policy.functional == "auto":
        return kind_for_version(header.version)
    return policy.functional


def kind_for_version(version: str) -> AckKind:
    """997 for a GS08 before 005010 (or unreadable), 999 from 005010 on."""
    release = version.strip()[:6]
    return "999" if release.isdigit() and release >= "005010" else "997"


def acks_for(
    end: InterchangeEnd,
    groups: Iterable[GroupEnd],
    *,
    now: dt.datetime,
    policy: AckPolicy = DEFAULT_POLICY,
) -> InterchangeAcks:
    """What one inbound interchange is owed: a 997/999 per group, perhaps a TA1; only the TA1
    when it rejects the interchange (its groups are not processed, so not acknowledged)."""
    technical = interchange_ack_for(end, now=now, policy=policy)
    if technical is not None and technical.status == "R":
        return InterchangeAcks(end.header, (), technical)
    functional = []
    for group in groups:
        kind = functional_ack_kind(group, policy)
        if kind is not None:
            functional.append(functional_ack_for(group, kind=kind))
    return InterchangeAcks(end.header, tuple(functional), technical)


# ----------------------------------------------------------------------------------------------
# 997 / 999


def functional_ack_for(group: GroupEnd, *, kind: AckKind | None = None) -> FunctionalAck:
    """The 997 or 999 (by GS08 unless ``kind`` says) acknowledging ``group``.

    Raises :class:`RenderError` for a group without GS01 or GS06, which no AK1 can name.
    """
    header = group.header
    if not header.functional_id or not header.control_number:
        raise RenderError("a functional group without GS01 or GS06 cannot be acknowledged")
    kind = kind or kind_for_version(header.version)
    unsafe = group.interchange.separators.used()
    acks = [
        _transaction_ack(summary, kind, unsafe)
        for summary in group.transactions
        if summary.set_id and summary.control_number
    ]
    received = len(group.transactions)
    accepted = sum(1 for summary in group.transactions if summary.accepted)
    group_errors = [f for f in group.findings if f.is_error]
    status: Literal["A", "E", "P", "R"]
    if group_errors or accepted == 0:
        status = "R"
    elif accepted == received:
        noted = any(ack.status == "E" for ack in acks)
        status = "E" if noted else "A"
    else:
        status = "P"
    ack_version = _ack_group_version(kind, header.version)
    return FunctionalAck(
        envelope=_reply_envelope(
            group.interchange,
            application_sender=header.application_receiver,
            application_receiver=header.application_sender,
            version=ack_version,
            implementation_reference=(
                ack_version if kind == "999" and ack_version == IMPLEMENTATION_ACK_GUIDE else None
            ),
        ),
        kind=kind,
        functional_id=header.functional_id,
        group_control_number=header.control_number,
        group_version=(header.version or None) if kind == "999" else None,
        status=status,
        transaction_sets_included=_included(group, received),
        transaction_sets_received=received,
        transaction_sets_accepted=accepted,
        error_codes=_distinct(f.group_code for f in group_errors)[:MAX_CODES],
        transactions=acks,
    )


def _ack_group_version(kind: AckKind, inbound: str) -> str:
    if kind == "997":
        return inbound or "004010"
    release = inbound[:6]
    if _HIPAA_VERSION.match(inbound) or not release.isdigit() or release < "005010":
        return IMPLEMENTATION_ACK_GUIDE
    return inbound


def _included(group: GroupEnd, received: int) -> int:
    """AK902: GE01 as received, or the number of sets read when GE01 is missing or not a number."""
    count = group.trailer.value(1) if group.trailer is not None else None
    return int(count) if count is not None and count.isdigit() else received


_997_EQUIVALENTS: Final = {
    "transaction": {"I5": "5"},
    "element": {"I6": "7", "12": "3", "13": "3"},
}
"""Codes only a 999 knows (``I`` codes; element codes 12 and 13, added in 005010) and their 997
counterparts, by level: too many repetitions or components become too many data elements."""


def _code(code: str | None, kind: AckKind, level: str) -> str | None:
    """``code`` as the ack ``kind`` can carry it (see "Implementation codes in a 997")."""
    if code is None or kind == "999":
        return code
    equivalents = _997_EQUIVALENTS.get(level, {})
    if code in equivalents:
        return equivalents[code]
    return None if code.startswith("I") else code


def _transaction_ack(
    summary: TransactionSummary, kind: AckKind, unsafe: Sequence[str]
) -> TransactionSetAck:
    errors = [f for f in summary.findings if f.acknowledged]  # downgraded ones: noted
    segment_errors = _segment_errors(errors, kind, unsafe)
    codes = _distinct(_code(f.transaction_code, kind, "transaction") for f in errors)
    if segment_errors and SEGMENTS_IN_ERROR not in codes and "I5" not in codes:
        codes.append(SEGMENTS_IN_ERROR)
    rejected = any(f.is_error for f in errors)
    return TransactionSetAck(
        transaction_set_id=summary.set_id,
        control_number=summary.control_number,
        implementation_reference=summary.implementation_reference if kind == "999" else None,
        status="R" if rejected else "E" if errors else "A",
        error_codes=codes[:MAX_CODES],
        segment_errors=segment_errors,
    )


@dataclass(slots=True)
class _SegmentDraft:
    segment_id: str
    position: int
    loop_id: str | None = None
    code: str | None = None
    element_findings: bool = False
    elements: list[ElementError] = field(default_factory=list)


def _segment_errors(
    errors: Sequence[Finding], kind: AckKind, unsafe: Sequence[str]
) -> list[SegmentError]:
    drafts: dict[tuple[int, str], _SegmentDraft] = {}
    for finding in errors:
        if finding.level not in (Level.SEGMENT, Level.ELEMENT):
            continue
        if finding.segment_position is None or not finding.segment_id:
            continue
        key = (finding.segment_position, finding.segment_id)
        draft = drafts.setdefault(key, _SegmentDraft(finding.segment_id, finding.segment_position))
        loop_id = finding.loop_id
        if draft.loop_id is None and loop_id and len(loop_id) <= MAX_LOOP_ID:
            draft.loop_id = loop_id
        if finding.level is Level.ELEMENT or finding.element_code is not None:
            draft.element_findings = True
            element = _element_error(finding, kind, unsafe)
            if element is not None and element not in draft.elements:
                draft.elements.append(element)
        elif draft.code is None:
            draft.code = _code(finding.segment_code, kind, "segment")
    ordered = sorted(drafts.values(), key=lambda d: d.position)[:MAX_SEGMENT_ERRORS]
    return [
        SegmentError(
            segment_id=_scrub(d.segment_id, unsafe) or "?",
            position=d.position,
            loop_id=_scrub(d.loop_id, unsafe),
            error_code=d.code or (ELEMENTS_IN_ERROR if d.element_findings else None),
            elements=d.elements[:MAX_ELEMENT_ERRORS],
        )
        for d in ordered
    ]


def _element_error(finding: Finding, kind: AckKind, unsafe: Sequence[str]) -> ElementError | None:
    """The AK4/IK4 for an element finding; None when it has no element code or position."""
    position = finding.element_position or _element_number(finding.element, finding.segment_id)
    code = _code(finding.element_code, kind, "element")
    if code is None or position is None:
        return None
    return ElementError(
        position=position,
        component_position=finding.component_position,
        repetition_position=finding.repetition_position if kind == "999" else None,
        reference_number=finding.data_element,
        error_code=code,
        bad_value=bad_value_copy(finding.found, unsafe),
    )


_ELEMENT_REFERENCE = re.compile(r"(\d{2})(?:-\d+)?$")


def _element_number(reference: str | None, segment_id: str | None) -> int | None:
    """``BEG03`` -> 3 (``PO101`` -> 1 when the segment is PO1)."""
    if not reference:
        return None
    if segment_id and reference.startswith(segment_id):
        digits = reference[len(segment_id) :][:2]
        if digits.isdigit():
            return int(digits) or None
    match = _ELEMENT_REFERENCE.search(reference)
    if match is None:
        return None
    return int(match.group(1)) or None


def bad_value_copy(value: str | None, unsafe: Sequence[str]) -> str | None:
    """An AK404/IK404 copy of a bad value: printable ASCII, no separator, at most 99 characters."""
    text = _scrub(value, unsafe)
    if text is None:
        return None
    return text[:MAX_BAD_VALUE].strip() or None


def _scrub(value: str | None, unsafe: Sequence[str]) -> str | None:
    if value is None:
        return None
    kept = "".join(ch for ch in value if " " <= ch <= "~" and ch not in unsafe).strip()
    return kept or None


def _distinct(codes: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code and code not in seen:
            seen.append(code)
    return seen


# ----------------------------------------------------------------------------------------------
# TA1


def interchange_ack_for(
    end: InterchangeEnd, *, now: dt.datetime, policy: AckPolicy = DEFAULT_POLICY
) -> InterchangeAck | None:
    """The TA1 for an inbound interchange, or None when none is owed under ``policy``."""
    if policy.ta1 == "never":
        return None
    header = end.header
    errors = [f for f in end.findings if f.is_error]
    coded_errors = [f for f in errors if f.ta1_code]
    noted = [f for f in end.findings if not f.is_error and f.ta1_code]
    requested = header.ack_requested.strip() == "1"
    if policy.ta1 == "on-request-or-error" and not requested and not coded_errors:
        return None
    status: Literal["A", "E", "R"]
    if errors:
        status, note = "R", coded_errors[0].ta1_code if coded_errors else NO_ERROR
    elif noted:
        status, note = "E", noted[0].ta1_code
    else:
        status, note = "A", NO_ERROR
    date = parse_date(header.date.strip()) if len(header.date.strip()) == 6 else None
    time = header.time.strip()
    if not (len(time) == 4 and parse_time(time) is not None):
        time = now.strftime("%H%M")
    return InterchangeAck(
        envelope=_reply_interchange(header),
        interchange_control_number=header.control_number.strip() or "000000000",
        interchange_date=date or now.date(),
        interchange_time=time,
        status=status,
        note_code=note or NO_ERROR,
    )


# ----------------------------------------------------------------------------------------------
# The reply envelope


def _reply_interchange(header: InterchangeHeader) -> Envelope:
    """The envelope of a TA1 to ``header`` (see :func:`_reply_facts`)."""
    return _reply_envelope_of(tuple(_reply_facts(header).items()))


def _reply_facts(header: InterchangeHeader) -> dict[str, str]:
    """The ISA facts of an ack to ``header``: parties swapped, version and usage as received."""
    version = header.version.strip()
    usage = header.usage_indicator.strip()
    return {
        "sender_qualifier": header.receiver_qualifier.strip(),
        "sender_id": header.receiver_id.strip(),
        "receiver_qualifier": header.sender_qualifier.strip(),
        "receiver_id": header.sender_id.strip(),
        "interchange_control_number": PENDING,
        "interchange_version": (
            version if len(version) == 5 and version.isdigit() else _FALLBACK_ISA12
        ),
        "usage_indicator": "T" if usage == "T" else "I" if usage == "I" else "P",
    }


def _reply_envelope(
    header: InterchangeHeader,
    *,
    application_sender: str,
    application_receiver: str,
    version: str,
    implementation_reference: str | None,
) -> Envelope:
    facts = {
        **_reply_facts(header),
        "application_sender": application_sender,
        "application_receiver": application_receiver,
        "group_control_number": PENDING,
        "version": version,
        "transaction_control_number": PENDING,
        "implementation_reference": implementation_reference,
    }
    return _reply_envelope_of(tuple(facts.items()))


@functools.lru_cache(maxsize=1024)
def _reply_envelope_of(facts: tuple[tuple[str, str | None], ...]) -> Envelope:
    """The envelope of an ack with these X12 facts (:class:`X12Envelope` fields, by name), made
    once: every ack to a partner pair has the same (its control numbers are :data:`PENDING`
    until the ack is numbered), and an envelope is immutable. Made anew, it was a third of the
    work of deciding a small interchange's 997."""
    return Envelope.of_x12(X12Envelope(**dict(facts)))


def reply_separators(header: InterchangeHeader) -> Separators:
    """The inbound interchange's separators, or the defaults when they are unusable (the same
    character twice, a letter, a digit, a space, or a character that is not ASCII)."""
    seps = header.separators
    used = seps.used()
    if len(set(used)) != len(used) or any(
        ch.isalnum() or ch == " " or not ch.isascii() for ch in used
    ):
        return Separators(line_break=seps.line_break)
    return seps


def _spec(envelope: Envelope, separators: Separators) -> InterchangeSpec:
    isa = x12_facts(envelope)
    spec = InterchangeSpec(
        sender_qualifier=isa.sender_qualifier,
        sender_id=isa.sender_id,
        receiver_qualifier=isa.receiver_qualifier,
        receiver_id=isa.receiver_id,
        version=isa.interchange_version,
        usage_indicator=isa.usage_indicator,
        ack_requested="0",
        separators=separators,
    )
    seps = effective_separators(spec)
    if seps.repetition is not None and seps.repetition in (
        seps.element,
        seps.component,
        seps.segment,
    ):
        free = next(ch for ch in "^{|!~`" if ch not in seps.used())
        spec = replace(spec, separators=replace(seps, repetition=free))
    return spec


# ----------------------------------------------------------------------------------------------
# Rendering


def render_acks(
    acks: InterchangeAcks,
    counter: ControlNumberCounter,
    *,
    separators: Separators | None = None,
    at: dt.datetime | None = None,
) -> RenderedAcks | None:
    """Write the acks owed for one inbound interchange as one outbound interchange.

    The TA1 goes right after the ISA; the 997/999 sets follow in FA groups. ISA13 and GS06 are
    drawn from ``counter``; ST02 counts 0001, 0002... within each group. ``separators`` default
    to the inbound interchange's. Returns None when nothing is owed. Raises
    :class:`RenderError` when the inbound ids do not fit the ISA (an ISA the reader had to read
    by its separators): the ack could not be addressed; and when its text would hold a byte
    that is not text (the tokenizer never lets one through: this is the last guard).
    """
    layout = _lay_out(acks, counter, separators, at)
    if layout is None:
        return None
    text = _write(acks, layout)
    final: list[FunctionalAck] = []
    for group in layout.groups:
        for index, ack in enumerate(group.members, start=1):
            envelope = ack.envelope.with_x12(
                interchange_control_number=layout.control,
                group_control_number=str(group.content.control_number),
                transaction_control_number=f"{index:04d}",
                created_at=layout.when,
            )
            final.append(_scrubbed(ack, layout.unsafe).model_copy(update={"envelope": envelope}))
    technical = None
    if acks.technical is not None:
        envelope = acks.technical.envelope.with_x12(interchange_control_number=layout.control)
        technical = acks.technical.model_copy(update={"envelope": envelope})
    return RenderedAcks(text, layout.control, tuple(final), technical)


def render_acks_text(
    acks: InterchangeAcks,
    counter: ControlNumberCounter,
    *,
    separators: Separators | None = None,
    at: dt.datetime | None = None,
) -> str | None:
    """:attr:`RenderedAcks.text` of :func:`render_acks` (the same numbers drawn from
    ``counter``, the same errors raised), without the acks' models in their final envelopes:
    a parse sends the text, and a copy of every model of a 997 costs as much as writing it."""
    layout = _lay_out(acks, counter, separators, at)
    return None if layout is None else _write(acks, layout)


@dataclass(frozen=True, slots=True)
class _AckGroup:
    """One FA group of the outbound interchange: its 997/999s, and what it is written as."""

    members: list[FunctionalAck]
    content: GroupContent


@dataclass(frozen=True, slots=True)
class _Layout:
    """The outbound interchange of acks, its numbers drawn and its 997/999s rendered: what the
    text and the final models of :func:`render_acks` are both made from."""

    spec: InterchangeSpec
    unsafe: tuple[str, ...]
    """The outbound separators: no bad-value copy may hold one."""
    when: dt.datetime
    isa13: int
    control: str
    groups: list[_AckGroup]


def _lay_out(
    acks: InterchangeAcks,
    counter: ControlNumberCounter,
    separators: Separators | None,
    at: dt.datetime | None,
) -> _Layout | None:
    """Draw the numbers (ISA13, then each group's GS06) and render each 997/999, in the order
    the renderer always has (a render error stops the draws where it did)."""
    if acks.empty:
        return None
    first = acks.technical.envelope if acks.technical is not None else acks.functional[0].envelope
    spec = _spec(first, separators or reply_separators(acks.inbound))
    unsafe = effective_separators(spec).used()
    when = (at or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
    isa13 = counter.next(spec.sequence("ISA"))

    def clean(value: str | None) -> str | None:
        return bad_value_copy(value, unsafe)

    buckets: dict[tuple[str, str | None, str | None], list[FunctionalAck]] = {}
    for ack in acks.functional:
        env = x12_facts(ack.envelope)
        key = (group_version(ack.envelope), env.application_sender, env.application_receiver)
        buckets.setdefault(key, []).append(ack)
    groups: list[_AckGroup] = []
    for (version, app_sender, app_receiver), members in buckets.items():
        gs06 = counter.next(spec.sequence(f"GS.{FUNCTIONAL_ACK_GROUP}"))
        contents = [
            render(ack, control_number=f"{index:04d}", clean=clean)
            for index, ack in enumerate(members, start=1)
        ]
        content = GroupContent(
            FUNCTIONAL_ACK_GROUP,
            version,
            contents,
            application_sender=app_sender,
            application_receiver=app_receiver,
            control_number=gs06,
            created_at=when,
        )
        groups.append(_AckGroup(members, content))
    return _Layout(spec, unsafe, when, isa13, f"{isa13:09d}", groups)


def _write(acks: InterchangeAcks, layout: _Layout) -> str:
    """The text of the outbound interchange of acks."""
    text = write_interchange(
        layout.spec,
        [group.content for group in layout.groups],
        _NO_DRAWS,
        control_number=layout.isa13,
        at=layout.when,
        interchange_segments=[render_ta1(acks.technical)] if acks.technical else (),
    )
    try:  # no lone surrogate (an undecodable byte) may reach the ledger or the outbox
        text.encode()
    except UnicodeEncodeError as error:
        near = ascii(text[max(error.start - 20, 0) : error.end + 20])
        raise RenderError(f"it would hold a byte that is not text, in {near}") from None
    return text


class _NoDraws:
    """The counter of :func:`_write`: every number is drawn already (:func:`_lay_out`)."""

    def next(self, sequence: str) -> int:
        raise AssertionError(f"{sequence}: the acks' numbers are drawn before they are written")


_NO_DRAWS: Final = _NoDraws()


def _scrubbed(ack: FunctionalAck, unsafe: Sequence[str]) -> FunctionalAck:
    """``ack`` with its bad-value copies cleared of the outbound separators."""

    def element(e: ElementError) -> ElementError:
        clean = bad_value_copy(e.bad_value, unsafe)
        return e if clean == e.bad_value else e.model_copy(update={"bad_value": clean})

    transactions = [
        tx.model_copy(
            update={
                "segment_errors": [
                    s.model_copy(update={"elements": [element(e) for e in s.elements]})
                    for s in tx.segment_errors
                ]
            }
        )
        for tx in ack.transactions
    ]
    return ack.model_copy(update={"transactions": transactions})

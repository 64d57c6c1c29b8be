"""Reading X12: tokens -> envelope structure -> validated transaction sets, as a stream of events.

:func:`read_x12` is the one entry point. It checks the envelopes itself (ISA/IEA, GS/GE, ST/SE
pairing, control numbers, counts, GS01 against ST01, ISA element values), hands each complete
transaction set to the validator, and yields :mod:`.structure` events. Nothing in the input can
make it raise except :class:`~gateway.errors.UnreadableInput` for input that is not X12 at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from .findings import Finding, Level, Severity, quote
from .segments import Segment, shown
from .structure import (
    FUNCTIONAL_IDS,
    Event,
    GroupEnd,
    GroupHeader,
    GroupStart,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    Stray,
    TechnicalAck,
    TransactionSet,
    TransactionSummary,
    parse_date,
    parse_time,
)
from .tokenizer import InterchangeOpening, Irregularity, Tokenizer, open_source
from .validation import TransactionValidator

Source = str | os.PathLike[str] | bytes | BinaryIO

INTERCHANGE_SEGMENTS = frozenset({"ISB", "ISE", "TA3"})
"""Optional interchange service segments allowed between ISA and GS; read and passed over."""
MAX_TRANSACTION_SEGMENTS = 2_000_000
"""A transaction set longer than this is cut off (memory guard); the rest is reported."""


def read_x12(
    source: Source,
    *,
    file_name: str | None = None,
    validator: TransactionValidator | None = None,
    partner: str | None = None,
) -> Iterator[Event]:
    """Stream the events of an X12 file: interchanges, groups, transaction sets, findings.

    ``source`` is a path, the bytes of a file or a binary stream. With a ``validator``, each
    transaction set it supports is validated against its map and carries those findings too.
    ``partner`` (the gateway's name of the sender) goes into every envelope read.
    """
    stream, owned = open_source(source)
    name = file_name or (os.fspath(source) if isinstance(source, str | os.PathLike) else None)
    try:
        yield from _EnvelopeReader(Tokenizer(stream), name, validator, partner).events()
    finally:
        if owned:
            stream.close()


def transactions_in(source: Source, **options: object) -> Iterator[TransactionSet]:
    """Only the transaction sets of :func:`read_x12`."""
    for event in read_x12(source, **options):  # type: ignore[arg-type]
        if isinstance(event, TransactionSet):
            yield event


def _same_number(text: str, expected: int | str) -> bool:
    """Numeric (N0) elements compare by value: ``SE*0000000031`` counts 31 segments."""
    return text.isdigit() and str(expected).isdigit() and int(text) == int(expected)


@dataclass(slots=True)
class _Group:
    header: GroupHeader
    transactions: list[TransactionSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seen_control_numbers: set[str] = field(default_factory=set)


class _EnvelopeReader:
    """The envelope state machine. One instance reads one file."""

    def __init__(
        self,
        tokens: Tokenizer,
        file_name: str | None,
        validator: TransactionValidator | None,
        partner: str | None = None,
    ) -> None:
        self.tokens = tokens
        self.file_name = file_name
        self.validator = validator
        self.partner = partner
        self.interchange: InterchangeHeader | None = None
        self.interchange_findings: list[Finding] = []
        self.group_count = 0
        self.group: _Group | None = None
        self.transaction: list[Segment] | None = None
        self.transaction_findings: list[Finding] = []
        self.stray_transaction = False
        """The open transaction set is outside any group: read to its SE, then dropped."""
        self.seen_interchanges: set[tuple[str, ...]] = set()
        """The interchanges of the file so far: both parties' ids and ISA13."""
        self.seen_groups: set[str] = set()
        """The group control numbers of the open interchange so far."""

    # -- findings ------------------------------------------------------------------------------

    def _finding(self, code: str, message: str, level: Level, **where: object) -> Finding:
        isa = self.interchange
        group = self.group
        context: dict[str, object] = {
            "file": self.file_name,
            "interchange": isa.control_number.strip() if isa else None,
            "group": group.header.control_number.strip() if group else None,
        }
        if level in (Level.TRANSACTION, Level.SEGMENT, Level.ELEMENT) and self.transaction:
            context["transaction"] = self.transaction[0].get(2).strip()
            context["transaction_set_id"] = self.transaction[0].get(1).strip()
        context.update(where)
        return Finding(code=code, message=message, level=level, **context)  # type: ignore[arg-type]

    # -- the stream ----------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        for token in self.tokens:
            if isinstance(token, Segment):
                yield from self._segment(token)
            elif isinstance(token, InterchangeOpening):
                yield from self._close_interchange(None)
                yield from self._open_interchange(token)
            else:
                yield from self._irregularity(token)
        yield from self._close_interchange(None)

    def _irregularity(self, token: Irregularity) -> Iterator[Event]:
        if token.code == "syntax.empty_segment" and self.interchange is not None:
            finding = self._finding(
                token.code,
                token.message,
                Level.TRANSACTION if self.transaction else Level.INTERCHANGE,
                severity=Severity.WARNING,
                file_position=token.position,
            )
            self._add(finding)
            return
        if self.interchange is not None and token.code == "envelope.bad_isa":
            yield from self._close_interchange(None)
        yield Stray(
            [
                Finding(
                    code=token.code,
                    message=token.message,
                    level=Level.FILE,
                    file=self.file_name,
                    file_position=token.position,
                    found=token.found,
                )
            ]
        )

    def _add(self, finding: Finding) -> None:
        """File a finding with the innermost open envelope it belongs to."""
        if finding.level in (Level.TRANSACTION, Level.SEGMENT, Level.ELEMENT) and self.transaction:
            self.transaction_findings.append(finding)
        elif finding.level is not Level.INTERCHANGE and self.group is not None:
            self.group.findings.append(finding)
        else:
            self.interchange_findings.append(finding)

    # -- ISA / IEA -----------------------------------------------------------------------------

    def _open_interchange(self, opening: InterchangeOpening) -> Iterator[Event]:
        isa = opening.isa
        e = isa.get
        header = InterchangeHeader(
            segment=isa,
            separators=opening.separators,
            authorization_qualifier=e(1),
            authorization=e(2),
            security_qualifier=e(3),
            security=e(4),
            sender_qualifier=e(5),
            sender_id=e(6),
            receiver_qualifier=e(7),
            receiver_id=e(8),
            date=e(9),
            time=e(10),
            standards_id=e(11),
            version=e(12),
            control_number=e(13),
            ack_requested=e(14),
            usage_indicator=e(15),
            partner=self.partner,
        )
        self.interchange = header
        self.interchange_findings = []
        self.group_count = 0
        self.seen_groups = set()
        for finding in self._check_isa(header, opening):
            self.interchange_findings.append(finding)
        yield InterchangeStart(header)

    def _check_isa(self, h: InterchangeHeader, opening: InterchangeOpening) -> Iterator[Finding]:
        def bad(element: str, ta1: str, message: str, expected: str, found: str) -> Finding:
            return self._finding(
                "envelope.isa_element",
                message,
                Level.INTERCHANGE,
                segment_id="ISA",
                file_position=h.segment.position,
                element=element,
                expected=expected,
                found=found,
                ta1_code=ta1,
            )

        if not opening.standard_width:
            yield self._finding(
                "envelope.isa_width",
                "the ISA is not the fixed 106 characters the standard requires; "
                "it was read by its separators",
                Level.INTERCHANGE,
                severity=Severity.WARNING,
                segment_id="ISA",
                file_position=h.segment.position,
            )
        seps = h.separators
        yield from self._check_separators(h)
        if len({seps.element, seps.component, seps.segment}) < 3:
            yield bad(
                "ISA16",
                "027",
                "the component separator must differ from the element separator and "
                "the segment terminator",
                "a distinct character",
                shown(seps.component),
            )
        if h.sender_qualifier.strip() == "" or len(h.sender_qualifier) != 2:
            yield bad(
                "ISA05", "005", "invalid sender id qualifier", "2 characters", h.sender_qualifier
            )
        if not h.sender_id.strip():
            yield bad("ISA06", "006", "the sender id is empty", "an id", h.sender_id)
        if h.receiver_qualifier.strip() == "" or len(h.receiver_qualifier) != 2:
            yield bad(
                "ISA07",
                "007",
                "invalid receiver id qualifier",
                "2 characters",
                h.receiver_qualifier,
            )
        if not h.receiver_id.strip():
            yield bad("ISA08", "008", "the receiver id is empty", "an id", h.receiver_id)
        if len(h.date) != 6 or parse_date(h.date) is None:
            yield bad("ISA09", "014", "invalid interchange date", "YYMMDD", h.date)
        if len(h.time) != 4 or parse_time(h.time) is None:
            yield bad("ISA10", "015", "invalid interchange time", "HHMM", h.time)
        version = h.version.strip()
        if not (len(version) == 5 and version.isdigit() and "00200" <= version < "00900"):
            yield bad("ISA12", "017", "unknown interchange version", "e.g. 00401 or 00501", version)
        elif version >= "00402" and seps.repetition is None:
            yield replace(
                bad(
                    "ISA11",
                    "016",
                    f"version {version} has a repetition separator in ISA11; "
                    "none was given, so none is used",
                    "a special character such as ^",
                    h.standards_id,
                ),
                severity=Severity.WARNING,
            )
        elif version < "00402" and h.standards_id != "U":
            yield replace(
                bad("ISA11", "016", "invalid standards identifier", "U", h.standards_id),
                severity=Severity.WARNING,
            )
        control = h.control_number.strip()
        if not (control.isdigit() and len(control) == 9):
            yield bad("ISA13", "018", "invalid interchange control number", "9 digits", control)
        else:
            parties = (h.sender_qualifier, h.sender_id, h.receiver_qualifier, h.receiver_id)
            interchange = (*(part.strip() for part in parties), control)
            if interchange in self.seen_interchanges:  # the first one stands, this one cannot
                yield replace(
                    bad(
                        "ISA13",
                        "025",
                        "the same interchange control number was used before in this file, "
                        "between the same parties: this interchange is rejected",
                        "a number not used before",
                        control,
                    ),
                    code="envelope.isa_duplicate_control_number",
                )
            self.seen_interchanges.add(interchange)
        if h.ack_requested not in ("0", "1"):
            yield bad(
                "ISA14", "019", "invalid acknowledgment requested flag", "0 or 1", h.ack_requested
            )
        if h.usage_indicator not in ("P", "T", "I"):
            yield bad("ISA15", "020", "invalid usage indicator", "P, T or I", h.usage_indicator)

    def _check_separators(self, h: InterchangeHeader) -> Iterator[Finding]:
        """A separator that is not ASCII (a byte such as 0x85 or 0xFF, a UTF-8 character) reads
        as well as any, but cannot be mirrored in an acknowledgement (the ledger keeps an ack
        as text, and X12 envelopes are ASCII): the partner is told that its acks come under
        the default separators, which an ISA declares like any others."""
        seps = h.separators
        for element, what, separator in (
            (None, "element separator (the character after 'ISA')", seps.element),
            ("ISA11", "repetition separator", seps.repetition or ""),
            ("ISA16", "component separator", seps.component),
            (None, "segment terminator (the character after ISA16)", seps.segment),
        ):
            if not separator.isascii():
                yield self._finding(
                    "envelope.isa_separator",
                    f"the {what} is not an ASCII character: acknowledgements are written with "
                    "the default separators (* : ~ ^)",
                    Level.INTERCHANGE,
                    severity=Severity.WARNING,
                    segment_id="ISA",
                    file_position=h.segment.position,
                    element=element,
                    expected="an ASCII character",
                    found=shown(separator),
                )

    def _close_interchange(self, iea: Segment | None) -> Iterator[Event]:
        header = self.interchange
        if header is None:
            return
        yield from self._close_group(None)
        if iea is None:
            self.interchange_findings.append(
                self._finding(
                    "envelope.iea_missing",
                    "the interchange has no IEA trailer (file ends or a new ISA starts first)",
                    Level.INTERCHANGE,
                    segment_id="IEA",
                    ta1_code="023",
                )
            )
        else:
            count = iea.get(1).strip()
            if not _same_number(count, self.group_count):
                self.interchange_findings.append(
                    self._finding(
                        "envelope.iea_count",
                        "IEA01 does not match the number of functional groups",
                        Level.INTERCHANGE,
                        segment_id="IEA",
                        file_position=iea.position,
                        element="IEA01",
                        expected=str(self.group_count),
                        found=count,
                        ta1_code="021",
                    )
                )
            control = iea.get(2).strip()
            if control != header.control_number.strip():
                self.interchange_findings.append(
                    self._finding(
                        "envelope.iea_control_number",
                        "IEA02 does not match ISA13",
                        Level.INTERCHANGE,
                        segment_id="IEA",
                        file_position=iea.position,
                        element="IEA02",
                        expected=header.control_number.strip(),
                        found=control,
                        ta1_code="001",
                    )
                )
        yield InterchangeEnd(header, self.group_count, self.interchange_findings, iea)
        self.interchange = None
        self.interchange_findings = []

    # -- segments ------------------------------------------------------------------------------

    def _segment(self, seg: Segment) -> Iterator[Event]:
        tag = seg.tag
        if self.transaction is not None and tag not in ("SE", "ST", "GE", "GS", "IEA"):
            if len(self.transaction) < MAX_TRANSACTION_SEGMENTS:
                self.transaction.append(seg)
                if seg.notes:
                    self._note(seg)
            return
        if tag == "GS":
            yield from self._open_group(seg)
        elif tag == "ST":
            yield from self._open_transaction(seg)
        elif tag == "SE":
            yield from self._close_transaction(seg)
        elif tag == "GE":
            yield from self._close_group(seg)
        elif tag == "IEA":
            yield from self._close_interchange(seg)
        elif tag == "TA1" and self.group is None and self.interchange is not None:
            yield TechnicalAck(self.interchange, seg)
        elif tag in INTERCHANGE_SEGMENTS and self.group is None:
            return
        else:
            where = "functional group" if self.group else "interchange"
            self._add(
                self._finding(
                    "envelope.segment_outside_transaction",
                    f"segment {quote(tag)} is outside any transaction set "
                    f"(directly in the {where})",
                    Level.GROUP if self.group else Level.INTERCHANGE,
                    segment_id=tag,
                    file_position=seg.position,
                    group_code=None,
                    ta1_code=None if self.group else "024",
                )
            )

    def _note(self, seg: Segment) -> None:
        for note in seg.notes:
            self.transaction_findings.append(
                self._finding(
                    "syntax.non_ascii",
                    f"{note}: the segment holds bytes outside the X12 character set",
                    Level.SEGMENT,
                    severity=Severity.WARNING,
                    segment_id=seg.tag,
                    file_position=seg.position,
                )
            )

    # -- GS / GE -------------------------------------------------------------------------------

    def _open_group(self, gs: Segment) -> Iterator[Event]:
        yield from self._close_group(None)
        if self.interchange is None:  # pragma: no cover - the tokenizer always opens one first
            return
        self.group_count += 1
        e = gs.value
        header = GroupHeader(
            segment=gs,
            functional_id=e(1) or "",
            application_sender=e(2) or "",
            application_receiver=e(3) or "",
            date=e(4) or "",
            time=e(5) or "",
            control_number=e(6) or "",
            agency=e(7) or "",
            version=e(8) or "",
        )
        self.group = _Group(header)
        problems: list[tuple[str, str, str | None, str | None]] = []
        if not header.functional_id:
            problems.append(("GS01", "the functional identifier code is missing", "1", None))
        if not (header.control_number.isdigit() and len(header.control_number) <= 9):
            problems.append(("GS06", "invalid group control number", "6", "1 to 9 digits"))
        elif header.control_number in self.seen_groups:  # the first one stands, this one cannot
            self.group.findings.append(
                self._finding(
                    "envelope.gs_duplicate_control_number",
                    "the same group control number was used before in this interchange: "
                    "this group is rejected",
                    Level.GROUP,
                    segment_id="GS",
                    file_position=gs.position,
                    element="GS06",
                    expected="a number not used before in the interchange",
                    found=header.control_number,
                    # 716 code 19 "not unique within interchange" exists from 005010; before,
                    # 6 "violates syntax" is the nearest
                    group_code="19" if header.version >= "005010" else "6",
                )
            )
        self.seen_groups.add(header.control_number)
        if not header.version:
            problems.append(("GS08", "the version/release code is missing", "2", "e.g. 004010"))
        if header.date and parse_date(header.date) is None:
            problems.append(("GS04", "invalid group date", None, "CCYYMMDD"))
        for element, message, code, expected in problems:
            self.group.findings.append(
                self._finding(
                    "envelope.gs_element",
                    message,
                    Level.GROUP,
                    segment_id="GS",
                    file_position=gs.position,
                    element=element,
                    expected=expected,
                    found=gs.get(int(element[2:])),
                    group_code=code,
                )
            )
        yield GroupStart(self.interchange, header)

    def _close_group(self, ge: Segment | None) -> Iterator[Event]:
        yield from self._close_transaction(None)
        group = self.group
        if group is None or self.interchange is None:
            if ge is not None:
                self._add(
                    self._finding(
                        "envelope.ge_without_gs",
                        "GE without a matching GS",
                        Level.INTERCHANGE,
                        segment_id="GE",
                        file_position=ge.position,
                        ta1_code="024",
                    )
                )
            return
        header = group.header
        if ge is None:
            group.findings.append(
                self._finding(
                    "envelope.ge_missing",
                    "the functional group has no GE trailer",
                    Level.GROUP,
                    segment_id="GE",
                    group_code="3",
                )
            )
        else:
            count = ge.get(1).strip()
            if not _same_number(count, len(group.transactions)):
                group.findings.append(
                    self._finding(
                        "envelope.ge_count",
                        "GE01 does not match the number of transaction sets in the group",
                        Level.GROUP,
                        segment_id="GE",
                        file_position=ge.position,
                        element="GE01",
                        expected=str(len(group.transactions)),
                        found=count,
                        group_code="5",
                    )
                )
            control = ge.get(2).strip()
            if not _same_number(control, header.control_number):
                group.findings.append(
                    self._finding(
                        "envelope.ge_control_number",
                        "GE02 does not match GS06",
                        Level.GROUP,
                        segment_id="GE",
                        file_position=ge.position,
                        element="GE02",
                        expected=header.control_number,
                        found=control,
                        group_code="4",
                    )
                )
        yield GroupEnd(self.interchange, header, group.transactions, group.findings, ge)
        self.group = None

    # -- ST / SE -------------------------------------------------------------------------------

    def _open_transaction(self, st: Segment) -> Iterator[Event]:
        yield from self._close_transaction(None)
        self.transaction = [st]
        self.transaction_findings = []
        self.stray_transaction = self.group is None
        if st.notes:
            self._note(st)

    def _close_transaction(self, se: Segment | None) -> Iterator[Event]:
        segments = self.transaction
        if segments is None:
            if se is not None:
                self._add(
                    self._finding(
                        "envelope.se_without_st",
                        "SE without a matching ST",
                        Level.GROUP if self.group else Level.INTERCHANGE,
                        segment_id="SE",
                        file_position=se.position,
                        ta1_code=None if self.group else "024",
                    )
                )
            return
        if se is not None:
            segments.append(se)
        findings = self.transaction_findings
        st = segments[0]
        set_id, control = st.get(1).strip(), st.get(2).strip()

        def add(code: str, message: str, x12: str, **where: object) -> None:
            findings.append(
                self._finding(code, message, Level.TRANSACTION, transaction_code=x12, **where)
            )

        if len(segments) >= MAX_TRANSACTION_SEGMENTS:
            add(
                "envelope.transaction_too_long",
                f"the transaction set has more than {MAX_TRANSACTION_SEGMENTS} segments; "
                "the rest was not read",
                "4",
            )
        if se is None:
            add(
                "envelope.se_missing", "the transaction set has no SE trailer", "2", segment_id="SE"
            )
        else:
            count = se.get(1).strip()
            if not _same_number(count, len(segments)):
                add(
                    "envelope.se_count",
                    "SE01 does not match the number of segments from ST to SE",
                    "4",
                    segment_id="SE",
                    segment_position=len(segments),
                    file_position=se.position,
                    element="SE01",
                    expected=str(len(segments)),
                    found=count,
                )
            if se.get(2).strip() != control:
                add(
                    "envelope.se_control_number",
                    "SE02 does not match ST02",
                    "3",
                    segment_id="SE",
                    segment_position=len(segments),
                    file_position=se.position,
                    element="SE02",
                    expected=control,
                    found=se.get(2).strip(),
                )
        if not (set_id.isdigit() and len(set_id) == 3):
            add(
                "envelope.st_set_id",
                "invalid transaction set identifier",
                "6",
                segment_id="ST",
                segment_position=1,
                element="ST01",
                expected="3 digits",
                found=set_id,
            )
        if not (4 <= len(control) <= 9):
            add(
                "envelope.st_control_number",
                "invalid transaction set control number",
                "7",
                segment_id="ST",
                segment_position=1,
                element="ST02",
                expected="4 to 9 characters",
                found=control,
            )
        group = self.group
        if self.stray_transaction or group is None or self.interchange is None:
            self._add(
                self._finding(
                    "envelope.transaction_outside_group",
                    f"transaction set {set_id} {control} is not inside a functional group "
                    "(no GS before it); it was not processed",
                    Level.INTERCHANGE,
                    segment_id="ST",
                    file_position=st.position,
                    ta1_code="024",
                )
            )
            self.transaction = None
            return
        expected_group = FUNCTIONAL_IDS.get(set_id)
        if expected_group and group.header.functional_id != expected_group:
            add(
                "envelope.functional_group_mismatch",
                f"transaction set {set_id} belongs in a {expected_group} group, "
                f"not in a {group.header.functional_id} group",
                "6",
                segment_id="ST",
                segment_position=1,
                element="ST01",
                expected=f"GS01 {expected_group}",
                found=f"GS01 {group.header.functional_id}",
            )
        if control in group.seen_control_numbers:
            add(
                "envelope.st_duplicate_control_number",
                "transaction set control number used twice in the group",
                "23",
                segment_id="ST",
                segment_position=1,
                element="ST02",
                found=control,
            )
        group.seen_control_numbers.add(control)
        tx = TransactionSet(self.interchange, group.header, segments, findings, self.file_name)
        if self.validator is not None:
            if self.validator.supports(tx):
                findings.extend(
                    f if f.file else replace(f, file=self.file_name)
                    for f in self.validator.validate(tx).findings
                )
            else:
                add_warning = self._finding(
                    "validation.no_map",
                    f"no implementation map for {set_id} version {group.header.version}: "
                    "the envelope was checked, the content was not",
                    Level.TRANSACTION,
                    severity=Severity.WARNING,
                )
                findings.append(add_warning)
        summary = TransactionSummary(set_id, control, st.value(3), [])
        group.transactions.append(summary)
        self.transaction = None
        self.transaction_findings = []
        yield tx
        # after the consumer's own checks of ``tx`` (translation, scan's on_document), which add
        # to its findings: what it cannot accept, the 997/999 must not accept either
        summary.findings = [f for f in findings if f.is_error]

"""Reading X12: tokens -> envelope structure -> validated transaction sets, as a stream of events.

:func:`read_x12` is the one entry point. It checks the envelopes itself (ISA/IEA, GS/GE, ST/SE
pairing, control numbers, counts, GS01 against ST01, ISA element values), hands each complete
transaction set to the validator, and yields :mod:`.structure` events. Nothing in the input can
make it raise except :class:`~gateway.errors.UnreadableInput` for input that is not X12 at all.

Here is the envelope state (what is open, what was seen) and the stream of events, with the
segments of a transaction set collected on the hot path; what each envelope is checked for is
in :mod:`.interchange_checks` (ISA/IEA) and :mod:`.group_checks` (GS/GE, ST/SE), which get the
reader's finding factory to say where a finding is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from .findings import Finding, Level, Severity, quote
from .group_checks import (
    MAX_TRANSACTION_SEGMENTS,
    check_ge,
    check_gs,
    check_st_in_group,
    check_st_se,
)
from .interchange_checks import check_iea, check_isa
from .segments import Segment
from .structure import (
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
)
from .tokenizer import InterchangeOpening, Irregularity, Tokenizer, open_source
from .validation import TransactionValidator

Source = str | os.PathLike[str] | bytes | BinaryIO

INTERCHANGE_SEGMENTS = frozenset({"ISB", "ISE", "TA3"})
"""Optional interchange service segments allowed between ISA and GS; read and passed over."""


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
        e = _padded(isa.elements, 15)  # e[n - 1]: isa.get(n)
        header = InterchangeHeader(
            segment=isa,
            separators=opening.separators,
            authorization_qualifier=e[0],
            authorization=e[1],
            security_qualifier=e[2],
            security=e[3],
            sender_qualifier=e[4],
            sender_id=e[5],
            receiver_qualifier=e[6],
            receiver_id=e[7],
            date=e[8],
            time=e[9],
            standards_id=e[10],
            version=e[11],
            control_number=e[12],
            ack_requested=e[13],
            usage_indicator=e[14],
            partner=self.partner,
        )
        self.interchange = header
        self.interchange_findings = []
        self.group_count = 0
        self.seen_groups = set()
        check_isa(self.interchange_findings, header, opening, self.seen_interchanges, self._finding)
        yield InterchangeStart(header)

    def _close_interchange(self, iea: Segment | None) -> Iterator[Event]:
        header = self.interchange
        if header is None:
            return
        yield from self._close_group(None)
        check_iea(self.interchange_findings, header, iea, self.group_count, self._finding)
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
        e = [value.strip() for value in _padded(gs.elements, 8)[:8]]  # e[n - 1]: gs.value(n) or ""
        header = GroupHeader(
            segment=gs,
            functional_id=e[0],
            application_sender=e[1],
            application_receiver=e[2],
            date=e[3],
            time=e[4],
            control_number=e[5],
            agency=e[6],
            version=e[7],
        )
        self.group = _Group(header)
        check_gs(self.group.findings, header, self.seen_groups, self._finding)
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
        check_ge(group.findings, header, ge, len(group.transactions), self._finding)
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
        check_st_se(findings, segments, se, self._finding)
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
        check_st_in_group(findings, st, group.header, group.seen_control_numbers, self._finding)
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
        # to its findings: what it cannot accept, the 997/999 must not accept either; what a
        # partner's policy downgraded (on_document too), the 997/999 notes
        summary.findings = [f for f in findings if f.acknowledged]


def _padded(elements: list[str], count: int) -> list[str]:
    """``elements``, with empty ones added up to ``count`` (what :meth:`Segment.get` reads for
    an element past the end)."""
    return elements if len(elements) >= count else [*elements, *[""] * (count - len(elements))]

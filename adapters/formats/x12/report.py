"""One pass over an X12 file: findings, counts, and the acknowledgements the file is owed.

:func:`scan` streams the file through the reader (and the validator), hands each transaction set
to an optional callback as soon as it is read (``translate`` prints from there), and keeps only
what a report needs: findings, counts and the rendered acknowledgements.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.control_numbers import ControlNumberCounter, InMemoryCounter
from gateway.errors import RenderError

from .acks import (
    DEFAULT_POLICY,
    AckPolicy,
    InterchangeAcks,
    RenderedAcks,
    acks_for,
    render_acks,
    render_acks_text,
)
from .findings import Finding, Level, Severity, has_errors
from .reader import Source, read_x12
from .structure import (
    Event,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    Stray,
    TechnicalAck,
    TransactionSet,
)
from .validation import TransactionValidator

Document = TransactionSet | TechnicalAck
"""What a file carries that becomes a canonical message: transaction sets and TA1s."""


@dataclass(frozen=True, slots=True)
class OwedAcks:
    """The acknowledgements owed for one inbound interchange, to render once control numbers can
    be drawn (:func:`render_owed`): a parse can run anywhere, numbering only in the ledger."""

    acks: InterchangeAcks
    at: dt.datetime
    interchange: str
    """The inbound ISA13, as read."""
    file: str


def render_owed(owed: OwedAcks, counter: ControlNumberCounter) -> RenderedAcks | Finding:
    """The acknowledgement interchange, or the finding that says why none can be written."""
    try:
        rendered = render_acks(owed.acks, counter, at=owed.at)
    except RenderError as error:
        return _unacknowledgeable(owed.interchange, owed.file, error)
    assert rendered is not None, "only non-empty acknowledgements are owed"
    return rendered


@dataclass(frozen=True, slots=True)
class DraftAcks:
    """An acknowledgement interchange rendered before its control numbers can be drawn (in a
    parse worker): :meth:`numbered` writes them in, in the ledger's transaction. Rendering is
    most of the work, and the numbers are only the ISA13/IEA02 and each group's GS06/GE02."""

    text: str
    """The interchange, numbered 1, 2, 3... in the order the sequences were drawn."""
    sequences: tuple[str, ...]
    """The sequences drawn from, in order: the interchange's, then one per group."""
    kinds: tuple[str, ...]
    """What it carries (``997``, ``999``, ``TA1``), sorted."""

    def numbered(self, counter: ControlNumberCounter) -> tuple[str, str]:
        """Draw the numbers from ``counter`` (in the order :func:`render_owed` would have) and
        return ``(ISA13, text)``, the text as :func:`render_owed` would have written it."""
        interchange, *groups = (counter.next(sequence) for sequence in self.sequences)
        isa13 = f"{interchange:09d}"
        element, terminator = self.text[3], self.text[ISA_LENGTH - 1]
        segments = self.text.split(terminator)
        opened, closed = iter(groups), iter(groups)
        for index, segment in enumerate(segments):
            elements = segment.split(element)
            tag = elements[0].lstrip("\r\n")
            if tag == "ISA":
                elements[13] = isa13
            elif tag == "IEA":
                elements[2] = isa13
            elif tag == "GS":
                elements[6] = str(next(opened))
            elif tag == "GE":
                elements[2] = str(next(closed))
            else:
                continue
            segments[index] = element.join(elements)
        return isa13, terminator.join(segments)


ISA_LENGTH = 106
"""Characters of an ISA segment, its terminator included (the ISA is fixed width)."""


class _DrawOrder:
    """A counter that numbers draws 1, 2, 3... and remembers which sequences they came from."""

    def __init__(self) -> None:
        self.sequences: list[str] = []

    def next(self, sequence: str) -> int:
        self.sequences.append(sequence)
        return len(self.sequences)


def draft_owed(owed: OwedAcks) -> DraftAcks | Finding:
    """:func:`render_owed` without the control numbers: the draft, or the finding that says
    why no acknowledgement can be written. Only its text is written (:func:`render_acks_text`),
    not the acks' models in their final envelopes, which a draft does not carry."""
    draws = _DrawOrder()
    try:
        text = render_acks_text(owed.acks, draws, at=owed.at)
    except RenderError as error:
        return _unacknowledgeable(owed.interchange, owed.file, error)
    assert text is not None, "only non-empty acknowledgements are owed"
    acks = owed.acks
    kinds = {a.kind for a in acks.functional} | ({"TA1"} if acks.technical is not None else set())
    return DraftAcks(text, tuple(draws.sequences), tuple(sorted(kinds)))


MAX_FINDINGS: Final = 1000
"""Findings of each severity a report keeps at most (in the order of the file); the others are
counted in :attr:`FileReport.left_off`. A hostile file can hold millions (a 700 KB file of
unknown segments made 100,000 findings, 37 MB as JSON), and warnings never crowd out errors."""


@dataclass(slots=True)
class FileReport:
    file: str
    findings: list[Finding] = field(default_factory=list)
    left_off: dict[Severity, int] = field(default_factory=dict)
    """Findings not kept (beyond :data:`MAX_FINDINGS` of their severity), by severity."""
    _kept: dict[Severity, int] = field(default_factory=dict, init=False, repr=False)
    interchanges: int = 0
    transactions: int = 0
    accepted: int = 0
    acknowledgements: list[RenderedAcks] = field(default_factory=list)
    owed: list[OwedAcks] = field(default_factory=list)
    """With ``scan(defer_acks=True)``: acknowledgements owed, not rendered yet."""

    def add(self, findings: Iterable[Finding]) -> None:
        """Keep ``findings``, up to :data:`MAX_FINDINGS` of each severity; count the others."""
        for finding in findings:
            severity = finding.severity
            kept = self._kept.get(severity, 0)
            if kept >= MAX_FINDINGS:
                self.left_off[severity] = self.left_off.get(severity, 0) + 1
            else:
                self._kept[severity] = kept + 1
                self.findings.append(finding)

    @property
    def has_errors(self) -> bool:
        return Severity.ERROR in self.left_off or any(
            f.severity is Severity.ERROR for f in self.findings
        )

    def error_lines(self) -> list[str]:
        return [f.describe() for f in self.findings if f.severity is Severity.ERROR]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "valid": not self.has_errors,
            "interchanges": self.interchanges,
            "transactions": self.transactions,
            "accepted": self.accepted,
            "findings": [f.to_dict() for f in self.findings],
            **({"findings_left_off": self._left_off()} if self.left_off else {}),
            "acknowledgements": [
                {
                    "interchange_control_number": ack.interchange_control_number,
                    "functional": [a.model_dump(mode="json") for a in ack.functional],
                    "technical": ack.technical.model_dump(mode="json") if ack.technical else None,
                    "x12": ack.text,
                }
                for ack in self.acknowledgements
            ],
        }

    def _left_off(self) -> dict[str, int]:
        return {severity.value: n for severity, n in sorted(self.left_off.items())}

    def to_text(self) -> str:
        verdict = "invalid" if self.has_errors else "valid"
        lines = [
            f"{self.file}: {verdict}: {self.interchanges} interchange(s), "
            f"{self.transactions} transaction set(s), {self.accepted} accepted"
        ]
        lines += [f"  {f.describe()}" for f in self.findings]
        if self.left_off:
            counts = ", ".join(f"{n:,} {severity}(s)" for severity, n in self._left_off().items())
            lines.append(f"  ... and {counts} more, left off")
        for ack in self.acknowledgements:
            kinds = [a.kind for a in ack.functional] + (["TA1"] if ack.technical else [])
            lines.append(f"acknowledgement ({', '.join(kinds)}) it would send:")
            lines.append(ack.text.rstrip("\n"))
        if not self.acknowledgements:
            lines.append("no acknowledgement is owed")
        return "\n".join(lines) + "\n"


def scan(
    source: Source,
    *,
    file_name: str | None = None,
    partner: str | None = None,
    validator: TransactionValidator | None = None,
    on_document: Callable[[Document], list[Finding]] | None = None,
    on_rejected: Callable[[InterchangeHeader | GroupHeader, str], None] | None = None,
    on_interchange_end: Callable[[InterchangeHeader], list[Finding]] | None = None,
    counter: ControlNumberCounter | None = None,
    policy: AckPolicy = DEFAULT_POLICY,
    now: dt.datetime | None = None,
    defer_acks: bool = False,
) -> FileReport:
    """Read ``source`` once; return its report.

    ``validator`` defaults to the maps shipped with the gateway. ``on_document`` sees each
    transaction set and each TA1 as it is read, and may return more findings about it
    (translation errors). A functional group with errors of its own (its 997/999 says AK9
    ``R``) and an interchange whose TA1 rejects it are known only at their end: ``on_rejected``
    is then told the header and why, and none of their sets counts as accepted (the sender must
    send them again). The findings ``on_document`` returns about a set are the set's own: one
    that is an error rejects it in the 997/999 too. ``on_interchange_end`` may add findings
    about a whole interchange (its TA1 reports them) before its acknowledgements are decided.
    The acknowledgements are rendered with ``counter``'s numbers, or, with ``defer_acks``, left
    in :attr:`FileReport.owed` for :func:`render_owed`.
    """
    name = file_name or (os.fspath(source) if isinstance(source, str | os.PathLike) else "<input>")
    report = FileReport(name)
    for _ in scanning(
        source,
        report,
        partner=partner,
        validator=validator,
        on_document=on_document,
        on_rejected=on_rejected,
        on_interchange_end=on_interchange_end,
        counter=counter,
        policy=policy,
        now=now,
        defer_acks=defer_acks,
    ):
        pass
    return report


def scanning(
    source: Source,
    report: FileReport,
    *,
    partner: str | None = None,
    validator: TransactionValidator | None = None,
    on_document: Callable[[Document], list[Finding]] | None = None,
    on_rejected: Callable[[InterchangeHeader | GroupHeader, str], None] | None = None,
    on_interchange_end: Callable[[InterchangeHeader], list[Finding]] | None = None,
    counter: ControlNumberCounter | None = None,
    policy: AckPolicy = DEFAULT_POLICY,
    now: dt.datetime | None = None,
    defer_acks: bool = False,
    read: Callable[..., Iterator[Event]] = read_x12,
) -> Iterator[Event]:
    """:func:`scan` a step at a time, into ``report``: each event of the reader is yielded once
    ``report`` and the callbacks have taken it, so that a caller reading a file in parts takes
    what was added since its last part (:mod:`.streaming`). ``read`` is the reader (another
    than :func:`~.reader.read_x12`: :func:`~.huge_sets.read_huge_sets`)."""
    if validator is None:
        validator = default_validator()
    name = report.file
    counter = counter or InMemoryCounter()
    when = now or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    groups: list[GroupEnd] = []
    in_interchange = in_group = 0  # sets accepted so far
    for event in read(source, file_name=name, validator=validator, partner=partner):
        if isinstance(event, TransactionSet):
            report.transactions += 1
            if on_document is not None:  # the set's own: its AK5/IK5 reports them too
                event.findings.extend(on_document(event))
            report.add(event.findings)
            if event.accepted:
                report.accepted += 1
                in_group += 1
        elif isinstance(event, InterchangeStart):
            report.interchanges += 1
            groups = []
            in_interchange = in_group = 0
        elif isinstance(event, GroupEnd):
            groups.append(event)
            report.add(event.findings)
            if has_errors(event.findings):  # its 997/999 rejects it (acks.functional_ack_for)
                report.accepted -= in_group
                if on_rejected is not None:
                    what = f"group {event.header.control_number} (AK9 R)"
                    on_rejected(event.header, _rejection(what, event.findings))
            else:
                in_interchange += in_group
            in_group = 0
        elif isinstance(event, InterchangeEnd):
            if on_interchange_end is not None:
                event.findings.extend(on_interchange_end(event.header))
            report.add(event.findings)
            interchange = event.header.control_number.strip()
            try:
                acks = acks_for(event, groups, now=when, policy=policy)
            except RenderError as error:
                report.add([_unacknowledgeable(interchange, name, error)])
                acks = None
            if acks is not None and acks.rejected:
                report.accepted -= in_interchange
                if on_rejected is not None:
                    what = f"interchange {interchange} (TA1 R)"
                    on_rejected(event.header, _rejection(what, event.findings))
            if acks is not None and not acks.empty:
                owed = OwedAcks(acks, when, interchange, name)
                if defer_acks:
                    report.owed.append(owed)
                else:
                    rendered = render_owed(owed, counter)
                    if isinstance(rendered, Finding):
                        report.add([rendered])
                    else:
                        report.acknowledgements.append(rendered)
        elif isinstance(event, TechnicalAck):
            report.add(on_document(event) if on_document else [])
        elif isinstance(event, Stray):
            report.add(event.findings)
        yield event


def _rejection(what: str, findings: list[Finding]) -> str:
    first = next(f for f in findings if f.is_error)
    return f"{what} is rejected, to be sent again: {first.describe()}"


def _unacknowledgeable(interchange: str, file: str, error: RenderError) -> Finding:
    return Finding(
        "acknowledgement.not_written",
        f"no acknowledgement can be written for this interchange: {error}",
        Level.INTERCHANGE,
        file=file,
        interchange=interchange,
    )


_DEFAULT_VALIDATOR: TransactionValidator | None = None


def default_validator() -> TransactionValidator:
    """The validator over the gateway's own maps, created once per process: the compiled one
    (:class:`~.compiled.CompiledValidator`, pyx12's findings at many times its speed), without
    the loop tree, which nothing of the gateway reads (a set is then validated in flat memory).
    Pass ``validator=Pyx12Validator()`` to :func:`scan` or :func:`~.reader.read_x12` for
    pyx12's walker itself (the reference the compiled validator is tested against)."""
    global _DEFAULT_VALIDATOR
    if _DEFAULT_VALIDATOR is None:
        from .compiled import CompiledValidator

        _DEFAULT_VALIDATOR = CompiledValidator(loop_tree=False)
    return _DEFAULT_VALIDATOR

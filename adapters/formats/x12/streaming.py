"""An X12 file read as a stream of parts (issue 26): a file of many transaction sets (a day's
856s, a catalog in 846s) in the memory of a part, never whole.

:func:`parts` reads the file twice from its stream, a megabyte of text at a time
(:class:`~.tokenizer.Tokenizer`):

1. :func:`envelope_verdicts`: its envelopes only, without validating or translating a set: which
   groups and interchanges are rejected (a GE or IEA that does not match its header is known
   only at the end of its envelope, after its sets) and whether a sender is one the partner does
   not use. That pass keeps the verdicts, not the sets.
2. The parse itself, as :meth:`~.inbound.X12Parser.parse` does it (:class:`~.documents.
   FileDocuments` over :func:`~.report.scanning`), each document made with its envelope's
   rejection already: a part is yielded every :data:`PART_DOCUMENTS` documents or
   :data:`PART_SEGMENTS` segments, with the findings kept since the one before. What the
   envelope checks and the 997/999/TA1 need is all that is kept across parts: counts, control
   numbers and each set's acknowledged findings (:class:`~.structure.TransactionSummary`) until
   its interchange ends, then the text of the acknowledgements it is owed (drafts, as ``parse``
   renders them), which come in the last part.

A file from a sender the partner does not use is refused whole: then nothing is yielded but its
last part, with the refusal and every finding kept. ``collect`` of the parts equals ``parse`` of
the file's bytes (the documents of a refused or unreadable file apart: ``collect`` takes none).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Final

from gateway.errors import UnreadableInput
from gateway.ports import ParseResult
from gateway.ports.formats import PartAhead

from .documents import FileDocuments, owed_replies, refused_whole
from .findings import Finding, Severity
from .huge_sets import HugeSet, SetProgress, collect_huge, read_huge_sets
from .report import Document, DraftAcks, FileReport, draft_owed, scanning
from .structure import (
    GroupEnd,
    GroupHeader,
    GroupStart,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    TransactionSet,
)
from .validation import ValidationResult

if TYPE_CHECKING:
    from .inbound import SenderRules

PART_DOCUMENTS: Final = 200
"""Documents a part holds at most."""
PART_SEGMENTS: Final = 200_000
"""Segments of transaction sets after which a part is yielded, however few its documents (a
part of large sets)."""


@dataclass(slots=True)
class EnvelopeVerdicts:
    """What the first pass learns of a file's envelopes, by their order in the file (0, 1...)."""

    groups: dict[int, str] = field(default_factory=dict)
    """Rejected groups, and why (as the scan's ``on_rejected`` says it)."""
    interchanges: dict[int, str] = field(default_factory=dict)
    untrusted: bool = False
    """A sender the partner does not use: the file is refused whole."""


def envelope_verdicts(
    source: BinaryIO,
    file_name: str,
    partner: str | None,
    rules: SenderRules,
    *,
    tokenized: bool = False,
) -> EnvelopeVerdicts:
    """Read ``source``'s envelopes (its sets neither validated nor translated) for their
    verdicts; :class:`UnreadableInput` when it is not X12. A huge set's interior is skipped,
    not read (:func:`~.huge_sets.read_huge_sets`), or, ``tokenized``, read (the same
    verdicts: for tests)."""
    verdicts = EnvelopeVerdicts()
    ordinal: dict[int, int] = {}  # id() of the open group's and interchange's headers
    counts = {GroupHeader: 0, InterchangeHeader: 0}

    def trust(document: Document) -> list[Finding]:
        group = document.group if isinstance(document, TransactionSet) else None
        verdicts.untrusted |= rules.untrusted(document.interchange, group) is not None
        return []

    def rejected(header: GroupHeader | InterchangeHeader, why: str) -> None:
        into = verdicts.groups if isinstance(header, GroupHeader) else verdicts.interchanges
        into[ordinal[id(header)]] = why

    def interchange_end(header: InterchangeHeader) -> list[Finding]:
        verdicts.untrusted |= rules.untrusted(header, None) is not None
        return []

    for event in scanning(
        source,
        FileReport(file_name),
        partner=partner,
        validator=_ENVELOPES_ONLY,
        on_document=trust,
        on_rejected=rejected,
        on_interchange_end=interchange_end,
        defer_acks=True,
        read=functools.partial(read_huge_sets, count_only=True, tokenized=tokenized),
    ):
        if isinstance(event, InterchangeStart | GroupStart):
            header = event.header
            ordinal[id(header)] = counts[type(header)]
            counts[type(header)] += 1
        elif isinstance(event, InterchangeEnd | GroupEnd):
            ordinal.pop(id(event.header), None)
    return verdicts


def parts(
    source: BinaryIO, file_name: str, partner: str | None, rules: SenderRules
) -> Iterator[ParseResult]:
    """The file ``source`` holds (from its current position), read in parts (see the module's
    docstring)."""
    start = source.tell()
    try:
        verdicts = envelope_verdicts(source, file_name, partner, rules)
    except UnreadableInput as error:
        yield ParseResult(unreadable=str(error))
        return
    source.seek(start)
    documents = FileDocuments(file_name, partner, rules, {}, ahead=True)
    report = FileReport(file_name)
    taken = _Taken()
    drafts: list[DraftAcks | Finding] = []  # the 997/999/TA1 owed, rendered at each IEA
    counts = {GroupHeader: 0, InterchangeHeader: 0}
    segments = 0
    ahead: list[PartAhead] = []  # a huge set's item parts, to hold until its end

    def collect(document: Document) -> list[Finding]:
        if isinstance(document, HugeSet):
            return collect_huge(documents, document)
        return documents.collect(document)

    for event in scanning(
        source,
        report,
        partner=partner,
        on_document=collect,
        on_rejected=documents.reject,
        on_interchange_end=documents.refusal,
        defer_acks=True,
        read=read_huge_sets,
    ):
        if isinstance(event, InterchangeStart | GroupStart):  # before its documents are read
            header = event.header
            rejected = verdicts.groups if isinstance(header, GroupHeader) else verdicts.interchanges
            why = rejected.get(counts[type(header)])
            counts[type(header)] += 1
            if why is not None:
                documents.rejected[id(header)] = why
        elif isinstance(event, InterchangeEnd | GroupEnd):
            documents.rejected.pop(id(event.header), None)
            drafts += map(draft_owed, report.owed)  # its acks' text, not their models
            report.owed.clear()
        elif isinstance(event, HugeSet):
            segments += event.segments_read
        elif isinstance(event, TransactionSet):
            segments += len(event.segments)
        elif isinstance(event, SetProgress):
            ahead += event.ahead
        if verdicts.untrusted:
            documents.documents.clear()  # refused whole: none is taken
            ahead.clear()
        elif len(documents.documents) >= PART_DOCUMENTS or segments >= PART_SEGMENTS or ahead:
            yield taken.part(documents, report, ahead)
            ahead = []
            segments = 0
    last = taken.part(documents, report, ahead)
    if documents.untrusted:
        refused_whole(last, documents.untrusted, partner, file_name)
    else:
        owed_replies(last, drafts)
    yield last


class _Taken:
    """What the parts before took of the report: its findings, so many, and those it left off."""

    def __init__(self) -> None:
        self.findings = 0
        self.left_off: dict[Severity, int] = {}

    def part(
        self, documents: FileDocuments, report: FileReport, ahead: list[PartAhead]
    ) -> ParseResult:
        """The documents made and the findings kept since the part before (and the item parts
        of a huge set, ``ahead``)."""
        part = ParseResult(
            documents=documents.documents,
            ahead=ahead,
            findings=[f.to_dict() for f in report.findings[self.findings :]],
            left_off={
                severity.value: n - self.left_off.get(severity, 0)
                for severity, n in report.left_off.items()
                if n > self.left_off.get(severity, 0)
            },
        )
        documents.documents = []
        self.findings = len(report.findings)
        self.left_off = dict(report.left_off)
        return part


class _EnvelopesOnly:
    """A validator for no set: the first pass checks envelopes only."""

    def supports(self, transaction: TransactionSet) -> bool:
        return False

    def validate(self, transaction: TransactionSet) -> ValidationResult:
        raise AssertionError("supports nothing")  # pragma: no cover


_ENVELOPES_ONLY: Final = _EnvelopesOnly()

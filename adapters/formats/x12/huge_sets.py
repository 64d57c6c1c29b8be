"""One huge 846 or 856 set in a file read as a stream, never held (issue 26).

:mod:`.reader` holds each transaction set whole until its SE, then validates and translates it:
one set of a gigabyte would take many gigabytes. :func:`read_huge_sets` is :func:`~.reader.
read_x12` except for a set of a kind read in parts (:data:`~.set_stream.IN_PARTS`: 846, 856)
that grows past :data:`HUGE_SEGMENTS` segments: from there its segments are not kept but given,
as they come, to :class:`~.set_stream.StreamedValidation` (the validator's findings for the set
held whole) and to its reader in parts (:func:`~.set_stream.translation_in_parts`), whose item
parts come out as they fill (:class:`~gateway.ports.formats.PartAhead`, numbered from 2 in the
order they come; their key is the set's place in its file, the same at every read). A
:class:`SetProgress` event says that some are ready (for the stream to hold them durably; those
its end completes come one an event, read back from their spool: never held at once), and the
set itself is a :class:`HugeSet` at its end, with its envelope's checks (the count of its
segments, SE02) as the reader makes them, its validation's findings, and what its reader in
parts made of it. :func:`collect_huge` makes it a document as
:meth:`~.documents.FileDocuments.collect` makes any set: its message is the
:class:`~gateway.messages.parts.MessageInParts` of its header (or the whole message, when it has
no more items than a part), its id is ``parse``'s.

What differs from the set read whole, and why:

- the reader cuts a set at 2,000,000 segments (``envelope.transaction_too_long``, a memory
  guard): read in parts there is nothing to guard, and the set is read to its end;
- an 856 whose hierarchy is not in document order (an HL under a level closed already), which
  the reader in parts cannot translate, is rejected here (``translation.failed``) where read
  whole it may be translated;
- the id and digest canonical schema 2.0 gave the document (``former_document_id``) are not
  looked for.

:data:`HUGE_SEGMENTS` and the items of a part can be set for tests and benches by
``EDIGW_TEST_HUGE_SETS=<segments>,<items>`` (a few hundred kB made huge).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from gateway.errors import TranslationError
from gateway.messages import Message, document_id_of
from gateway.messages.part_stream import InParts, huge_from
from gateway.messages.parts import MessageInParts
from gateway.ports.formats import ParsedDocument, PartAhead

from .compiled.validator import CompiledValidator
from .documents import MAX_DOCUMENT_ERRORS, described_errors
from .findings import Finding, Level
from .group_checks import check_st_in_group, check_st_se
from .reader import Source, _EnvelopeReader
from .segments import Segment
from .set_stream import IN_PARTS, StreamedValidation, translation_in_parts
from .structure import Event, Stray, TransactionSet, TransactionSummary
from .tokenizer import Tokenizer, open_source
from .validation import TransactionValidator
from .validation_policy import timeline_lines

if TYPE_CHECKING:
    from .documents import FileDocuments

log = logging.getLogger(__name__)

SETTINGS_ENV: Final = "EDIGW_TEST_HUGE_SETS"
HUGE_SEGMENTS, HUGE_PART_ITEMS = huge_from(SETTINGS_ENV, 20_000)
"""Segments a set of a kind read in parts holds at most before it is read in parts (20,000:
about a megabyte of X12, tens of MB once read whole); the items of each of its parts."""

_ENDS: Final = frozenset({"SE", "ST", "GE", "GS", "IEA"})
"""Segments that end a set (the reader's own)."""
RAW_BATCH: Final = 4096
"""Segments of a huge set whose texts are hashed at once into its raw digest."""


@dataclass(slots=True)
class SetProgress(Stray):
    """A huge set's item parts ready (:attr:`ahead`), in the middle of the set or at its end (a
    stray event without findings for whoever does not look for it)."""

    ahead: list[PartAhead] = field(default_factory=list)


@dataclass(slots=True)
class HugeSet(TransactionSet):
    """A set read in parts: its ST (and SE) alone in :attr:`segments`; what its reader in parts
    made of it in :attr:`outcome` (None when it made nothing: :attr:`problem` says why)."""

    key: str = ""
    outcome: Message | InParts | None = None
    problem: Finding | None = None
    raw_digest: str = ""
    """:func:`.documents._raw_digest` of the set (its id when it has no message)."""
    segments_read: int = 0


def read_huge_sets(
    source: Source,
    *,
    file_name: str | None = None,
    validator: TransactionValidator | None = None,
    partner: str | None = None,
    segments: int | None = None,
    part_items: int | None = None,
    count_only: bool = False,
    tokenized: bool = False,
) -> Iterator[Event]:
    """:func:`~.reader.read_x12`, a huge set of a kind read in parts read so (see the module's
    docstring): more than ``segments`` (:data:`HUGE_SEGMENTS`), in parts of ``part_items``.
    ``count_only``: a huge set of any kind is neither validated nor translated, its segments
    counted (a pass that checks envelopes only): the tokenizer skips them
    (:attr:`~.tokenizer.Tokenizer.stop_tags`) up to the next segment that may end the set,
    or, ``tokenized``, reads every one (the same events, at some 5 times the time: for
    tests)."""
    stream, owned = open_source(source)
    name = file_name or (os.fspath(source) if isinstance(source, str | os.PathLike) else None)
    reader = _HugeSetReader(Tokenizer(stream), name, validator, partner)
    reader.limit = HUGE_SEGMENTS if segments is None else segments
    reader.part_items = HUGE_PART_ITEMS if part_items is None else part_items
    reader.count_only = count_only
    reader.skip = count_only and not tokenized
    try:
        yield from reader.events()
    finally:
        if owned:
            stream.close()


class _Counted(list[Segment]):
    """A set's ST and SE standing for all its segments in the reader's checks, which look at
    its first and last segment and at how many it has."""

    def __init__(self, segments: list[Segment], count: int) -> None:
        super().__init__(segments)
        self.length = count

    def __len__(self) -> int:
        return self.length


class _HugeSetReader(_EnvelopeReader):
    """The reader's envelope state machine, a set read in parts once it is huge."""

    limit = HUGE_SEGMENTS
    part_items = HUGE_PART_ITEMS
    count_only = False
    skip = False
    """A set counted only (:attr:`count_only`) is skipped by the tokenizer, not read."""

    def __init__(
        self,
        tokens: Tokenizer,
        file_name: str | None,
        validator: TransactionValidator | None,
        partner: str | None = None,
    ) -> None:
        super().__init__(tokens, file_name, validator, partner)
        self.in_parts: _SetInParts | None = None
        self.whole = False
        """The open set is huge but read whole (a kind not read in parts...)."""
        self.sets = 0
        """STs read so far (the set's key: its place in the file)."""

    def _segment(self, seg: Segment) -> Iterator[Event]:
        segments = self.transaction
        if segments is not None and seg.tag not in _ENDS:
            if self.in_parts is None and not self.whole and len(segments) >= self.limit:
                self.in_parts = self._begin(segments)
                self.whole = self.in_parts is None
            if self.in_parts is not None:
                if seg.notes:
                    self._note(seg)
                ahead = self.in_parts.feed(seg)
                if ahead:
                    yield SetProgress([], ahead)
                return
        yield from super()._segment(seg)

    def _begin(self, segments: list[Segment]) -> _SetInParts | None:
        """The set of ``segments`` read in parts from here, when it can be."""
        validator = self.validator
        group, interchange = self.group, self.interchange
        if group is None or interchange is None or self.stray_transaction:
            return None
        opening = TransactionSet(interchange, group.header, segments[:1], [], self.file_name)
        if self.count_only:
            validator = None
        elif not (
            isinstance(validator, CompiledValidator)
            and opening.set_id in IN_PARTS
            and validator.supports(opening)
        ):
            return None
        in_parts = _SetInParts(validator, opening, str(self.sets), self.part_items)
        for held in segments[1:]:
            in_parts.held(held)
        del segments[1:]  # the set's ST alone
        if self.skip:
            self.tokens.stop_tags = _ENDS  # the set ends at one of them, or at an ISA
        return in_parts

    def _open_transaction(self, st: Segment) -> Iterator[Event]:
        yield from super()._open_transaction(st)
        self.sets += 1
        self.whole = False

    def _close_transaction(self, se: Segment | None) -> Iterator[Event]:
        in_parts = self.in_parts
        if in_parts is None:
            yield from super()._close_transaction(se)
            return
        self.in_parts = None
        tokens = self.tokens
        if tokens.stop_tags is not None:
            in_parts.count += tokens.skipped  # counted by the tokenizer, not read
            tokens.stop_tags, tokens.skipped = None, 0
        segments = self.transaction
        group, interchange = self.group, self.interchange
        assert segments is not None and group is not None and interchange is not None
        st = segments[0]
        if se is not None:
            segments.append(se)
        findings = self.transaction_findings
        count = in_parts.count + len(segments)
        check_st_se(findings, _Counted(segments, count), se, self._finding)
        findings[:] = [f for f in findings if f.code != "envelope.transaction_too_long"]
        check_st_in_group(findings, st, group.header, group.seen_control_numbers, self._finding)
        findings.extend(
            f if f.file else dataclasses.replace(f, file=self.file_name)
            for f in in_parts.validated(se)
        )
        outcome, problem, ahead = in_parts.finish()
        for piece in ahead:  # the item parts its end completed: an event each, never held at once
            yield SetProgress([], [piece])
        tx = HugeSet(
            interchange,
            group.header,
            list(segments),
            findings,
            self.file_name,
            key=in_parts.key,
            outcome=outcome,
            problem=problem,
            raw_digest=in_parts.raw_digest(se is not None),
            segments_read=count,
        )
        summary = TransactionSummary(tx.set_id, tx.control_number, st.value(3), [])
        group.transactions.append(summary)
        self.transaction = None
        self.transaction_findings = []
        yield tx
        summary.findings = [f for f in findings if f.acknowledged]  # as the reader's


class _SetInParts:
    """One set validated and translated as its segments come."""

    def __init__(
        self,
        validator: CompiledValidator | None,
        opening: TransactionSet,
        key: str,
        part_items: int,
    ) -> None:
        """``validator`` None: the segments counted only."""
        self.key = key
        self.opening = opening
        self.validation = None if validator is None else StreamedValidation(validator, opening)
        self.reader = None if validator is None else translation_in_parts(opening, part_items)
        self.problem: Finding | None = None
        self.count = 0
        """Body segments read."""
        self.number = 1
        """The number of the last item part given."""
        self.raw = _RawDigest()
        self.last: Segment | None = None
        """The segment read last, not in :attr:`raw` yet (the set's last one is not)."""
        self.pending: list[PartAhead] = []

    def held(self, segment: Segment) -> None:
        """A segment the reader held before the set was found huge."""
        self.pending = self.feed(segment)  # with those pending before

    def feed(self, segment: Segment) -> list[PartAhead]:
        """The set's next body segment; the item parts it completed."""
        self.count += 1
        if self.validation is None:
            return []
        self.validation.feed(segment)
        if self.last is not None:
            self.raw.add(self.last)
        self.last = segment
        reader = self.reader
        if reader is None:
            return []
        try:
            chunks = reader.feed(segment)
        except Exception as error:
            self._failed(error)
            return []
        pending, self.pending = self.pending, []
        return pending + list(self._ahead(chunks)) if chunks or pending else []

    def validated(self, se: Segment | None) -> list[Finding]:
        """The validation's findings, at the set's end (``se``: its SE, when it has one)."""
        if self.validation is None:
            return []
        if se is not None:
            self.validation.feed(se)
        return self.validation.finish(se is not None)

    def finish(self) -> tuple[Message | InParts | None, Finding | None, Iterator[PartAhead]]:
        """What the reader in parts made of the set, why it made nothing, the parts its end
        completed (one at a time: read back from its reader's spool)."""
        reader, self.reader = self.reader, None
        ahead, self.pending = self.pending, []
        if reader is None:
            return None, self.problem, iter(ahead)
        try:
            outcome = reader.finish()
        except Exception as error:
            self._failed(error)
            return None, self.problem, iter(ahead)
        if outcome is None:
            self.problem = self._finding(
                "translation.failed",
                "cannot be translated: its hierarchy is not in document order (an HL under a "
                "level closed already), and a set this large is read in parts, in order only",
            )
            return None, self.problem, iter(ahead)
        return outcome, None, itertools.chain(ahead, self._ahead(reader.last_chunks()))

    def raw_digest(self, saw_se: bool) -> str:
        """The digest of the set's segments as read, as ``documents._raw_digest`` takes it
        (from the segment after the ST to the one before the last)."""
        if saw_se and self.last is not None:
            self.raw.add(self.last)
        return "raw:" + self.raw.hexdigest()

    def _ahead(self, chunks: Iterable[str]) -> Iterator[PartAhead]:
        for chunk in chunks:
            self.number += 1
            yield PartAhead(self.key, self.number, chunk)

    def _failed(self, error: Exception) -> None:
        """The reader in parts failed: no message (the set is rejected, as read whole)."""
        self.reader = None
        if isinstance(error, TranslationError):
            self.problem = self._finding("translation.failed", f"cannot be translated: {error}")
            return
        log.exception("the reader in parts failed on %s", self.opening.describe())
        self.problem = self._finding(
            "translation.internal_error",
            f"the translator failed ({type(error).__name__}: {error}); this is a gateway bug",
        )

    def _finding(self, code: str, message: str) -> Finding:
        tx = self.opening
        return Finding(
            code,
            message,
            Level.TRANSACTION,
            file=tx.file_name,
            interchange=tx.interchange.control_number.strip(),
            group=tx.group.control_number,
            transaction=tx.control_number,
            transaction_set_id=tx.set_id,
        )


class _RawDigest:
    """A set's raw digest (:func:`.documents._raw_digest`'s bytes: each segment's tag and
    elements joined by 0x1F, encoded, and 0x1E), its segments' texts hashed a few thousand at
    a time rather than one by one."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.texts: list[str] = []

    def add(self, segment: Segment) -> None:
        texts = self.texts
        texts.append("\x1f".join([segment.tag, *segment.elements]))
        if len(texts) >= RAW_BATCH:
            self._hash()

    def hexdigest(self) -> str:
        self._hash()
        return self.digest.hexdigest()

    def _hash(self) -> None:
        if self.texts:
            self.texts.append("")  # a 0x1E after the last one too
            self.digest.update("\x1e".join(self.texts).encode(errors="replace"))
            self.texts = []


def collect_huge(documents: FileDocuments, tx: HugeSet) -> list[Finding]:
    """:meth:`~.documents.FileDocuments.collect` of a set read in parts: the document it is,
    its message what its reader in parts made; returns the findings its translation adds."""
    rules = documents.rules
    done = rules.validation.downgrade(tx.findings, tx.set_id)
    downgraded = timeline_lines(documents.partner, done, MAX_DOCUMENT_ERRORS)
    documents._trust(tx.interchange, tx.group)
    problems = [] if tx.problem is None else [tx.problem]
    outcome = tx.outcome
    message: Message | MessageInParts | None
    if isinstance(outcome, InParts):
        message = MessageInParts(outcome.head, outcome.header, outcome.parts)
        envelope = outcome.head.envelope
    elif outcome is not None:
        message, envelope = outcome, outcome.envelope
    else:
        message, envelope = None, tx.envelope()
    envelope_key = envelope.envelope_key
    if envelope_key in documents.refuse:
        documents.refused.setdefault(id(tx.interchange), documents.refuse[envelope_key])
    errors = described_errors([*tx.findings, *problems])
    document_id = (
        message.document_id if message is not None else document_id_of(envelope, tx.raw_digest)
    )
    parsed = ParsedDocument(
        document_id=document_id,
        kind=tx.set_id,
        interchange=tx.interchange.control_number.strip(),
        group=tx.group.control_number,
        transaction=tx.control_number,
        message=None if errors else message,
        errors=errors,
        envelope_key=envelope_key,
        test=envelope.test,
        downgraded=downgraded,
        ahead=tx.key if isinstance(message, MessageInParts) and not errors else "",
    )
    documents.documents.append(documents._with_rejections(parsed, (tx.group, tx.interchange)))
    return problems

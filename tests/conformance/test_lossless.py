"""Lossless translation over the public corpus (issue 25): in every 850, 855, 856 and 810 the
gateway translates from ``../shared/corpus/x12`` (read in place), each segment between ST and SE
is either mapped to a canonical field or kept in the message's ``unmapped`` part, never both, never
neither: segments mapped + segments kept == segments read.

What makes the count more than a subtraction:

- the segments read are the reader's (``TransactionSet.body``), not the message's;
- every kept segment is the one read at its position: same id, same elements (composites split);
- every segment counted as mapped comes back when the message is rendered: per segment id, the
  rendered set has at least as many as were mapped (a set that cannot be rendered is named in
  the table, and fails the test unless listed in :data:`NOT_RENDERED`).

The table (one line per file: sets, accepted, read, mapped, kept, the ids kept most) is printed
at the end of the run when pytest runs without xdist workers (``-n 0``); the totals are in the
last line. Sets a 997/999 rejects are counted too (``accepted`` says how many were not).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from adapters.formats.x12.report import Document, scan
from adapters.formats.x12.segments import Segment
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions import asn856, invoice810, po850, poack855
from adapters.formats.x12.translation import translate_or_report
from gateway.errors import RenderError, UnreadableInput
from gateway.messages import Invoice, PurchaseOrder, PurchaseOrderAck, ShipNotice
from gateway.messages.blocks import UnmappedSegment
from tests.conformance.corpus import CorpusFile, x12_files

pytestmark = pytest.mark.slow

LOSSLESS_SETS = frozenset({"850", "855", "856", "810"})

NOT_RENDERED: dict[str, str] = {}
"""Files whose translated sets cannot be rendered back, and why (none so far)."""

Translated = PurchaseOrder | PurchaseOrderAck | ShipNotice | Invoice


@dataclass
class SetCount:
    set_id: str
    read: int
    kept: int
    accepted: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def mapped(self) -> int:
        return self.read - self.kept


@dataclass
class FileCount:
    entry: CorpusFile
    sets: list[SetCount] = field(default_factory=list)
    kept_ids: Counter[str] = field(default_factory=Counter)

    def row(self) -> str:
        kinds = ",".join(
            f"{k}x{v}" for k, v in sorted(Counter(s.set_id for s in self.sets).items())
        )
        read = sum(s.read for s in self.sets)
        mapped = sum(s.mapped for s in self.sets)
        kept = sum(s.kept for s in self.sets)
        accepted = sum(s.accepted for s in self.sets)
        top = ",".join(f"{tag}:{n}" for tag, n in self.kept_ids.most_common(5)) or "-"
        return (
            f"{kinds:14} accepted={accepted:<3} read={read:<5} mapped={mapped:<5} kept={kept:<4} "
            f"({100 * mapped / read if read else 100:5.1f}% mapped) kept: {top[:40]:40} "
            f"{self.entry.short[-60:]}"
        )


def _elements(segment: Segment) -> list[str | list[str]]:
    elements = list(segment.elements)
    while elements and elements[-1] == "":
        elements.pop()
    component = segment.separators.component
    return [e.split(component) if component and component in e else e for e in elements]


def _check(tx: TransactionSet, message: Translated) -> list[str]:
    """What is wrong with the account of ``tx``'s segments in ``message`` (empty: nothing)."""
    problems: list[str] = []
    by_position = {n: s for n, s in enumerate(tx.body, start=2)}
    positions = [u.position for u in message.unmapped]
    if len(set(positions)) != len(positions) or positions != sorted(positions):
        problems.append(f"kept positions repeated or out of order: {positions}")
    for kept in message.unmapped:
        read = by_position.get(kept.position)
        if read is None or (kept.segment_id, kept.elements) != (read.tag, _elements(read)):
            problems.append(f"kept segment {kept.position} ({kept.segment_id}) is not as read")
    kept_positions = set(positions)
    mapped_segments = [s for n, s in by_position.items() if n not in kept_positions]
    mapped = Counter(_kind(s.tag) for s in mapped_segments if s.tag != "PRF")
    # items directly under the shipment each repeat their order's PRF: one order, one PRF
    mapped["PRF"] = len({tuple(s.elements) for s in mapped_segments if s.tag == "PRF"})
    if not getattr(message, "lines", True):
        mapped.pop("CTT", None)  # a CTT of an 855 without lines: the gateway writes none
    module = {"850": po850, "855": poack855, "856": asn856, "810": invoice810}[tx.set_id]
    try:
        body = module.render(message).body
    except RenderError as error:
        return [*problems, f"cannot be rendered: {error}"]
    rendered = Counter(_kind(s.tag) for s in body)
    for tag, count in mapped.items():
        if rendered[tag] < count:
            problems.append(f"{count} {tag} counted as mapped, {rendered[tag]} rendered")
    return problems


NOTES = frozenset({"MSG", "MTX", "NTE"})
"""Note segments: a note read from any of them is written as MSG (004010) or MTX (005010)."""


def _kind(tag: str) -> str:
    return "note" if tag in NOTES else tag


@cache
def count(entry: CorpusFile) -> FileCount:
    result = FileCount(entry)
    found: list[tuple[TransactionSet, Translated]] = []

    def translate(document: Document) -> list[Any]:
        message, findings = translate_or_report(document)
        if (
            isinstance(document, TransactionSet)
            and document.set_id in LOSSLESS_SETS
            and isinstance(message, Translated)
        ):
            found.append((document, message))
        return findings

    try:
        report = scan(entry.path, on_document=translate)
    except UnreadableInput:
        return result
    statuses: dict[tuple[str, str], deque[str]] = defaultdict(deque)
    for ack in report.acknowledgements:
        for group in ack.functional:
            for set_ack in group.transactions:
                key = (group.group_control_number, set_ack.control_number)
                statuses[key].append(set_ack.status)
    for tx, message in found:
        answers = statuses[(tx.group.control_number, tx.control_number)]
        status = answers.popleft() if answers else None
        counted = SetCount(tx.set_id, len(tx.body), len(message.unmapped), status in ("A", "E"))
        counted.problems = _check(tx, message)
        result.sets.append(counted)
        result.kept_ids.update(u.segment_id for u in message.unmapped)
    return result


FILES = [e for e in x12_files() if any(s in e.transaction_sets for s in LOSSLESS_SETS)]


@pytest.fixture(scope="module", autouse=True)
def table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the per-file table and the totals once the module's tests ran."""
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.getplugin("terminalreporter"), plugins.getplugin("capturemanager")
    counted = [c for c in (count(e) for e in FILES) if c.sets]
    if reporter is None or capture is None or not counted:
        return
    with capture.global_and_fixture_disabled():
        _write(reporter, counted)


def _write(reporter: Any, counted: list[FileCount]) -> None:
    reporter.write_line("")
    reporter.section("Lossless 850/855/856/810: segments read = mapped + kept, one line per file")
    for c in counted:
        reporter.write_line(c.row())
    sets = [s for c in counted for s in c.sets]
    read, kept = sum(s.read for s in sets), sum(s.kept for s in sets)
    reporter.write_line(
        f"TOTAL {len(sets)} sets in {len(counted)} files ({sum(s.accepted for s in sets)} "
        f"accepted): read={read} mapped={read - kept} kept={kept} "
        f"({100 * (read - kept) / read:.1f}% mapped)"
    )


@pytest.mark.parametrize("entry", FILES, ids=lambda e: e.short[-60:])
def test_every_segment_read_is_mapped_or_kept_in_every_translated_set(entry: CorpusFile) -> None:
    result = count(entry)
    for counted in result.sets:
        assert counted.mapped + counted.kept == counted.read
        if entry.short not in NOT_RENDERED:
            assert counted.problems == [], f"{counted.set_id}: {counted.problems}"


def test_the_corpus_holds_translated_850_855_and_856_sets() -> None:
    """The test above is not vacuous: every one of the four sets is in the corpus, accepted."""
    sets = [s for e in FILES for s in count(e).sets]
    accepted = Counter(s.set_id for s in sets if s.accepted)
    assert set(accepted) == LOSSLESS_SETS
    assert sum(s.kept for s in sets) > 0 and sum(s.mapped for s in sets) > sum(s.kept for s in sets)


def test_a_kept_segment_is_the_one_read_at_its_position() -> None:
    """The checks above would see a kept segment that is not as read."""
    entry = next(e for e in FILES if any(s.kept for s in count(e).sets))
    [(tx, message)] = _first_with_kept(entry)
    shifted = message.model_copy(
        update={
            "unmapped": [
                UnmappedSegment(segment_id=u.segment_id, position=u.position + 1, elements=[])
                for u in message.unmapped
            ]
        }
    )
    assert any("is not as read" in p for p in _check(tx, shifted))


def _first_with_kept(entry: CorpusFile) -> list[tuple[TransactionSet, Translated]]:
    found: list[tuple[TransactionSet, Translated]] = []

    def translate(document: Document) -> list[Any]:
        message, findings = translate_or_report(document)
        if (
            not found
            and isinstance(document, TransactionSet)
            and isinstance(message, Translated)
            and message.unmapped
        ):
            found.append((document, message))
        return findings

    scan(entry.path, on_document=translate)
    return found

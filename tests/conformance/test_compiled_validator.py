"""The compiled validator finds exactly what pyx12 finds: a differential test.

pyx12 (:class:`~adapters.formats.x12.pyx12_engine.Pyx12Validator`) is the reference. Every
transaction set of every X12 file of the corpus, of the project's fixtures, and of generated
files is validated by both, and the findings (code, message, level, place, 997/999 codes, what
was expected and found) and the loop trees must be equal. Generated files are valid sets
rendered by the gateway's renderers from hypothesis-drawn messages (850, 855, 856, 810, 846, 943,
944, 947) and the fixtures, then mutated the ways partners get X12 wrong: a segment dropped,
duplicated, moved or replaced by an unknown one; an element emptied, made too long, given a bad
code, a bad date or time, letters in a number, a trailing space, a surplus element, component or
repetition, a control or non-ASCII character.

:data:`PYX12_BUGS` lists the differences that are pyx12's bugs, with the reason for each; it is
empty: none was found. A per-file table is printed at the end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.compiled import CompiledValidator
from adapters.formats.x12.findings import Finding
from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.segments import Segment
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import render_message
from gateway.control_numbers import InMemoryCounter
from gateway.errors import UnreadableInput
from gateway.messages import Message
from tests.conformance.corpus import COMPILED_TABLE, CorpusFile, x12_files
from tests.unit.x12.strategies_added import (
    purchase_order_acks_with_added,
    purchase_orders_with_added,
    ship_notices_with_added,
)
from tests.unit.x12.test_810_invoice import invoices
from tests.unit.x12.test_846_inventory import inventory_advices
from tests.unit.x12.test_943_stock_transfer import stock_transfer_shipments
from tests.unit.x12.test_944_stock_receipt import stock_transfer_receipts
from tests.unit.x12.test_947_inventory_adjustment import inventory_adjustments

pytestmark = pytest.mark.slow

PYX12_BUGS: dict[str, str] = {}
"""Corpus file -> why the compiled validator's findings differ from pyx12's there (pyx12's
bug). None so far."""

REFERENCE = Pyx12Validator()
COMPILED = CompiledValidator()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"
AT = dt.datetime(2026, 11, 23, 12, 0)


def differences(tx: TransactionSet) -> list[str]:
    """What the compiled validator says differently from pyx12 about ``tx`` (empty: nothing)."""
    expected = REFERENCE.validate(tx)
    found = COMPILED.validate(tx)
    lines = [f"only pyx12: {f.describe()}" for f in _missing(expected.findings, found.findings)]
    lines += [f"only compiled: {f.describe()}" for f in _missing(found.findings, expected.findings)]
    if not lines and expected.findings != found.findings:
        lines.append("the same findings in another order")
    if expected.tree != found.tree:
        lines.append("the loop trees differ")
    return lines


def _missing(these: list[Finding], those: list[Finding]) -> list[Finding]:
    return [f for f in these if f not in those]


def _sets(path: Path) -> Iterator[TransactionSet]:
    try:
        yield from transactions_in(path)
    except UnreadableInput:
        return


# -- the corpus and the fixtures ----------------------------------------------------------------


@pytest.mark.parametrize("entry", x12_files(), ids=lambda e: e.short[-60:])
def test_corpus_file_gets_pyx12s_findings(entry: CorpusFile) -> None:
    sets = compared = 0
    problems: list[str] = []
    for tx in _sets(entry.path):
        sets += 1
        compared += len(REFERENCE.validate(tx).findings)
        problems += [f"set {tx.control_number}: {line}" for line in differences(tx)]
    equal = "yes" if not problems else ("pyx12 bug" if entry.name in PYX12_BUGS else "NO")
    COMPILED_TABLE.append(f"{entry.short[-70:]:70} {sets:>4} {compared:>5} {equal}")
    if entry.name in PYX12_BUGS:
        assert problems, f"{entry.short} is listed as a pyx12 bug but the findings are equal"
        return
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.edi")), ids=lambda p: p.name)
def test_fixture_gets_pyx12s_findings(path: Path) -> None:
    sets = compared = 0
    for tx in _sets(path):
        sets += 1
        compared += len(REFERENCE.validate(tx).findings)
        assert differences(tx) == [], path.name
    COMPILED_TABLE.append(f"{'fixtures/x12/' + path.name:70} {sets:>4} {compared:>5} yes")


# -- generated files ----------------------------------------------------------------------------

MESSAGES = st.one_of(
    purchase_orders_with_added(),
    purchase_order_acks_with_added(),
    ship_notices_with_added(),
    invoices(),
    inventory_advices(),
    stock_transfer_shipments(),
    stock_transfer_receipts(),
    inventory_adjustments(),
)
MUTATIONS = (
    "drop",
    "duplicate",
    "move",
    "unknown_segment",
    "foreign_segment",
    "empty",
    "too_long",
    "bad_code",
    "bad_date",
    "bad_time",
    "letters_in_number",
    "trailing_space",
    "surplus_element",
    "surplus_component",
    "repetition",
    "control_character",
    "non_ascii",
)
DIFFERENTIAL = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def rendered(message: Message) -> TransactionSet:
    """``message`` rendered and read back (every drawn id reads back: an ISA08 ending in
    ``ISA``, ``000000000000ISA``, too)."""
    text = render_message(message, InMemoryCounter(), keep_control_numbers=True, at=AT)
    tx = next(transactions_in(text.encode()), None)
    assert tx is not None
    return tx


def mutated(tx: TransactionSet, data: st.DataObject) -> TransactionSet:
    """``tx`` with one to three of :data:`MUTATIONS` applied to its body."""
    segments = [dataclasses.replace(s, elements=list(s.elements)) for s in tx.segments]
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        body = range(1, len(segments) - 1)  # ST and SE are left to the envelope checks
        if not body:
            break
        at = data.draw(st.sampled_from(body), label="segment")
        segment = segments[at]
        if kind == "drop":
            del segments[at]
        elif kind == "duplicate":
            segments.insert(at, dataclasses.replace(segment, elements=list(segment.elements)))
        elif kind == "move":
            to = data.draw(st.sampled_from(body), label="to")
            segments.insert(to, segments.pop(at))
        elif kind == "unknown_segment":
            segments.insert(at, Segment(data.draw(st.sampled_from(["ZZZ", "X1", "n1"])), ["A"]))
        elif kind == "foreign_segment":
            tag = data.draw(st.sampled_from(["BEG", "PO1", "BSN", "HL", "LIN", "SN1", "N1", "IT1"]))
            segments.insert(at, Segment(tag, ["00", "1"]))
        elif not segment.elements:
            continue
        else:
            index = data.draw(st.integers(0, len(segment.elements) - 1), label="element")
            value = segment.elements[index]
            segment.elements[index] = _changed(kind, value, segment, data)
    return dataclasses.replace(tx, segments=segments)


def _changed(kind: str, value: str, segment: Segment, data: st.DataObject) -> str:
    component = segment.separators.component
    changes = {
        "empty": "",
        "too_long": value + "X" * data.draw(st.integers(1, 90), label="longer"),
        "bad_code": data.draw(st.sampled_from(["QQ", "ZZZZ", "9", "XX"]), label="code"),
        "bad_date": data.draw(st.sampled_from(["20261332", "20260230", "261301", "1700"])),
        "bad_time": data.draw(st.sampled_from(["2460", "1261", "12345", "123061", "ab12"])),
        "letters_in_number": value[:-1] + "A" if value else "A",
        "trailing_space": value + " ",
        "surplus_element": value,
        "surplus_component": value + component + "EA" + component + "X",
        "repetition": value + "^" + value,
        "control_character": value + "\t",
        "non_ascii": value + "é",
    }
    if kind == "surplus_element":
        segment.elements.append(data.draw(st.sampled_from(["", "X", "1"]), label="surplus"))
    return changes[kind]


@DIFFERENTIAL
@given(message=MESSAGES)
def test_rendered_sets_get_pyx12s_findings(message: Message) -> None:
    tx = rendered(message)
    assert differences(tx) == []


FIXTURE_SETS = [tx for path in sorted(FIXTURES.glob("*.edi")) for tx in _sets(path)]


@DIFFERENTIAL
@given(data=st.data())
def test_mutated_fixtures_get_pyx12s_findings(data: st.DataObject) -> None:
    """The fixtures (the 940, 945 and 997 too, and a 005010 856 with tares), mutated."""
    tx = mutated(data.draw(st.sampled_from(FIXTURE_SETS), label="fixture"), data)
    assert differences(tx) == []


@DIFFERENTIAL
@given(message=MESSAGES, data=st.data())
def test_mutated_sets_get_pyx12s_findings(message: Message, data: st.DataObject) -> None:
    tx = mutated(rendered(message), data)
    assert differences(tx) == []
    for code in sorted({f.code for f in REFERENCE.validate(tx).findings}) or ["no finding"]:
        event(code)  # --hypothesis-show-statistics: what the mutations provoked

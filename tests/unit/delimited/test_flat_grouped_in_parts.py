"""One huge CSV inventory advice, its lines grouped "rows by line", read in parts
(adapters/formats/flat_in_parts.py, adapters/formats/delimited/in_parts.py, run_keys.py): each
run of a line's rows is an item as it comes, so the advice is read in flat memory, with the
outcome of the advice read whole (``parse``): the same ids, digests and business keys, its
parts put back together the whole message, the same finding when it fails; for any layout of
rows whose lines' rows come together (drawn: lines in order or not, rows per line, a bad value
somewhere). A line that comes back after its run ended fails the advice naming the line and
both rows (read whole its rows would be put together; read in parts they cannot be), its rows
to the rejected-rows reply; a line of more rows than a document read whole may hold is refused
(``csv.too_large``). Advices of a few hundred rows are made huge by a low threshold."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.formats import flat_in_parts
from adapters.formats.delimited import run_keys
from adapters.formats.delimited.format import CsvParser
from adapters.formats.delimited.mapping import load_mapping
from adapters.formats.delimited.reply import RejectedRows
from adapters.formats.delimited.run_keys import RunKeys
from gateway.bus.cloudevents import SerializedMessage
from gateway.messages.parts import MessageInParts
from gateway.ports import ParsedDocument, ParseResult
from tests.support.held_parts import published

PARTNER = "p"
HUGE_ROWS = 100
PART_ITEMS = 40
HEADER = (
    "file_reference,sender,receiver,advice_id,as_of_date,as_of_time,semantics,warehouse,line,sku,"
    "upc,description,location,state,quantity,unit\n"
)
STATES = ("on_hand", "available", "allocated", "reserved", "in_transit")


@pytest.fixture(autouse=True, scope="module")
def huge_from_100_rows() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flat_in_parts, "HUGE_ROWS", HUGE_ROWS)
        patch.setattr(flat_in_parts, "HUGE_PART_ITEMS", PART_ITEMS)
        yield


def row(advice: str, line: str, state: str, quantity: str = "", date: str = "20261205") -> str:
    """A row of the shipped example-inventory layout."""
    number = int(line) if line.isdigit() else len(line)
    quantity = quantity or str(number % 300 + 1)
    return (
        f"INV-1,3PL-WEST,GATEWAY,{advice},{date},0600,snapshot,DC-WEST,{line},SKU-{line},,"
        f'"Widget, {line}",A-{number % 40:02d},{state},{quantity},EA\n'
    )


def advice_rows(
    lines: list[str], per_line: int | list[int] = 2, advice: str = "ADV-HUGE"
) -> list[str]:
    """The rows of an advice: each line's rows together, one per state."""
    counts = per_line if isinstance(per_line, list) else [per_line] * len(lines)
    return [
        row(advice, line, STATES[n])
        for line, count in zip(lines, counts, strict=True)
        for n in range(count)
    ]


def advices(huge: list[str]) -> bytes:
    """A small advice, the ``huge`` one's rows, another small advice."""
    small = advice_rows(["1", "2"], 1, "ADV-SMALL-1")
    small_too = advice_rows(["1"], 2, "ADV-SMALL-2")
    return (HEADER + "".join(small + huge + small_too)).encode()


def parser(replies: bool = False) -> CsvParser:
    mapping = load_mapping("example-inventory")
    return CsvParser({PARTNER: mapping}, {}, {}, frozenset({PARTNER}) if replies else frozenset())


def read_both(data: bytes, replies: bool = False) -> tuple[ParseResult, list[ParseResult]]:
    csv_parser = parser(replies)
    whole = csv_parser.parse(data, file_name="advice.csv", partner=PARTNER)
    parts = list(csv_parser.parse_stream(io.BytesIO(data), file_name="advice.csv", partner=PARTNER))
    return whole, parts


def documents(parts: list[ParseResult]) -> list[ParsedDocument]:
    return [d for part in parts for d in part.documents]


def findings(parts: list[ParseResult]) -> list[dict[str, Any]]:
    return [finding for part in parts for finding in part.findings]


def whole_message(doc: ParsedDocument) -> dict[str, Any]:
    assert doc.message is not None
    data: dict[str, Any] = json.loads(SerializedMessage.of(doc.message).data)
    return data


def assert_as_read_whole(whole: ParseResult, parts: list[ParseResult]) -> None:
    """The stream's documents are ``whole``'s, the huge one as its parts, and so are its
    findings and replies."""
    got = documents(parts)
    assert [d.document_id for d in got] == [d.document_id for d in whole.documents]
    assert findings(parts) == whole.findings
    assert parts[-1].owed == whole.owed
    for doc, expected in zip(got, whole.documents, strict=True):
        assert (doc.content_digest, doc.business_key, doc.envelope_key, doc.kind) == (
            expected.content_digest,
            expected.business_key,
            expected.envelope_key,
            expected.kind,
        )
        if isinstance(doc.message, MessageInParts):
            assert published(doc, parts, PARTNER) == whole_message(expected)
        else:
            assert not doc.ahead and doc == expected


def test_a_huge_advice_of_lines_of_several_rows_is_read_in_parts_as_parse_reads_it() -> None:
    lines = [str(n) for n in range(1, 151)]
    whole, parts = read_both(advices(advice_rows(lines, 3)))
    assert not whole.has_errors and len(whole.documents) == 3
    assert_as_read_whole(whole, parts)
    huge = documents(parts)[1]
    assert isinstance(huge.message, MessageInParts)
    assert huge.message.parts == 1 + -(-150 // PART_ITEMS)
    assert huge.business_key == "InventoryAdvice:ADV-HUGE"
    message = published(huge, parts, PARTNER)
    assert [len(line["quantities"]) for line in message["lines"]] == [3] * 150


@st.composite
def layouts(draw: st.DrawFn) -> tuple[list[str], list[int], tuple[int, str] | None]:
    """Lines (numbers in order, shuffled, or texts), rows per line, maybe a bad value in a row
    (its index in the advice and what is wrong)."""
    count = draw(st.integers(min_value=40, max_value=160))
    kind = draw(st.sampled_from(["in order", "shuffled", "texts"]))
    lines = [str(n) for n in range(1, count + 1)]
    if kind != "in order":
        random.Random(draw(st.integers(0, 1 << 16))).shuffle(lines)
    if kind == "texts":
        lines = [f"L-{line}" for line in lines]
    per_line = draw(st.lists(st.integers(1, 4), min_size=count, max_size=count))
    bad = draw(
        st.none()
        | st.tuples(st.integers(0, sum(per_line) - 1), st.sampled_from(["MANY", "unknown", "date"]))
    )
    return lines, per_line, bad


@settings(max_examples=25, deadline=None)
@given(layouts())
def test_any_layout_whose_lines_rows_come_together_reads_in_parts_as_read_whole(
    layout: tuple[list[str], list[int], tuple[int, str] | None],
) -> None:
    lines, per_line, bad = layout
    rows = advice_rows(lines, per_line)
    if bad is not None:
        index, what = bad
        values = rows[index].split(",")
        if what == "MANY":
            values[-2] = "MANY"  # a quantity that is no number: a mapping error
        elif what == "unknown":
            values[-3] = "lost"  # a state the message does not know: a validation error
        else:
            values[4] = "someday"  # the advice's date: read from its first row only
        rows[index] = ",".join(values)
    whole, parts = read_both(advices(rows), replies=True)
    assert_as_read_whole(whole, parts)
    if bad is None:
        assert not whole.has_errors
        read_in_parts = len(rows) > HUGE_ROWS and len(lines) > PART_ITEMS  # else made whole
        assert any(part.ahead for part in parts) == read_in_parts


def test_a_line_that_comes_back_after_its_run_ended_fails_the_advice_naming_both_rows() -> None:
    lines = [str(n) for n in range(1, 121)]
    rows = advice_rows(lines, 2)
    rows.append(row("ADV-HUGE", "7", "reserved"))  # line 7 again, at the advice's end
    whole, parts = read_both(advices(rows), replies=True)
    assert not whole.has_errors  # read whole, its rows are put together
    got = documents(parts)
    assert [d.document_id for d in got] == [
        whole.documents[0].document_id,
        whole.documents[2].document_id,
    ]
    [finding] = findings(parts)
    assert finding["code"] == "csv.mapping"
    # the header is row 1, the small advice rows 2-3: the huge one's rows are 4-244, line 7
    # from row 16, and again at row 244
    assert finding["message"] == (
        "advice.csv, rows 4-244 (ADV-HUGE): line '7' comes back at row 244, after its rows from "
        "row 16 ended: a document this large is read in parts, an item at a time, so an item's "
        "rows must come together (read whole, they would be put together)"
    )
    [owed] = parts[-1].owed
    assert isinstance(owed, RejectedRows)
    assert [number for number, _, _ in owed.rows] == [str(n) for n in range(4, 245)]


def test_the_first_line_to_come_back_is_named_when_lines_come_in_no_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shuffled lines are looked over once the advice is read, a share at a time."""
    monkeypatch.setattr(run_keys, "KEYS_AT_A_TIME", 16)
    monkeypatch.setattr(run_keys, "BATCH", 5)
    lines = [f"SKU-{n}" for n in range(200)]
    random.Random(7).shuffle(lines)
    rows = advice_rows(lines, 1)
    rows.insert(150, row("ADV-HUGE", lines[100], "reserved"))
    rows.insert(180, row("ADV-HUGE", lines[20], "reserved"))
    _, parts = read_both(advices(rows))
    [finding] = findings(parts)
    assert (
        f"line {lines[100]!r} comes back at row {4 + 150}, after its rows from row {4 + 100}"
        in (finding["message"])
    )


def test_run_keys_name_the_first_key_back_in_the_file_s_order_whatever_the_shares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_keys, "BATCH", 3)
    keys = [f"K{n}" for n in range(100)]
    random.Random(3).shuffle(keys)
    runs = [*keys[:60], keys[40], *keys[60:], keys[10]]
    for at_a_time in (1_000, 10, 1):
        monkeypatch.setattr(run_keys, "KEYS_AT_A_TIME", at_a_time)
        found = RunKeys()
        for row, key in enumerate(runs, start=1):
            found.add(key, row)
        assert not found.ordered
        assert found.returned() == (keys[40], 41, 61)
        found.close()


@pytest.mark.parametrize(
    ("keys", "ordered"),
    [
        (["1", "2", "10", "11"], True),  # numbers by their value
        (["A", "B", "C"], True),
        (["9", "10", "A-1", "A-2"], True),  # numbers before texts
        (["1", "01"], False),  # the same number, written otherwise: looked over
        (["9" * 18, "1" * 19, "1" * 5000, "2" * 5000], True),  # long ones as texts
        (["2" * 19, "1" * 20], False),
        (["2", "1", "3"], False),
    ],
)
def test_keys_in_their_natural_order_need_no_looking_over(keys: list[str], ordered: bool) -> None:
    found = RunKeys()
    for row, key in enumerate(keys, start=1):
        found.add(key, row)
    assert found.ordered == ordered and found.returned() is None
    found.close()


def test_a_line_of_more_rows_than_a_document_read_whole_holds_is_refused() -> None:
    lines = [str(n) for n in range(1, 30)]
    rows = advice_rows(lines, 2)
    rows[20:20] = [row("ADV-HUGE", "11", "reserved")] * (HUGE_ROWS + 5)  # line 11's run
    whole, parts = read_both(advices(rows))
    assert not whole.has_errors
    [finding] = findings(parts)
    assert finding["code"] == "csv.too_large"
    assert finding["message"].startswith(
        f"advice.csv, rows 4-{3 + len(rows)} (ADV-HUGE): line '11' holds more than 100 rows, "
        f"from row 24 (row {24 + HUGE_ROWS} passes them)"
    )
    assert len(documents(parts)) == 2


def test_an_advice_whose_validators_are_not_vouched_for_is_not_read_in_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A validator of the message not known to look at its header alone: read whole, and so
    refused past the rows a document read whole may hold."""
    monkeypatch.setattr(flat_in_parts, "HEADER_VALIDATORS", {})
    lines = [str(n) for n in range(1, 121)]
    _, parts = read_both(advices(advice_rows(lines, 1)))
    [finding] = findings(parts)
    assert finding["code"] == "csv.too_large"
    assert (
        "InventoryAdvice has validators that may look at every item (_facility_first, "
        in (finding["message"])
    )

"""One huge CSV document read as a stream is read in parts, never held
(adapters/formats/flat_in_parts.py, adapters/formats/delimited/in_parts.py): its item parts come
out as they fill, before the file is read to its end, and with its header part they make the
message ``parse`` makes of the file (which reads it whole), with the same id and digest; a
document that fails, in its header, in a row far in or in its validation, fails as ``parse``
fails it (the same finding, the same rejected rows) with nothing of it to publish; a document
under the threshold is read whole as before, and one of a mapping that cannot be read so is
refused past it. Orders of a few hundred rows are made huge by a low threshold."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.formats import flat_in_parts
from adapters.formats.delimited.format import CsvParser
from adapters.formats.delimited.mapping import CsvMapping, load_mapping
from adapters.formats.delimited.reply import RejectedRows
from gateway.bus.cloudevents import SerializedMessage
from gateway.messages.parts import MessageInParts
from gateway.ports import ParsedDocument, ParseResult
from tests.support.held_parts import published
from tests.support.streams import TrackedSource

PARTNER = "p"
ROWS = 500


@pytest.fixture(autouse=True)
def huge_from_100_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flat_in_parts, "HUGE_ROWS", 100)
    monkeypatch.setattr(flat_in_parts, "HUGE_PART_ITEMS", 40)


def row(order: str, line: int, quantity: str = "", date: str = "20261205") -> str:
    """A row of the shipped example-orders layout (positions 2, 3, 5, 6, 26, 27, 30)."""
    values = [""] * 30
    values[0], values[1], values[2] = "ORDERSD96AUNEAN008", "SHOP-7", "GATEWAY"
    values[4], values[5] = order, date
    values[25], values[26] = str(line), f"40123450{line:05d}"
    values[29] = quantity or f"{line % 7 + 1}.500"
    return ",".join(f'"{value}"' for value in values) + "\n"


def orders(rows: int = ROWS, changed: dict[str, dict[str, str]] | None = None) -> bytes:
    """A small order, one of ``rows`` rows (``changed``: row number in it -> row arguments),
    another small one."""
    text = "".join(row("SMALL-1", n) for n in range(1, 4))
    changed = changed or {}
    text += "".join(row("HUGE-1", n, **changed.get(str(n), {})) for n in range(1, rows + 1))
    text += "".join(row("SMALL-2", n) for n in range(1, 3))
    return text.encode()


def parser(mapping: CsvMapping | None = None, replies: bool = False) -> CsvParser:
    mapping = mapping or load_mapping("example-orders")
    return CsvParser({PARTNER: mapping}, {}, {}, frozenset({PARTNER}) if replies else frozenset())


def read_both(
    data: bytes, csv_parser: CsvParser | None = None
) -> tuple[ParseResult, list[ParseResult]]:
    csv_parser = csv_parser or parser()
    whole = csv_parser.parse(data, file_name="huge.csv", partner=PARTNER)
    parts = list(csv_parser.parse_stream(io.BytesIO(data), file_name="huge.csv", partner=PARTNER))
    return whole, parts


def documents(parts: list[ParseResult]) -> list[ParsedDocument]:
    return [d for part in parts for d in part.documents]


def whole_message(doc: ParsedDocument) -> dict[str, Any]:
    assert doc.message is not None
    data: dict[str, Any] = json.loads(SerializedMessage.of(doc.message).data)
    return data


def test_a_huge_order_read_in_parts_publishes_the_message_parse_makes() -> None:
    whole, parts = read_both(orders())
    assert not whole.has_errors and not any(part.has_errors for part in parts)
    small, expected, small_too = whole.documents
    assert len(parts) > 5  # its parts, as they filled
    got = documents(parts)
    assert [d.document_id for d in got] == [d.document_id for d in whole.documents]
    assert (got[0], got[2]) == (small, small_too)  # the others as ever
    huge = got[1]
    assert (huge.content_digest, huge.business_key, huge.envelope_key, huge.kind) == (
        expected.content_digest,
        expected.business_key,
        expected.envelope_key,
        expected.kind,
    )
    assert huge.business_key == "PurchaseOrder:HUGE-1"
    message = published(huge, parts, PARTNER)
    assert message == whole_message(expected)
    assert len(message["lines"]) == ROWS
    assert isinstance(huge.message, MessageInParts) and huge.message.parts == 1 + ROWS // 40 + 1


def test_its_parts_come_before_the_file_is_read_to_its_end() -> None:
    rows = 20_000  # some 3.6 MB: more than the reader's chunks
    data = orders(rows)
    source = TrackedSource(data)
    parts = parser().parse_stream(source, file_name="huge.csv", partner=PARTNER)
    first_ahead = next(part for part in parts if part.ahead)
    assert first_ahead.ahead[0].number == 2
    assert source.read_up_to < len(data) // 2
    rest = list(parts)
    assert sum(len(part.ahead) for part in [first_ahead, *rest]) == rows // 40


def test_under_the_threshold_or_at_it_an_order_is_read_whole_as_before() -> None:
    for rows in (40, 100):
        whole, parts = read_both(orders(rows))
        assert not any(part.ahead for part in parts)
        got = documents(parts)
        assert got == whole.documents and len(got[1].message.lines) == rows  # type: ignore[union-attr]


def test_a_threshold_under_a_part_makes_the_whole_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(flat_in_parts, "HUGE_PART_ITEMS", 1000)
    whole, parts = read_both(orders())
    assert not any(part.ahead for part in parts)
    got = documents(parts)
    assert [d.document_id for d in got] == [d.document_id for d in whole.documents]
    assert not got[1].ahead and whole_message(got[1]) == whole_message(whole.documents[1])
    assert got[1].content_digest == whole.documents[1].content_digest


@pytest.mark.parametrize(
    ("changed", "said"),
    [
        ({"250": {"quantity": "MANY"}}, "expected a number, found 'MANY'"),  # a field far in
        ({"250": {"quantity": " "}}, "lines.249.quantity"),  # validation, far in
        ({"1": {"date": "yesterday"}}, "po_date (6): expected a date"),  # the header
    ],
)
def test_a_huge_order_that_fails_fails_as_parse_fails_it(
    changed: dict[str, dict[str, str]], said: str
) -> None:
    csv_parser = parser(replies=True)
    whole, parts = read_both(orders(changed=changed), csv_parser)
    assert [d.document_id for d in documents(parts)] == [d.document_id for d in whole.documents]
    assert len(whole.documents) == 2  # the small ones
    assert any(part.ahead for part in parts) == ("1" not in changed)  # parts given, then forgotten
    findings = [finding for part in parts for finding in part.findings]
    assert findings == whole.findings
    [finding] = findings
    assert finding["message"].startswith(f"huge.csv, rows 4-{3 + ROWS} (HUGE-1): ")
    assert said in finding["message"], finding
    [owed] = parts[-1].owed
    [expected] = whole.owed
    assert isinstance(owed, RejectedRows) and owed == expected and len(owed.rows) == ROWS


def test_validation_problems_of_rows_and_header_are_named_as_parse_names_them() -> None:
    """Five problems at most, in the message's order: the rows that fail, in their places."""
    changed = {str(n): {"quantity": " "} for n in (120, 130, 140, 150, 160, 170)}
    whole, parts = read_both(orders(changed=changed))
    findings = [finding for part in parts for finding in part.findings]
    assert findings == whole.findings
    [finding] = findings
    assert finding["message"].count("Field required") == 5
    assert "lines.119.quantity (rows[120]/30)" in finding["message"]
    assert "lines.169" not in finding["message"]


def test_a_list_not_read_a_row_or_a_run_an_item_refuses_a_huge_document() -> None:
    """Read as a stream, it is refused past the rows a document read whole may hold (the others
    read as ever); ``parse`` reads it whole."""
    mapping = load_mapping("example-orders")
    lines = mapping.fields["lines"]
    assert not isinstance(lines, str)
    first_row_only = lines.model_copy(update={"each": "this"})
    other = mapping.model_copy(update={"fields": {**mapping.fields, "lines": first_row_only}})
    whole, parts = read_both(orders(), parser(other))
    assert not whole.has_errors and len(whole.documents) == 3
    assert not any(part.ahead for part in parts)
    assert documents(parts) == [whole.documents[0], whole.documents[2]]
    [finding] = [finding for part in parts for finding in part.findings]
    assert finding["code"] == "csv.too_large"
    assert finding["message"].startswith("huge.csv, rows 4-503 (HUGE-1): more than 100 rows")


def spread(parts: list[ParseResult]) -> Iterator[int]:
    """How many item parts each part of the file holds."""
    for part in parts:
        yield len(part.ahead)


def test_each_part_of_the_file_holds_at_most_one_item_part_while_the_order_is_read() -> None:
    _, parts = read_both(orders())
    assert max(spread(parts)) == 1


def test_a_huge_order_from_a_sender_the_partner_does_not_use_refuses_the_file_as_parse() -> None:
    mapping = load_mapping("example-orders")
    csv_parser = CsvParser({PARTNER: mapping}, {PARTNER: frozenset({"SHOP-8"})}, {})
    alone = b"".join(line for line in orders().splitlines(keepends=True) if b"HUGE-1" in line)
    whole, parts = read_both(alone, csv_parser)
    assert whole.refused is not None and parts[-1].refused == whole.refused
    assert any(part.ahead for part in parts[:-1])  # given, to be forgotten with the file

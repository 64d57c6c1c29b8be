"""One huge 856 or 846 set in a file read as a stream is read in parts, never held
(adapters/formats/x12/huge_sets.py): its item parts come out as they fill, and with its header
part they make the message ``parse`` makes of the file, with the same document id; its 997 is
``parse``'s; a set rejected is rejected as ``parse`` rejects it, under the same id. Sets a few
hundred kB long are made huge by a low threshold."""

from __future__ import annotations

import io
import itertools
import json
import re
from pathlib import Path

import pytest

from adapters.formats.x12 import huge_sets
from adapters.formats.x12.inbound import X12Parser
from bench.x12_throughput import generate_varied_846, generate_varied_856
from gateway.bus.cloudevents import SerializedMessage
from gateway.ports import ParseResult
from tests.support.held_parts import published
from tests.unit.x12.test_x12_stream import _dated

PARTNER = "acme"


@pytest.fixture(autouse=True)
def huge_from_2000_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huge_sets, "HUGE_SEGMENTS", 2000)
    monkeypatch.setattr(huge_sets, "HUGE_PART_ITEMS", 40)


def read_both(data: bytes) -> tuple[ParseResult, list[ParseResult]]:
    parser = X12Parser()
    whole = parser.parse(data, file_name="huge.x12", partner=PARTNER)
    parts = list(parser.parse_stream(io.BytesIO(data), file_name="huge.x12", partner=PARTNER))
    return whole, parts


@pytest.mark.parametrize(
    ("generate", "size"), [(generate_varied_856, 300_000), (generate_varied_846, 200_000)]
)
def test_a_huge_set_read_in_parts_publishes_the_message_parse_makes_with_its_997(
    tmp_path: Path, generate: object, size: int
) -> None:
    path = tmp_path / "huge.x12"
    generate(path, size)  # type: ignore[operator]
    data = path.read_bytes()
    whole, parts = read_both(data)
    [expected] = whole.documents
    assert expected.accepted and expected.message is not None, expected.errors
    assert len(parts) > 3  # the set's parts, as they filled, then the rest
    [doc] = [d for part in parts for d in part.documents]
    message = published(doc, parts, PARTNER)
    assert message["document_id"] == expected.document_id
    assert message == json.loads(SerializedMessage.of(expected.message).data)
    assert doc.document_id == expected.document_id and doc.envelope_key == expected.envelope_key
    assert [_dated(d) for d in parts[-1].owed] == [_dated(d) for d in whole.owed]


def test_a_huge_set_rejected_is_rejected_as_parse_rejects_it_with_nothing_to_publish(
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.x12"
    generate_varied_856(path, 300_000)
    data = re.sub(rb"SN1\*\*(\d+)\*", rb"SN1**MANY*", path.read_bytes(), count=1)  # far in
    whole, parts = read_both(data)
    [expected] = whole.documents
    assert not expected.accepted
    [doc] = [d for part in parts for d in part.documents]
    assert doc.message is None and not doc.ahead
    assert (doc.document_id, doc.errors) == (expected.document_id, expected.errors)
    assert [_dated(d) for d in parts[-1].owed] == [_dated(d) for d in whole.owed]
    assert "AK5*R*" in parts[-1].owed[0].text


def test_a_huge_set_without_its_se_is_rejected_as_parse_rejects_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.x12"
    generate_varied_856(path, 300_000)
    data = re.sub(rb"SE\*\d+\*0001~\n?", b"", path.read_bytes())
    assert b"SE*" not in data
    whole, parts = read_both(data)
    [expected] = whole.documents
    [doc] = [d for part in parts for d in part.documents]
    assert (doc.document_id, doc.errors) == (expected.document_id, expected.errors)
    assert [_dated(d) for d in parts[-1].owed] == [_dated(d) for d in whole.owed]


@pytest.mark.parametrize(
    ("generate", "size"), [(generate_varied_856, 300_000), (generate_varied_846, 200_000)]
)
def test_the_item_parts_a_huge_sets_end_completes_come_one_a_part_before_its_document(
    tmp_path: Path, generate: object, size: int
) -> None:
    """Its unmapped segments come after its items: at its end they fill many item parts at once
    (a gigabyte's 856: some 25 of 800 kB). Each comes in a stream's part of its own, never all
    in the last one with the document."""
    path = tmp_path / "huge.x12"
    generate(path, size)  # type: ignore[operator]
    parts = X12Parser().parse_stream(path.open("rb"), file_name="huge.x12", partner=PARTNER)
    *items, last = [(len(part.ahead), bool(part.documents)) for part in parts]
    assert last == (0, True)  # the document, its header part, after every item part
    tail = list(itertools.takewhile(lambda a: a == (1, False), reversed(items)))
    assert len(tail) >= 3, items

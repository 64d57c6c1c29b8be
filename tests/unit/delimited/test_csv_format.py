"""CSV through a declarative mapping (adapters/formats/delimited): rows grouped into documents by
their key columns, columns by position or by header name, character sets, decimal commas;
errors name the rows and the column; the shipped example reads the public corpus's CSV orders."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from adapters import REGISTRY
from adapters.formats.delimited.format import PART, CsvConfig, CsvFormat, CsvParser
from adapters.formats.delimited.mapping import CsvMapping
from gateway.errors import ConfigError
from gateway.messages import PurchaseOrder
from gateway.partner_formats import PartnerFormats
from gateway.partners import parse_profile
from tests.support.streams import ShortReads, TrackedSource, live

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "other"
CSV_ORDERS = "bots-edi__bots-plugins__edifact__orders_to_csv__botssys__infile__csvdemo__csv2edi__"
CSV_ORDERS += "test.csv"
HEADED: dict[str, Any] = {
    "message": "PurchaseOrder",
    "kind": "850",
    "layout": {"delimiter": ";", "header": True, "encoding": "latin-1", "group_by": ["Order"]},
    "envelope": {"sender": "From", "receiver": "To"},
    "fields": {
        "po_number": "Order",
        "po_date": {"path": "Date", "type": "date", "format": "%d.%m.%Y"},
        "purpose_code": {"value": "00"},
        "order_type_code": {"value": "SA"},
        "lines": {
            "each": "rows",
            "fields": {
                "quantity": {"path": "Qty", "type": "decimal", "decimal_comma": True},
                "unit_of_measure": "Unit",
                "description": "Article",
            },
        },
    },
}
FILE = (
    "Order;Date;From;To;Qty;Unit;Article\n"
    "A-1;05.12.2026;SHOP;US;1,5;KG;Käse\n"
    "A-1;05.12.2026;SHOP;US;1.000,25;KG;Müsli\n"
    "B-7;06.12.2026;SHOP;US;2;EA;Brot\n"
).encode("latin-1")


def parser(mapping: Mapping[str, Any]) -> CsvParser:
    return CsvParser({"p": CsvMapping.model_validate(mapping)}, {}, {})


def test_rows_are_grouped_by_key_with_header_names_charset_and_decimal_comma() -> None:
    result = parser(HEADED).parse(FILE, file_name="orders.csv", partner="p")
    assert not result.has_errors, result.findings
    orders = {d.message.po_number: d.message for d in result.documents if d.message}
    assert sorted(orders) == ["A-1", "B-7"]
    assert [(str(line.quantity), line.description) for line in orders["A-1"].lines] == [
        ("1.5", "Käse"),
        ("1000.25", "Müsli"),
    ]
    assert str(orders["B-7"].po_date) == "2026-12-06"


def test_a_byte_order_mark_is_tolerated_and_bytes_of_another_charset_refused() -> None:
    utf8 = {**HEADED, "layout": {**HEADED["layout"], "encoding": "utf-8"}}
    bom = b"\xef\xbb\xbf" + FILE.decode("latin-1").encode("utf-8")
    assert len(parser(utf8).parse(bom, file_name="f", partner="p").documents) == 2
    refused = parser(utf8).parse(FILE, file_name="f.csv", partner="p")
    assert refused.why is not None
    assert "line 2: byte 0xe4 is not utf-8 (invalid continuation byte)" in refused.why
    assert "line 3: byte 0xfc" in (
        parser(utf8)
        .parse(
            bom.replace(b"K\xc3\xa4se", b"Kase").replace(b"\xc3\xbc", b"\xfc"),
            file_name="f",
            partner="p",
        )
        .why
        or ""
    )


def test_the_profile_sets_the_charset_and_whether_bad_bytes_are_replaced() -> None:
    def read(section: dict[str, Any], data: bytes) -> Any:
        profile = parse_profile("p", {"csv": {"mapping": "example-orders", **section}}, REGISTRY)
        formats = PartnerFormats.of(REGISTRY, {"p": profile})
        return formats.parse(data, file_name="f.csv", partner="p")

    rows = Path(__file__).resolve().parents[3] / "fixtures" / "csv" / "example-orders.csv"
    data = rows.read_bytes().replace(b'023","",', '023","Käse",'.encode("latin-1"))
    strict = read({}, data)  # the mapping's layout says utf-8: refused
    assert strict.why is not None and "line 2: byte 0xe4 is not utf-8" in strict.why
    assert not read({"encoding": "latin-1"}, data).has_errors
    replaced = read({"bad_characters": "replace"}, data)
    assert not replaced.has_errors and len(replaced.documents) == 2
    [warning] = replaced.findings
    assert warning["severity"] == "warning"
    assert warning["message"].startswith("f.csv: line 2: byte 0xe4 is not utf-8")
    assert warning["message"].endswith(": 1 byte(s) replaced by U+FFFD")
    with pytest.raises(ValueError, match=r"csv\.encoding: Input should be 'utf-8'"):
        parse_profile("p", {"csv": {"mapping": "x", "encoding": "ebcdic"}}, REGISTRY)


def test_errors_name_the_rows_and_the_column() -> None:
    bad = FILE.replace(b"05.12.2026;SHOP;US;1,5", b"05.12.2026;SHOP;US;viel")
    result = parser(HEADED).parse(bad, file_name="f.csv", partner="p")
    [finding] = result.findings
    assert "f.csv, rows 2-3 (A-1)" in finding["message"]
    assert "quantity (Qty): expected a number, found 'viel'" in finding["message"]
    assert [d.message.po_number for d in result.documents if d.message] == ["B-7"]
    missing = {**HEADED, "layout": {**HEADED["layout"], "group_by": ["Nope"]}}
    assert "no column 'Nope'" in (parser(missing).parse(FILE, file_name="f", partner="p").why or "")


def test_a_document_is_a_run_of_rows_and_a_key_that_comes_back_starts_another() -> None:
    again = FILE + "A-1;05.12.2026;SHOP;US;7;EA;Tee\n".encode("latin-1")
    result = parser(HEADED).parse(again, file_name="f.csv", partner="p")
    assert not result.has_errors, result.findings
    assert [(d.message.po_number, len(d.message.lines)) for d in result.documents if d.message] == [
        ("A-1", 2),
        ("B-7", 1),
        ("A-1", 1),
    ]


def test_each_document_has_the_envelope_of_its_rows_shared_while_they_do_not_change() -> None:
    mixed = FILE + b"C-2;06.12.2026;MILL;US;3;EA;Mehl\nD-4;06.12.2026;SHOP;US;4;EA;Salz\n"
    result = parser(HEADED).parse(mixed, file_name="f.csv", partner="p")
    assert not result.has_errors, result.findings
    envelopes = [d.message.envelope for d in result.documents if d.message]
    assert [(e.sender.id, e.receiver.id, e.partner) for e in envelopes] == [
        ("SHOP", "US", "p"),
        ("SHOP", "US", "p"),
        ("MILL", "US", "p"),
        ("SHOP", "US", "p"),
    ]
    assert envelopes[1] is envelopes[0]  # validated once: it is immutable
    assert envelopes[3] == envelopes[0]


def test_a_field_whose_column_the_header_lacks_fails_each_document_naming_it() -> None:
    fields = {**HEADED["fields"], "release_number": "Release"}
    result = parser({**HEADED, "fields": fields}).parse(FILE, file_name="f.csv", partner="p")
    assert not result.documents
    assert [f["message"] for f in result.findings] == [
        "f.csv, rows 2-3 (A-1): no column 'Release' in the header",
        "f.csv, rows 4-4 (B-7): no column 'Release' in the header",
    ]


def test_a_large_file_is_read_as_a_stream_in_parts_of_a_bounded_size() -> None:
    rows = "".join(f"O-{n:06d};05.12.2026;SHOP;US;{n % 7 + 1};EA;Item {n}\n" for n in range(30_000))
    data = ("Order;Date;From;To;Qty;Unit;Article\n" + rows).encode("latin-1")
    source = TrackedSource(data)
    csv_parser = parser(HEADED)
    parts = csv_parser.parse_stream(source, file_name="big.csv", partner="p")
    first = next(parts)
    assert len(first.documents) == PART and first.why is None
    assert source.read_up_to < len(data)  # the rest is not read yet
    sizes = [len(first.documents), *(len(part.documents) for part in parts)]
    assert sum(sizes) == 30_000 and max(sizes) == PART
    assert source.read_up_to == len(data)
    whole = csv_parser.parse(data, file_name="big.csv", partner="p")
    assert [d.document_id for d in whole.documents[:3]] == [
        d.document_id for d in first.documents[:3]
    ]


def test_a_late_bad_byte_makes_the_last_part_the_file_s_verdict() -> None:
    rows = "".join(f"O-{n:06d};05.12.2026;SHOP;US;1;EA;Item\n" for n in range(40_000))
    data = ("Order;Date;From;To;Qty;Unit;Article\n" + rows).encode("latin-1") + b"X;\xff\n"
    assert len(data) > 1 << 20  # more than a chunk: documents come before the bad byte is read
    utf8 = {**HEADED, "layout": {**HEADED["layout"], "encoding": "utf-8"}}
    parts = list(parser(utf8).parse_stream(io.BytesIO(data), file_name="f", partner="p"))
    assert parts[:-1] and {len(part.documents) for part in parts[:-1]} == {PART}
    assert parts[-1].why == "f: line 40002: byte 0xff is not utf-8 (invalid start byte)"
    whole = parser(utf8).parse(data, file_name="f", partner="p")
    assert whole.why == parts[-1].why and not whole.documents


def test_a_bad_mapping_names_its_file_and_key(tmp_path: Path) -> None:
    from adapters.formats.delimited.mapping import load_mapping

    (tmp_path / "bad.toml").write_text(
        'message = "PurchaseOrder"\nkind = "850"\n[layout]\ndelimiter = ";;"\ngroup_by = []\n'
        '[envelope]\nsender = "1"\nreceiver = "2"\n[fields]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_mapping("bad", tmp_path)
    assert "bad.toml: layout.delimiter:" in str(caught.value)
    assert "bad.toml: layout.group_by:" in str(caught.value)


def test_the_shipped_example_reads_the_corpus_csv_orders_with_business_keys() -> None:
    profile = parse_profile("p", {"format": "csv", "csv": {"mapping": "example-orders"}}, REGISTRY)
    formats = PartnerFormats.of(REGISTRY, {"p": profile})
    path = CORPUS / CSV_ORDERS
    result = formats.parse(path.read_bytes(), file_name=path.name, partner="p")
    assert not result.has_errors and result.format == "csv"
    assert [(d.business_key, len(d.message.lines)) for d in result.documents if d.message] == [
        ("PurchaseOrder:BGMREF", 4),
        ("PurchaseOrder:1-4500094289", 2),
        ("PurchaseOrder:1-4500094290", 1),
        ("PurchaseOrder:1-4500094291", 1),
    ]
    first = result.documents[0].message
    assert first is not None
    assert first.envelope.sender.id == "PARTNER1" and str(first.po_date) == "2005-08-19"
    assert first.lines[0].item.other_ids[0].value == "8712345004002"
    assert isinstance(CsvFormat().parser({"p": CsvConfig(mapping="example-orders")}), CsvParser)


def test_a_file_read_as_a_stream_holds_one_part_of_documents_alive() -> None:
    """While the next part is read, neither the CSV parser nor PartnerFormats holds a part
    back (three parts were alive: the reader's, the one held back to learn whether it was
    the last, and the one being read)."""
    profile = parse_profile("p", {"format": "csv", "csv": {"mapping": "example-orders"}}, REGISTRY)
    formats = PartnerFormats.of(REGISTRY, {"p": profile})
    fixture = Path(__file__).resolve().parents[3] / "fixtures" / "csv" / "example-orders.csv"
    sample = fixture.read_text().splitlines()[0]
    data = "".join(sample.replace("ORD-501", f"O-{n:06d}") + "\n" for n in range(3 * PART))
    alive: list[int] = []
    source = ShortReads(data.encode(), 1 << 14, lambda: alive.append(live(PurchaseOrder)))
    read = 0
    for part in formats.parse_stream(source, file_name="f", partner="p"):
        read += len(part.documents)
        del part  # as the daemon does (gateway/streamed.py)
    assert read == 3 * PART and len(alive) > 4
    assert max(alive) <= PART + 1

"""Fixed width through a declarative mapping (adapters/formats/fixed): record types by a tag in
columns, fields as column slices, records nested header -> lines -> sub-lines with min/max
counts, implied decimals, character sets; every error names the line, the record, the field
and its columns, what was expected and what was found."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import REGISTRY
from adapters.formats.fixed.format import PART, FixedConfig, FixedParser
from adapters.formats.fixed.mapping import FixedMapping, FixedNode, Record, load_mapping
from gateway.errors import ConfigError
from gateway.messages import PurchaseOrder
from gateway.partner_formats import PartnerFormats
from gateway.partners import load_partners, parse_profile
from gateway.ports import ParseResult
from tests.support.streams import ShortReads, TrackedSource, live

ROOT = Path(__file__).resolve().parents[3]

# HEA: order 4-13, date 14-21, from 22-26, to 27-31 (31 columns)
# LIN: number 4-6, quantity 7-18 (2 implied decimals), unit 19-20 (20 columns)
# TXT: a line's notes 4-13 (13 columns), at most 2 under a line
MAPPING: dict[str, Any] = {
    "message": "PurchaseOrder",
    "kind": "850",
    "layout": {
        "encoding": "utf-8",
        "tag": {"start": 1, "length": 3},
        "records": {
            "HEA": {
                "length": 31,
                "fields": {
                    "ORDER": {"start": 4, "length": 10},
                    "DATE": {"start": 14, "length": 8},
                    "FROM": {"start": 22, "length": 5},
                    "TO": {"start": 27, "length": 5},
                },
            },
            "LIN": {
                "parent": "HEA",
                "min": 1,
                "max": 3,
                "length": 20,
                "fields": {
                    "NO": {"start": 4, "length": 3},
                    "QTY": {"start": 7, "length": 12},
                    "UNIT": {"start": 19, "length": 2},
                },
            },
            "TXT": {
                "parent": "LIN",
                "max": 2,
                "length": 13,
                "fields": {"NOTE": {"start": 4, "length": 10}},
            },
        },
    },
    "envelope": {"sender": "HEA.FROM", "receiver": "HEA.TO"},
    "fields": {
        "po_number": "HEA.ORDER",
        "po_date": {"path": "HEA.DATE", "type": "date", "format": "%Y%m%d"},
        "purpose_code": {"value": "00"},
        "order_type_code": {"value": "SA"},
        "lines": {
            "each": "LIN",
            "fields": {
                "line_number": "LIN.NO",
                "quantity": {"path": "LIN.QTY", "type": "decimal", "implied_decimals": 2},
                "unit_of_measure": "LIN.UNIT",
                "description": "HEA.ORDER",  # a line reads its header's fields too
                "notes": {"each": "TXT", "fields": {"text": "TXT.NOTE"}},
            },
        },
    },
}
HEA_1 = "HEAPO-1      20261205SHOP US   "
HEA_2 = "HEAPO-2      20261206SHOP US   "
LIN_1 = "LIN001000000012345EA"
LIN_2 = "LIN002000000000700KG"
FILE = "\r\n".join([HEA_1, LIN_1, "TXTfragile   ", "TXTtop up    ", LIN_2, HEA_2, LIN_1, ""])


def parser(mapping: Mapping[str, Any] = MAPPING) -> FixedParser:
    return FixedParser({"p": FixedMapping.model_validate(mapping)}, {})


def parse(text: str | bytes, mapping: Mapping[str, Any] = MAPPING) -> ParseResult:
    data = text.encode() if isinstance(text, str) else text
    return parser(mapping).parse(data, file_name="f.fix", partner="p")


def orders(result: ParseResult) -> list[PurchaseOrder]:
    return [d.message for d in result.documents if isinstance(d.message, PurchaseOrder)]


def messages(result: ParseResult) -> list[str]:
    return [str(finding["message"]) for finding in result.findings]


def with_layout(**records: Any) -> dict[str, Any]:
    layout = MAPPING["layout"]
    merged = {tag: {**spec, **records.get(tag, {})} for tag, spec in layout["records"].items()}
    return {**MAPPING, "layout": {**layout, "records": merged}}


def test_records_nest_into_documents_with_implied_decimals_and_their_header_s_fields() -> None:
    result = parse(FILE)
    assert not result.has_errors, result.findings
    first, second = orders(result)
    assert (first.po_number, str(first.po_date), first.envelope.sender.id) == (
        "PO-1",
        "2026-12-05",
        "SHOP",
    )
    assert [(line.line_number, line.quantity, line.unit_of_measure) for line in first.lines] == [
        ("001", Decimal("123.45"), "EA"),
        ("002", Decimal("7.00"), "KG"),
    ]
    assert [note.text for note in first.lines[0].notes] == ["fragile", "top up"]
    assert first.lines[0].description == "PO-1" and not first.lines[1].notes
    assert second.po_number == "PO-2" and len(second.lines) == 1
    assert {d.kind for d in result.documents} == {"850"}


def test_paths_read_the_record_then_the_records_below_then_the_nearest_above() -> None:
    mapping = FixedMapping.model_validate(MAPPING)
    head = Record("HEA", 1, HEA_1)
    line = Record("LIN", 2, LIN_1)
    note = Record("TXT", 3, "TXTfragile   ")
    head.children.append(line)
    line.children.append(note)
    node = FixedNode.of(head, mapping.layout)
    assert node.texts("HEA.ORDER") == ["PO-1"]
    assert node.texts("TXT.NOTE") == ["fragile"]  # below, however deep
    [child] = node.children("LIN")
    assert child.texts("HEA.DATE") == ["20261205"]  # above
    assert child.children("LIN") == [child]  # a record is its own item
    assert child.texts("TXT.NOTE") == ["fragile"]


def test_a_line_too_short_or_too_long_names_its_line_record_and_lengths() -> None:
    short = FILE.replace(LIN_2, LIN_2[:-1])
    result = parse(short)
    assert messages(result) == ["f.fix, line 5: LIN record too short: 19 characters, expected 20"]
    assert [o.po_number for o in orders(result)] == ["PO-2"]  # the other document is read
    assert not parse(short, with_layout(LIN={"pad": True})).has_errors
    assert not parse(short, {**MAPPING, "layout": {**MAPPING["layout"], "pad": True}}).has_errors
    long = FILE.replace(HEA_2, HEA_2 + "X")
    assert messages(parse(long)) == [
        "f.fix, line 6: HEA record too long: 32 characters, expected 31"
    ]
    assert parse(long, with_layout(HEA={"pad": True})).has_errors  # padding is for short lines


def test_an_unknown_tag_names_its_line_the_tag_and_the_known_ones() -> None:
    result = parse(FILE.replace("TXTtop up    ", "XYZtop up    "))
    assert messages(result) == [
        "f.fix, line 4: unknown record tag 'XYZ' in columns 1-3 (known: HEA, LIN, TXT)"
    ]
    assert [o.po_number for o in orders(result)] == ["PO-2"]


def test_too_few_or_too_many_records_and_records_outside_their_parent() -> None:
    no_lines = "\n".join([HEA_1, HEA_2, LIN_1])
    assert messages(parse(no_lines)) == [
        "f.fix, line 1: HEA record holds 0 LIN record(s), expected at least 1"
    ]
    four = "\n".join([HEA_1, LIN_1, LIN_1, LIN_1, LIN_2])
    assert messages(parse(four)) == [
        "f.fix, line 5: LIN record is the 4th under the HEA record of line 1, expected at most 3"
    ]
    notes = "\n".join([HEA_1, LIN_1, "TXTa         ", "TXTb         ", "TXTc         "])
    assert (
        "line 5: TXT record is the 3rd under the LIN record of line 2" in messages(parse(notes))[0]
    )
    orphan = "\n".join([LIN_1, HEA_1, LIN_1, "TXTa         "])
    result = parse(orphan)
    assert messages(result) == ["f.fix, line 1: LIN record outside a HEA record (its parent)"]
    assert result.has_errors and [o.po_number for o in orders(result)] == ["PO-1"]
    assert messages(parse(FILE, with_layout(HEA={"min": 3}))) == [
        "f.fix: 2 HEA record(s) in the file, expected at least 3"
    ]


def test_a_record_ended_by_another_type_under_its_parent_is_checked_for_its_records() -> None:
    """A line closes the records above its parent's (the reader takes a short way when the
    record it closes is of a type that holds none): a LIN ended by a REM under the same HEA
    is short of its TXT."""
    mapping = with_layout(TXT={"min": 1})
    remark = {"parent": "HEA", "length": 13, "fields": {}}
    records = {**mapping["layout"]["records"], "REM": remark}
    mapping = {**mapping, "layout": {**mapping["layout"], "records": records}}
    text = "\n".join([HEA_1, LIN_1, "REMremark    ", LIN_2, "TXTa         "])
    assert messages(parse(text, mapping)) == [
        "f.fix, line 2: LIN record holds 0 TXT record(s), expected at least 1"
    ]
    fine = "\n".join([HEA_1, LIN_1, "TXTa         ", "REMremark    ", LIN_2, "TXTb         "])
    assert not parse(fine, mapping).findings


def test_a_bad_date_names_its_line_field_and_columns() -> None:
    result = parse(FILE.replace("20261206", "20261306"))
    assert messages(result) == [
        "f.fix, lines 6-7: po_date (HEA.DATE at line 6, columns 14-21): "
        "expected a date (%Y%m%d), found '20261306'"
    ]


def test_a_bad_number_names_the_line_it_is_on() -> None:
    result = parse(FILE.replace(LIN_2, "LIN0020000000007x0KG"))
    [message] = messages(result)
    assert message.startswith("f.fix, lines 1-5: quantity (LIN.QTY at line 5, columns 7-18): ")
    assert "expected digits with 2 implied decimals, found '0000000007x0'" in message
    missing = parse(FILE.replace(LIN_2, "LIN002            KG"))
    [message] = messages(missing)
    assert "lines.1.quantity (LIN[2]/LIN.QTY at line 5, columns 7-18): Field required" in message


def test_character_sets_a_byte_order_mark_and_bytes_of_another_charset() -> None:
    latin = {**MAPPING, "layout": {**MAPPING["layout"], "encoding": "latin-1"}}
    cp1252 = {**MAPPING, "layout": {**MAPPING["layout"], "encoding": "cp1252"}}
    mixed = FILE.replace("fragile   ", "fragilé €5")
    assert orders(parse(mixed.encode("cp1252"), cp1252))[0].lines[0].notes[0].text == "fragilé €5"
    umlaut = FILE.replace("SHOP ", "SHÖP ")
    assert orders(parse(umlaut.encode("latin-1"), latin))[0].envelope.sender.id == "SHÖP"
    assert len(orders(parse(b"\xef\xbb\xbf" + FILE.encode()))) == 2  # columns count after it
    refused = parse(FILE.encode() + umlaut.encode("latin-1"))
    assert refused.why == "f.fix: line 8: byte 0xd6 is not utf-8 (invalid continuation byte)"
    assert parse("\n\n").why == "f.fix: no records"


def test_a_large_file_is_read_as_a_stream_in_parts_of_a_bounded_size() -> None:
    orders = [f"HEAPO-{n:06d} 20261205SHOP US   \r\n{LIN_1}\r\n{LIN_2}\r\n" for n in range(20_000)]
    data = "".join(orders).encode()
    assert len(data) > 1 << 20
    source = TrackedSource(data)
    parts = parser().parse_stream(source, file_name="big.fix", partner="p")
    first = next(parts)
    assert len(first.documents) == PART and first.why is None
    assert source.read_up_to < len(data)  # the rest is not read yet
    sizes = [len(first.documents), *(len(part.documents) for part in parts)]
    assert sum(sizes) == 20_000 and max(sizes) == PART


def test_a_bad_mapping_names_its_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'message = "PurchaseOrder"\nkind = "850"\n'
        "[layout]\ntag = { start = 1, length = 3 }\n"
        "[layout.records.HEA]\nlength = 10\nfields = { X = { start = 8, length = 5 } }\n"
        '[layout.records.LIN]\nparent = "HED"\nlength = 10\n'
        '[envelope]\nsender = "HEA.X"\nreceiver = "HEA.Y"\n[fields]\npo_number = "LIN.Z"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_mapping("bad", tmp_path)
    assert (
        "bad.toml: layout.records.HEA: Value error, field X (columns 8-12) ends past the "
        "length 10" in str(caught.value)
    )
    records = {**MAPPING["layout"]["records"], "TXT": {"parent": "LIM", "length": 5}}
    bad_parent = {**MAPPING, "layout": {**MAPPING["layout"], "records": records}}
    with pytest.raises(ValueError, match="unknown parent 'LIM' \\(known: HEA, LIN, TXT\\)"):
        FixedMapping.model_validate(bad_parent)
    bad_path = {**MAPPING, "fields": {**MAPPING["fields"], "po_number": "HEA.NUMBER"}}
    with pytest.raises(ValueError, match=r"fields\.po_number: 'HEA\.NUMBER': HEA records have no"):
        FixedMapping.model_validate(bad_path)
    bad_each = {**MAPPING, "fields": {**MAPPING["fields"], "lines": {"each": "LINE"}}}
    with pytest.raises(ValueError, match=r'fields\.lines: "each" is a record tag'):
        FixedMapping.model_validate(bad_each)


def test_a_file_sent_under_an_id_the_partner_does_not_have_is_refused() -> None:
    mapping = FixedMapping.model_validate(MAPPING)
    guarded = FixedParser({"p": mapping}, {"p": frozenset({"SHOP"})})
    assert not guarded.parse(FILE.encode(), file_name="f.fix", partner="p").has_errors
    other = FixedParser({"p": mapping}, {"p": frozenset({"OTHER"})})
    result = other.parse(FILE.encode(), file_name="f.fix", partner="p")
    assert result.refused == "f.fix: sent as 'SHOP', not among the partner's ids"
    assert not result.documents
    assert parser().parse(FILE.encode(), file_name="f.fix", partner="q").why == (
        "f.fix: no fixed-width mapping for partner 'q'"
    )


def test_a_file_of_countless_bad_lines_keeps_a_hundred_findings_and_counts_the_others() -> None:
    inside = "\n".join([HEA_1, LIN_1, *["XYZ"] * 5000])
    result = parse(inside)
    assert len(result.findings) == 100 and result.left_off == {"error": 4900}
    assert result.has_errors and not result.documents
    outside = "\n".join(["XYZ"] * 5000 + [HEA_1, LIN_1])
    result = parse(outside)
    assert len(result.findings) == 100 and result.left_off == {"error": 4900}
    assert [o.po_number for o in orders(result)] == ["PO-1"]


def test_the_profile_sets_the_charset_and_whether_bad_bytes_are_replaced() -> None:
    def read(section: dict[str, Any], data: bytes) -> ParseResult:
        fixed = {"mapping": "bots-orders", **section}
        profile = parse_profile("p", {"format": "fixed", "fixed": fixed}, REGISTRY)
        return PartnerFormats.of(REGISTRY, {"p": profile}).parse(
            data, file_name="f.fix", partner="p"
        )

    orders = ROOT / "fixtures" / "fixed" / "bots-orders.fix"
    data = orders.read_bytes().replace(b"Widget, red ", "Widget, rød ".encode("cp1252"))
    assert not read({}, data).has_errors  # the mapping's layout says latin-1
    strict = read({"encoding": "utf-8"}, data)
    assert strict.why == "f.fix: line 3: byte 0xf8 is not utf-8 (invalid start byte)"
    replaced = read({"encoding": "utf-8", "bad_characters": "replace"}, data)
    assert not replaced.has_errors and len(replaced.documents) == 2
    [warning] = replaced.findings
    assert warning["severity"] == "warning" and warning["code"] == "fixed.charset"
    assert warning["message"] == (
        "f.fix: line 3: byte 0xf8 is not utf-8 (invalid start byte): 1 byte(s) replaced by U+FFFD"
    )
    with pytest.raises(ValueError, match=r"fixed\.encoding: Input should be 'utf-8'"):
        parse_profile("p", {"fixed": {"mapping": "bots-orders", "encoding": "ebcdic"}}, REGISTRY)


def test_a_mapping_of_the_home_is_used_before_the_shipped_one(tmp_path: Path) -> None:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    own = tmp_path / "mappings" / "fixed"
    own.mkdir()
    shipped = (ROOT / "mappings" / "fixed" / "bots-orders.toml").read_text()
    (own / "bots-orders.toml").write_text(shipped.replace('value = "SA"', 'value = "DS"'))
    (profiles / "mill.toml").write_text('format = "fixed"\n[fixed]\nmapping = "bots-orders"\n')
    loaded = load_partners(profiles, REGISTRY)
    config = loaded["mill"].formats["fixed"]
    assert isinstance(config, FixedConfig) and config.mapping == str(own / "bots-orders.toml")
    data = (ROOT / "fixtures" / "fixed" / "bots-orders.fix").read_bytes()
    result = PartnerFormats.of(REGISTRY, loaded).parse(data, file_name="o.fix", partner="mill")
    assert {o.order_type_code for o in orders(result)} == {"DS"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["HEA", "LIN", "TXT", "XYZ", "", "HE"]),
            st.text(alphabet="0123456789 AZaz.-é\r\t", max_size=40),
        ),
        max_size=30,
    )
)
def test_whatever_the_lines_parse_never_raises_and_every_finding_names_its_place(
    lines: list[tuple[str, str]],
) -> None:
    result = parse("\n".join(tag + rest for tag, rest in lines))
    assert result.documents or result.why or result.findings
    for finding in result.findings:
        message = str(finding["message"])
        assert message.startswith("f.fix, line") or " record(s) in the file" in message


def test_a_file_read_as_a_stream_holds_one_part_of_documents_alive() -> None:
    """While the fixed-width parser reads the next part, PartnerFormats holds no part back
    (two parts were alive: the reader's and the one being read)."""
    profile = parse_profile("p", {"format": "fixed", "fixed": {"mapping": "bots-orders"}}, REGISTRY)
    formats = PartnerFormats.of(REGISTRY, {"p": profile})
    head, line = (ROOT / "fixtures" / "fixed" / "bots-orders.fix").read_text().splitlines()[:2]
    orders = (f"{head.replace('ORD-501  ', f'O{n:08d}')}\r\n{line}\r\n" for n in range(3 * PART))
    alive: list[int] = []
    on_read = lambda: alive.append(live(PurchaseOrder))  # noqa: E731
    source = ShortReads("".join(orders).encode("latin-1"), 1 << 15, on_read)
    read = 0
    for part in formats.parse_stream(source, file_name="f", partner="p"):
        read += len(part.documents)
        del part  # as the daemon does (gateway/streamed.py)
    assert read == 3 * PART and len(alive) > 4
    assert max(alive) <= PART + 1

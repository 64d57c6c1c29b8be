"""Writing CSV through mappings (adapters/formats/delimited/rendering.py): a ShipNotice written
with the shipped example-asn mapping is one row per shipped item under a header row, the
shipment's and the order's fields repeated on each, and reads back as the same canonical message
(hypothesis: the identity for every field the mapping declares; so do orders through
example-orders); the number drawn goes in the file name and the envelope's reference column;
mappings that cannot be written are refused when loaded for rendering, naming the field."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from adapters.formats.delimited import format as csv_format
from adapters.formats.delimited.format import CsvConfig, CsvFormat
from adapters.formats.delimited.mapping import load_mapping
from adapters.formats.delimited.rendering import render_mapping
from gateway.control_numbers import InMemoryCounter
from gateway.errors import ConfigError
from gateway.messages import PurchaseOrder, ShipNotice
from gateway.outbound.pipeline import as_row, rendered_row
from gateway.ports import DocumentRefused
from tests.unit.mapped_messages import NOW, PLACEHOLDER, csv_orders, csv_ship_notices, round_trip

ROOT = Path(__file__).resolve().parents[3]
ASN = CsvConfig(
    mapping="example-asn", render={"856": "example-asn"}, sender_id="GATEWAY", receiver_id="3PL"
)
ORDERS = CsvConfig(
    mapping="example-orders",
    render={"850": "example-orders"},
    sender_id="GATEWAY",
    receiver_id="SHOP",
)


def fixture_notices() -> list[ShipNotice]:
    parser = CsvFormat().parser({"p": ASN})
    data = (ROOT / "fixtures" / "csv" / "asn.csv").read_bytes()
    result = parser.parse(data, file_name="asn.csv", partner="p")
    assert not result.has_errors, (result.why, result.findings)
    return [doc.message for doc in result.documents if isinstance(doc.message, ShipNotice)]


@settings(max_examples=60, deadline=None)
@given(csv_ship_notices())
def test_a_ship_notice_written_as_csv_reads_back_the_same(values: dict[str, Any]) -> None:
    message = ShipNotice.model_validate({**values, "envelope": PLACEHOLDER})
    back, read_id, numbered_id = round_trip(CsvFormat(), ASN, message, "856")
    assert back.model_dump(exclude={"envelope", "document_id"}) == message.model_dump(
        exclude={"envelope", "document_id"}
    )
    assert read_id == numbered_id


@settings(max_examples=40, deadline=None)
@given(csv_orders())
def test_an_order_written_as_csv_reads_back_the_same(values: dict[str, Any]) -> None:
    message = PurchaseOrder.model_validate({**values, "envelope": PLACEHOLDER})
    back, read_id, numbered_id = round_trip(CsvFormat(), ORDERS, message, "850")
    assert back.content_digest == message.content_digest
    assert read_id == numbered_id


def test_the_fixture_asn_is_two_ship_notices_its_orders_grouped_by_their_number() -> None:
    first, second = fixture_notices()
    assert [order.po_number for order in first.orders] == ["PO-2026-1001", "PO-2026-1002"]
    assert [len(order.items) for order in first.orders] == [2, 1]
    assert first.orders[0].items[1].quantity_shipped == 4.5
    assert first.envelope.interchange_reference == "F-20261204-1"
    assert (second.purpose_code, second.tracking_numbers) == ("05", [])


def test_a_ship_notice_is_one_row_per_item_under_a_header_row() -> None:
    notice = fixture_notices()[0]
    format_ = CsvFormat()
    draft = format_.draft(notice, "856", ASN, NOW)
    document = format_.number(draft, ASN, InMemoryCounter())
    assert document.file_name == "856-000000001.csv"
    assert document.interchange == "000000001"
    rows = list(csv.reader(io.StringIO(document.text)))
    assert document.text.endswith("\r\n")
    assert rows[0][:4] == ["file_reference", "sender", "receiver", "shipment_id"]
    assert len(rows) == 4
    assert [row[:4] for row in rows[1:]] == [["000000001", "GATEWAY", "3PL", "SHP-1001"]] * 3
    assert [row[rows[0].index("po_number")] for row in rows[1:]] == [
        "PO-2026-1001",
        "PO-2026-1001",
        "PO-2026-1002",
    ]
    assert '"Gadget ""deluxe"""' in document.text and '"Widget, blue"' in document.text


def test_a_list_in_one_column_is_refused_naming_the_field() -> None:
    notice = fixture_notices()[0].model_copy(update={"tracking_numbers": ["1Z1", "1Z2"]})
    with pytest.raises(DocumentRefused, match=r"tracking_numbers \(tracking_number\)"):
        CsvFormat().draft(notice, "856", ASN, NOW)


def test_a_kind_without_a_render_mapping_is_refused_naming_the_profile_key() -> None:
    with pytest.raises(DocumentRefused, match=r'\[csv\] render has no "855"'):
        CsvFormat().draft(fixture_notices()[0], "855", ASN, NOW)


def write_mapping(folder: Path, layout: str, fields: str) -> None:
    (folder / "m.toml").write_text(
        'message = "PurchaseOrder"\nkind = "850"\n'
        f"[layout]\n{layout}\n"
        '[envelope]\nsender = "1"\nreceiver = "2"\n'
        f"[fields]\n{fields}\n"
    )


def test_mappings_that_cannot_be_written_are_refused_for_rendering(tmp_path: Path) -> None:
    write_mapping(tmp_path, 'group_by = ["3"]', 'po_number = "Order"')
    with pytest.raises(ConfigError, match=r"fields.po_number \(Order\): a column by name needs"):
        render_mapping("m", tmp_path)


LATIN_ORDER = """po_number = "3"
po_date = { path = "4", type = "date", format = "%d.%m.%Y" }
purpose_code = { value = "00" }
order_type_code = { value = "SA" }
[fields.lines]
each = "rows"
[fields.lines.fields]
quantity = { path = "5", type = "decimal", decimal_comma = true }
unit_of_measure = "6"
description = "7"
"""


def test_a_layout_in_latin_1_is_written_in_latin_1_and_what_it_cannot_hold_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_mapping(tmp_path, 'group_by = ["3"]\ndelimiter = ";"\nencoding = "latin-1"', LATIN_ORDER)
    monkeypatch.setattr(csv_format, "render_mapping", lambda name: render_mapping(name, tmp_path))
    monkeypatch.setattr(csv_format, "load_mapping", lambda name: load_mapping(name, tmp_path))
    config = CsvConfig(mapping="m", render={"850": "m"}, sender_id="US", receiver_id="THEM")
    line = {"quantity": "1234.5", "unit_of_measure": "KG", "description": "Käse"}
    values: dict[str, Any] = {"po_number": "1", "po_date": "2026-12-05", "purpose_code": "00"}
    values |= {"order_type_code": "SA", "lines": [line], "envelope": PLACEHOLDER}
    format_ = CsvFormat()
    draft = format_.draft(PurchaseOrder.model_validate(values), "850", config, NOW)
    document = format_.number(draft, config, InMemoryCounter())
    assert (document.encoding, document.text) == (
        "latin-1",
        "US;THEM;1;05.12.2026;1234,5;KG;Käse\r\n",
    )
    row = as_row(1, rendered_row(document, **REQUEST), NOW)  # as the outbound pipeline keeps it
    assert row.data == "US;THEM;1;05.12.2026;1234,5;KG;Käse\r\n".encode("latin-1")
    values["lines"] = [{**line, "description": "5 €"}]
    with pytest.raises(DocumentRefused, match=r"line 1: '€' cannot be written in latin-1"):
        format_.draft(PurchaseOrder.model_validate(values), "850", config, NOW)


REQUEST: dict[str, Any] = {
    "request_id": "r-1",
    "partner": "them",
    "kind": "850",
    "correlation_id": "c-1",
    "request": None,
    "detail": {},
}


def test_the_partners_character_set_is_the_one_written() -> None:
    config = ASN.model_copy(update={"encoding": "cp1252"})
    notice = fixture_notices()[0].model_copy(update={"carrier_scac": "€URO"})
    document = CsvFormat().number(
        CsvFormat().draft(notice, "856", config, NOW), config, InMemoryCounter()
    )
    assert document.encoding == "cp1252" and "€URO" in document.text

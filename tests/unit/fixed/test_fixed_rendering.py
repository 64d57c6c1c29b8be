"""Writing fixed width through mappings (adapters/formats/fixed/rendering.py): an order written
with the shipped bots-orders mapping is a HEA record and a LIN record per line, each line its
record's full length, numbers right-aligned and zero-filled, and reads back as the same
canonical message (hypothesis: the identity for every field the mapping declares); every
document of the corpus's Bots files reads back the same once written; a value too long for its
columns or a field the mapping does not carry refuses the request, named."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from adapters.formats.fixed.format import FixedConfig, FixedFormat
from adapters.formats.fixed.rendering import render_mapping
from gateway.control_numbers import InMemoryCounter
from gateway.errors import ConfigError
from gateway.messages import Message, PurchaseOrder
from gateway.ports import DocumentRefused
from tests.unit.fixed.test_fixed_corpus import COMPOSITE, DESADV, FIRST_PLUGIN, X12_ORDERS, read
from tests.unit.mapped_messages import NOW, PLACEHOLDER, fixed_orders, round_trip

ORDERS = FixedConfig(
    mapping="bots-orders", render={"850": "bots-orders"}, sender_id="GATEWAY", receiver_id="SHOP"
)


@settings(max_examples=60, deadline=None)
@given(fixed_orders())
def test_an_order_written_as_fixed_width_reads_back_the_same(values: dict[str, Any]) -> None:
    message = PurchaseOrder.model_validate({**values, "envelope": PLACEHOLDER})
    back, read_id, numbered_id = round_trip(FixedFormat(), ORDERS, message, "850")
    assert back.content_digest == message.content_digest
    assert read_id == numbered_id


def order(**changes: Any) -> PurchaseOrder:
    values: dict[str, Any] = {
        "po_number": "PO-77",
        "po_date": "2026-12-05",
        "purpose_code": "00",
        "order_type_code": "SA",
        "parties": [{"role": "BY", "id_qualifier": "UL", "id": "8712345000004"}],
        "lines": [
            {
                "line_number": "1",
                "quantity": Decimal("12.5"),
                "unit_of_measure": "EA",
                "description": "Käse",
                "item": {"other_ids": [{"qualifier": "EN", "value": "4012345000016"}]},
            },
            {
                "quantity": Decimal("-3"),
                "unit_of_measure": "EA",
                "item": {"other_ids": [{"qualifier": "EN", "value": "4012345000023"}]},
            },
        ],
    }
    return PurchaseOrder.model_validate({**values, **changes, "envelope": PLACEHOLDER})


def test_an_order_is_a_header_record_and_a_line_record_per_line_at_their_columns() -> None:
    format_ = FixedFormat()
    draft = format_.draft(order(), "850", ORDERS, NOW)
    document = format_.number(draft, ORDERS, InMemoryCounter())
    assert document.file_name == "850-000000001.txt" and document.encoding == "latin-1"
    head, first, second, end = document.text.split("\r\n")
    assert end == "" and (len(head), len(first), len(second)) == (251, 91, 91)
    assert head[:3] == "HEA" and head[23:36] == "GATEWAY      " and head[36:49] == "SHOP         "
    assert head[50:67] == "PO-77".ljust(17) and head[67:75] == "20261205"
    assert head[85:98] == "8712345000004"
    assert first[:3] == "LIN" and first[3:9] == "1     " and first[9:23] == "4012345000016 "
    assert first[40:75] == "Käse".ljust(35) and first[75:91] == "00000000000012.5"
    assert second[3:9] == " " * 6 and second[75:91] == "-000000000000003"


def test_a_value_longer_than_its_columns_refuses_the_request_naming_the_field() -> None:
    with pytest.raises(DocumentRefused) as caught:
        FixedFormat().draft(order(po_number="P" * 18), "850", ORDERS, NOW)
    assert "po_number (HEA.ORDERNUMMER)" in str(caught.value)
    assert "18 characters, columns 51-67 of HEA hold 17" in str(caught.value)


def test_a_field_the_mapping_does_not_carry_refuses_the_request() -> None:
    with pytest.raises(DocumentRefused) as caught:
        FixedFormat().draft(order(currency="EUR"), "850", ORDERS, NOW)
    assert "does not carry the 850 as it is: currency" in str(caught.value)


def test_a_character_the_partner_s_charset_lacks_refuses_the_request() -> None:
    message = order(po_number="PO-€")
    with pytest.raises(DocumentRefused, match="cannot be written in latin-1"):
        FixedFormat().draft(message, "850", ORDERS, NOW)
    utf8 = ORDERS.model_copy(update={"encoding": "utf-8"})
    assert "PO-€" in FixedFormat().draft(message, "850", utf8, NOW).text


@pytest.mark.parametrize(
    ("name", "mapping", "kind"),
    [
        (COMPOSITE, "bots-orders", "850"),
        (X12_ORDERS, "bots-orders-x12", "850"),
        (FIRST_PLUGIN, "bots-my-first-plugin-orders", "850"),
        (DESADV, "bots-desadv", "856"),
    ],
)
def test_every_corpus_document_written_again_reads_back_the_same(
    name: str, mapping: str, kind: str
) -> None:
    result = read(name, mapping)
    messages = [d.message for d in result.documents if isinstance(d.message, Message)]
    assert messages
    config = FixedConfig(
        mapping=mapping, render={kind: mapping}, sender_id="GATEWAY", receiver_id="PARTNER"
    )
    for message in messages:
        back, read_id, numbered_id = round_trip(FixedFormat(), config, message, kind)
        assert back.content_digest == message.content_digest
        assert read_id == numbered_id


def test_a_mapping_that_cannot_be_written_is_refused_when_loaded(tmp_path: Path) -> None:
    (tmp_path / "odd.toml").write_text(
        'message = "PurchaseOrder"\nkind = "850"\n'
        "[layout]\ntag = { start = 1, length = 3 }\n"
        "[layout.records.HEA]\nlength = 20\n"
        "[layout.records.HEA.fields]\nFROM = { start = 4, length = 5 }\n"
        "TO = { start = 9, length = 5 }\nNO = { start = 14, length = 7 }\n"
        '[envelope]\nsender = "HEA.FROM"\nreceiver = "HEA.TO"\n'
        '[fields]\npo_number = "HEA.NO"\ncurrency = {}\n'
    )
    with pytest.raises(ConfigError, match=r"odd.toml: .*currency.*neither a path nor a value"):
        render_mapping("odd", tmp_path)

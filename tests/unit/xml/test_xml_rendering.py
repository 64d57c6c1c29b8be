"""Writing XML through mappings (adapters/formats/xml/rendering.py): the shipped cXML mirrors
write ShipNotices as ShipNoticeRequests and PurchaseOrderAcks as ConfirmationRequests that read
back as the same canonical message (hypothesis: the identity for every field they declare), with
cXML's DOCTYPE, both parties' credentials and a payloadID drawn when numbered; a path that
cannot be written refuses the mapping when it is loaded for rendering, naming the field; a kind
without a render mapping, or a field the mapping does not carry, refuses the request by name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from adapters import REGISTRY
from adapters.formats.xml.format import XmlConfig, XmlFormat
from adapters.formats.xml.rendering import render_mapping, writable_path
from gateway.control_numbers import InMemoryCounter
from gateway.errors import ConfigError
from gateway.messages import PurchaseOrderAck, ShipNotice
from gateway.partners import parse_profile
from gateway.ports import DocumentRefused
from tests.unit.mapped_messages import (
    NOW,
    PLACEHOLDER,
    cxml_confirmations,
    cxml_ship_notices,
    round_trip,
)

CONFIG = XmlConfig(
    mappings=["cxml-ship-notice-request", "cxml-confirmation-request"],
    render={"856": "cxml-ship-notice-request", "855": "cxml-confirmation-request"},
    sender_id="GATEWAY",
    sender_qualifier="NetworkID",
    receiver_id="AN00000456",
    receiver_qualifier="NetworkID",
    payload_domain="gw.example",
)
NOTICE: dict[str, Any] = {
    "purpose_code": "00",
    "shipment_id": "SHP-1",
    "ship_date": "2026-12-04",
    "ship_time": "1530",
    "ship_date_time": {"qualifier": "011", "date": "2026-12-04"},
    "delivery_date": {"qualifier": "017", "date": "2026-12-08"},
    "carrier_scac": "UPSN",
    "tracking_numbers": ["1Z1", "1Z2"],
    "orders": [
        {
            "po_number": "PO-1",
            "items": [
                {
                    "line_number": "1",
                    "quantity_shipped": "20",
                    "unit_of_measure": "EA",
                    "item": {"vendor_item_number": "WID-1"},
                }
            ],
        }
    ],
}


def notice(**changes: Any) -> ShipNotice:
    return ShipNotice.model_validate({**NOTICE, **changes, "envelope": PLACEHOLDER})


@settings(max_examples=60, deadline=None)
@given(cxml_ship_notices())
def test_a_ship_notice_written_as_cxml_reads_back_the_same(values: dict[str, Any]) -> None:
    message = ShipNotice.model_validate({**values, "envelope": PLACEHOLDER})
    back, read_id, numbered_id = round_trip(XmlFormat(), CONFIG, message, "856")
    assert back.model_dump(exclude={"envelope", "document_id"}) == message.model_dump(
        exclude={"envelope", "document_id"}
    )
    assert read_id == numbered_id


@settings(max_examples=60, deadline=None)
@given(cxml_confirmations())
def test_an_order_acknowledgment_written_as_cxml_reads_back_the_same(
    values: dict[str, Any],
) -> None:
    message = PurchaseOrderAck.model_validate({**values, "envelope": PLACEHOLDER})
    back, read_id, numbered_id = round_trip(XmlFormat(), CONFIG, message, "855")
    assert back.content_digest == message.content_digest
    assert back.model_dump(exclude={"envelope", "document_id"}) == message.model_dump(
        exclude={"envelope", "document_id"}
    )
    assert read_id == numbered_id


def test_a_cxml_ship_notice_has_the_doctype_both_credentials_and_a_payload_id() -> None:
    format_ = XmlFormat()
    draft = format_.draft(notice(), "856", CONFIG, NOW)
    counter = InMemoryCounter()
    first = format_.number(draft, CONFIG, counter)
    second = format_.number(draft, CONFIG, counter)
    text = first.text
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE cXML SYSTEM ")
    assert re.fullmatch(r"\d{10}\.1@gw\.example", first.interchange)
    assert second.interchange.endswith(".2@gw.example")
    assert f'payloadID="{first.interchange}"' in text and 'version="1.2.014"' in text
    assert re.search(r'timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"', text)
    assert (first.file_name, second.file_name) == ("856-000000001.xml", "856-000000002.xml")
    assert first.document_id != second.document_id
    squeezed = re.sub(r">\s+<", "><", text)
    assert (
        '<From><Credential domain="NetworkID"><Identity>GATEWAY</Identity></Credential></From>'
        '<To><Credential domain="NetworkID"><Identity>AN00000456</Identity></Credential></To>'
        '<Sender><Credential domain="NetworkID"><Identity>GATEWAY</Identity></Credential>'
        "<UserAgent>edi-gateway</UserAgent></Sender>"
    ) in squeezed
    assert (
        '<ShipNoticeHeader operation="new" shipmentID="SHP-1" noticeDate="2026-12-04T15:30:00" '
        'shipmentDate="2026-12-04" deliveryDate="2026-12-08"/>'
        '<ShipControl><CarrierIdentifier domain="SCAC">UPSN</CarrierIdentifier>'
        "<ShipmentIdentifier>1Z1</ShipmentIdentifier><ShipmentIdentifier>1Z2</ShipmentIdentifier>"
        '</ShipControl><ShipNoticePortion><OrderReference orderID="PO-1"/>'
        '<ShipNoticeItem lineNumber="1" quantity="20"><ItemID><SupplierPartID>WID-1'
        "</SupplierPartID></ItemID><UnitOfMeasure>EA</UnitOfMeasure></ShipNoticeItem>"
    ) in squeezed


def test_a_field_the_mapping_does_not_carry_refuses_the_request_by_name() -> None:
    with pytest.raises(DocumentRefused, match=r"does not carry the 856.*bill_of_lading"):
        XmlFormat().draft(notice(bill_of_lading="BOL-1"), "856", CONFIG, NOW)
    with pytest.raises(DocumentRefused, match=r"ship_time"):
        XmlFormat().draft(notice(ship_time="153012"), "856", CONFIG, NOW)


def test_a_kind_without_a_render_mapping_is_refused_naming_the_profile_key() -> None:
    config = CONFIG.model_copy(update={"render": {"855": "cxml-confirmation-request"}})
    with pytest.raises(DocumentRefused, match=r'\[xml\] render has no "856"'):
        XmlFormat().draft(notice(), "856", config, NOW)


def test_a_code_without_a_partner_code_is_refused_naming_the_field() -> None:
    with pytest.raises(DocumentRefused, match=r"purpose_code \(ShipNoticeHeader/@operation\)"):
        XmlFormat().draft(notice(purpose_code="77"), "856", CONFIG, NOW)


def test_a_control_character_is_refused_naming_the_field() -> None:
    with pytest.raises(DocumentRefused, match=r"shipment_id"):
        XmlFormat().draft(notice(shipment_id="A\x01B"), "856", CONFIG, NOW)


def test_a_mapping_with_paths_that_cannot_be_written_is_refused_for_rendering() -> None:
    with pytest.raises(ConfigError) as refused:
        render_mapping("cxml-order-request")
    message = str(refused.value)
    assert "cxml-order-request.toml: cannot be written (rendering)" in message
    assert "fields.parties (OrderRequestHeader/ShipTo/Address | " in message
    assert "fields.parties.role (local-name(..))" in message


def test_a_profile_that_renders_with_such_a_mapping_is_refused_naming_the_key() -> None:
    section = {"mappings": ["cxml-order-request"], "render": {"850": "cxml-order-request"}}
    section |= {"sender_id": "US", "receiver_id": "THEM"}
    with pytest.raises(ValueError, match=r'xml: Value error, render "850": .*local-name'):
        parse_profile("p", {"format": "xml", "xml": section}, REGISTRY)
    with pytest.raises(ValueError, match=r"render needs sender_id"):
        parse_profile(
            "p",
            {
                "xml": {
                    "mappings": ["cxml-order-request"],
                    "render": {"856": "cxml-ship-notice-request"},
                }
            },
            REGISTRY,
        )


def test_a_time_without_an_iso_date_at_its_path_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "timed.toml").write_text(
        'message = "ShipNotice"\nkind = "856"\ndocuments = "/N"\n'
        '[envelope]\nsender = "/N/@from"\nreceiver = "/N/@to"\n'
        '[fields]\nship_time = { path = "@at", type = "time" }\n'
        'ship_date = { path = "@on", type = "date" }\n'
    )
    with pytest.raises(ConfigError, match=r"fields.ship_time \(@at\): a time is written with"):
        render_mapping("timed", tmp_path)


@pytest.mark.parametrize(
    "path",
    ["//Item", "Item[1]", "../Item", "local-name()", "A | B", "*", "text()", "@a/b", "@a[@b='c']"],
)
def test_only_the_writable_part_of_xpath_is_writable(path: str) -> None:
    with pytest.raises(ValueError, match="not writable"):
        writable_path(path, {})


def test_predicates_and_prefixes_are_written_as_they_are_read() -> None:
    found = writable_path("/o:Orders/o:Order[@kind='x']/@xml:lang", {"o": "urn:o"})
    assert found.absolute
    assert [step.tag for step in found.steps] == ["{urn:o}Orders", "{urn:o}Order"]
    assert found.steps[1].attributes == (("kind", "x"),)
    assert found.attribute == "{http://www.w3.org/XML/1998/namespace}lang"


def test_a_derived_field_is_read_not_written_and_still_checked() -> None:
    values: dict[str, Any] = {
        "purpose_code": "00",
        "ack_type": "AC",
        "po_number": "PO-1",
        "po_date": "2026-11-20",
        "lines": [
            {
                "quantity": "24",
                "unit_of_measure": "EA",
                "acknowledgments": [
                    {"status": "IA", "date_qualifier": "068", "date": "2026-11-25"},
                    {"status": "IB"},
                ],
            }
        ],
    }
    ack = PurchaseOrderAck.model_validate({**values, "envelope": PLACEHOLDER})
    back, _, _ = round_trip(XmlFormat(), CONFIG, ack, "855")
    assert back.content_digest == ack.content_digest
    values["lines"][0]["acknowledgments"][0]["date_qualifier"] = "067"  # a delivery date
    refused = PurchaseOrderAck.model_validate({**values, "envelope": PLACEHOLDER})
    with pytest.raises(DocumentRefused, match=r"lines\[0\]\.acknowledgments\[0\]\.date_qualifier"):
        XmlFormat().draft(refused, "855", CONFIG, NOW)


def test_a_derived_name_that_is_no_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "derived.toml").write_text(
        'message = "ShipNotice"\nkind = "856"\ndocuments = "/N"\n'
        '[envelope]\nsender = "/N/@from"\nreceiver = "/N/@to"\n'
        '[render]\nderived = ["shipment"]\n[fields]\nshipment_id = "@id"\n'
    )
    with pytest.raises(ConfigError, match=r"render.derived: 'shipment' is not one of its fields"):
        render_mapping("derived", tmp_path)

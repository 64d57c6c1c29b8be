"""Declarative XML mappings (adapters/formats/xml/mapping.py): fields by XPath with namespaces,
constants, codes, dates and nested lists; errors name the field and its XPath; a bad mapping
names its file and key; the shipped cXML mapping reads the public corpus's OrderRequests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.formats.xml.format import XmlConfig, XmlFormat
from adapters.formats.xml.mapping import XmlMapping, load_mapping
from adapters.formats.xml.safe import parse_xml
from gateway.errors import ConfigError
from gateway.messages import PurchaseOrder

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "other"
NAMESPACED = b"""<o:Orders xmlns:o="urn:example:orders">
  <o:Order number="A-1" date="2026-12-05" status="N">
    <o:From>SHOP</o:From><o:To>US</o:To>
    <o:Line qty="2" uom="EA"><o:Sku>S-1</o:Sku></o:Line>
    <o:Line qty="1.5" uom="KG"><o:Sku>S-2</o:Sku></o:Line>
  </o:Order>
</o:Orders>"""
MAPPING = {
    "message": "PurchaseOrder",
    "kind": "850",
    "documents": "/o:Orders/o:Order",
    "namespaces": {"o": "urn:example:orders"},
    "envelope": {"sender": "o:From", "receiver": "o:To"},
    "fields": {
        "po_number": "@number",
        "po_date": {"path": "@date", "type": "date"},
        "purpose_code": {"path": "@status", "codes": {"N": "00", "C": "01"}},
        "order_type_code": {"value": "SA"},
        "lines": {
            "each": "o:Line",
            "fields": {
                "quantity": "@qty",
                "unit_of_measure": "@uom",
                "item.vendor_item_number": "o:Sku",
            },
        },
    },
}


def read(mapping: XmlMapping, data: bytes) -> PurchaseOrder:
    [node] = mapping.documents_of(parse_xml(data))
    values = mapping.values_of(node)
    envelope = {"format": "xml", "sender": {"id": "SHOP"}, "receiver": {"id": "US"}}
    return PurchaseOrder.model_validate({**values, "envelope": envelope})


def test_fields_constants_codes_dates_and_nested_lists_with_namespaces() -> None:
    mapping = XmlMapping.model_validate(MAPPING)
    order = read(mapping, NAMESPACED)
    assert (order.po_number, order.purpose_code, order.order_type_code) == ("A-1", "00", "SA")
    assert str(order.po_date) == "2026-12-05"
    assert [(str(line.quantity), line.item.vendor_item_number) for line in order.lines] == [
        ("2", "S-1"),
        ("1.5", "S-2"),
    ]
    [node] = mapping.documents_of(parse_xml(NAMESPACED))
    assert mapping.envelope_of(node)["sender"] == "SHOP"


def test_errors_name_the_field_and_its_xpath() -> None:
    parser = XmlFormat().parser({"p": XmlConfig(mappings=["cxml-order-request"])})
    order = (CORPUS / "officeluv__cxml__spec__fixtures__order_request.xml").read_bytes()
    unknown = parser.parse(
        order.replace(b'type="new"', b'type="maybe"'), file_name="f", partner="p"
    )
    assert "purpose_code (OrderRequestHeader/@type): 'maybe' is not one of" in str(unknown.findings)
    no_quantity = order.replace(b'quantity="9"', b"")
    [finding] = parser.parse(no_quantity, file_name="f", partner="p").findings
    assert "lines.1.quantity (ItemOut[2]/@quantity): Field required" in finding["message"]


def test_a_bad_mapping_names_its_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        'message = "RemittanceAdvice"\nkind = "820"\ndocuments = "/x"\n'
        '[envelope]\nsender = "a"\nreceiver = "b"\n[fields]\nx = { path = "((" }\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_mapping("bad", tmp_path)
    text = str(caught.value)
    assert "bad.toml: message: " in text and "unknown canonical message 'RemittanceAdvice'" in text
    assert "not an XPath" in text
    with pytest.raises(ValidationError):
        XmlMapping.model_validate({**MAPPING, "colour": 1})


def test_the_shipped_cxml_mapping_reads_every_order_request_of_the_corpus() -> None:
    parser = XmlFormat().parser({"p": XmlConfig(mappings=["cxml-order-request"])})
    files = sorted(CORPUS.glob("*rder*equest*.xml"))
    numbers = []
    for path in files:
        result = parser.parse(path.read_bytes(), file_name=path.name, partner="p")
        assert not result.has_errors, (path.name, result.why, result.findings)
        numbers += [d.message.po_number for d in result.documents if d.message is not None]
    assert sorted(numbers) == ["3309", "6112", "DO1234", "acme-1-1"]


def test_the_shipped_cxml_ship_notice_mapping_reads_the_corpus_ship_notice() -> None:
    parser = XmlFormat().parser(
        {"p": XmlConfig(mappings=["cxml-order-request", "cxml-ship-notice-request"])}
    )
    path = CORPUS / "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__ShipNoticeRequest.xml"
    [doc] = parser.parse(path.read_bytes(), file_name="asn.xml", partner="p").documents
    notice = doc.message
    assert doc.kind == "856" and notice is not None
    assert (notice.shipment_id, notice.carrier_scac, notice.tracking_numbers) == (
        "S2-123",
        "FDE",
        ["8202 8261 1194"],
    )
    assert (str(notice.ship_date), notice.ship_time) == ("2000-10-14", "1839")
    assert str(notice.delivery_date.date) == "2000-10-18"
    assert [order.po_number for order in notice.orders] == ["DO1234"]
    assert notice.envelope.interchange_reference == "0c30050@supplierorg.com"


def test_an_object_whose_fields_found_only_constants_is_left_out() -> None:
    fields = {
        **MAPPING["fields"],  # type: ignore[dict-item]
        "currency": {"value": "EUR"},  # a constant at the top stays
        "carrier.qualifier": {"value": "2"},
        "carrier.code": "@carrier",
    }
    mapping = XmlMapping.model_validate({**MAPPING, "fields": fields})
    [node] = mapping.documents_of(parse_xml(NAMESPACED))
    values = mapping.values_of(node)
    assert values["currency"] == "EUR"
    assert "carrier" not in values  # no @carrier: no carrier, not a lone qualifier
    with_carrier = NAMESPACED.replace(b'status="N"', b'status="N" carrier="UPSN"')
    [node] = mapping.documents_of(parse_xml(with_carrier))
    assert mapping.values_of(node)["carrier"] == {"qualifier": "2", "code": "UPSN"}

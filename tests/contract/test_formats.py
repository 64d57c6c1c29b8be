"""Every registered format passes the format contract (tests/contract/formats.py): a format
registered in adapters/__init__.py without a contract class here fails the suite."""

from __future__ import annotations

from typing import ClassVar

from adapters import REGISTRY
from adapters.formats.delimited.format import CsvFormat
from adapters.formats.fixed.format import FixedFormat
from adapters.formats.x12.format import X12Format
from adapters.formats.xml.format import XmlFormat
from gateway.ports import Format
from tests.contract.formats import FormatContract
from tests.integration.support import ROOT

X12_FIXTURES = ROOT / "fixtures" / "x12"


class TestX12Format(FormatContract):
    format_class = X12Format
    config: ClassVar = {  # the samples go both ways between the two companies
        "sender_id": "WIDGETCO",
        "receiver_id": "ACMERETAIL",
        "partner_ids": ["WIDGETCO"],
    }
    samples: ClassVar = [
        (X12_FIXTURES / name).read_bytes()
        for name in ("850-004010.edi", "850-005010.edi", "855-004010.edi", "856-004010.edi")
    ]
    bad_samples: ClassVar = [(X12_FIXTURES / "850-004010-broken.edi").read_bytes()]
    renders: ClassVar = ("855", "856")


CORPUS = ROOT.parent / "shared" / "corpus" / "other"
BROKEN_ORDER = b"""<?xml version="1.0"?>
<cXML payloadID="p-1@buyer" timestamp="2026-12-05T10:00:00Z">
  <Header><From><Credential domain="NetworkID"><Identity>BUYER</Identity></Credential></From>
  <To><Credential domain="NetworkID"><Identity>US</Identity></Credential></To></Header>
  <Request><OrderRequest><OrderRequestHeader orderID="1" orderDate="yesterday" type="new"/>
  </OrderRequest></Request></cXML>"""


class TestXmlFormat(FormatContract):
    format_class = XmlFormat
    config: ClassVar = {
        "mappings": ["cxml-order-request", "cxml-ship-notice-request", "cxml-confirmation-request"],
        "render": {"856": "cxml-ship-notice-request", "855": "cxml-confirmation-request"},
        "sender_id": "GATEWAY",
        "sender_qualifier": "NetworkID",
        "receiver_id": "AN00000456",
        "receiver_qualifier": "NetworkID",
    }
    samples: ClassVar = [
        *(
            (CORPUS / name).read_bytes()
            for name in (
                "officeluv__cxml__spec__fixtures__order_request.xml",
                "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__OrderRequest.xml",
                "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__ShipNoticeRequest.xml",
            )
        ),
        *(
            (ROOT / "fixtures" / "xml" / name).read_bytes()
            for name in ("cxml-ship-notice-request.xml", "cxml-confirmation-request.xml")
        ),
    ]
    bad_samples: ClassVar = [
        BROKEN_ORDER,
        (CORPUS / "olmelabs__EdiEngine__EdiEngine.Tests__TestData__940.OK.xml").read_bytes(),
    ]
    renders: ClassVar = ("856", "855")


CSV_ORDERS = (
    CORPUS
    / "bots-edi__bots-plugins__edifact__orders_to_csv__botssys__infile__csvdemo__csv2edi__test.csv"
)


class TestCsvFormat(FormatContract):
    format_class = CsvFormat
    config: ClassVar = {
        "mapping": "example-orders",
        "render": {"850": "example-orders"},
        "sender_id": "GATEWAY",
        "receiver_id": "SHOP",
    }
    samples: ClassVar = [CSV_ORDERS.read_bytes()]
    bad_samples: ClassVar = [
        b'"O","SHOP","US","1","PO-1","2026-12-05",' + b'"",' * 23 + b'"1","EAN","","","1"\n',
        b'"O","SHOP","US","1","PO-2","20261205",' + b'"",' * 23 + b'"1","EAN","","","lots"\n',
    ]
    renders: ClassVar = ("850",)


CSV_ASN = ROOT / "fixtures" / "csv" / "asn.csv"
ASN_HEADER = CSV_ASN.read_bytes().splitlines(keepends=True)[0]


class TestCsvAsnFormat(FormatContract):
    """The CSV format again, with the ship notices of mappings/csv/example-asn.toml both ways."""

    format_class = CsvFormat
    config: ClassVar = {
        "mapping": "example-asn",
        "render": {"856": "example-asn"},
        "sender_id": "GATEWAY",
        "receiver_id": "3PL-EAST",
    }
    samples: ClassVar = [CSV_ASN.read_bytes()]
    bad_samples: ClassVar = [
        ASN_HEADER + b"F-1,3PL,US,SHP-9,original,2026-12-04,1530,,,,PO-1,,1,W,,,2,EA\n",
        ASN_HEADER + b"F-1,3PL,US,SHP-9,resend,20261204,1530,,,,PO-1,,1,W,,,2,EA\n",
        ASN_HEADER + b"F-1,3PL,US,SHP-9,original,20261204,1530,,,,PO-1,,1,W,,,two,EA\n",
    ]
    renders: ClassVar = ("856",)


FIXED_ORDERS = (
    CORPUS / "bots-edi__bots-plugins__demo__composite_route__botssys__infile__outfile__"
    "demo_composite_route__fixed_orders__1.fix"
)


class TestFixedFormat(FormatContract):
    format_class = FixedFormat
    config: ClassVar = {
        "mapping": "bots-orders",
        "render": {"850": "bots-orders"},
        "sender_id": "PARTNER1",
        "receiver_id": "PARTNER2",
    }
    samples: ClassVar = [FIXED_ORDERS.read_bytes()]
    bad_samples: ClassVar = [
        FIXED_ORDERS.read_bytes().replace(b"20050819", b"2005O819", 1),  # a letter O in a date
        FIXED_ORDERS.read_bytes().replace(b"0001.000\r\n", b"0001\r\n", 1),  # a line too short
        FIXED_ORDERS.read_bytes().split(b"\r\n")[0],  # an order without lines
    ]
    renders: ClassVar = ("850",)


CONTRACTS: dict[str, type[FormatContract]] = {
    X12Format.kind: TestX12Format,
    XmlFormat.kind: TestXmlFormat,
    CsvFormat.kind: TestCsvFormat,
    FixedFormat.kind: TestFixedFormat,
}


def test_every_registered_format_has_its_contract() -> None:
    formats: dict[str, type[Format]] = dict(REGISTRY.formats)
    assert set(formats) == set(CONTRACTS), "a registered format without a contract class"
    for kind, contract in CONTRACTS.items():
        assert contract.format_class is formats[kind]

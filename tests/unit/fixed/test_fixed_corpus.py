"""The fixed-width files of the public corpus (../shared/corpus/other/*.fix, *.inh) through the
mappings the project ships for Bots' layouts (mappings/fixed/): each translates into its
canonical messages, or gets a specific finding that says why it cannot: what each file holds,
as worked out from the files and Bots' grammars for them (the whole messages are compared in
tests/conformance/test_other_corpus.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from adapters import REGISTRY
from gateway.messages import PurchaseOrder, ShipNotice
from gateway.partner_formats import PartnerFormats
from gateway.partners import parse_profile
from gateway.ports import ParseResult

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "other"
BOTS = "bots-edi__bots-plugins__"
COMPOSITE = BOTS + "demo__composite_route__botssys__infile__outfile__demo_composite_route__"
COMPOSITE += "fixed_orders__1.fix"
FIRST_PLUGIN = BOTS + "demo__my_first_plugin__botssys__infile__outfile__my_first_plugin__"
FIRST_PLUGIN += "orders1.inh"
DESADV = BOTS + "edifact__orders_desadv_invoice__botssys__infile__dutchic__fixed__desadv96.inh"
X12_ORDERS = "pesachnps__Bots-EDI__env__default__botssys__infile__x12_850tofixed__fixed__060101.fix"
INVOICE = "pesachnps__Bots-EDI__env__default__botssys__infile__fixed810_2_x12__inhouse_test01.inh"


def read(name: str, mapping: str) -> ParseResult:
    profile = parse_profile("p", {"format": "fixed", "fixed": {"mapping": mapping}}, REGISTRY)
    formats = PartnerFormats.of(REGISTRY, {"p": profile})
    path = CORPUS / name
    return formats.parse(path.read_bytes(), file_name=path.name, partner="p")


def test_bots_orders_of_the_composite_route_demo() -> None:
    result = read(COMPOSITE, "bots-orders")
    assert not result.has_errors and result.format == "fixed"
    orders = [d.message for d in result.documents if isinstance(d.message, PurchaseOrder)]
    assert [o.po_number for o in orders] == [
        "T0000000004-1",
        "T0000000004-2",
        "T0000000004-3",
        "T0000000015",
        "T0000000001",
        "T0000000002-1",
    ]
    first = orders[0]
    assert (first.envelope.sender.id, first.envelope.receiver.id) == ("PARTNER1", "PARTNER2")
    assert str(first.po_date) == "2005-08-19" and first.parties[0].id == "PARTNER1"
    [line] = first.lines
    assert (line.line_number, line.quantity) == ("000001", Decimal("1.000"))
    assert line.item.other_ids[0].value == "2000100873151"
    assert result.documents[0].business_key == "PurchaseOrder:T0000000004-1"


def test_bots_orders_beside_x12_850s() -> None:
    result = read(X12_ORDERS, "bots-orders-x12")
    assert not result.has_errors
    orders = [d.message for d in result.documents if isinstance(d.message, PurchaseOrder)]
    assert [(o.po_number, o.envelope.receiver.id, len(o.lines)) for o in orders] == [
        ("1-4500000001", "PARTNER3", 3),
        ("1-4500000002", "PARTNER2", 3),
        ("1-4500000003", "PARTNER3", 3),
        ("1-4500000004", "PARTNER2", 3),
    ]
    assert [line.item.other_ids[0].value for line in orders[0].lines] == [
        "8712345873151",
        "8712345873182",
        "8712345873151",
    ]


def test_bots_orders_of_the_my_first_plugin_demo() -> None:
    result = read(FIRST_PLUGIN, "bots-my-first-plugin-orders")
    assert not result.has_errors
    orders = [d.message for d in result.documents if isinstance(d.message, PurchaseOrder)]
    assert [o.po_number for o in orders] == [
        "ORDT0000000004-1",
        "ORDT0000000004-2",
        "ORDT0000000004-3",
        "ORDT0000000015",
        "ORDT0000000001",
    ]
    assert orders[0].envelope.sender.id == "8712345678906"
    assert [line.quantity for line in orders[2].lines] == [
        Decimal(q) for q in ("10.000", "100.000", "1000.000", "10000.000")
    ]


def test_bots_despatch_advices_become_ship_notices() -> None:
    result = read(DESADV, "bots-desadv")
    assert not result.has_errors, result.findings
    notices = [d.message for d in result.documents if isinstance(d.message, ShipNotice)]
    assert [n.shipment_id for n in notices] == [f"VERZENDVB{n}" for n in range(8, 0, -1)]
    first = notices[0]
    assert (str(first.ship_date), first.ship_time) == ("1998-11-02", "1030")
    assert first.delivery_date is not None and str(first.delivery_date.date) == "1998-11-01"
    assert first.ship_to is not None and first.ship_to.id == "8712345002015"
    [order] = first.orders
    assert order.po_number == "124" and len(order.items) == 12
    assert order.items[-1].quantity_shipped == Decimal("121212121212.121")
    assert notices[-1].ship_from is None and notices[-1].delivery_date is None
    assert {d.kind for d in result.documents} == {"856"}


def test_an_invoice_in_an_order_layout_is_refused_line_by_line() -> None:
    """An in-house invoice (Bots' fixed810 example): the gateway has no fixed-width invoice
    layout, and read as Bots' orders its records do not fit: every line is named with its
    length."""
    result = read(INVOICE, "bots-orders")
    assert not result.documents and result.has_errors
    messages = [f["message"] for f in result.findings]
    assert messages[0].endswith("line 1: HEA record too short: 240 characters, expected 251")
    assert messages[1].endswith("line 2: LIN record too long: 240 characters, expected 91")
    assert len(messages) == 4

"""The cross-document checks on both ledgers (SQLite, PostgreSQL): a 945 against the 940 sent for
its depositor order number (short, over, substituted, completed by a second 945, unmatched,
never counted twice), and an 856 request against the 850 received for its PO (items not
ordered, over-shipment counted with the 856s sent before, a resend of the same shipment not
counted, an unknown PO only said, refused when the partner's policy says so)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.translation import translate
from gateway import ledger as ledger_api
from gateway.bus.cloudevents import cloud_event
from gateway.fulfilment.asn import check_ship_notice, record_purchase_order
from gateway.fulfilment.view import orders_named, print_order
from gateway.fulfilment.warehouse import check_shipping_advice, record_warehouse_order
from gateway.ledger import DocumentState, NewMessage, timeline
from gateway.ledger.orders import OrderKey, order_checks, order_lines
from gateway.messages import (
    PurchaseOrder,
    ShipNotice,
    WarehouseShippingAdvice,
    WarehouseShippingOrder,
)
from tests.integration.ledger.databases import Ledger

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
ORDER = OrderKey("tpl", "940", "SO-4711")
PO = OrderKey("shop", "850", "PO-2026-1001")


def message(name: str) -> Any:
    [tx] = list(transactions_in((FIXTURES / name).read_bytes()))
    return translate(tx)


def order_sent(ledger: Ledger) -> WarehouseShippingOrder:
    order = message("940-004010.edi")
    assert isinstance(order, WarehouseShippingOrder)
    with ledger.factory.begin() as s:
        record_warehouse_order(
            s, partner="tpl", order=order, document_id="940-doc", correlation_id="order-corr"
        )
    return order


def advice(**shipped: int) -> WarehouseShippingAdvice:
    """The fixture's 945 (SKU-1 12 ordered, 10 shipped; SKU-2 4 of 4), with other quantities."""
    found = message("945-004010.edi")
    assert isinstance(found, WarehouseShippingAdvice)
    lines = [
        line.model_copy(update={"quantity_shipped": Decimal(shipped[sku])})
        for line in found.lines
        if (sku := line.item.vendor_item_number or "") in shipped
    ]
    return found.model_copy(update={"lines": lines, "shipment_id": f"SHP-{sorted(shipped)}"})


def checked(ledger: Ledger, shipped: WarehouseShippingAdvice, document_id: str) -> list[NewMessage]:
    with ledger.factory.begin() as s:
        return check_shipping_advice(
            s,
            partner="tpl",
            advice=shipped,
            document_id=document_id,
            correlation_id=f"file-of-{document_id}",
            at=NOW,
        )


def said(events: list[NewMessage]) -> list[tuple[str, str, str]]:
    return [
        (e.routing_key, e.correlation_id, json.loads(e.body)["data"]["document_id"]) for e in events
    ]


def test_a_short_945_then_the_945_that_completes_its_order(ledger: Ledger) -> None:
    order_sent(ledger)
    first = checked(ledger, message("945-004010.edi"), "945-a")
    assert said(first) == [("edi.fulfilment.short.tpl", "order-corr", "945-a")]
    [short] = json.loads(first[0].body)["data"]["detail"]["items"]
    assert (short["item"], short["ordered"], short["shipped"]) == ("UP:012345678905", "12", "10")
    rest = advice(**{"SKU-1": 2}).model_copy(update={"shipment_id": "SHP-901"})
    second = checked(ledger, rest, "945-b")
    assert said(second) == [("edi.fulfilment.complete.tpl", "order-corr", "945-b")]
    detail = json.loads(second[0].body)["data"]["detail"]
    assert (detail["after_short"], detail["answered_by"]) == (True, 2)
    with ledger.factory() as s:
        assert [c.outcome for c in order_checks(s, ORDER)] == ["short", "complete"]
        kinds = [e.kind for e in timeline(s, "940-doc")]
    assert kinds == ["fulfilment_short", "fulfilment_complete"]


def test_over_and_substituted_items_are_each_announced(ledger: Ledger) -> None:
    order_sent(ledger)
    shipped = message("945-004010.edi")
    extra = shipped.lines[1].model_copy(
        update={"item": shipped.lines[1].item.model_copy(update={"vendor_item_number": "SKU-9"})}
    )
    over = shipped.lines[0].model_copy(update={"quantity_shipped": Decimal(13)})
    events = checked(
        ledger, shipped.model_copy(update={"lines": [over, shipped.lines[1], extra]}), "945-c"
    )
    assert [e.routing_key for e in events] == [
        "edi.fulfilment.over.tpl",
        "edi.fulfilment.substituted.tpl",
    ]


def test_a_945_for_no_order_sent_is_unmatched(ledger: Ledger) -> None:
    events = checked(ledger, message("945-004010.edi"), "945-x")
    assert said(events) == [("edi.fulfilment.unmatched.tpl", "file-of-945-x", "945-x")]


def test_a_945_replayed_or_its_shipment_sent_again_is_not_counted_twice(ledger: Ledger) -> None:
    order_sent(ledger)
    assert checked(ledger, message("945-004010.edi"), "945-a")
    assert checked(ledger, message("945-004010.edi"), "945-a") == []  # a replay: seen before
    again = checked(ledger, message("945-004010.edi"), "945-a2")  # same shipment, other numbers
    assert [e.routing_key for e in again] == ["edi.fulfilment.short.tpl"]
    with ledger.factory() as s:
        shipped = [line for line in order_lines(s, ORDER) if line.role == "shipped"]
    assert sorted((line.document_id, line.quantity) for line in shipped) == [
        ("945-a2", Decimal(4)),
        ("945-a2", Decimal(10)),
    ]


def po_received(ledger: Ledger) -> None:
    order = message("850-004010.edi")
    assert isinstance(order, PurchaseOrder)
    with ledger.factory.begin() as s:
        record_purchase_order(
            s, partner="shop", order=order, document_id="850-doc", correlation_id="po-corr"
        )


def notice(
    shipment: str, upc_quantity: int, *, po: str = "PO-2026-1001", extra: bool = False
) -> ShipNotice:
    """The fixture's 856 (two packs of UPC 012345678905 for PO-2026-1001), as one pack of
    ``upc_quantity``, maybe with an item the PO does not order."""
    found = message("856-004010.edi")
    assert isinstance(found, ShipNotice)
    [order] = found.orders
    pack = order.packs[0]
    item = pack.items[0].model_copy(update={"quantity_shipped": Decimal(upc_quantity)})
    items = [item]
    if extra:
        items.append(
            item.model_copy(update={"item": item.item.model_copy(update={"upc": "999999999993"})})
        )
    order = order.model_copy(
        update={"po_number": po, "packs": [pack.model_copy(update={"items": items})]}
    )
    return found.model_copy(update={"shipment_id": shipment, "orders": [order]})


def sent(
    ledger: Ledger, shipped: ShipNotice, policy: str, request: str
) -> tuple[str | None, list[NewMessage]]:
    with ledger.factory.begin() as s:
        check = check_ship_notice(
            s, partner="shop", notice=shipped, correlation_id=f"corr-{request}", policy=policy
        )
        assert check is not None
        if check.refusal is not None:
            check.refused(s, request, NOW)
            return check.refusal, []
        return None, check.recorded(s, f"doc-{request}", NOW)


def test_an_856_shipping_an_item_not_ordered_warns(ledger: Ledger) -> None:
    po_received(ledger)
    refusal, events = sent(ledger, notice("ASN-1", 10, extra=True), "warn", "r1")
    assert refusal is None
    assert said(events) == [("edi.fulfilment.not_ordered.shop", "corr-r1", "doc-r1")]
    with ledger.factory() as s:
        assert [e.kind for e in timeline(s, "doc-r1")] == ["fulfilment_not_ordered"]


def test_over_shipment_counts_the_856s_sent_before_but_not_a_resend(ledger: Ledger) -> None:
    po_received(ledger)
    assert sent(ledger, notice("ASN-1", 20), "refuse", "r1") == (None, [])  # 20 of 24
    resend = sent(ledger, notice("ASN-1", 24), "refuse", "r2")  # the same shipment again
    assert resend == (None, [])
    refusal, _ = sent(ledger, notice("ASN-2", 1), "refuse", "r3")  # 24 + 1 > 24
    assert refusal is not None and "UP:012345678905 ordered 24, shipped 25" in refusal
    with ledger.factory() as s:
        assert [(c.document_id, c.outcome) for c in order_checks(s, PO)] == [("r3", "refused")]
    _, events = sent(ledger, notice("ASN-2", 1), "warn", "r4")
    assert [e.routing_key for e in events] == ["edi.fulfilment.over.shop"]


def test_an_856_for_a_po_never_received_is_only_said(ledger: Ledger) -> None:
    refusal, events = sent(ledger, notice("ASN-1", 99, po="PO-UNKNOWN"), "refuse", "r1")
    assert refusal is None
    assert [e.routing_key for e in events] == ["edi.fulfilment.order_unknown.shop"]


def test_the_off_policy_checks_nothing(ledger: Ledger) -> None:
    po_received(ledger)
    with ledger.factory.begin() as s:
        found = check_ship_notice(
            s, partner="shop", notice=notice("ASN-1", 99), correlation_id="c", policy="off"
        )
    assert found is None


def test_the_order_view_shows_each_item_ordered_and_shipped_by_each_945(ledger: Ledger) -> None:
    order_sent(ledger)
    checked(ledger, message("945-004010.edi"), "945-a")
    with ledger.factory() as s:
        [short] = orders_named(s, "SO-4711")
    assert (short.outcome, short.order_document, short.correlation_id) == (
        "short",
        "940-doc",
        "order-corr",
    )
    checked(ledger, advice(**{"SKU-1": 2}).model_copy(update={"shipment_id": "SHP-901"}), "945-b")
    with ledger.factory() as s:
        [view] = orders_named(s, "SO-4711", partner="tpl")
        assert orders_named(s, "SO-4711", partner="other") == []
    out = io.StringIO()
    print_order(view, out)
    text = out.getvalue()
    assert "order SO-4711 (940) of tpl: complete" in text
    assert "shipped by #1 945-a" in text and "shipped by #2 945-b" in text
    [upc] = [line for line in text.splitlines() if "UP:012345678905" in line]
    assert upc.split() == [
        "UP:012345678905",
        "12",
        "12",
        "CA",
        "complete",
        "#1:",
        "10,",
        "#2:",
        "2",
    ]


def po_published(ledger: Ledger, document_id: str, order: PurchaseOrder) -> None:
    """The ledger as the pipeline leaves it for a received 850: its record, and the message it
    published (a CloudEvent whose data is the order)."""
    with ledger.factory.begin() as s:
        [file_id] = ledger_api.record_files(
            s, [ledger_api.NewFile("shop", f"{document_id}.x12", "0" * 64, 1, "/w", "claim")]
        )
        [record_id] = ledger_api.record_documents(
            s,
            [
                ledger_api.NewDocument(
                    document_id=document_id,
                    file_id=file_id,
                    partner="shop",
                    kind="850",
                    interchange_ref=None,
                    group_ref=None,
                    transaction_ref=None,
                    state=DocumentState.PUBLISHED,
                    correlation_id=f"corr-{document_id}",
                    business_key=f"PurchaseOrder:{order.po_number}",
                )
            ],
        )
        body, headers = cloud_event(order, correlation_id="claim", partner="shop", kind="850")
        ledger_api.enqueue_messages(
            s,
            [
                NewMessage(
                    document_id,
                    document_id,
                    "shop",
                    "edi.in",
                    "edi.in.850.shop",
                    body,
                    headers,
                    "claim",
                    record=(record_id, file_id),
                )
            ],
        )


def test_an_856_reads_the_newest_850_under_its_po_and_again_after_a_revision(
    ledger: Ledger,
) -> None:
    order = message("850-004010.edi")
    assert isinstance(order, PurchaseOrder)
    po_published(ledger, "850-first", order)
    assert sent(ledger, notice("ASN-1", 20), "refuse", "r1") == (None, [])  # 20 of 24
    with ledger.factory() as s:
        [view] = orders_named(s, "PO-2026-1001", partner="shop")
    assert (view.order_document, view.correlation_id) == ("850-first", "corr-850-first")
    fewer = order.lines[0].model_copy(update={"quantity": Decimal(10)})
    po_published(ledger, "850-revised", order.model_copy(update={"lines": [fewer]}))
    refusal, _ = sent(ledger, notice("ASN-2", 1), "refuse", "r2")  # 20 + 1 > 10 now
    assert refusal is not None and "ordered 10, shipped 21" in refusal
    with ledger.factory() as s:
        [view] = orders_named(s, "PO-2026-1001", partner="shop")
    assert view.order_document == "850-revised"

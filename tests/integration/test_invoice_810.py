"""810 Invoice in and out end to end, on the real RabbitMQ and both ledgers (SQLite, PostgreSQL):
a supplier's 810 dropped in its inbox arrives as an Invoice on ``edi.in.810.<partner>`` and is
acknowledged by a 997 accepting it; an ``edi.out.810`` request from the modern layer becomes one
valid 810 in the retailer's outbox, and the retailer's 997 for it settles it (accepted)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.translation import translate
from gateway.messages import Invoice
from tests.integration.outbound.support import outbound_rows
from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    in_process_gateway,
    run_once,
    take_all,
)
from tests.integration.test_warehouse_846 import rendered_for_request, request_data
from tests.integration.test_warehouse_940_945 import partners_997

FIXTURE = ROOT / "fixtures" / "x12" / "810-004010.edi"


def test_an_810_is_published_as_an_invoice_and_accepted_by_a_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "invoice.edi", FIXTURE.read_bytes())
    with bound_queue(f"edi.in.810.{partner}") as (channel, queue):
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
    event = json.loads(body)
    invoice = Invoice.model_validate({k: v for k, v in event["data"].items() if k != "document_id"})
    assert properties.message_id == event["id"] == invoice.document_id
    assert (invoice.invoice_number, invoice.po_number) == ("INV-2026-001", "PO-2026-88")
    assert invoice.totals.total_amount == Decimal("307.13")
    first = invoice.lines[0]
    assert (first.lot_number, first.serial_numbers) == ("LOT-77", ["SN-1"])
    assert [p.role for p in invoice.parties] == ["RI", "BT", "SF", "ST"]
    [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
    text = ack.read_text()
    assert "AK1*IN*810~" in text and "AK2*810*0001~" in text and "AK9*A*1*1*1~" in text


def test_an_810_request_becomes_one_valid_810_that_the_retailers_997_settles(
    tmp_path: Path, database_url: str
) -> None:
    data = request_data(FIXTURE)
    sent = rendered_for_request(tmp_path, database_url, "810", data)
    assert Pyx12Validator().validate(sent).findings == []
    invoice = translate(sent)
    assert isinstance(invoice, Invoice)
    again = invoice.model_dump(mode="json")
    del again["envelope"], again["document_id"]
    assert again == data
    [row] = outbound_rows(database_url)
    assert (row["kind"], row["state"]) == ("810", "sent")
    home = tmp_path / "home"
    gw = in_process_gateway(home, database_url)
    drop(home / "inbox", row["partner"], "997.x12", partners_997(sent))
    run_once(gw)
    [row] = outbound_rows(database_url)
    assert row["state"] == "accepted"

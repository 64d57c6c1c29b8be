"""943 out, 944 and 947 in, end to end on the real RabbitMQ and both ledgers (SQLite,
PostgreSQL): an ``edi.out.943`` request from the modern layer becomes one valid 943 in the
warehouse's outbox, and the warehouse's 997 for it settles it (accepted); the warehouse's 944
(the transfer received, a damaged quantity, catch weight, lot, serials) and 947 (the damaged
cases written off) dropped in its inbox arrive as a StockTransferReceipt on
``edi.in.944.<partner>`` and an InventoryAdjustment on ``edi.in.947.<partner>``, each
acknowledged by a 997 accepting it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.translation import translate
from gateway.messages import InventoryAdjustment, StockTransferReceipt, StockTransferShipment
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

FIXTURES = ROOT / "fixtures" / "x12"


def published(tmp_path: Path, database_url: str, partner: str, set_id: str) -> dict[str, object]:
    """The event the gateway publishes on ``edi.in.<set_id>.<partner>`` for the fixture of
    ``set_id`` dropped in the partner's inbox, after checking its id and the 997 accepting it."""
    gw = in_process_gateway(tmp_path, database_url)
    fixture = (FIXTURES / f"{set_id}-004010.edi").read_bytes()
    drop(tmp_path / "inbox", partner, f"{set_id}.edi", fixture)
    with bound_queue(f"edi.in.{set_id}.{partner}") as (channel, queue):
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
    event = json.loads(body)
    assert properties.message_id == event["id"] == event["data"]["document_id"]
    [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
    text = ack.read_text()
    assert f"AK2*{set_id}*0001~" in text and "AK9*A*1*1*1~" in text
    data: dict[str, object] = event["data"]
    return {k: v for k, v in data.items() if k != "document_id"}


def test_a_944_is_published_as_a_stock_transfer_receipt_and_accepted_by_a_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    receipt = StockTransferReceipt.model_validate(published(tmp_path, database_url, partner, "944"))
    assert (receipt.warehouse_receipt_number, receipt.depositor_order_number) == (
        "WR-12",
        "SO-4800",
    )
    first = receipt.lines[0]
    assert (first.lot_number, first.serial_numbers) == ("LOT-77", ["SN-1", "SN-2"])
    assert first.weight is not None and first.weight.value == Decimal("35.9")
    [damaged] = first.exceptions
    assert (damaged.quantity, damaged.condition_code) == (Decimal(2), "01")


def test_a_947_is_published_as_an_inventory_adjustment_and_accepted_by_a_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    adjustment = InventoryAdjustment.model_validate(
        published(tmp_path, database_url, partner, "947")
    )
    assert (adjustment.adjustment_number, adjustment.depositor_adjustment_number) == (
        "ADJ-31",
        "SO-4800",
    )
    [line] = adjustment.lines
    assert (line.reason_code, line.quantity, line.lot_number) == ("AV", Decimal(-2), "LOT-77")
    assert [w.value for w in line.weights] == [Decimal("7.2")]


def test_a_943_request_becomes_one_valid_943_that_the_warehouses_997_settles(
    tmp_path: Path, database_url: str
) -> None:
    data = request_data(FIXTURES / "943-004010.edi")
    sent = rendered_for_request(tmp_path, database_url, "943", data)
    assert Pyx12Validator().validate(sent).findings == []
    transfer = translate(sent)
    assert isinstance(transfer, StockTransferShipment)
    again = transfer.model_dump(mode="json")
    del again["envelope"], again["document_id"]
    assert again == data
    [row] = outbound_rows(database_url)
    assert (row["kind"], row["state"]) == ("943", "sent")
    home = tmp_path / "home"
    gw = in_process_gateway(home, database_url)
    drop(home / "inbox", row["partner"], "997.x12", partners_997(sent))
    run_once(gw)
    [row] = outbound_rows(database_url)
    assert row["state"] == "accepted"

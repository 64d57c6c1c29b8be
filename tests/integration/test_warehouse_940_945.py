"""940 out and 945 in end to end, on the real RabbitMQ and both ledgers (SQLite, PostgreSQL): an
``edi.out.940`` request from the modern layer becomes one valid 940 in the 3PL's outbox, and
the 3PL's 945 dropped in its inbox arrives as a WarehouseShippingAdvice on
``edi.in.945.<partner>`` (lots, serial numbers and catch weights included), acknowledged by a
997 accepting it; the 3PL's 997 for a 940 sent settles it (accepted)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import render_message, translate
from gateway.control_numbers import InMemoryCounter
from gateway.messages import (
    Envelope,
    FunctionalAck,
    TransactionSetAck,
    WarehouseShippingAdvice,
    WarehouseShippingOrder,
    X12Envelope,
)
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

FIXTURES = ROOT / "fixtures" / "x12"


def test_a_940_request_becomes_one_valid_940_in_the_outbox(
    tmp_path: Path, database_url: str
) -> None:
    data = request_data(FIXTURES / "940-004010.edi")
    order = translate(rendered_for_request(tmp_path, database_url, "940", data))
    assert isinstance(order, WarehouseShippingOrder)
    again = order.model_dump(mode="json")
    del again["envelope"], again["document_id"]
    assert again == data
    assert order.lines[0].serial_numbers == ["SN-1", "SN-2"]
    assert order.lines[0].lot_number == "LOT-77"


def test_a_945_is_published_as_a_shipping_advice_and_accepted_by_a_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "shipped.edi", (FIXTURES / "945-004010.edi").read_bytes())
    with bound_queue(f"edi.in.945.{partner}") as (channel, queue):
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
    event = json.loads(body)
    advice = WarehouseShippingAdvice.model_validate(
        {k: v for k, v in event["data"].items() if k != "document_id"}
    )
    assert properties.message_id == event["id"] == advice.document_id
    assert (advice.depositor_order_number, advice.shipment_id) == ("SO-4711", "SHP-900")
    short = advice.lines[0]
    assert (short.status, short.quantity_ordered, short.quantity_shipped) == (
        "PR",
        Decimal(12),
        Decimal(10),
    )
    assert short.catch_weight is not None and short.catch_weight.value == Decimal("30.4")
    assert (short.lot_number, short.serial_numbers, short.sscc) == (
        "LOT-77",
        ["SN-1"],
        "00106141411234567897",
    )
    [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
    text = ack.read_text()
    assert "AK1*SW*945~" in text and "AK2*945*0001~" in text and "AK9*A*1*1*1~" in text


def partners_997(sent: TransactionSet) -> bytes:
    """The partner's 997 accepting ``sent`` (a 940, an 810...), written by the gateway's own
    renderer: sender and receiver swapped, AK1 naming the sent set's group, AK2 the set."""
    header, group = sent.interchange, sent.group
    envelope = Envelope.of_x12(
        X12Envelope(
            sender_qualifier=header.receiver_qualifier.strip(),
            sender_id=header.receiver_id.strip(),
            receiver_qualifier=header.sender_qualifier.strip(),
            receiver_id=header.sender_id.strip(),
            interchange_control_number="000000901",
            interchange_version="00401",
            application_sender=group.application_receiver.strip(),
            application_receiver=group.application_sender.strip(),
            group_control_number="901",
            version="004010",
            transaction_control_number="0001",
        )
    )
    ack = FunctionalAck(
        envelope=envelope,
        kind="997",
        functional_id=group.functional_id.strip(),
        group_control_number=group.control_number.strip(),
        status="A",
        transaction_sets_included=1,
        transaction_sets_received=1,
        transaction_sets_accepted=1,
        transactions=[
            TransactionSetAck(
                transaction_set_id=sent.set_id, control_number=sent.control_number, status="A"
            )
        ],
    )
    return render_message(ack, InMemoryCounter(), keep_control_numbers=True).encode()


def test_the_3pls_997_for_a_sent_940_accepts_it(tmp_path: Path, database_url: str) -> None:
    data = request_data(FIXTURES / "940-004010.edi")
    sent = rendered_for_request(tmp_path, database_url, "940", data)
    [row] = outbound_rows(database_url)
    assert (row["kind"], row["state"]) == ("940", "sent")
    home = tmp_path / "home"
    gw = in_process_gateway(home, database_url)
    drop(home / "inbox", row["partner"], "997.x12", partners_997(sent))
    run_once(gw)
    [row] = outbound_rows(database_url)
    assert row["state"] == "accepted"

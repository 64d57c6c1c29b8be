"""Requests the broker or the ledger cannot carry as they are, through the daemon on both
ledgers: ids longer than an AMQP short string (255 bytes), JSON nested too deep, too large,
not UTF-8, not JSON, values the ledger cannot store. Each is refused with its reason: recorded
``invalid``, announced, dead-lettered under an id the broker takes, acked once; the requests
and inbound files behind it flow."""

from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path
from typing import Any, cast

from gateway.bus.consumer import ERROR_HEADER, REQUEST_ID_HEADER, RequestConsumer
from gateway.bus.limits import digest_id
from gateway.bus.topology import DEFAULT_TOPOLOGY
from gateway.outbound.pipeline import DeadLetter, OutboundPipeline
from gateway.outbound.preparing import Delivery
from tests.integration.outbound.support import (
    Bus,
    hostile_bodies,
    outbound_bus,
    outbound_rows,
    request,
    request_event,
    request_queue,
    write_profile,
)
from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)
from tests.support.broker import AMQP_URL

SHORT_STRING = 255
"""AMQP 0-9-1 short strings (message id, correlation id, routing key, header names) hold at
most this many bytes."""


def run_daemon(
    home: Path, database_url: str, partner: str, bus: Bus, requests: list[tuple[bytes, str | None]]
) -> tuple[list[tuple[Any, bytes]], list[dict[str, Any]], list[tuple[Any, bytes]]]:
    """Start the daemon, publish ``requests`` (body, AMQP message id), then a good request and an
    inbound file; wait until every request is refused, the good one is sent and the file
    published; stop the daemon. Returns the dead letters, the status events and what the
    inbound binding received."""
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )
    inbound = f"{partner}in"
    dead: list[tuple[Any, bytes]] = []
    events: list[dict[str, Any]] = []
    published: list[tuple[Any, bytes]] = []
    with bound_queue(f"edi.in.850.{inbound}") as (channel, queue):
        daemon = gateway_process(config, "run")
        try:
            for body, message_id in requests:
                bus.publish(body, message_id=message_id)
            bus.publish(request("good", partner), message_id="good")
            drop(home / "inbox", inbound, "po.edi", small_850(9101))

            def refused() -> bool:
                dead.extend(bus.take(bus.dead_letters))
                return len(dead) >= len(requests)

            def sent() -> bool:
                events.extend(json.loads(body) for _, body in bus.take(bus.events))
                return any(e["data"]["state"] == "sent" for e in events)

            def inbound_published() -> bool:
                published.extend(take_all(channel, queue))
                return bool(published)

            wait_for("every hostile request dead-lettered", refused)
            wait_for("the good request sent", sent)
            wait_for("the inbound file published", inbound_published)
            wait_for(
                "every request acked",
                lambda: (
                    bus.channel.queue_declare(
                        request_queue(partner), passive=True
                    ).method.message_count
                    == 0
                ),
            )
            wait_for("nothing left to publish", lambda: outbox_settled(config))
            events.extend(json.loads(body) for _, body in bus.take(bus.events))
            dead.extend(bus.take(bus.dead_letters))
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)
    assert "restarting the broker session" not in daemon_output(config)  # never a loop
    return dead, events, published


def outbox_settled(config: Path) -> bool:
    status = json.loads(gateway_command(config, "status", "--json"))
    return bool(status["outbox_pending"] == 0)


def test_requests_with_ids_longer_than_amqp_carries_are_refused_and_the_rest_flows(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Issue 20, item 10: a request id or correlation id over 255 bytes raised
    ShortStringTooLong in every publish of its status event or dead letter, which stopped all
    publishing for good (inbound included) and looped the consumer."""
    write_profile(tmp_path, partner)
    long_id, not_an_asn = "L" * 300, {"shipment_id": "S"}
    cases = {  # body -> the id it is recorded under
        request_event(long_id, partner): digest_id(long_id),
        request_event(long_id + "-x", partner, data=not_an_asn): digest_id(long_id + "-x"),
        request_event("long-correlation", partner, correlationid="C" * 300): "long-correlation",
        request_event("long-partner", "P" * 300): "long-partner",
        request_event("M" * 255, partner): digest_id("M" * 255),  # fits, but not with ":sent"
    }
    with outbound_bus(partner) as bus:
        dead, events, published = run_daemon(
            tmp_path, database_url, partner, bus, [(body, None) for body in cases]
        )

    assert len(published) == 1  # the inbound file behind them was published
    assert len(dead) == len(cases), [p.headers for p, _ in dead]
    by_body = {body: props for props, body in dead}
    assert set(by_body) == set(cases)  # each request as it came, once
    for body, request_id in cases.items():
        props = by_body[body]
        assert "at most 200 bytes" in props.headers[ERROR_HEADER], props.headers
        assert props.headers[REQUEST_ID_HEADER] == props.message_id == request_id
    rows = outbound_rows(database_url)
    states = {row["request_id"]: row["state"] for row in rows}
    assert states.pop("good") == "sent"
    assert states == dict.fromkeys(cases.values(), "invalid")
    for row in rows:
        assert len(row["request_id"].encode()) <= SHORT_STRING
        assert len(row["correlation_id"].encode()) <= SHORT_STRING
        assert "at most 200 bytes" in str(row["detail"]) or row["request_id"] == "good"
    invalid = {e["data"]["request_id"] for e in events if e["data"]["state"] == "invalid"}
    assert invalid == set(states)  # every refusal announced


def test_requests_that_cannot_be_read_are_refused_with_a_reason_and_the_rest_flows(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Issue 20, item 11: JSON nested 1,000 levels deep raised RecursionError; the batch failed,
    was delivered again, for ever (about 14 errors/s), and every request behind it waited.
    Other bodies failed the ledger's commit the same way on PostgreSQL (NaN, an unpaired
    surrogate, NUL in an id)."""
    write_profile(tmp_path, partner)
    cases = hostile_bodies(partner)
    with outbound_bus(partner) as bus:
        dead, events, published = run_daemon(
            tmp_path,
            database_url,
            partner,
            bus,
            [(body, name) for name, (body, _) in cases.items()],
        )

    assert len(published) == 1
    reasons = {props.message_id: props.headers[ERROR_HEADER] for props, _ in dead}
    assert len(dead) == len(cases) and set(reasons) == set(cases), sorted(reasons)
    for name, (_, expected) in cases.items():
        assert expected in reasons[name], (name, reasons[name])
    rows = outbound_rows(database_url)
    assert len(rows) == len(cases) + 1  # each recorded once
    assert sorted(row["state"] for row in rows) == ["invalid"] * len(cases) + ["sent"]
    invalid = [e for e in events if e["data"]["state"] == "invalid"]
    assert len(invalid) == len(cases)


def test_a_dead_letter_the_broker_would_not_carry_goes_under_a_safe_message_id() -> None:
    """The consumer's last guard: should a refused request's ids or headers not go back to the
    broker as they came, its dead letter goes under a digest message id with the reason, instead
    of raising in the IO loop and having the batch delivered again for ever."""
    partner = f"o{uuid.uuid4().hex[:10]}"
    consumer = RequestConsumer(
        cast(OutboundPipeline, None),
        amqp_url=AMQP_URL,
        topology=DEFAULT_TOPOLOGY,
        queue=request_queue(partner),
    )
    long_name = "H" * 300
    delivery = Delivery(
        tag=1,
        body=b"{}",
        routing_key=f"edi.out.856.{partner}",
        headers={long_name: "x"},
        message_id="m-1",
    )
    dead: list[tuple[Any, bytes]] = []
    with outbound_bus(partner) as bus:
        consumer._dead_letter(bus.channel, DeadLetter(delivery, "m-1", "refused: a reason"))

        def arrived() -> bool:
            dead.extend(bus.take(bus.dead_letters))
            return bool(dead)

        wait_for("the dead letter", arrived)
    [(props, body)] = dead
    assert body == b"{}"
    assert props.message_id == digest_id("m-1")
    assert props.headers[REQUEST_ID_HEADER] == "m-1"
    reason = props.headers[ERROR_HEADER]
    assert reason.startswith("refused: a reason; its dead letter is sent with a safe message id")
    assert "its header name 'HHHH" in reason and "at most 255" in reason

"""Outbound end to end on the real RabbitMQ and sshd: a ShipNotice request becomes one valid 856
in the outbox and on the partner's SFTP server, announced by a ``sent`` status event; a request
published twice yields one file; every kind of invalid request is dead-lettered with its reason
and recorded in the ledger."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.rendering import check_document
from adapters.formats.x12.translation import translate
from gateway.bus.consumer import ERROR_HEADER, REQUEST_ID_HEADER
from gateway.messages import ShipNotice
from tests.integration.outbound.support import (
    Bus,
    asn_data,
    ledger_rows,
    outbound_bus,
    outbound_settings,
    request,
    request_queue,
    write_profile,
)
from tests.integration.sftp.helpers import profile_toml, with_outbound
from tests.integration.sftp.sshd import Sshd
from tests.integration.support import daemon_output, gateway_command, gateway_process, wait_for


def events_of(bus: Bus, into: list[dict[str, Any]]) -> Callable[[str], bool]:
    def has(state: str) -> bool:
        into.extend(json.loads(body) for _, body in bus.take(bus.events))
        return any(event["data"]["state"] == state for event in into)

    return has


def test_a_ship_notice_request_is_delivered_once_over_sftp(
    tmp_path: Path, sshd: Sshd, remote: Path
) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    channel = with_outbound(sshd.channel(), remote)
    channel = type(channel).model_validate({**channel.model_dump(), "schedule": {"interval": 0.3}})
    write_profile(home, partner, profile_toml(channel))
    config = outbound_settings(home, partner)
    with outbound_bus(partner) as bus:
        daemon = gateway_process(config, "run")
        try:
            bus.publish(request("req-1", partner), message_id="req-1")

            def delivered() -> list[Path]:
                return list((remote / "in").glob("856-*.x12"))

            wait_for("the 856 on the partner's server", lambda: bool(delivered()))
            events: list[dict[str, Any]] = []
            wait_for("the sent status event", lambda: events_of(bus, events)("sent"))
            bus.publish(request("req-1", partner), message_id="req-1")  # the same, again
            wait_for(
                "the second copy consumed",
                lambda: (
                    bus.channel.queue_declare(
                        f"test.out.{partner}", passive=True
                    ).method.message_count
                    == 0
                ),
            )
            time.sleep(1.5)  # a second file would be written and delivered by now
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)

    [file] = delivered()
    outbox = home / "outbox" / partner
    assert [p.name for p in (outbox / "sent").iterdir()] == [file.name]
    assert not [p for p in outbox.iterdir() if p.is_file()]
    text = file.read_text()
    check_document(text, "856", "004010")  # valid against the 856 map, read back by the gateway
    [tx] = list(transactions_in(file))
    message = translate(tx)
    assert isinstance(message, ShipNotice)
    assert message.shipment_id == "ASN-req-1"
    assert message.envelope.sender.id == "GATEWAY"
    assert message.envelope.receiver.id == partner.upper()
    assert x12_facts(message.envelope).usage_indicator == "T"
    isa13 = message.envelope.interchange_reference
    assert file.name == f"856-GATEWAY-{partner.upper()}-{isa13}.x12"

    [row] = ledger_rows(home)
    assert (row["request_id"], row["state"], row["kind"]) == ("req-1", "sent", "856")
    assert row["content"] == text and row["file_name"] == file.name
    assert row["interchange_ref"] == message.envelope.interchange_reference
    assert row["document_id"] == message.document_id
    assert row["ack_due_at"] is not None
    [sent] = [e for e in events if e["data"]["state"] == "sent"]
    assert sent["correlationid"] == "corr-req-1"
    assert sent["data"]["request_id"] == "req-1"
    assert sent["data"]["document_id"] == message.document_id


def test_invalid_requests_are_dead_lettered_with_their_reason(tmp_path: Path) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    write_profile(home, partner)  # a folder partner: written means sent
    config = outbound_settings(home, partner)
    no_scac = asn_data("ASN-NOSCAC")
    del no_scac["carrier_scac"]
    too_long = asn_data("A" * 40)  # BSN02 holds at most 30 characters
    no_orders = asn_data("ASN-NOORDERS")
    no_orders["orders"] = []
    cases = {
        "malformed": (b'{"specversion": "1.0", "id": ', "not JSON"),
        "unknown": (request("unknown", "nobody"), "unknown partner 'nobody'"),
        "required": (request("required", partner, data=no_scac), "data.carrier_scac"),
        "map": (request("map", partner, data=too_long), "BSN02"),
        "schema": (request("schema", partner, data=no_orders), "data.orders"),
    }
    with outbound_bus(partner) as bus:
        daemon = gateway_process(config, "run")
        try:
            for request_id, (body, _) in cases.items():
                bus.publish(body, message_id=request_id)
            bus.publish(request("good", partner), message_id="good")
            dead: list[tuple[Any, bytes]] = []

            def all_dead() -> bool:
                dead.extend(bus.take(bus.dead_letters))
                return len(dead) >= len(cases)

            wait_for("the dead letters", all_dead)
            wait_for("the good one", lambda: bool(list((home / "outbox" / partner).glob("*"))))
            events: list[dict[str, Any]] = []
            wait_for("the sent event", lambda: events_of(bus, events)("sent"))
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)

    reasons = {props.headers[REQUEST_ID_HEADER]: props.headers[ERROR_HEADER] for props, _ in dead}
    assert set(reasons) == set(cases), reasons
    for request_id, (_, expected) in cases.items():
        assert expected in reasons[request_id], (request_id, reasons[request_id])
    bodies = {props.headers[REQUEST_ID_HEADER]: body for props, body in dead}
    assert bodies["malformed"] == cases["malformed"][0]  # the request as it came
    rows = {row["request_id"]: row for row in ledger_rows(home)}
    assert {k: rows[k]["state"] for k in cases} == dict.fromkeys(cases, "invalid")
    assert all(rows[k]["detail"] and reasons[k] in rows[k]["detail"] for k in cases)
    assert rows["good"]["state"] == "sent"
    [file] = (home / "outbox" / partner).glob("856-*.x12")
    assert file.name == rows["good"]["file_name"]
    assert {e["data"]["request_id"] for e in events if e["data"]["state"] == "invalid"} >= {
        "required",
        "map",
        "schema",
    }


def test_resend_writes_the_same_bytes_or_renders_with_new_control_numbers(tmp_path: Path) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    write_profile(home, partner)
    config = outbound_settings(home, partner)
    outbox = home / "outbox" / partner
    with outbound_bus(partner) as bus:
        daemon = gateway_process(config, "run")
        try:
            bus.publish(request("once", partner), message_id="once")
            wait_for("the 856", lambda: bool(list(outbox.glob("856-*.x12"))))
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)
    [first] = outbox.glob("856-*.x12")
    original = first.read_bytes()
    first.unlink()  # the partner collected it, and lost it
    [row] = ledger_rows(home)

    same = gateway_command(config, "resend", row["document_id"])
    assert "written again" in same
    assert first.read_bytes() == original
    fresh = gateway_command(config, "resend", row["document_id"], "--new-control-numbers")
    assert "new control numbers" in fresh
    files = sorted(outbox.glob("856-*.x12"))
    assert len(files) == 2
    rows = {r["request_id"]: r for r in ledger_rows(home)}
    assert set(rows) == {"once", "once#resend-1"}
    again = rows["once#resend-1"]
    assert again["interchange_ref"] != row["interchange_ref"] and again["state"] == "sent"
    assert again["file_name"] in [p.name for p in files]
    check_document(Path(outbox / again["file_name"]).read_text(), "856", "004010")
    shown = gateway_command(config, "show", row["document_id"])
    assert "outbound.rendered" in shown and "outbound.resent" in shown


def test_requests_rendered_while_earlier_batches_are_recorded_yield_one_file_each_no_gap(
    tmp_path: Path,
) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    write_profile(home, partner)
    count = 60
    failing = {7, 30, 31}  # fail the 856 map (BSN02 too long): refused, and draw no number
    config = outbound_settings(home, partner, outbound_batch=4, parse_workers=1)
    with outbound_bus(partner) as bus:
        for n in range(count):  # queued before the daemon starts: batches wait for it
            data = asn_data("A" * 40) if n in failing else None
            bus.publish(request(f"many-{n}", partner, data=data), message_id=f"many-{n}")
        daemon = gateway_process(config, "run")
        try:

            def files() -> list[Path]:
                return list((home / "outbox" / partner).glob("856-*.x12"))

            wait_for("every file", lambda: len(files()) >= count - len(failing))
            wait_for(
                "every request acked",
                lambda: (
                    bus.channel.queue_declare(
                        request_queue(partner), passive=True
                    ).method.message_count
                    == 0
                ),
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)

    rows = ledger_rows(home)
    assert sorted(row["request_id"] for row in rows) == sorted(f"many-{n}" for n in range(count))
    sent = [row for row in rows if row["state"] == "sent"]
    assert {row["request_id"] for row in rows if row["state"] == "invalid"} == {
        f"many-{n}" for n in failing
    }
    assert sorted(int(row["interchange_ref"]) for row in sent) == list(
        range(1, len(sent) + 1)
    )  # no gap
    assert sorted(p.name for p in files()) == sorted(row["file_name"] for row in sent)
    for row in sent[:3]:
        check_document(row["content"], "856", "004010")

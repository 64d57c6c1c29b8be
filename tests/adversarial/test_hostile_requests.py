"""Adversarial: hostile outbound requests among good ones, and a broker that nacks, through the
daemon on both ledgers. For each: nothing lost, nothing done twice, the rest keeps flowing, the
cause is visible (dead letter with its reason, ledger, status event, ``edi-gateway show``).

Issue 20, items 10, 11 and 14. Add new hostile requests to :func:`hostile_requests`."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pika
import sqlalchemy as sa
from pika.adapters.blocking_connection import BlockingChannel

from gateway.bus.consumer import ERROR_HEADER
from gateway.bus.topology import INBOUND_EXCHANGE, declare
from gateway.ledger import create_engine_for
from tests.integration.outbound.support import (
    asn_data,
    hostile_bodies,
    outbound_bus,
    outbound_rows,
    request,
    request_event,
    request_queue,
    write_profile,
)
from tests.integration.support import (
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


def hostile_requests(partner: str) -> dict[str, tuple[bytes, str]]:
    """Every hostile request, by name (its AMQP message id): (body, what its refusal says)."""
    long_id = "L" * 300
    with_separator = asn_data("ASN*1")
    cases = dict(hostile_bodies(partner))
    cases.update(
        {
            "long id": (request_event(long_id, partner), "at most 200 bytes"),
            "long correlation id": (
                request_event("long-correlation", partner, correlationid="C" * 300),
                "at most 200 bytes",
            ),
            "long partner": (request_event("long-partner", "P" * 300), "at most 200 bytes"),
            "separator in a field": (
                request_event("separator", partner, data=with_separator),
                "contains the separator '*'",
            ),
            "empty array": (
                request_event("no-orders", partner, data={**asn_data("ASN-E"), "orders": []}),
                "data.orders",
            ),
            "array of nulls": (
                request_event("nulls", partner, data={**asn_data("ASN-N"), "orders": [None] * 50}),
                "data.orders[0]",
            ),
        }
    )
    return cases


def test_hostile_requests_are_refused_once_and_the_good_ones_around_them_sent_once(
    tmp_path: Path, database_url: str
) -> None:
    partner = f"a{uuid.uuid4().hex[:10]}"
    inbound = f"{partner}in"
    write_profile(tmp_path, partner)  # a folder partner: written means sent
    config = write_settings(
        tmp_path,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
        outbound_batch=4,  # hostile and good requests share batches
    )
    hostile = hostile_requests(partner)
    good = [f"good-{n}" for n in range(len(hostile) + 1)]
    dead: list[tuple[Any, bytes]] = []
    events: list[dict[str, Any]] = []
    with outbound_bus(partner) as bus, inbound_queue(f"edi.in.850.{inbound}") as (channel, queue):
        for n, (name, (body, _)) in enumerate(hostile.items()):  # queued before the daemon
            bus.publish(request(good[n], partner), message_id=good[n])
            bus.publish(body, message_id=name)
        bus.publish(request(good[-1], partner), message_id=good[-1])
        bus.publish(request(good[0], partner), message_id=good[0])  # the same, again
        for n in range(3):
            drop(tmp_path / "inbox", inbound, f"po-{n}.edi", small_850(7700 + n))
        daemon = gateway_process(config, "run")
        try:
            outbox = tmp_path / "outbox" / partner
            wait_for("every good request", lambda: len(list(outbox.glob("*.x12"))) >= len(good))
            wait_for("every request acked", lambda: depth(bus.channel, request_queue(partner)) == 0)
            wait_for("nothing left to publish", lambda: outbox_pending(config) == 0)
            wait_for("the inbound files", lambda: len(published_inbound(channel, queue)) >= 3)
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)
        dead += bus.take(bus.dead_letters)
        events += (json.loads(body) for _, body in bus.take(bus.events))
        inbound_ids = [p.message_id for p, _ in published_inbound(channel, queue)]

    log = daemon_output(config)
    assert "restarting the broker session" not in log and "delivered again" not in log
    # refused: once each, with the reason, recorded, announced
    reasons = Counter(props.message_id for props, _ in dead)
    assert reasons == Counter(list(hostile)), reasons
    for props, _ in dead:
        expected = hostile[props.message_id][1]
        assert expected in props.headers[ERROR_HEADER], (props.message_id, props.headers)
    rows = outbound_rows(database_url)
    states = Counter(row["state"] for row in rows)
    assert states == {"invalid": len(hostile), "sent": len(good)}, states
    assert Counter(row["request_id"] for row in rows).most_common(1)[0][1] == 1
    announced = Counter(e["data"]["state"] for e in events)
    assert announced == {"invalid": len(hostile), "sent": len(good)}, announced
    # sent: once each, one file each
    sent = {row["request_id"]: row["file_name"] for row in rows if row["state"] == "sent"}
    assert set(sent) == set(good)
    assert sorted(p.name for p in outbox.glob("*.x12")) == sorted(sent.values())
    # the inbound files went through meanwhile, once each
    assert len(inbound_ids) == len(set(inbound_ids)) == 3


def test_a_broker_that_nacks_holds_one_partner_and_the_others_flow(
    tmp_path: Path, database_url: str
) -> None:
    """A consumer's queue bound to one partner's 850s, full and rejecting publishes: that
    partner's documents are held (pending, ``nacked`` on their timeline, in ``status``), the
    other partner's flow, nothing is copied to the other queues more than twice, and everything
    arrives once the full queue is drained."""
    held, other = f"h{uuid.uuid4().hex[:10]}", f"o{uuid.uuid4().hex[:10]}"
    config = write_settings(tmp_path, database_url)
    count = 10
    with (
        inbound_queue("edi.in.#") as (channel, everything),
        inbound_queue(
            f"edi.in.850.{held}", arguments={"x-max-length": 3, "x-overflow": "reject-publish"}
        ) as (_, small),
    ):
        for n in range(count):
            drop(tmp_path / "inbox", held, f"po-{n}.edi", small_850(8800 + n))
            drop(tmp_path / "inbox", other, f"po-{n}.edi", small_850(8900 + n))
        daemon = gateway_process(config, "run")
        copies: Counter[str] = Counter()
        taken: list[str] = []
        try:

            def arrived(partner: str) -> set[str]:
                copies.update(p.message_id for p, _ in take_all(channel, everything))
                return {i for i in copies if i in documents_of(database_url, partner)}

            wait_for("the other partner's documents", lambda: len(arrived(other)) == count)
            wait_for(  # the 3 that fit are in the small queue; the rest wait, visibly
                "the held documents in status",
                lambda: backlog(config) == {held: {"pending": count - 3}},
            )
            reasons = pending_reasons(database_url)
            assert len(reasons) == count - 3, "\n".join(reasons)  # all of them: diagnostics
            assert all("nacked" in r for r in reasons), reasons
            assert "the broker nacked it: a queue its routing key" in show(
                config, reasons[0].split()[0]
            )
            # while the queue is full, only the oldest held document is sent again (probing
            # for room, with backoff): the others reached the other queue once
            arrived(held)
            times = sorted(copies[i] for i in documents_of(database_url, held))
            assert times[:-1] == [1] * (count - 1) and times[-1] <= 12, times
            deadline = time.monotonic() + 60
            while len(taken) < count and time.monotonic() < deadline:  # its consumer is back
                taken += [p.message_id for p, _ in take_all(channel, small)]
                time.sleep(0.05)
            wait_for("nothing left to publish", lambda: outbox_pending(config) == 0)
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, daemon_output(config)
        arrived(held)
    held_ids, other_ids = documents_of(database_url, held), documents_of(database_url, other)
    assert len(taken) == len(set(taken)) and set(taken) == held_ids  # all, once each
    assert {copies[i] for i in other_ids} == {1}
    assert set(copies) == held_ids | other_ids
    assert max(copies.values()) <= 12  # nacked, taken, and the probes for room (backoff)


# -- helpers -----------------------------------------------------------------------------------


@contextmanager
def inbound_queue(
    routing_key: str, *, arguments: dict[str, Any] | None = None
) -> Iterator[tuple[BlockingChannel, str]]:
    """A private queue bound to the inbound exchange with ``routing_key``; deleted afterwards."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    declare(channel)
    queue = f"test.adv.{uuid.uuid4().hex[:12]}"
    channel.queue_declare(queue, durable=False, arguments=arguments)
    channel.queue_bind(queue, INBOUND_EXCHANGE, routing_key)
    try:
        yield channel, queue
    finally:
        channel.queue_delete(queue)
        connection.close()


_published: dict[str, list[tuple[Any, bytes]]] = {}


def published_inbound(channel: BlockingChannel, queue: str) -> list[tuple[Any, bytes]]:
    """Everything ``queue`` received so far (taken and kept)."""
    got = _published.setdefault(queue, [])
    got += take_all(channel, queue)
    return got


def status_of(config: Path) -> dict[str, Any]:
    return dict(json.loads(gateway_command(config, "status", "--json")))


def outbox_pending(config: Path) -> int:
    return int(status_of(config)["outbox_pending"])


def backlog(config: Path) -> dict[str, dict[str, int]]:
    return dict(status_of(config)["outbox_backlog"])


def show(config: Path, document_id: str) -> str:
    return gateway_command(config, "show", document_id)


def documents_of(database_url: str, partner: str) -> set[str]:
    """The document ids recorded for ``partner``'s files."""
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("select document_id from documents where partner = :p"), {"p": partner}
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def pending_reasons(database_url: str) -> list[str]:
    """Why each pending outbox message is pending (its ``last_error``), by document id."""
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "select document_id, last_error, partner, id, attempts, created_at from outbox "
                    "where state = 'pending' order by id"
                )
            )
            return [
                f"{row[0]} {row[1]} (partner {row[2]}, outbox id {row[3]}, {row[4]} "
                f"attempts, created {row[5]})"
                for row in rows
            ]
    finally:
        engine.dispose()


def depth(channel: BlockingChannel, queue: str) -> int:
    return int(channel.queue_declare(queue, passive=True).method.message_count)

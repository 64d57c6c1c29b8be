"""The outbox relay against the real RabbitMQ and a SQLite ledger: published once with the right
body and properties, PUBLISHED only after a confirm, unroutable kept and republished, broker
outages (through a TCP proxy the test cuts) losing nothing and keeping each partner's order, and
a relay that keeps running whatever goes wrong."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import update

from gateway import ledger as repository
from gateway.bus.connection import mask_url
from gateway.bus.reading import READ_AHEAD_BYTES, WINDOW_BYTES
from gateway.bus.relay import OutboxRelay
from gateway.bus.topology import QueueSpec
from gateway.ledger import OutboxState
from gateway.ledger.models import OUTBOX
from tests.integration.bus.helpers import (
    Added,
    Broker,
    Ledger,
    Names,
    Received,
    broker_max_message_size,
    wait_until,
)
from tests.support.broker import url_via
from tests.support.tcp_proxy import TcpProxy

PUBLISHED = OutboxState.PUBLISHED
PENDING = OutboxState.PENDING
UNROUTABLE = OutboxState.UNROUTABLE


def proxy_url(proxy: TcpProxy) -> str:
    return url_via(proxy.port)


def message_ids(received: Iterable[Received]) -> list[str]:
    return [str(r.properties.message_id) for r in received]


def first_occurrences(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    order = []
    for message_id in ids:
        if message_id not in seen:
            seen.add(message_id)
            order.append(message_id)
    return order


def assert_partner_order(added: list[Added], received: list[Received]) -> int:
    """Every message arrived at least once and, per partner, the first arrivals are in outbox id
    order (a resend after a failure repeats a suffix, never reorders). Returns the duplicates."""
    ids = message_ids(received)
    assert set(ids) == {a.message_id for a in added}, "a message was lost"
    by_id = {a.message_id: a for a in added}
    per_partner: dict[str, list[int]] = defaultdict(list)
    for message_id in first_occurrences(ids):
        per_partner[by_id[message_id].partner].append(by_id[message_id].outbox_id)
    for partner, outbox_ids in per_partner.items():
        assert outbox_ids == sorted(outbox_ids), f"{partner}: out of order"
    return len(ids) - len(set(ids))


def stop(relay: OutboxRelay) -> None:
    started = time.monotonic()
    relay.stop(timeout=10)
    assert not relay.running
    assert time.monotonic() - started < 10


# -- publishing ------------------------------------------------------------------------------


def test_pending_rows_are_published_once_with_body_and_properties(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    added = ledger.add(names, "acme", 3) + ledger.add(names, "globex", 2)
    relay = ledger.relay(names)

    before = int(time.time())
    assert relay.drain_once(timeout=20) == 5
    received = broker.take(names.all_queue, 5)

    assert message_ids(received) == [a.message_id for a in added]  # id order
    for row, got in zip(added, received, strict=True):
        assert got.routing_key == row.routing_key == f"edi.in.850.{row.partner}"
        assert got.body == row.body
        event = json.loads(got.body)
        assert event["specversion"] == "1.0"
        assert event["id"] == row.message_id
        assert event["source"] == f"edi-gateway/{row.partner}"
        assert event["type"] == "edi.in.850"
        assert event["correlationid"] == row.correlation_id
        assert event["data"]["document_id"] == row.message_id
        assert event["data"]["po_number"].startswith(f"PO-{row.partner}-")
        p = got.properties
        assert p.message_id == row.message_id
        assert p.correlation_id == row.correlation_id
        assert p.delivery_mode == 2
        assert p.content_type == "application/cloudevents+json"
        assert p.type == "edi.in.850"
        assert p.app_id == "edi-gateway"
        assert p.headers == row.headers
        assert p.timestamp is not None and before - 1 <= p.timestamp <= time.time() + 1
        assert not got.redelivered

    rows = ledger.rows(added)
    assert [r.state for r in rows] == [PUBLISHED] * 5
    assert all(r.published_at is not None for r in rows)
    status = ledger.status()
    assert status.outbox_pending == 0
    assert status.documents["acme"] == {"published": 3}
    assert status.documents["globex"] == {"published": 2}
    with ledger.factory.begin() as s:
        kinds = [e.kind for e in repository.timeline(s, added[0].message_id)]
    assert kinds[-1] == "published"

    # once: nothing left to publish, nothing more arrives
    assert relay.drain_once(timeout=5) == 0
    time.sleep(0.2)
    assert broker.depth(names.all_queue) == 0
    assert relay.stats.published == 5
    assert relay.stats.sessions == 1


def test_rows_stay_pending_until_confirmed_and_unconfirmed_ones_are_sent_again(
    ledger: Ledger, broker: Broker, names: Names, proxy: TcpProxy
) -> None:
    """The proxy holds the broker's confirms back: the messages are in the queue, yet their rows
    stay pending. The connection then fails: the relay sends them again (twice is allowed, never
    lost), and only the new confirms make them PUBLISHED."""
    relay = ledger.relay(names, url=proxy_url(proxy), backoff_initial=0.05, backoff_max=0.2)
    relay.start()
    try:
        wait_until(lambda: relay.connected, 5, "the relay to connect")
        proxy.stall()
        added = ledger.add(names, "acme", 20) + ledger.add(names, "globex", 10)
        wait_until(lambda: broker.depth(names.all_queue) == 30, 10, "the messages in the queue")
        time.sleep(0.2)
        assert ledger.states(added) == [PENDING] * 30  # published, not confirmed
        assert relay.stats.published == 0
        proxy.cut()
        proxy.restore()
        wait_until(lambda: ledger.pending() == 0, 10, "the rows confirmed after the reconnect")
    finally:
        stop(relay)
    received = broker.take_all(names.all_queue)
    duplicates = assert_partner_order(added, received)
    assert duplicates == 30  # every unconfirmed message went again
    assert message_ids(received) == [a.message_id for a in added] * 2
    assert relay.stats.published == 30


def test_a_window_of_messages_is_in_flight_and_confirms_cover_several(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    added = ledger.add(names, "acme", 1500)
    relay = ledger.relay(names, window=64, batch=100)
    started = time.monotonic()
    assert relay.drain_once(timeout=30) == 1500
    elapsed = time.monotonic() - started
    stats = relay.stats
    assert 1 < stats.max_in_flight <= 64
    assert stats.multiple_acks > 0
    assert stats.acks < 1500
    assert message_ids(broker.take(names.all_queue, 1500)) == [a.message_id for a in added]
    print(f"\n1500 messages confirmed in {elapsed:.2f} s with {stats.acks} confirms")


def test_large_messages_are_read_and_kept_in_flight_by_their_bytes(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """A huge document's parts, megabytes each, released at once: the relay reads and publishes
    them some 8 MiB at a time (READ_AHEAD_BYTES, WINDOW_BYTES), not a page of 500 rows and a
    window of 256 (2.5 GB of RSS in the daemon before)."""
    size = 6 << 20
    added = ledger.add(names, "acme", 12)
    for each in added:
        ledger.inflate(each, size)
    relay = ledger.relay(names, window=256, batch=500)
    assert relay.drain_once(timeout=60) == 12
    stats = relay.stats
    assert stats.max_in_flight <= -(-WINDOW_BYTES // size), stats  # 2: one over, at most
    assert stats.reads >= -(-12 * size // READ_AHEAD_BYTES), stats  # pages of one or two rows
    received = broker.take(names.all_queue, 12, timeout=30)
    assert message_ids(received) == [a.message_id for a in added]


def test_confirms_of_a_trickle_are_recorded_together_each_at_its_moment(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """Commits 10 ms apart (a steady 100 files/s) cost one transaction recording the confirms
    of several of them, not one each; each row keeps the moment its own confirm came (the
    broker may confirm several messages in one frame: they share its moment)."""
    relay = ledger.relay(names, idle_poll=30.0, mark_gather=1.0)
    relay.start()
    added = []
    try:
        wait_until(lambda: relay.connected and relay.stats.reads >= 1, 10, "the first read")
        before = relay.stats
        for _ in range(10):
            added += ledger.add(names, "acme", 1)
            relay.notify()
            time.sleep(0.01)
        wait_until(lambda: relay.stats.published - before.published == 10, 10, "all published")
        after = relay.stats
        assert after.recordings - before.recordings <= 2
    finally:
        stop(relay)
    moments = {row.published_at for row in ledger.rows(added) if row.published_at is not None}
    assert len(moments) == after.acks - before.acks  # one moment per confirm frame
    assert max(moments) - min(moments) >= dt.timedelta(milliseconds=50)
    broker.take(names.all_queue, 10)


def test_each_commit_costs_one_read_and_one_recording(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """At a trickle, each batch committed costs the ledger one read of the outbox (no read
    ahead that finds nothing) and one transaction recording its confirms, however many confirm
    frames the broker sends for it."""
    relay = ledger.relay(names, idle_poll=30.0, mark_gather=0.5)
    relay.start()
    try:
        wait_until(lambda: relay.connected and relay.stats.reads >= 1, 10, "the first read")
        time.sleep(0.2)
        for published in (20, 40, 60):
            before = relay.stats
            ledger.add(names, "acme", 20)
            relay.notify()
            wait_until(lambda n=published: relay.stats.published == n, 10, "the batch published")
            time.sleep(0.1)
            after = relay.stats
            assert after.reads - before.reads == 1
            assert after.recordings - before.recordings == 1
    finally:
        stop(relay)
    broker.take(names.all_queue, 60)


def test_nacked_messages_stay_pending_and_are_sent_again(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """A queue that rejects publishes beyond 5 messages makes the broker nack: only the confirmed
    rows become PUBLISHED; the rest stay pending and go again once there is room."""
    small = names.queue("small")
    broker.queues.add(small)
    queues = (
        QueueSpec(
            small, ("edi.in.#",), arguments={"x-max-length": 5, "x-overflow": "reject-publish"}
        ),
    )
    added = ledger.add(names, "acme", 8)
    relay = ledger.relay(names, queues=queues, backoff_initial=0.05, backoff_max=0.3)
    relay.start()
    try:
        wait_until(lambda: relay.stats.nacked >= 1, 10, "a nack")
        wait_until(
            lambda: ledger.states(added[:5]) == [PUBLISHED] * 5, 5, "the first five recorded"
        )
        assert ledger.states(added[5:]) == [PENDING] * 3
        assert "nacked" in (relay.last_error or "")
        first = broker.take(small, 5)  # make room
        wait_until(lambda: ledger.states(added) == [PUBLISHED] * 8, 15, "all eight published")
    finally:
        stop(relay)
    rest = broker.take_all(small)
    assert first_occurrences(message_ids(first + rest)) == [a.message_id for a in added]
    # the same connection throughout: a nack is waited out, not treated as a failure
    assert relay.stats.sessions == 1 and relay.stats.connection_failures == 0
    assert relay.stats.nacked >= 3


def test_a_full_queue_holds_its_routing_key_back_without_copies_to_the_other_queues(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """Issue 20, item 14: a queue bound to one partner's routing key that rejects publishes
    when full made the broker nack, and the relay resent every pending message after each nack,
    to every queue: 1,941 copies of 200 documents in edi.in.all. Now the nacked messages are
    held (pending, the reason recorded), sent again one at a time with backoff, and the other
    routing keys flow meanwhile: each message reaches the other queue at most twice (once when
    nacked, once when taken), a few more for the one that probes for room."""
    broker.declare()  # names.all_queue: edi.in.#
    small = names.queue("small")
    broker.bind(
        small, "edi.in.850.acme", arguments={"x-max-length": 5, "x-overflow": "reject-publish"}
    )
    added: list[Added] = []
    for _ in range(20):
        added += ledger.add(names, "acme", 5) + ledger.add(names, "globex", 5)
    acme = [a for a in added if a.partner == "acme"]
    globex = [a for a in added if a.partner == "globex"]
    relay = ledger.relay(names, backoff_initial=0.05, backoff_max=0.4)
    relay.start()
    taken: list[Received] = []
    try:
        wait_until(lambda: relay.stats.nacked >= 1, 10, "a nack")
        wait_until(lambda: set(ledger.states(globex)) == {PUBLISHED}, 10, "globex published")
        time.sleep(2.0)  # the queue stays full: the relay probes, with backoff
        assert ledger.states(acme[:5]) == [PUBLISHED] * 5
        assert ledger.states(acme[5:]) == [PENDING] * 95
        assert "nacked" in (relay.last_error or "")
        [held] = ledger.rows(acme[5:6])
        assert held.last_error is not None and "nacked" in held.last_error, held
        with ledger.factory.begin() as s:
            kinds = [e.kind for e in repository.timeline(s, acme[5].message_id)]
        assert kinds[-1] == "nacked"  # shown by ``edi-gateway show``
        probes = relay.stats.nacked - 95
        while len(taken) < 100:  # the consumer of the small queue comes back
            taken += broker.take_all(small, quiet=0.3, timeout=5)
        wait_until(lambda: ledger.pending() == 0, 15, "everything published")
    finally:
        stop(relay)
    assert message_ids(taken) == [a.message_id for a in acme]  # each once, in order
    copies = Counter(message_ids(broker.take_all(names.all_queue)))
    assert set(copies) == {a.message_id for a in added}  # nothing lost
    assert {copies[a.message_id] for a in globex} == {1}
    assert {copies[a.message_id] for a in acme[:5]} == {1}
    assert {copies[a.message_id] for a in acme[6:]} <= {1, 2}
    assert copies[acme[5].message_id] <= 2 + relay.stats.nacked - 95
    assert 0 < probes <= 12, relay.stats  # backoff: 0.05 s doubling to 0.4 s, over 2 s
    print(f"\n{sum(copies.values())} copies of {len(added)} messages, {probes} probe(s)")
    assert relay.stats.sessions == 1 and relay.stats.connection_failures == 0


# -- unroutable --------------------------------------------------------------------------------


def test_unroutable_messages_are_kept_reported_and_republished_after_requeue(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    added = ledger.add(names, "acme", 3)
    relay = ledger.relay(names, queues=())  # the exchanges only: nothing bound
    assert relay.drain_once(timeout=10) == 0

    rows = ledger.rows(added)
    assert [r.state for r in rows] == [UNROUTABLE] * 3
    for row in rows:
        assert row.attempts == 1
        assert row.last_error is not None and "NO_ROUTE" in row.last_error
        assert "edi.in.850.acme" in row.last_error
    status = ledger.status()
    assert status.outbox_unroutable == 3
    assert status.outbox_backlog == {"acme": {"unroutable": 3}}
    assert relay.stats.returned == 3 and relay.stats.unroutable == 3
    assert relay.drain_once(timeout=5) == 0  # not retried on its own

    broker.bind(names.all_queue, "edi.in.#")  # a binding appears
    with ledger.factory.begin() as s:
        assert repository.requeue_unroutable(s) == 3
    assert relay.drain_once(timeout=10) == 3
    assert message_ids(broker.take(names.all_queue, 3)) == [a.message_id for a in added]
    assert ledger.states(added) == [PUBLISHED] * 3


@pytest.mark.alone
def test_a_message_larger_than_the_broker_takes_is_set_aside_and_the_others_go_on(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    limit = 64 * 1024
    broker.declare()
    added = ledger.add(names, "acme", 6)
    ledger.inflate(added[1], limit + 1)
    ledger.inflate(added[4], limit * 2)
    relay = ledger.relay(names, queues=())
    with broker_max_message_size(limit):
        assert relay.drain_once(timeout=20) == 4
        later = ledger.add(names, "acme", 2)
        ledger.inflate(later[0], limit + 10)
        assert relay.drain_once(timeout=20) == 1
    small = [a for a in [*added, *later] if a not in (added[1], added[4], later[0])]
    received = broker.take_all(names.all_queue)
    assert_partner_order(small, received)  # none lost, each partner in order
    for big in (added[1], added[4], later[0]):
        [row] = ledger.rows([big])
        assert row.state is UNROUTABLE, row
        assert row.last_error is not None and f"at most {limit:,}" in row.last_error
        assert f"{len(row.body):,} bytes" in row.last_error
    # one channel closed, for the first: the limit known, the others are set aside unsent
    assert relay.stats.connection_failures == 1, relay.stats
    assert ledger.status().outbox_backlog == {"acme": {"unroutable": 3}}

    with ledger.factory.begin() as s:  # the broker takes them now (its own limit): a replay
        assert repository.requeue_unroutable(s) == 3
    assert ledger.relay(names, queues=()).drain_once(timeout=20) == 3
    assert len(broker.take_all(names.all_queue)) == 3


def test_a_message_amqp_cannot_carry_is_set_aside_with_the_part_at_fault_and_the_others_go_on(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """Issue 20, item 10: a message id over 255 bytes raised ShortStringTooLong in
    basic_publish; the relay restarted its session and met the same row first, for ever."""
    broker.declare()
    added = ledger.add(names, "acme", 7)
    too_long = "L" * 300
    bad: dict[int, tuple[dict[str, Any], str]] = {
        added[1].outbox_id: ({"message_id": too_long}, "its message id is 300 bytes long"),
        added[2].outbox_id: ({"correlation_id": too_long}, "its correlation id is 300 bytes"),
        added[3].outbox_id: ({"routing_key": f"edi.in.850.{too_long}"}, "its routing key"),
        added[5].outbox_id: ({"headers": {too_long: "x"}}, "its header name 'LLLL"),
    }
    with ledger.factory.begin() as s:
        for outbox_id, (values, _) in bad.items():
            s.execute(update(OUTBOX).where(OUTBOX.c.id == outbox_id).values(**values))
    relay = ledger.relay(names)

    assert relay.drain_once(timeout=20) == 3
    good = [a for a in added if a.outbox_id not in bad]
    assert message_ids(broker.take_all(names.all_queue)) == [a.message_id for a in good]
    for row in ledger.rows(a for a in added if a.outbox_id in bad):
        assert row.state is UNROUTABLE, row
        expected = bad[row.id][1]
        assert row.last_error is not None and expected in row.last_error, row.last_error
        assert "AMQP short strings hold at most 255" in row.last_error
    assert relay.stats.connection_failures == 0 and relay.stats.sessions == 1
    assert ledger.status().outbox_backlog == {"acme": {"unroutable": 4}}
    with ledger.factory.begin() as s:
        kinds = [e.kind for e in repository.timeline(s, added[1].message_id)]
    assert kinds[-1] == "unroutable"  # shown by ``edi-gateway show``


def test_returned_and_confirmed_messages_interleaved_in_one_window(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    broker.declare(queues=())
    broker.bind(names.queue("acme"), "edi.in.850.acme")
    acme: list[Added] = []
    globex: list[Added] = []
    for _ in range(25):
        acme += ledger.add(names, "acme")
        globex += ledger.add(names, "globex")
    relay = ledger.relay(names, queues=())
    assert relay.drain_once(timeout=15) == 25
    assert ledger.states(acme) == [PUBLISHED] * 25
    assert ledger.states(globex) == [UNROUTABLE] * 25
    assert message_ids(broker.take(names.queue("acme"), 25)) == [a.message_id for a in acme]


def test_a_row_for_a_missing_exchange_is_unroutable_and_does_not_block_the_others(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    nowhere = names.queue("nowhere")
    before = ledger.add(names, "acme", 2)
    lost = ledger.add(names, "acme", 2, exchange=nowhere)
    after = ledger.add(names, "acme", 2)
    relay = ledger.relay(names)
    assert relay.drain_once(timeout=10) == 4
    rows = ledger.rows(lost)
    assert [r.state for r in rows] == [UNROUTABLE] * 2
    assert all("does not exist" in (r.last_error or "") for r in rows)
    assert message_ids(broker.take(names.all_queue, 4)) == [a.message_id for a in before + after]
    assert not broker.exchange_exists(nowhere)  # the relay does not invent exchanges
    assert relay.stats.connection_failures == 0


# -- outages -----------------------------------------------------------------------------------


def test_a_broker_outage_mid_stream_loses_nothing_and_keeps_each_partner_in_order(
    ledger: Ledger, broker: Broker, names: Names, proxy: TcpProxy
) -> None:
    partners = ("acme", "globex", "initech")
    added: list[Added] = []
    done = threading.Event()

    def produce() -> None:  # about 150 rows/s for 5 s, across the outage
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not done.is_set():
            for partner in partners:
                added.extend(ledger.add(names, partner, 5))
            time.sleep(0.1)

    relay = ledger.relay(
        names, url=proxy_url(proxy), window=32, backoff_initial=0.1, backoff_max=1.0
    )
    relay.start()
    producer = threading.Thread(target=produce, name="producer")
    producer.start()
    try:
        wait_until(lambda: relay.stats.published >= 50, 10, "publishing under way")
        proxy.cut()
        wait_until(lambda: not relay.connected, 5, "the relay to see the outage")
        error = relay.last_error or ""
        assert "lost" in error or "cannot connect" in error, error
        time.sleep(3.0)  # the broker is unreachable; rows keep coming
        assert relay.running and not relay.connected
        assert ledger.pending() > 0
        assert "cannot connect" in (relay.last_error or "")
        proxy.restore()
        producer.join(15)
        wait_until(lambda: ledger.pending() == 0, 30, "the backlog to drain")
        assert relay.connected and relay.last_error is None
    finally:
        done.set()
        producer.join(15)
        stop(relay)

    received = broker.take_all(names.all_queue)
    duplicates = assert_partner_order(added, received)
    assert ledger.states(added) == [PUBLISHED] * len(added)
    stats = relay.stats
    assert stats.sessions >= 2 and stats.connection_failures >= 2
    print(
        f"\noutage: {len(added)} rows, {len(received)} deliveries, {duplicates} duplicate(s) "
        f"across the cut, {stats.connection_failures} failed connection attempt(s)"
    )


def test_a_broker_down_at_start_is_waited_for(
    ledger: Ledger, broker: Broker, names: Names, proxy: TcpProxy
) -> None:
    proxy.cut()
    early = ledger.add(names, "acme", 20)
    relay = ledger.relay(names, url=proxy_url(proxy), backoff_initial=0.05, backoff_max=0.5)
    relay.start()
    try:
        wait_until(lambda: relay.stats.connection_failures >= 2, 5, "connection attempts")
        assert not relay.connected
        assert "cannot connect" in (relay.last_error or "")
        late = ledger.add(names, "acme", 10)
        assert ledger.pending() == 30
        proxy.restore()
        wait_until(lambda: ledger.pending() == 0, 15, "the backlog to drain")
    finally:
        stop(relay)
    received = broker.take(names.all_queue, 30)
    assert message_ids(received) == [a.message_id for a in early + late]


# -- the relay keeps running -------------------------------------------------------------------


def test_wrong_credentials_are_reported_and_the_password_never_logged(
    ledger: Ledger, names: Names, rabbitmq: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"not-the-password-{uuid.uuid4().hex}"
    url = f"amqp://guest:{secret}@127.0.0.1:5672/%2F"
    assert mask_url(url) == "amqp://guest:***@127.0.0.1:5672/%2F"
    ledger.add(names, "acme")
    caplog.set_level(logging.DEBUG)
    relay = ledger.relay(names, url=url, backoff_initial=0.05, backoff_max=0.2)
    relay.start()
    try:
        wait_until(lambda: relay.stats.connection_failures >= 3, 15, "three refused logins")
        assert relay.running and not relay.connected
        error = relay.last_error or ""
        assert "guest:***@127.0.0.1" in error and secret not in error
        assert "ACCESS_REFUSED" in error or "Authentication" in error
    finally:
        stop(relay)
    assert secret not in caplog.text
    assert "guest:***@127.0.0.1" in caplog.text
    assert ledger.pending() == 1


def test_ledger_errors_are_reported_and_the_relay_carries_on(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    added = ledger.add(names, "acme", 5)
    with ledger.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE outbox RENAME TO outbox_away")
    relay = ledger.relay(names)
    relay.start()
    try:
        wait_until(lambda: "ledger" in (relay.last_error or ""), 10, "the ledger error")
        assert relay.running and relay.connected
        with ledger.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE outbox_away RENAME TO outbox")
        wait_until(lambda: ledger.states(added) == [PUBLISHED] * 5, 10, "the rows published")
    finally:
        stop(relay)
    assert message_ids(broker.take(names.all_queue, 5)) == [a.message_id for a in added]


def test_an_error_in_the_relay_itself_restarts_the_session_not_the_process(
    ledger: Ledger,
    broker: Broker,
    names: Names,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = OutboxRelay._properties
    failures = iter([True, True])

    def flaky(row: object) -> object:
        if next(failures, False):
            raise RuntimeError("injected failure")
        return original(row)  # type: ignore[arg-type]

    monkeypatch.setattr(OutboxRelay, "_properties", staticmethod(flaky))
    added = ledger.add(names, "acme", 10)
    relay = ledger.relay(names, backoff_initial=0.05, backoff_max=0.2)
    relay.start()
    try:
        wait_until(lambda: ledger.states(added) == [PUBLISHED] * 10, 10, "the rows published")
    finally:
        stop(relay)
    assert relay.stats.connection_failures >= 1
    assert "injected failure" in caplog.text
    assert message_ids(broker.take(names.all_queue, 10)) == [a.message_id for a in added]


def test_heartbeats_go_on_while_the_relay_waits_on_the_ledger(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    """Another connection holds the ledger's write lock for 4 s, so the relay cannot record its
    confirms; with 1 s heartbeats the broker would drop a connection whose IO loop is stuck that
    long. The relay's connection survives: database work never runs on the IO loop."""
    added = ledger.add(names, "acme", 10)
    relay = ledger.relay(names, heartbeat=1)
    locker = sqlite3.connect(ledger.path, timeout=1, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")  # readers go on (WAL), writers wait
        relay.start()
        wait_until(lambda: broker.depth(names.all_queue) == 10, 5, "the messages published")
        time.sleep(4.0)
        assert ledger.states(added) == [PENDING] * 10  # confirmed, not yet recorded
        assert relay.connected
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    try:
        wait_until(lambda: ledger.states(added) == [PUBLISHED] * 10, 10, "the rows recorded")
    finally:
        stop(relay)
    assert relay.stats.sessions == 1 and relay.stats.connection_failures == 0


def test_start_stop_and_drain_guards(ledger: Ledger, broker: Broker, names: Names) -> None:
    relay = ledger.relay(names)
    assert relay.drain_once(timeout=5) == 0  # nothing pending: no connection needed
    relay.start()
    try:
        wait_until(lambda: relay.connected, 5, "the relay to connect")
        with pytest.raises(RuntimeError, match="already running"):
            relay.start()
        with pytest.raises(RuntimeError, match="not started"):
            relay.drain_once(timeout=1)
    finally:
        stop(relay)
    assert not relay.connected
    assert not [t.name for t in threading.enumerate() if t.name.startswith("outbox-relay")]
    relay.start()  # a stopped relay starts again
    wait_until(lambda: relay.connected, 5, "the relay to connect again")
    stop(relay)
    with pytest.raises(ValueError):
        ledger.relay(names, window=0)

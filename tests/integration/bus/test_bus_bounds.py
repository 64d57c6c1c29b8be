"""The bounds of the catch-all and dead-letter queues on the real broker: they keep the latest
messages up to their bound and never refuse a publish; the catch-alls can be left out; a queue
an earlier version declared unbounded is taken as it is, with an error saying what to do, and
declared bounded once it is deleted."""

from __future__ import annotations

import logging
from dataclasses import replace

import pika
import pika.exceptions
import pytest

from gateway.bus.existing import ExistingQueues
from gateway.bus.topology import DEFAULT_QUEUES, QueueSpec, Topology, declare
from gateway.ledger import OutboxState
from tests.integration.bus.helpers import Broker, Ledger, Names, wait_until
from tests.support.broker import VHOST

log = logging.getLogger(__name__)


def bounded_topology(names: Names, catch_all: int, dead_letters: int) -> Topology:
    """The gateway's default topology under this test's names, with these bounds."""
    renamed = {"edi.in.all": names.all_queue, "edi.dlq": names.dead_letter_queue}
    queues = tuple(
        replace(q, name=renamed.get(q.name, names.queue(q.name))) for q in DEFAULT_QUEUES
    )
    topology = Topology(
        names.exchange,
        names.dead_letter_exchange,
        queues,
        request_exchange=names.queue("out"),
        events_exchange=names.queue("events"),
    )
    return topology.with_bounds(catch_all, dead_letters)


def declared(broker: Broker, topology: Topology) -> None:
    """Declare ``topology`` with the test's broker connection, and have it cleaned up after."""
    broker.queues.update(q.name for q in topology.queues)
    broker.exchanges.update(topology.exchanges)
    declare(broker.channel, topology=topology)


def publish(broker: Broker, exchange: str, key: str, count: int) -> None:
    """``count`` persistent messages, each confirmed by the broker (a nack raises)."""
    channel = broker.connection.channel()
    channel.confirm_delivery()
    for number in range(count):
        channel.basic_publish(
            exchange,
            key,
            f"message {number}".encode(),
            pika.BasicProperties(delivery_mode=2),
            mandatory=True,
        )
    channel.close()


def exists(broker: Broker, queue: str) -> bool:
    channel = broker.connection.channel()
    try:
        channel.queue_declare(queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as error:
        assert error.reply_code == 404
        return False
    channel.close()
    return True


def test_catch_all_and_dead_letter_queues_keep_their_latest_messages_up_to_their_bound(
    broker: Broker, names: Names
) -> None:
    topology = bounded_topology(names, catch_all=5, dead_letters=7)
    declared(broker, topology)
    events = topology.queue_for("events")
    assert events is not None and events.catch_all

    publish(broker, names.exchange, "edi.in.850.acme", 20)  # every publish confirmed
    publish(broker, topology.events_exchange, "edi.status.sent.acme", 20)
    publish(broker, names.dead_letter_exchange, "edi.out.856.acme", 20)

    assert broker.depth(names.all_queue) == 5
    assert broker.depth(events.name) == 5
    assert broker.depth(names.dead_letter_queue) == 7  # what the catch-alls dropped is not there
    kept = [m.body.decode() for m in broker.take(names.all_queue, 5)]
    assert kept == [f"message {n}" for n in range(15, 20)]  # the oldest were dropped
    declare(broker.channel, topology=topology)  # declared again on a reconnect: the same
    publish(broker, names.exchange, "edi.in.850.acme", 8)
    assert broker.depth(names.all_queue) == 5


def test_the_catch_all_queues_are_left_out_with_a_bound_of_zero(
    broker: Broker, names: Names
) -> None:
    topology = bounded_topology(names, catch_all=0, dead_letters=7)
    assert [q.source for q in topology.queues] == ["dead_letter", "requests"]
    declared(broker, topology)
    assert not exists(broker, names.all_queue)
    assert not exists(broker, names.queue("edi.events.all"))
    assert exists(broker, names.dead_letter_queue)


def old_unbounded_queue(broker: Broker, names: Names) -> None:
    """``names.all_queue`` as versions before the bounds declared it."""
    broker.channel.exchange_declare(names.dead_letter_exchange, "topic", durable=True)
    broker.channel.queue_declare(
        names.all_queue,
        durable=True,
        arguments={"x-dead-letter-exchange": names.dead_letter_exchange},
    )


def test_a_queue_with_other_arguments_is_taken_as_it_is_until_it_is_deleted(
    broker: Broker, names: Names, caplog: pytest.LogCaptureFixture
) -> None:
    old_unbounded_queue(broker, names)
    topology = bounded_topology(names, catch_all=5, dead_letters=7)
    existing = ExistingQueues(topology, log)

    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
        declared(broker, topology)
    assert refused.value.reply_code == 406
    said = existing.channel_closed(refused.value)
    assert said == f"queue {names.all_queue!r} exists with other arguments; taken as it is " + (
        "from now on"
    )
    assert existing.as_they_are == {names.all_queue}
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"queue {names.all_queue!r} exists on the broker with other arguments" in error.message
    assert "inequivalent arg" in error.message  # what the broker said
    assert "stop the daemon" in error.message
    assert f"rabbitmqctl delete_queue -p {VHOST} {names.all_queue}" in error.message
    assert "catch_all_max_length" in error.message
    assert existing.channel_closed(refused.value) is None  # said once

    broker.channel = broker.connection.channel()
    declare(broker.channel, topology=topology, as_they_are=existing.as_they_are)
    publish(broker, names.exchange, "edi.in.850.acme", 8)
    assert broker.depth(names.all_queue) == 8  # as it was: unbounded

    broker.channel.queue_delete(names.all_queue)  # what the error says to do
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as gone:
        declare(broker.channel, topology=topology, as_they_are=existing.as_they_are)
    assert gone.value.reply_code == 404
    assert existing.channel_closed(gone.value) == (
        f"queue {names.all_queue!r} is gone; declared as configured from now on"
    )
    assert existing.as_they_are == set()
    broker.channel = broker.connection.channel()
    declare(broker.channel, topology=topology, as_they_are=existing.as_they_are)
    publish(broker, names.exchange, "edi.in.850.acme", 8)
    assert broker.depth(names.all_queue) == 5


def test_other_channel_errors_are_not_taken_for_a_refused_queue(names: Names) -> None:
    existing = ExistingQueues(bounded_topology(names, 5, 7), log)
    not_ours = (
        "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'other' in vhost '/'"
    )
    assert existing.channel_closed(pika.exceptions.ChannelClosedByBroker(406, not_ours)) is None
    missing = f"NOT_FOUND - no queue '{names.all_queue}' in vhost '/'"  # not taken as it is
    assert existing.channel_closed(pika.exceptions.ChannelClosedByBroker(404, missing)) is None
    assert existing.channel_closed(ConnectionResetError("gone")) is None
    assert existing.as_they_are == set()


def test_the_relay_publishes_through_an_unbounded_queue_of_an_earlier_version(
    ledger: Ledger, broker: Broker, names: Names, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgrade on a broker with the unbounded catch-all: the relay's first session is
    refused (406), the next takes the queue as it is, and every message is published."""
    old_unbounded_queue(broker, names)
    topology = bounded_topology(names, catch_all=5, dead_letters=7)
    broker.queues.update(q.name for q in topology.queues)
    broker.exchanges.update(topology.exchanges)
    added = ledger.add(names, "acme", 12)
    relay = ledger.relay(names, topology=topology, backoff_initial=0.05, backoff_max=0.2)
    relay.start()
    try:
        wait_until(lambda: ledger.pending() == 0, 15, "every message published")
    finally:
        relay.stop(timeout=10)
    assert set(ledger.states(added)) == {OutboxState.PUBLISHED}
    assert relay.stats.connection_failures == 1 and relay.stats.sessions == 1
    assert broker.depth(names.all_queue) == 12  # the queue as it was, unbounded
    errors = [r.message for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and f"delete_queue -p {VHOST} {names.all_queue}" in errors[0]


def test_a_spec_names_its_queue(names: Names) -> None:
    topology = bounded_topology(names, 5, 7)
    spec = topology.spec(names.all_queue)
    assert isinstance(spec, QueueSpec) and spec.arguments["x-max-length"] == 5
    assert topology.spec("no.such.queue") is None

"""The topology on the real broker: declared idempotently, routing by kind and partner, and
dead-lettering from the gateway's queue to the dead-letter queue."""

from __future__ import annotations

from typing import Any

import pika

from gateway.bus.topology import (
    ALL_QUEUE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DEFAULT_QUEUES,
    DEFAULT_TOPOLOGY,
    INBOUND_EXCHANGE,
    ROUTING_KEY,
    routing_key,
)
from tests.integration.bus.helpers import Broker, Names, wait_until


def test_the_default_topology() -> None:
    assert (INBOUND_EXCHANGE, DEAD_LETTER_EXCHANGE) == ("edi.in", "edi.dlx")
    assert DEFAULT_TOPOLOGY.exchanges == ("edi.in", "edi.dlx", "edi.out", "edi.events")
    everything, dead, requests, events = DEFAULT_QUEUES
    assert (requests.name, requests.bindings, requests.source) == (
        "edi.out.requests",
        ("edi.out.#",),
        "requests",
    )
    assert requests.queue_arguments(DEAD_LETTER_EXCHANGE) == {"x-dead-letter-exchange": "edi.dlx"}
    assert (events.name, events.bindings, events.source) == ("edi.events.all", ("#",), "events")
    assert (everything.name, everything.bindings, everything.source) == (
        ALL_QUEUE,
        ("edi.in.#",),
        "inbound",
    )
    # the catch-alls are bounded and not dead-lettered: what they drop must not fill edi.dlq
    bounded = {"x-max-length": 10_000, "x-overflow": "drop-head"}
    assert everything.queue_arguments(DEAD_LETTER_EXCHANGE) == bounded
    assert events.queue_arguments(DEAD_LETTER_EXCHANGE) == bounded
    assert everything.catch_all and events.catch_all
    assert not (dead.catch_all or requests.catch_all)
    assert (dead.name, dead.bindings, dead.source) == (DEAD_LETTER_QUEUE, ("#",), "dead_letter")
    assert dead.queue_arguments(DEAD_LETTER_EXCHANGE) == {
        "x-max-length": 100_000,
        "x-overflow": "drop-head",
    }


def test_routing_keys_are_one_word_per_part() -> None:
    assert routing_key("850", "acme") == ROUTING_KEY.format(kind="850", partner="acme")
    assert routing_key("850", "acme") == "edi.in.850.acme"
    assert routing_key("TA1", "acme") == "edi.in.ta1.acme"
    assert routing_key("856", "acme.eu") == "edi.in.856.acme_eu"
    assert routing_key("850", "a*b#c d") == "edi.in.850.a_b_c_d"


def test_declare_is_idempotent_and_routes_by_kind_and_partner(broker: Broker, names: Names) -> None:
    broker.declare()
    broker.declare()  # again, as on every reconnect: no error
    channel = broker.channel
    channel.exchange_declare(names.exchange, "topic", passive=True)
    channel.exchange_declare(names.dead_letter_exchange, "topic", passive=True)
    broker.bind(names.queue("acme-856"), "edi.in.856.acme")

    for key in ("edi.in.850.acme", "edi.in.856.acme", "edi.in.856.globex", "other.850.acme"):
        channel.basic_publish(names.exchange, key, b"{}")
    wait_until(lambda: broker.depth(names.all_queue) == 3, 5, "three messages in the all queue")
    assert [m.routing_key for m in broker.take(names.queue("acme-856"), 1)] == ["edi.in.856.acme"]
    assert broker.depth(names.dead_letter_queue) == 0


def test_rejected_messages_are_dead_lettered(broker: Broker, names: Names) -> None:
    broker.declare()
    channel = broker.channel
    channel.basic_publish(
        names.exchange,
        "edi.in.850.acme",
        b'{"id": 1}',
        pika.BasicProperties(message_id="m-1", delivery_mode=2),
    )
    wait_until(lambda: broker.depth(names.all_queue) == 1, 5, "the message in the all queue")
    method, _properties, _body = channel.basic_get(names.all_queue)
    assert method is not None and method.delivery_tag is not None
    channel.basic_reject(method.delivery_tag, requeue=False)

    (dead,) = broker.take(names.dead_letter_queue, 1)
    assert dead.routing_key == "edi.in.850.acme"
    assert dead.properties.message_id == "m-1"
    assert dead.body == b'{"id": 1}'
    headers: Any = dead.properties.headers
    (death,) = headers["x-death"]
    assert death["reason"] == "rejected"
    assert death["queue"] == names.all_queue
    assert death["exchange"] == names.exchange
    assert broker.depth(names.all_queue) == 0

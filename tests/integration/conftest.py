"""The broker is the tests' own: the gateway's catch-all queues (every inbound message, every
status event, every dead letter, and the default request queue) have no consumer here, so each
run would leave tens of thousands of messages behind. They are emptied once per test session."""

from __future__ import annotations

import pika
import pytest

from gateway.bus.topology import DEFAULT_TOPOLOGY
from tests.integration.support import AMQP_URL


@pytest.fixture(scope="session", autouse=True)
def empty_catch_all_queues() -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        for queue in DEFAULT_TOPOLOGY.queues:
            try:
                channel.queue_purge(queue.name)
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nothing to empty
                channel = connection.channel()
    finally:
        connection.close()

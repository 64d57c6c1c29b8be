"""Fixtures for the whole suite: the session's own RabbitMQ virtual host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import broker


@pytest.fixture(scope="session", autouse=True)
def _broker_virtual_host() -> Iterator[str]:
    """Every test talks to :data:`tests.support.broker.AMQP_URL`: a virtual host made for this
    session and deleted with all it holds when the session ends."""
    try:
        broker.create_vhost()
    except broker.BrokerUnavailable as error:
        pytest.exit(str(error), returncode=3)
    yield broker.VHOST
    try:
        broker.delete_vhost()
    except broker.BrokerUnavailable as error:  # the tests ran: say so, do not fail them
        print(f"\nthe test virtual host {broker.VHOST} is left on the broker: {error}")

"""Fixtures of the bus tests: the real RabbitMQ (a test fails, never skips, when it is down),
names of its own for every test, deleted afterwards, and a SQLite ledger in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.bus.helpers import Broker, Ledger, Names, require_rabbitmq
from tests.support.broker import AMQP_URL
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    require_rabbitmq(AMQP_URL)
    return AMQP_URL


@pytest.fixture
def names() -> Names:
    return Names.fresh()


@pytest.fixture
def broker(rabbitmq: str, names: Names) -> Iterator[Broker]:
    broker = Broker(names, rabbitmq)
    try:
        yield broker
    finally:
        broker.cleanup()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger(tmp_path / "ledger.db")
    try:
        yield ledger
    finally:
        ledger.engine.dispose()


@pytest.fixture
def proxy(rabbitmq: str) -> Iterator[TcpProxy]:
    with TcpProxy(("127.0.0.1", 5672)) as proxy:
        yield proxy

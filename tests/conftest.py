"""Fixtures for the whole suite: the session's own RabbitMQ virtual host, a ledger on each
backend, a partner of the test's own."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import broker, broker_wide


def pytest_configure(config: pytest.Config) -> None:
    """The cyclic collector runs as in the daemon's parsing processes (every 50,000 allocations,
    not 700: :data:`gateway.runtime.workers.HEAP_THRESHOLDS`), for the code the tests run in
    their own process too: with the default, collections took a sixth of the CPU of tests that
    parse and draw many objects (round trips, the compiled validator, large CSV files)."""
    from gateway.runtime.workers import HEAP_THRESHOLDS

    gc.set_threshold(*HEAP_THRESHOLDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that run alone (``alone``: :func:`tests.support.broker_wide.alone`) first:
    being alone waits for every test under way in the session's other workers to end, and holds
    back those starting; at the start, those under way are the workers' first tests, not
    whichever long ones run later."""
    items.sort(key=lambda item: item.get_closest_marker("alone") is None)


@pytest.fixture(autouse=True)
def _beside_the_others() -> Iterator[None]:
    """No test runs while another changes the whole broker (:mod:`tests.support.broker_wide`)."""
    with broker_wide.shared():
        yield


@pytest.fixture(scope="session", autouse=True)
def _broker_virtual_host() -> Iterator[str]:
    """Every test talks to :data:`tests.support.broker.AMQP_URL`: a virtual host made for this
    session and deleted with all it holds when the session ends (what the tests leave in the
    gateway's catch-all queues goes with it)."""
    try:
        broker.create_vhost()
    except broker.BrokerUnavailable as error:
        pytest.exit(str(error), returncode=3)
    yield broker.VHOST
    try:
        broker.delete_vhost()
    except broker.BrokerUnavailable as error:  # the tests ran: say so, do not fail them
        print(f"\nthe test virtual host {broker.VHOST} is left on the broker: {error}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty ledger: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        from tests.integration.ledger.databases import postgres_database

        with postgres_database() as url:
            yield url


@pytest.fixture
def partner() -> str:
    """A partner name of the test's own (its folders, routing keys and queues are its own)."""
    return f"p{uuid.uuid4().hex[:10]}"

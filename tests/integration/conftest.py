"""Fixtures of the end-to-end tests: a ledger on each backend, a partner of the test's own.

The broker is the tests' own: the gateway's catch-all queues (every inbound message, every
status event, every dead letter, and the default request queue) have no consumer here, so each
run would leave tens of thousands of messages behind. They are emptied when a test session starts
(what an interrupted run left) and when it ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.support import empty_catch_all_queues


@pytest.fixture(scope="session", autouse=True)
def _empty_catch_all_queues() -> Iterator[None]:
    empty_catch_all_queues()
    yield
    empty_catch_all_queues()


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

"""Fixtures of the end-to-end tests: a ledger on each backend, a partner of the test's own.

The broker is the session's own virtual host (``tests/conftest.py``): what the tests leave in the
gateway's catch-all queues goes with it when the session ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


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

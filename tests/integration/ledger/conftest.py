"""Fixtures: a migrated ledger on SQLite and on PostgreSQL; tests parametrized with ``ledger``
run once on each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gateway.ledger import session_factory
from tests.integration.ledger.databases import (
    BACKENDS,
    Ledger,
    create_postgres_database,
    drop_postgres_database,
    empty_tables,
    ledger_engine,
)

LEDGER_FIXTURES = {"sqlite": "sqlite_ledger", "postgresql": "postgres_ledger"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test session, migrated; dropped at the end."""
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with ledger_engine(postgres_url) as engine:
        yield engine


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger' / 'ledger.sqlite3'}"


@pytest.fixture
def sqlite_ledger(sqlite_url: str) -> Iterator[Ledger]:
    """A fresh migrated SQLite ledger in a temporary folder."""
    with ledger_engine(sqlite_url) as engine:
        yield Ledger("sqlite", sqlite_url, engine, session_factory(engine))


@pytest.fixture
def postgres_ledger(postgres_url: str, postgres_engine: Engine) -> Ledger:
    """The session's PostgreSQL ledger, emptied for this test."""
    empty_tables(postgres_engine)
    return Ledger("postgresql", postgres_url, postgres_engine, session_factory(postgres_engine))


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest) -> Ledger:
    """A migrated, empty ledger: the test runs once on SQLite and once on PostgreSQL."""
    fixture: Ledger = request.getfixturevalue(LEDGER_FIXTURES[request.param])
    return fixture

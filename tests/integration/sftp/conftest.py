"""Fixtures: a real sshd on loopback, remote folders, a migrated ledger (SQLite, or PostgreSQL for
the tests parametrized with ``ledger``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger import session_factory
from tests.integration.ledger.databases import (
    BACKENDS,
    create_postgres_database,
    drop_postgres_database,
    empty_tables,
    ledger_engine,
)
from tests.integration.sftp.sshd import Sshd

Factory = sessionmaker[Session]


@pytest.fixture
def sshd_factory(tmp_path: Path) -> Iterator[Callable[..., Sshd]]:
    """Start sshd servers (options of :class:`Sshd`); all stopped at the end."""
    started: list[Sshd] = []

    def start(*, name: str = "sshd", **options: str) -> Sshd:
        server = Sshd(tmp_path / name, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sshd(sshd_factory: Callable[..., Sshd]) -> Sshd:
    return sshd_factory()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """The partner's side: ``out/`` (we fetch from), ``in/`` (we deliver to), ``taken/``."""
    root = tmp_path / "remote"
    for name in ("out", "in", "taken"):
        (root / name).mkdir(parents=True)
    return root


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"


@pytest.fixture
def sqlite_factory(sqlite_url: str) -> Iterator[Factory]:
    with ledger_engine(sqlite_url) as engine:
        yield session_factory(engine)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_postgres_database("edigw_test_sftp")
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with ledger_engine(postgres_url) as engine:
        yield engine


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest) -> Factory:
    """A migrated, empty ledger: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        factory: Factory = request.getfixturevalue("sqlite_factory")
        return factory
    engine: Engine = request.getfixturevalue("postgres_engine")
    empty_tables(engine)
    return session_factory(engine)

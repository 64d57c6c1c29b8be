"""Throw-away ledger databases for the tests: SQLite files and PostgreSQL databases.

PostgreSQL is the real server on this machine (127.0.0.1:5432, user ``postgres``, trust auth,
database ``test``). Each test session creates its own uniquely named database and drops it at the
end. A server that cannot be reached fails the tests with what to run: they never skip.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger import create_engine_for, migrate
from gateway.ledger.models import Base

BACKENDS = ["sqlite", "postgresql"]


@dataclasses.dataclass(frozen=True)
class Ledger:
    """A migrated ledger to test against (the ``ledger`` fixture gives one per backend)."""

    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]


POSTGRES_ADMIN_URL = os.environ.get(
    "EDIGW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""Where the test databases are created (CREATE/DROP DATABASE run from this connection)."""

POSTGRES_HELP = (
    "PostgreSQL is needed by these tests and was not reachable at {url}: {error}\n"
    "Start it (and create the trust-auth role and the `test` database) with:\n"
    "    sudo scripts/services\n"
    "or, if it is installed already:\n"
    "    sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
    "then check with: psql -h 127.0.0.1 -U postgres -d test -c 'select 1'"
)


def _admin_engine() -> Engine:
    return sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def require_postgres() -> None:
    """Fail (never skip) with the command to run when PostgreSQL cannot be reached."""
    engine = _admin_engine()
    problem = None
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (sa.exc.SQLAlchemyError, OSError) as error:
        problem = " ".join(str(error).split("(Background on this error")[0].split())
    finally:
        engine.dispose()
    if problem is not None:
        pytest.fail(POSTGRES_HELP.format(url=POSTGRES_ADMIN_URL, error=problem), pytrace=False)


def create_postgres_database(prefix: str = "edigw_test") -> str:
    """Create an empty, uniquely named database; returns its URL."""
    require_postgres()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = sa.make_url(url).database
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


@contextmanager
def postgres_database(prefix: str = "edigw_test") -> Iterator[str]:
    """A fresh empty PostgreSQL database for the duration of the block."""
    url = create_postgres_database(prefix)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@contextmanager
def ledger_engine(url: str, *, migrated: bool = True) -> Iterator[Engine]:
    engine = create_engine_for(url)
    try:
        if migrated:
            migrate(engine)
        yield engine
    finally:
        engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row of the ledger (ids start again at 1 on PostgreSQL)."""
    tables = [table.name for table in Base.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for name in reversed(tables):
                connection.exec_driver_sql(f'DELETE FROM "{name}"')

"""Engines: SQLite durability settings, PostgreSQL through psycopg 3, and what the tests do when
PostgreSQL is missing."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import exc, insert, text
from sqlalchemy.orm import Session, sessionmaker

from gateway import ledger as r
from gateway.ledger import autocommit_factory, create_engine_for, database, migrate, session_factory
from gateway.ledger.models import DOCUMENTS
from tests.integration.ledger.databases import Ledger, postgres_database

ROOT = Path(__file__).resolve().parents[3]


def test_sqlite_connections_are_durable_and_wait_for_each_other(tmp_path: Path) -> None:
    database = tmp_path / "deep" / "er" / "ledger.sqlite3"
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                pragma = connection.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA synchronous").scalar() == 2  # FULL: commit is on disk
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                assert pragma("PRAGMA busy_timeout").scalar() == 30_000
        assert database.parent.is_dir()
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_ledger_works() -> None:
    engine = create_engine_for("sqlite://")
    migrate(engine)
    with session_factory(engine).begin() as s:
        file_id = r.record_file(
            s, partner="p", name="n", sha256="0" * 64, size=1, work_path="/w", correlation_id="c"
        )
        assert r.file_by_id(s, file_id) is not None
    engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    engine = create_engine_for(f"{scheme}://gateway:secret@db.invalid:5433/ledger")
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    assert engine.url.render_as_string(hide_password=False) == (
        "postgresql+psycopg://gateway:secret@db.invalid:5433/ledger"
    )
    engine.dispose()


def test_foreign_keys_are_enforced(ledger: Ledger) -> None:
    with pytest.raises(exc.IntegrityError), ledger.engine.begin() as connection:
        connection.execute(
            insert(DOCUMENTS).values(
                document_id="d",
                file_id=424242,
                partner="p",
                kind="850",
                state="parsed",
                correlation_id="c",
                created_at=dt.datetime.now(dt.UTC),
                updated_at=dt.datetime.now(dt.UTC),
            )
        )


def test_a_database_from_a_newer_version_is_refused(ledger: Ledger) -> None:
    with ledger.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(RuntimeError, match="revision 9999, which this version"):
        migrate(ledger.engine)


ONE_PROCESS = ("-p", "no:cacheprovider", "-n", "0")
"""A pytest run of one test: in its own process, not the suite's xdist workers."""


def test_unreachable_postgresql_fails_the_tests_with_what_to_run() -> None:
    """Never a silent skip: the PostgreSQL tests error out and say how to start the server."""
    test = "tests/integration/ledger/test_ledger_counter.py::test_numbers_survive_a_new_engine"
    env = {**os.environ, "EDIGW_TEST_POSTGRES_URL": "postgresql+psycopg://postgres@127.0.0.1:9/x"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *ONE_PROCESS, "-q", f"{test}[postgresql]"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout
    assert "skipped" not in result.stdout
    assert "PostgreSQL is needed by these tests and was not reachable" in result.stdout
    assert "sudo scripts/services" in result.stdout


def test_sqlite_writers_of_one_process_take_turns_and_always_give_them_back(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    migrate(engine)
    factory = session_factory(engine)

    def add(s: Session, n: int) -> None:
        r.record_file(
            s, partner="acme", name=f"{n}", sha256="0" * 64, size=1, work_path=f"/w/{n}",
            correlation_id=f"c{n}",
        )  # fmt: skip

    with pytest.raises(RuntimeError), factory.begin() as s:  # a failed writer gives its turn back
        add(s, 0)
        raise RuntimeError("crash before commit")
    errors: list[BaseException] = []

    def writer(first: int) -> None:
        try:
            for n in range(first, first + 40):
                with factory.begin() as s:
                    add(s, n)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    started = time.monotonic()
    threads = [threading.Thread(target=writer, args=(1000 * t,)) for t in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert time.monotonic() - started < 20  # nobody waited for a turn that was never given back
    with factory.begin() as s:
        report = r.status(s, dt.datetime.now(dt.UTC))
    assert report.files == {"acme": {"received": 240}}
    engine.dispose()


def _backend_pid(factory: sessionmaker[Session]) -> int:
    with factory.begin() as s:
        return int(s.execute(text("select pg_backend_pid()")).scalar_one())


def test_a_postgresql_connection_lost_while_idle_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with postgres_database() as url:
        engine = create_engine_for(url, pool_size=1)
        admin = create_engine_for(url, pool_pre_ping=True)
        factory = session_factory(engine)
        try:
            first = _backend_pid(factory)
            with admin.begin() as connection:  # the server drops the idle connection
                connection.execute(text(f"select pg_terminate_backend({first})"))
            monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)
            assert _backend_pid(factory) != first  # pinged, found dead, replaced: no error

            second = _backend_pid(factory)
            with admin.begin() as connection:
                connection.execute(text(f"select pg_terminate_backend({second})"))
            monkeypatch.setattr(database, "PING_AFTER_IDLE", 3600.0)
            with pytest.raises(exc.OperationalError):  # in steady use: not pinged, so it fails
                _backend_pid(factory)
            assert _backend_pid(factory) != second  # and the pool connects anew
        finally:
            engine.dispose()
            admin.dispose()


def test_reads_need_no_transaction_and_leave_the_connection_transactional(
    ledger: Ledger,
) -> None:
    """``autocommit_factory``'s sessions run without BEGIN and COMMIT (on PostgreSQL a read of one
    statement is then one round trip, not three); the connection they used goes back to the
    pool as it was, and the next transaction on it is a transaction again."""
    reads = autocommit_factory(ledger.factory)
    with reads() as s:
        assert r.files_in_state(s, [r.FileState.RECEIVED]) == []
        assert not _in_transaction(s)
    new = r.NewFile(
        partner="acme", name="a.edi", sha256="0" * 64, size=1, work_path="/w/a", correlation_id="c"
    )
    with ledger.factory() as s:
        r.record_files(s, [new])
        assert _in_transaction(s)
        s.rollback()
    with reads() as s:
        assert r.files_in_state(s, [r.FileState.RECEIVED]) == []


def _in_transaction(s: Session) -> bool:
    driver = s.connection().connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    assert isinstance(driver, psycopg.Connection)
    return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

"""Engine, sessions and schema migrations of the ledger.

SQLite (the default) runs in WAL mode with ``synchronous=FULL``: a commit that returned is on disk.
PostgreSQL is reached through psycopg 3. The schema is managed by alembic, configured here in code:
:func:`migrate` brings any database to the newest revision and is safe to call at every start,
from several processes at once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from ..progress import watched
from ._events import (
    BUFFER_EVENTS,
    flush_events,
    forget_uncommitted_events,
    log_committed_events,
)

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""alembic's script directory; ships inside the package."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_SOFT_HEAP_LIMIT = 4 << 20
"""Bytes of memory SQLite keeps for this process's connections, all together, past which it
gives back the pages it cached rather than cache more (its soft heap limit, process-wide: set
by every connection). Each connection would otherwise keep a page cache of its own of up to
2 MiB, and the daemon has several (its pipeline, finisher, relay, consumer...): 11 MB held
while a huge set was read, up to 24 MB as its parts, 4 MiB each, were released and published
(issue 26). Pages not cached are read again from the operating system's cache."""
MIGRATION_LOCK_KEY = 0x6564_6967_6D69_6772
"""PostgreSQL advisory lock held while migrating (``edigmigr``): one migrator at a time."""


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3; anything else is left as given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _json_dumps(value: Any) -> str:
    """JSON columns: whatever a detail holds (paths, times, decimals) is stored, as text."""
    return json.dumps(value, default=str, ensure_ascii=False)


def create_engine_for(url: str, **engine_options: Any) -> Engine:
    """An engine for the ledger at ``url`` (SQLite file or PostgreSQL).

    SQLite: the parent folder of the database file is created; every connection gets WAL,
    ``synchronous=FULL``, a 30 s busy timeout and foreign keys, and the process a soft heap
    limit (:data:`SQLITE_SOFT_HEAP_LIMIT`). JSON values that are not JSON
    types (paths, datetimes...) are stored as their text. ``engine_options`` go to
    :func:`sqlalchemy.create_engine`.
    """
    parsed = normalize_url(url)
    engine_options.setdefault("json_serializer", _json_dumps)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, engine_options)
    engine = create_engine(parsed, **engine_options)
    if not engine_options.get("pool_pre_ping"):
        _ping_after_idle(engine)
    event.listen(engine, "connect", _send_arrays_in_binary)
    return engine


def _send_arrays_in_binary(dbapi_connection: Any, _record: Any) -> None:
    """Lists bound as parameters go in PostgreSQL's binary array format. The ledger inserts
    many rows as one array per column (see ``_statements.BulkInsert``); psycopg's default text
    format quotes and escapes each element in Python, which costs about four times as much."""
    from psycopg.types.array import ListBinaryDumper  # PostgreSQL's driver, loaded for it only

    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


PING_AFTER_IDLE = 2.0
"""PostgreSQL: a pooled connection idle for longer than this (seconds) is pinged when it is taken
(see :func:`_ping_after_idle`)."""


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use when it sat idle for :data:`PING_AFTER_IDLE`: a server
    restart or a connection dropped while idle is then found before the transaction, and the
    pool connects anew (SQLAlchemy's pessimistic disconnect handling). ``pool_pre_ping`` does
    this at every checkout, a round trip per transaction; a connection in steady use is not
    pinged here. A server lost mid-use fails that transaction, which the daemon retries, and
    SQLAlchemy then replaces every connection of the pool."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool retries the checkout with a new connection
            raise DisconnectionError(f"connection lost while idle: {error}") from error


def in_memory(url: URL) -> bool:
    """Whether ``url`` is a SQLite database in memory (no other process can reach it)."""
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and (
        database in ("", ":memory:") or "mode=memory" in database
    )


def _sqlite_engine(url: URL, engine_options: dict[str, Any]) -> Engine:
    database = url.database or ""
    memory = in_memory(url)
    if not memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = engine_options.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **engine_options)
    _take_turns_writing(engine)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching a new database to WAL may wait for another process.
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            (mode,) = _switch_to_wal(cursor)
            if mode.lower() != "wal" and not memory:
                raise RuntimeError(
                    f"SQLite ledger {database}: cannot use WAL (journal mode {mode})"
                )
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA soft_heap_limit = {SQLITE_SOFT_HEAP_LIMIT}")
        finally:
            cursor.close()

    return engine


def _switch_to_wal(cursor: Any) -> tuple[str]:
    """``PRAGMA journal_mode = WAL``, tried again for up to the busy timeout: when processes
    open a new ledger at the same moment, SQLite may refuse the switch at once ("database is
    locked") instead of waiting in its busy handler."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            row: tuple[str] = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
            return row
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN")
_HOLDS_TURN = "gateway.ledger.writer_turn"


def _take_turns_writing(engine: Engine) -> None:
    """Writers of one SQLite database in this process take turns through a lock.

    SQLite lets one writer in at a time; a connection that finds the database locked sleeps in
    its busy handler (1, 2, 5, 10 ... 100 ms) before it looks again, so the daemon's threads
    (pipeline, finisher, relay) would wait far longer than the transaction they wait for. Here
    a connection takes the turn before its first write and gives it back when it returns to the
    pool (after its commit or rollback), and the next writer goes at once. Other processes still
    meet SQLite's own lock and busy timeout; so does a turn not given back within that timeout.
    """
    turn = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_HOLDS_TURN) or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        conn.info[_HOLDS_TURN] = turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def give_back(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_TURN, False):
            turn.release()

    for moment in ("checkin", "invalidate", "close"):  # whichever ends the connection's use first
        event.listen(engine, moment, give_back)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``; use ``with factory.begin() as s:`` (commit on success).

    Timeline events recorded in a transaction are written together when it commits (one
    statement instead of one per event). Objects are not expired on commit: the ledger's
    functions return plain rows anyway.
    """
    factory = sessionmaker(engine, expire_on_commit=False, info={BUFFER_EVENTS: True})
    event.listen(factory, "before_commit", flush_events)
    event.listen(factory, "after_commit", log_committed_events)
    event.listen(factory, "after_rollback", forget_uncommitted_events)
    return factory


def autocommit_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on ``factory``'s engine for work that needs no transaction of its own: reads of
    one statement, or of statements that need not see the same snapshot, and writes of one
    statement (atomic by itself). They run in autocommit mode, so no BEGIN and COMMIT go with
    them: on PostgreSQL, one statement is one round trip instead of three. Use
    ``with sessions() as s:``; each statement is committed as it runs."""
    engine = factory.kw["bind"]
    return sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """alembic's configuration, built in code (no alembic.ini).

    With ``connection`` the migrations run on it (in its transaction); with ``url`` alembic opens
    its own connection (this is also how to use alembic's commands by hand, e.g.
    ``alembic.command.revision(alembic_config(url=...), "message", autogenerate=True)``).
    """
    from alembic.config import Config  # alembic is loaded by what migrates, not every process

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@functools.cache
def newest_revision() -> frozenset[str]:
    """The revision of the newest migration script by its name (``NNNN_what.py`` is revision
    ``NNNN``, each after the one before: tests/unit/test_ledger_head.py checks it against
    :func:`head_revisions`). A ledger at it needs no migration, and a command or a daemon that
    finds it there does not import alembic to know (a tenth of a second at every start)."""
    names = sorted(path.name for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
    return frozenset({names[-1].partition("_")[0]})


@functools.cache
def head_revisions() -> frozenset[str]:
    """The newest revisions the code knows."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@functools.cache
def known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


VERSION_TABLE = "alembic_version"
"""Where alembic keeps the revisions a database is at (its default table)."""


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database is at (empty for a new database): read from alembic's table
    directly, as alembic reads it, without importing alembic (a tenth of a second for every
    command that only reads the ledger)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return frozenset()
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return frozenset(row[0] for row in rows)


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (alembic upgrade head).

    Idempotent: on a database already at head it only reads the version table. Several
    processes may call it at the same time: the migration runs under a lock (SQLite: the
    database's write lock, ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock) and the version is
    checked again once the lock is held. The whole upgrade is one transaction on both.
    """
    with engine.connect() as connection:
        current = current_revisions(connection)
        connection.rollback()
    if current == newest_revision():  # the usual case, without loading alembic's scripts
        return
    heads = head_revisions()
    with (
        engine.connect() as connection,
        _foreign_keys_checked_at_the_end(connection),
        connection.begin(),
    ):
        _lock_for_migration(connection)
        current = current_revisions(connection)
        unknown = current - known_revisions()
        if unknown:
            raise RuntimeError(
                f"the ledger database is at revision {', '.join(sorted(unknown))}, which "
                "this version of edi-gateway does not know (was it migrated by a newer "
                "version?)"
            )
        if current == heads:
            return
        log.info("migrating the ledger from %s to %s", sorted(current) or "empty", sorted(heads))
        config = alembic_config(connection)
        steps = len(known_revisions()) - len(_applied(config, current))
        done: list[object] = []
        config.attributes["on_version_apply"] = lambda **_step: done.append(_step)
        from alembic import command

        with watched("migrating the ledger:", steps, lambda: len(done)):
            command.upgrade(config, "head")
        _check_foreign_keys(connection)


def _applied(config: Config, current: frozenset[str]) -> set[str]:
    """The revisions a database at ``current`` has: those and every one before them."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    return {
        revision.revision
        for head in current
        for revision in script.iterate_revisions(head, "base")
        if revision is not None
    }


@contextlib.contextmanager
def _foreign_keys_checked_at_the_end(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys are not enforced during the migration (the connection's own
    setting, which SQLite lets change only outside a transaction), as SQLite's documentation
    prescribes for changing a table: a table is changed by copying it into a new one and
    dropping the old, which enforced keys would refuse while other tables refer to it.
    :func:`_check_foreign_keys` checks them all before the migration commits."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        connection.commit()
    try:
        yield
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL enforces them throughout
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


def _lock_for_migration(connection: Connection) -> None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # pysqlite has not begun a transaction yet (it does so lazily before DML): take the
        # write lock now, waiting up to the busy timeout for another migrator.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})

"""The alembic migrations create exactly what models.py declares; migrate() is idempotent, fast
on a migrated database, and safe when several processes start at once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from gateway.ledger import create_engine_for, migrate
from gateway.ledger.database import alembic_config, current_revisions, head_revisions
from gateway.ledger.models import Base
from tests.integration.ledger.databases import BACKENDS, postgres_database

ROOT = Path(__file__).resolve().parents[3]
TABLES = {
    "files",
    "documents",
    "outbox",
    "acks",
    "events",
    "control_numbers",
    "remote_pickups",
    "deliveries",
    "outbound_documents",
    "partner_acks",
    "order_lines",
    "order_checks",
    "reference_lists",
}
REQUIRED_INDEXES = {
    ("files", ("partner", "sha256", "received_at")),
    ("documents", ("partner", "interchange_ref")),
    ("documents", ("partner", "group_ref", "transaction_ref")),
    ("outbox", ("state", "id")),
    ("events", ("document_id",)),
    ("events", ("file_id",)),
}


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (nothing migrated), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new' / 'ledger.sqlite3'}"
    else:
        with postgres_database("edigw_test_migrations") as url:
            yield url


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = create_engine_for(empty_url)
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_migrations_create_exactly_the_models(empty_engine: Engine) -> None:
    assert set(inspect(empty_engine).get_table_names()) == set()
    migrate(empty_engine)
    assert differences(empty_engine) == []
    inspector = inspect(empty_engine)
    assert set(inspector.get_table_names()) == TABLES | {"alembic_version"}
    indexes = {
        (table, tuple(index["column_names"]))
        for table in TABLES
        for index in inspector.get_indexes(table)
    }
    assert indexes >= REQUIRED_INDEXES
    with empty_engine.connect() as connection:
        assert current_revisions(connection) == head_revisions()


def test_the_comparison_sees_a_difference(empty_engine: Engine) -> None:
    """The test above would notice a migration that forgot something."""
    migrate(empty_engine)
    with empty_engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_events_file_id")
    found = differences(empty_engine)
    assert [(d[0], d[1].name) for d in found if isinstance(d, tuple)] == [
        ("add_index", "ix_events_file_id")
    ]


def test_migrate_is_idempotent_and_quick_on_a_migrated_database(empty_engine: Engine) -> None:
    migrate(empty_engine)
    started = time.perf_counter()
    for _ in range(5):
        migrate(empty_engine)
    assert (time.perf_counter() - started) / 5 < 0.2
    assert differences(empty_engine) == []


def test_downgrade_and_upgrade_again(empty_url: str, empty_engine: Engine) -> None:
    migrate(empty_engine)
    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate(empty_engine)
    assert differences(empty_engine) == []


MIGRATE_IN_A_PROCESS = """
import sys
from gateway.ledger import create_engine_for, migrate
engine = create_engine_for(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
print("done", flush=True)
"""


def test_processes_migrating_at_the_same_time(empty_url: str, empty_engine: Engine) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_IN_A_PROCESS, empty_url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=60) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == "done"
    assert differences(empty_engine) == []
    with empty_engine.connect() as connection:
        assert current_revisions(connection) == head_revisions()
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    assert len(versions) == 1

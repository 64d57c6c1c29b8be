"""The daemon's ledger migrated in a child process (:mod:`gateway.runtime.migration`): alembic
is not left loaded in the daemon, the ledger is at the newest revision, a failure is the
daemon's with the child's reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.ledger import create_engine_for, database, migrate
from gateway.runtime.migration import migrate_apart

ROOT = Path(__file__).resolve().parents[3]

_MIGRATE_APART = """
import json, sys
from gateway.ledger import create_engine_for
from gateway.runtime.migration import migrate_apart
apart = migrate_apart(create_engine_for(sys.argv[1]))
print(json.dumps({"apart": apart, "alembic": "alembic" in sys.modules}))
"""


def _in_a_process_of_its_own(url: str) -> dict[str, bool]:
    """:func:`migrate_apart` of ``url`` in a new interpreter: whether it migrated apart, and
    whether alembic was loaded in that interpreter after it (the daemon's)."""
    done = subprocess.run(
        [sys.executable, "-c", _MIGRATE_APART, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer: dict[str, bool] = json.loads(done.stdout.splitlines()[-1])
    return answer


def test_a_new_ledger_is_migrated_apart_and_alembic_stays_out_of_the_daemon(
    database_url: str,
) -> None:
    assert _in_a_process_of_its_own(database_url) == {"apart": True, "alembic": False}
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            assert database.current_revisions(connection) == database.head_revisions()
        assert not migrate_apart(engine)  # at the newest revision: no child
    finally:
        engine.dispose()
    assert _in_a_process_of_its_own(database_url) == {"apart": False, "alembic": False}


def test_a_ledger_of_a_newer_version_fails_with_the_childs_reason(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(RuntimeError, match="revision 9999, which this version"):
            migrate_apart(engine)
    finally:
        engine.dispose()


def test_a_ledger_in_memory_is_left_to_the_daemon() -> None:
    """No other process can reach it: :func:`~gateway.ledger.migrate` migrates it in the
    daemon, as before."""
    engine = create_engine_for("sqlite://")
    try:
        assert not migrate_apart(engine)
        with engine.connect() as connection:
            assert database.current_revisions(connection) == frozenset()
    finally:
        engine.dispose()

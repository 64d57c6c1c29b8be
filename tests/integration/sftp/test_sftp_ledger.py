"""The transfer tables (migration 0002) and their functions, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger import create_engine_for, migrate, transfers
from gateway.ledger.models import Base
from gateway.ledger.transfers import DeliveryState, PickupState
from tests.integration.ledger.databases import BACKENDS, postgres_database

Factory = sessionmaker[Session]


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0002_creates_exactly_the_transfer_tables(backend: str, tmp_path: Path) -> None:
    def check(url: str) -> None:
        engine = create_engine_for(url)
        try:
            migrate(engine)
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert list(compare_metadata(context, Base.metadata)) == []
            tables = set(inspect(engine).get_table_names())
            assert {"remote_pickups", "deliveries"} <= tables
        finally:
            engine.dispose()

    if backend == "sqlite":
        check(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    else:
        with postgres_database("edigw_test_sftp_migration") as url:
            check(url)


def test_a_pickup_is_found_by_path_size_and_mtime_through_its_states(ledger: Factory) -> None:
    with ledger.begin() as s:
        row = transfers.record_pickup(
            s,
            partner="acme",
            remote_path="/out/po.edi",
            size=10,
            mtime=1_700_000_000_123,
            sha256="ab" * 32,
            temp_name=".sftp-1.part",
            local_name="po.edi",
        )
    assert row.state is PickupState.DOWNLOADED and row.created_at.tzinfo is not None
    with ledger.begin() as s:
        assert transfers.pickup_of(s, "acme", "/out/po.edi", 10, 1_700_000_000_123) == row
        assert transfers.pickup_of(s, "acme", "/out/po.edi", 11, 1_700_000_000_123) is None
        assert transfers.pickup_of(s, "other", "/out/po.edi", 10, 1_700_000_000_123) is None
        transfers.set_pickup_state(s, row.id, PickupState.DELIVERED, local_name="po.2.edi")
    with ledger.begin() as s:
        [delivered] = transfers.pickups_in_state(s, "acme", [PickupState.DELIVERED])
        assert delivered.local_name == "po.2.edi"
        transfers.set_pickup_state(s, row.id, PickupState.DONE, detail={"remote": "delete"})
    with ledger.begin() as s:
        assert transfers.pickups_in_state(s, "acme", [PickupState.DELIVERED]) == []
        [done] = transfers.pickups_in_state(s, "acme", [PickupState.DONE])
        assert done.detail == {"remote": "delete"}


def test_a_delivery_counts_attempts_and_is_found_by_name_and_content(ledger: Factory) -> None:
    with ledger.begin() as s:
        row = transfers.record_delivery(
            s,
            partner="acme",
            local_name="997.x12",
            sha256="cd" * 32,
            size=5,
            remote_path="/in/997.x12",
        )
    with ledger.begin() as s:
        transfers.delivery_attempted(s, row.id, "Permission denied")
        transfers.delivery_attempted(s, row.id, None)
        transfers.mark_sent(s, row.id)
    with ledger.begin() as s:
        found = transfers.delivery_of(s, "acme", "997.x12", "cd" * 32)
        assert found is not None and found.state is DeliveryState.SENT
        assert found.attempts == 2 and found.last_error is None and found.delivered_at
        assert transfers.delivery_of(s, "acme", "997.x12", "ef" * 32) is None


def test_a_batch_of_pickups_is_recorded_found_and_moved_on_together(ledger: Factory) -> None:
    new = [
        transfers.NewPickup(
            f"/out/po{i}.edi",
            10 + i,
            1_700_000_000 + i,
            f"{i:04x}" * 16,
            f".sftp-{i}.part",
            f"po{i}.edi",
        )
        for i in range(700)  # more than one IN (...) chunk
    ]
    with ledger.begin() as s:
        rows = transfers.record_pickups(s, "acme", new)
        assert transfers.record_pickups(s, "acme", []) == []
    assert [(r.remote_path, r.temp_name, r.sha256) for r in rows] == [
        (n.remote_path, n.temp_name, n.sha256) for n in new
    ]
    assert {r.state for r in rows} == {PickupState.DOWNLOADED}
    with ledger.begin() as s:
        # the same file again: the newest row wins; other sizes or partners are not found
        again = transfers.record_pickup(
            s,
            partner="acme",
            remote_path="/out/po1.edi",
            size=11,
            mtime=1_700_000_001,
            sha256="ff" * 32,
            temp_name=".sftp-x.part",
            local_name="po1.edi",
        )
        found = transfers.newest_pickups(
            s,
            "acme",
            [(n.remote_path, n.size, n.mtime) for n in new]
            + [("/out/po1.edi", 99, 1_700_000_001), ("/out/none.edi", 1, 1)],
        )
        assert len(found) == len(new)
        assert found[("/out/po1.edi", 11, 1_700_000_001)] == again
        assert transfers.newest_pickups(s, "other", [("/out/po0.edi", 10, 1_700_000_000)]) == {}
    with ledger.begin() as s:
        transfers.set_pickup_states(
            s,
            [transfers.PickupChange(rows[0].id, PickupState.DELIVERED, local_name="po0.1.edi")]
            + [
                transfers.PickupChange(
                    r.id, PickupState.DONE, local_name=r.local_name, detail={"remote": "delete"}
                )
                for r in rows[1:3]
            ]
            + [
                transfers.PickupChange(
                    rows[3].id, PickupState.DELIVERED, detail={"remote_error": "delete: denied"}
                )
            ],
        )
    with ledger.begin() as s:
        by_id = {r.id: r for r in transfers.pickups_in_state(s, "acme", list(PickupState))}
    assert (by_id[rows[0].id].state, by_id[rows[0].id].local_name) == (
        PickupState.DELIVERED,
        "po0.1.edi",
    )
    assert by_id[rows[0].id].detail is None
    assert [by_id[r.id].detail for r in rows[1:3]] == [{"remote": "delete"}] * 2
    assert {by_id[r.id].state for r in rows[1:3]} == {PickupState.DONE}
    assert by_id[rows[3].id].detail == {"remote_error": "delete: denied"}
    assert by_id[rows[3].id].local_name == "po3.edi"  # unchanged when not given
    assert by_id[rows[4].id].state is PickupState.DOWNLOADED  # untouched

"""A ledger written before canonical schema 1.1 upgrades in place, and the documents it holds
are still recognised when they arrive again (gateway/ledger/migrations/versions/0004)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import text

from adapters.formats.x12.inbound import X12Parser
from gateway import ledger as repository
from gateway.ledger import create_engine_for
from gateway.ledger.database import alembic_config
from tests.integration.support import (
    bound_queue,
    drop,
    in_process_gateway,
    run_once,
    small_850,
    take_all,
)


def test_a_document_recorded_before_the_upgrade_is_still_a_duplicate_after_it(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    document = small_850(7801)
    [parsed] = X12Parser().parse(document, file_name="old.edi", partner=partner).documents
    engine = create_engine_for(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
        now = dt.datetime.now(dt.UTC)
        file_id = connection.execute(
            text(
                "INSERT INTO files (partner, name, sha256, size, work_path, state, "
                "correlation_id, received_at, updated_at) VALUES (:p, 'old.edi', :sha, 1, "
                "'/work/old.edi', 'archived', 'c-old', :now, :now) RETURNING id"
            ),
            {"p": partner, "sha": "0" * 64, "now": now},
        ).scalar_one()
        connection.execute(  # before 0004 a document's id was its envelope key
            text(
                "INSERT INTO documents (document_id, file_id, partner, kind, isa13, gs06, st02, "
                "state, correlation_id, created_at, updated_at) VALUES (:d, :f, :p, '850', "
                "'000007801', '7801', '0001', 'published', 'c-old', :now, :now)"
            ),
            {"d": parsed.envelope_key, "f": file_id, "p": partner, "now": now},
        )
    engine.dispose()
    gw = in_process_gateway(tmp_path, database_url)  # migrates to the head
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "again.edi", document + b"\n")
        run_once(gw)
        assert take_all(channel, queue) == []
    with gw.pipeline.factory.begin() as s:
        [old] = repository.documents_by_id(s, parsed.envelope_key)
        [again] = repository.documents_by_id(s, parsed.document_id)
    assert old.envelope_key == parsed.envelope_key  # copied by the upgrade
    assert again.state is repository.DocumentState.DUPLICATE
    assert again.detail == {"duplicate_of_file": file_id, "duplicate_of_document": old.document_id}

"""``edi-gateway prune`` as an administrator (or the daily timer) runs it, after the daemon, on
both ledgers: nothing young goes; a dry run says what would go and changes nothing; then what
was settled before ``retention_days`` goes, its archived and quarantined copies with it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import update

from gateway.ledger import create_engine_for
from gateway.ledger.models import ACKS, DOCUMENTS, EVENTS, FILES, OUTBOX
from tests.integration.support import (
    bound_queue,
    broken_850,
    drop,
    gateway_command,
    gateway_outcome,
    small_850,
    take_all,
    write_settings,
)


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def age_everything(database_url: str, days: int) -> None:
    """Make every record of the ledger ``days`` older, as if the daemon had run back then."""
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(update(FILES).values(received_at=then, updated_at=then))
            connection.execute(update(DOCUMENTS).values(created_at=then, updated_at=then))
            connection.execute(update(OUTBOX).values(created_at=then, published_at=then))
            connection.execute(update(ACKS).values(created_at=then, written_at=then))
            connection.execute(update(EVENTS).values(at=then))
    finally:
        engine.dispose()


def test_prune_forgets_what_was_settled_long_ago_and_says_what(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = write_settings(tmp_path, database_url, retention_days=90)
    drop(tmp_path / "inbox", partner, "good.edi", small_850(8201))
    drop(tmp_path / "inbox", partner, "bad.edi", broken_850(8202))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        gateway_command(config, "run", "--once")
        [(message, _)] = take_all(channel, queue)
    kept = files_in(tmp_path / "archive") + files_in(tmp_path / "quarantine")
    assert len(kept) == 3  # the good file; the bad one and its report

    young = gateway_command(config, "prune").splitlines()
    assert young[0].startswith("retention_days = 90: what was settled before ")
    assert young[1].startswith("removed 0 inbound file(s)")

    age_everything(database_url, days=200)
    dry = gateway_command(config, "prune", "--dry-run").splitlines()
    assert dry[0].endswith("(dry run: nothing removed)")
    assert dry[1].startswith("would remove 2 inbound file(s) with 2 document(s), 2 message(s)")
    assert dry[5].startswith("would remove from disk 1 archived and 1 quarantined file(s)")
    assert files_in(tmp_path / "archive") + files_in(tmp_path / "quarantine") == kept
    status = json.loads(gateway_command(config, "status", "--json"))
    assert status["files"][partner] == {"archived": 1, "quarantined": 1}

    done = gateway_command(config, "prune").splitlines()
    assert [line.replace("would remove", "removed") for line in dry[1:]] == done[1:]
    assert files_in(tmp_path / "archive") == files_in(tmp_path / "quarantine") == []
    status = json.loads(gateway_command(config, "status", "--json"))
    assert partner not in status["files"] and partner not in status["documents"]
    assert message.message_id is not None
    shown = gateway_outcome(config, "show", message.message_id)
    assert shown.returncode == 1 and "nothing recorded" in shown.stderr
    again = gateway_command(config, "prune").splitlines()
    assert again[1].startswith("removed 0 inbound file(s)")

"""What an admin runs against a live ledger and broker, as a command line: ``edi-gateway status``,
``show DOC_ID`` and ``replay`` (by id, or ``--partner --since`` with ``--dry-run``), on both
ledgers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.integration.support import (
    bound_queue,
    broken_850,
    drop,
    gateway_command,
    gateway_outcome,
    gateway_process,
    small_850,
    take_all,
    write_settings,
)


def test_status_show_and_replay_from_the_command_line(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = write_settings(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "good.edi", small_850(8101))
    drop(tmp_path / "inbox", partner, "bad.edi", broken_850(8102))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        once = gateway_process(config, "run", "--once")
        assert once.wait(timeout=120) == 0
        [(first, body)] = take_all(channel, queue)

        status = json.loads(gateway_command(config, "status", "--json"))
        assert status["files"][partner] == {"archived": 1, "quarantined": 1}
        table = gateway_command(config, "status")  # for a person: tables by partner and state
        assert "Inbound files" in table and "archived" in table and "quarantined" in table
        row = next(line for line in table.splitlines() if partner in line)  # files, first
        assert [cell.strip() for cell in row.split("│")[1:-1]] == [partner, "1", "1", "2"]
        assert "Messages waiting to be published: 0 (none)" in table
        assert status["documents"][partner] == {"published": 1, "failed": 1}
        assert status["outbox_pending"] == 0 and status["oldest_pending_age_seconds"] is None
        assert status["acks_to_write"] == 0

        document_id = first.message_id
        assert document_id is not None
        shown = gateway_command(config, "show", document_id).splitlines()
        kinds = [line.split()[1] for line in shown]
        assert kinds[0] == "received" and "published" in kinds

        yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
        listed = gateway_command(
            config, "replay", "--partner", partner, "--since", yesterday, "--dry-run"
        )
        document, notice, total = listed.splitlines()  # the bad file's notice is replayed too
        assert document == f"{document_id}  edi.in.850.{partner}"
        assert notice.startswith("file:") and notice.endswith(
            f":quarantined  edi.notice.quarantined.{partner}"
        )
        assert total == "2 message(s) would be republished"
        assert take_all(channel, queue) == []  # a dry run sends nothing

        replayed = gateway_command(config, "replay", document_id)
        assert replayed.splitlines()[-1] == "1 message(s) republished"
        [(again, again_body)] = take_all(channel, queue)
    assert again.message_id == document_id and again_body == body
    assert again.correlation_id == first.correlation_id
    kinds = [line.split()[1] for line in gateway_command(config, "show", document_id).splitlines()]
    assert kinds.count("published") == 2 and "replay" in kinds


def test_show_finds_a_file_or_document_by_any_of_its_ids(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = write_settings(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "good.edi", small_850(8111, partner_po="PO-8111"))
    drop(tmp_path / "inbox", partner, "bad.edi", broken_850(8112))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        gateway_command(config, "run", "--once")
        [(message, _)] = take_all(channel, queue)
    by_document = gateway_command(config, "show", str(message.message_id))
    by_claim = gateway_command(config, "show", str(message.correlation_id))
    assert by_claim.startswith(f"# claim {message.correlation_id}: file ")
    assert "published" in by_document and "published" in by_claim
    for key in ("PurchaseOrder:PO-8111", "PO-8111"):
        shown = gateway_command(config, "show", key)
        assert shown.startswith(f"# business key {key}: document {message.message_id}\n")
        assert "published" in shown
    files = [gateway_command(config, "show", number) for number in ("1", "2")]
    [bad] = [shown for shown in files if "quarantined" in shown]
    assert "SE01" in bad  # why, in the file's own timeline
    missing = gateway_outcome(config, "show", "no-such-thing")
    assert missing.returncode == 1 and "nothing recorded for no-such-thing" in missing.stderr

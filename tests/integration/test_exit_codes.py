"""Exit codes that say whether the work is done (issue 23): ``run --once`` exits 75
(EX_TEMPFAIL) when it leaves messages unpublished, naming them; ``replay`` of an id with
nothing to republish exits 1."""

from __future__ import annotations

from pathlib import Path

from gateway.exit_codes import EXIT_INVALID, EXIT_TEMPFAIL
from tests.integration.support import drop, gateway_outcome, small_850, write_settings
from tests.support.ports import free_port


def test_run_once_with_the_broker_away_says_what_is_left_and_exits_75(
    tmp_path: Path, partner: str
) -> None:
    url = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"  # nothing listens there
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", amqp_url=url)
    drop(tmp_path / "inbox", partner, "order.edi", small_850(9201))
    done = gateway_outcome(config, "run", "--once", "--drain", "2")
    assert done.returncode == EXIT_TEMPFAIL, done.stderr
    assert "work left: 1 message(s) to publish, 0 file(s) to finish" in done.stderr
    assert any((tmp_path / "archive" / partner).rglob("*order.edi"))  # recorded, acknowledged


def test_replay_of_an_unknown_id_exits_1(tmp_path: Path) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    assert gateway_outcome(config, "run", "--once").returncode == 0  # the ledger is made
    done = gateway_outcome(config, "replay", "no-such-document")
    assert done.returncode == EXIT_INVALID
    assert "no published message of no-such-document" in done.stderr

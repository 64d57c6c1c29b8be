"""Long operations show progress on a terminal and stay quiet elsewhere (issue 23): a ledger
migration run by a command (here ``status`` on a ledger of an older version) shows its steps;
``replay`` and ``retry`` are in tests/integration/outbound/test_retry_command.py."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.integration.support import ROOT, gateway_outcome, write_settings
from tests.support.terminal import on_a_terminal

OLD_LEDGER = ROOT / "fixtures" / "ledgers" / "ledger-0004.sqlite3"


def test_a_migration_shows_its_steps_on_a_terminal_and_nothing_elsewhere(tmp_path: Path) -> None:
    for home in ("terminal", "script"):
        (tmp_path / home).mkdir()
        shutil.copyfile(OLD_LEDGER, tmp_path / home / "ledger.sqlite3")
    config = write_settings(
        tmp_path / "terminal", f"sqlite:///{tmp_path / 'terminal' / 'ledger.sqlite3'}"
    )
    status, printed, shown = on_a_terminal(config, "status", "--json")
    assert status == 0 and '"files"' in printed, shown
    assert "migrating the ledger:" in shown and "4/4" in shown  # 0004 -> 0005 ... -> 0008
    config = write_settings(
        tmp_path / "script", f"sqlite:///{tmp_path / 'script' / 'ledger.sqlite3'}"
    )
    done = gateway_outcome(config, "status", "--json")
    assert done.returncode == 0 and "migrating the ledger from" in done.stderr  # the log says
    assert "migrating the ledger:" not in done.stderr and "\x1b[" not in done.stderr  # no bar

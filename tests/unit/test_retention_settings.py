"""``retention_days`` and ``edi-gateway prune`` before any ledger is read: off unless set, never
shorter than the duplicate window (exit 78 naming the line and key, or the variable), and no
ledger made where there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Settings, load_settings
from gateway.errors import ConfigError
from tests.unit.test_config_check import EX_CONFIG, gateway


def test_retention_is_off_unless_set() -> None:
    assert Settings.model_fields["retention_days"].default is None


def test_prune_without_retention_days_prunes_nothing_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('inbox = "in"\n')
    done = gateway(tmp_path, "prune")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "retention_days is not set (gateway.toml): nothing is pruned\n"
    assert not (tmp_path / "var").exists()  # no ledger made


def test_a_retention_shorter_than_the_duplicate_window_is_refused_naming_line_and_key(
    tmp_path: Path,
) -> None:
    (tmp_path / "gateway.toml").write_text("duplicate_window_days = 30\nretention_days = 7\n")
    for command in (["prune"], ["prune", "--dry-run"], ["check-config"], ["run", "--once"]):
        done = gateway(tmp_path, *command)
        assert done.returncode == EX_CONFIG, (command, done.stderr)
        assert "gateway.toml, line 2: retention_days: Value error, shorter than " in done.stderr
        assert "duplicate_window_days (30)" in done.stderr and "(found 7)" in done.stderr
        assert "Traceback" not in done.stderr
    done = gateway(tmp_path, "prune", EDIGW_RETENTION_DAYS="0")
    assert done.returncode == EX_CONFIG
    assert "EDIGW_RETENTION_DAYS: Input should be greater than 0" in done.stderr
    done = gateway(tmp_path, "prune", EDIGW_RETENTION_DAYS="90")  # the variable wins: accepted
    assert done.returncode == EX_CONFIG and "no ledger at" in done.stderr  # ... but no ledger


def test_retention_days_as_long_as_the_window_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("duplicate_window_days = 30\nretention_days = 30\n")
    monkeypatch.setenv("EDIGW_CONFIG", str(config))
    assert load_settings().retention_days == 30
    config.write_text("duplicate_window_days = 0\nretention_days = 0.5\n")
    assert load_settings().retention_days == 0.5
    config.write_text("retention_days = 29\n")  # the window's default, 30 days
    with pytest.raises(ConfigError, match=r"line 1: retention_days: .* shorter than"):
        load_settings()


def test_prune_outside_the_gateway_s_home_makes_no_ledger_and_exits_78(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text("retention_days = 90\n")
    done = gateway(tmp_path, "prune", "--dry-run")
    assert done.returncode == EX_CONFIG
    assert "no ledger at" in done.stderr and "is not the gateway's home" in done.stderr
    assert not (tmp_path / "var").exists()

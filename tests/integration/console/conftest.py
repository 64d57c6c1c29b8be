"""A console on a ledger the real daemon filled: orders published, a broken one quarantined."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.support import broken_850, drop, gateway_command, small_850, write_settings
from tests.support.console import Console, add_console, running_console


def filled_home(home: Path, database_url: str, partner: str) -> Path:
    """A gateway home whose ledger the daemon filled (``run --once``): three orders of
    ``partner`` published, one broken order quarantined; its gateway.toml has a console."""
    config = write_settings(home, database_url)
    for control in (1, 2, 3):
        drop(home / "inbox", partner, f"order-{control}.x12", small_850(control))
    drop(home / "inbox", partner, "broken.x12", broken_850(9))
    gateway_command(config, "run", "--once")
    add_console(config)
    return config


@pytest.fixture(scope="module")
def shared_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    """One console for a module's tests that only read (SQLite), with its partner's name."""
    home = tmp_path_factory.mktemp("console")
    partner = f"p{home.name[-6:]}".replace("-", "")
    config = filled_home(home, f"sqlite:///{home / 'ledger.sqlite3'}", partner)
    with running_console(config) as console:
        yield console, partner

"""A daemon reading files never loads what only a terminal or a channel needs (issue 26: the
huge-set daemon's memory, and the start of every daemon and command line): ``rich`` is
imported by a progress bar drawn on a terminal, apscheduler by the first channel scheduled or
cron expression checked."""

from __future__ import annotations

import json
import subprocess
import sys

from gateway.ports.channels import CronSchedule, crontab_trigger
from gateway.runtime.channels import ChannelSchedule

LEAN = ("rich", "apscheduler", "pygments")
"""Packages a daemon without channels, reading and publishing files, has no use for."""


def _loaded(code: str) -> dict[str, bool]:
    """Which of :data:`LEAN` a fresh interpreter running ``code`` has imported."""
    report = f"import json, sys\nprint(json.dumps({{m: m in sys.modules for m in {LEAN!r}}}))"
    probe = f"{code}\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, bool] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_the_daemon_and_the_formats_import_neither_rich_nor_apscheduler() -> None:
    loaded = _loaded(
        "import gateway.cli, gateway.runtime.daemon, gateway.progress, adapters\n"
        "from adapters.formats.x12 import format as x12_format\n"
        "from gateway.runtime.channels import ChannelSchedule\n"
        "ChannelSchedule([]).start()\n"
    )
    assert loaded == dict.fromkeys(LEAN, False)


def test_a_cron_schedule_is_still_checked_when_a_profile_is_read() -> None:
    trigger = crontab_trigger(CronSchedule(cron="*/5 * * * *", timezone="Europe/Paris"))
    assert "*/5" in str(trigger)
    loaded = _loaded(
        "from gateway.ports.channels import CronSchedule\n"
        "try:\n"
        "    CronSchedule(cron='61 * * * *')\n"
        "except ValueError as error:\n"
        "    assert 'not a usable crontab expression' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('a minute of 61 accepted')\n"
    )
    assert loaded["apscheduler"] and not loaded["rich"]


def test_a_schedule_without_channels_starts_and_stops_without_a_scheduler() -> None:
    schedule = ChannelSchedule([])
    schedule.start()
    schedule.stop()
    assert schedule.runs == {}

"""The systemd units (the daemon, the daily retention job, and their templates per instance) and
tmpfiles: valid for systemd, hardened, and in step with the gateway and with each other."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import Settings

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "edi-gateway.service"
TEMPLATE = ROOT / "systemd" / "edi-gateway@.service"
TMPFILES = ROOT / "systemd" / "edi-gateway.tmpfiles"
RETENTION = ROOT / "systemd" / "edi-gateway-retention.service"
RETENTION_TEMPLATE = ROOT / "systemd" / "edi-gateway-retention@.service"
RETENTION_TIMER = ROOT / "systemd" / "edi-gateway-retention.timer"
RETENTION_TIMER_TEMPLATE = ROOT / "systemd" / "edi-gateway-retention@.timer"
CONSOLE = ROOT / "systemd" / "edi-gateway-console.service"
CONSOLE_TEMPLATE = ROOT / "systemd" / "edi-gateway-console@.service"
HOME = "/var/lib/edi-gateway"
SERVICES = [
    (UNIT, UNIT.name),
    (TEMPLATE, "edi-gateway@test.service"),
    (RETENTION, RETENTION.name),
    (RETENTION_TEMPLATE, "edi-gateway-retention@test.service"),
    (CONSOLE, CONSOLE.name),
    (CONSOLE_TEMPLATE, "edi-gateway-console@test.service"),
]
"""Each service unit, and the name systemd knows it by (a template: an instance of it)."""
UNITS = [
    *SERVICES,
    (RETENTION_TIMER, RETENTION_TIMER.name),
    (RETENTION_TIMER_TEMPLATE, "edi-gateway-retention@test.timer"),
]
DAEMON_ONLY = {
    "Type",
    "NotifyAccess",
    "WatchdogSec",
    "ExecStart",
    "ExecReload",
    "KillSignal",
    "TimeoutStopSec",
    "Restart",
    "RestartSec",
    "RestartPreventExitStatus",
    "LimitNOFILE",
}
"""What of the daemon's [Service] is the daemon's alone; the retention job has all the rest."""


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_runs_the_daemon_with_its_config_and_home() -> None:
    unit = directives(UNIT.read_text())
    [start] = unit["ExecStart"]
    assert start.split()[1:] == ["run"]
    assert "EDIGW_CONFIG=/etc/edi-gateway/gateway.toml" in unit["Environment"]
    assert f"EDIGW_HOME={HOME}" in unit["Environment"]
    assert unit["KillSignal"] == ["SIGTERM"]  # the daemon's graceful stop
    assert unit["ReadWritePaths"] == [HOME]


def test_tmpfiles_create_every_folder_the_default_settings_use() -> None:
    created = {line.split()[1] for line in TMPFILES.read_text().splitlines() if line[:2] == "d "}
    settings = Settings(home=Path(HOME))
    for folder in (
        settings.inbox,
        settings.outbox,
        settings.work,
        settings.archive,
        settings.quarantine,
    ):
        assert str(settings.path(folder)) in created


@pytest.mark.parametrize(("source", "name"), UNITS)
def test_systemd_accepts_the_unit(tmp_path: Path, source: Path, name: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd", pytrace=False)
    executable = Path(sys.executable).with_name("edi-gateway")
    for unit, _ in UNITS:  # all of them: a timer's service must be there too
        (tmp_path / unit.name).write_text(
            unit.read_text().replace("/opt/edi-gateway/.venv/bin/edi-gateway", str(executable))
        )
    if source.suffix == ".timer" and name != source.name:  # its service's instance too
        service = name.replace(".timer", ".service")
        (tmp_path / service).symlink_to(tmp_path / source.name.replace(".timer", ".service"))
    unit = tmp_path / name
    if unit.name != source.name:  # an instance of the template
        unit.symlink_to(tmp_path / source.name)
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path) not in result.stderr, result.stderr  # no unknown keys or bad values


@pytest.mark.parametrize(("source", "name"), SERVICES)
def test_the_units_expose_little_to_systemd_analyze_security(
    tmp_path: Path, source: Path, name: str
) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd", pytrace=False)
    (tmp_path / source.name).write_text(source.read_text())
    unit = tmp_path / name
    if unit.name != source.name:
        unit.symlink_to(tmp_path / source.name)
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=25", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    overall = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, overall  # exposure at most 2.5 (--threshold counts tenths)
    assert float(overall.split("level for")[1].split(":")[1].split()[0]) <= 2.5, overall


PER_INSTANCE = (
    ("Description=edi-gateway:", "Description=edi-gateway (%i):"),
    ("/etc/edi-gateway/gateway.toml", "/etc/edi-gateway/%i/gateway.toml"),
    ("EDIGW_HOME=/var/lib/edi-gateway", "EDIGW_HOME=/var/lib/edi-gateway/%i"),
    ("/etc/edi-gateway/environment", "/etc/edi-gateway/%i/environment"),
    ("StateDirectory=edi-gateway", "StateDirectory=edi-gateway/%i"),
    ("ConfigurationDirectory=edi-gateway", "ConfigurationDirectory=edi-gateway/%i"),
    ("ReadWritePaths=/var/lib/edi-gateway", "ReadWritePaths=/var/lib/edi-gateway/%i"),
)
"""What differs between a unit and its template, from ``[Unit]`` on."""


def for_an_instance(unit: Path, *more: tuple[str, str]) -> str:
    """``unit`` from ``[Unit]`` on, its paths and names those of an instance."""
    text = unit.read_text()
    text = text[text.index("[Unit]") :]
    for single, each in (*PER_INSTANCE, *more):
        text = text.replace(single, each)
    return text


def test_the_template_is_the_unit_with_its_paths_per_instance() -> None:
    per_instance = for_an_instance(
        UNIT, ("systemctl restart edi-gateway.", "systemctl restart edi-gateway@%i.")
    )
    template = TEMPLATE.read_text()
    assert template[template.index("[Unit]") :] == per_instance


def test_the_retention_job_prunes_with_the_daemon_s_settings_user_and_hardening() -> None:
    daemon = directives(UNIT.read_text())
    job = directives(RETENTION.read_text())
    [start] = job["ExecStart"]
    assert start.split()[1:] == ["prune"]
    assert job["Type"] == ["oneshot"]
    for key, values in daemon.items():
        if key not in DAEMON_ONLY and key not in ("Description", "After", "WantedBy"):
            assert job.get(key) == values, key
    assert "[Install]" not in RETENTION.read_text()  # started by its timer only


def test_the_console_runs_with_the_daemon_s_settings_user_and_hardening() -> None:
    daemon = directives(UNIT.read_text())
    console = directives(CONSOLE.read_text())
    [start] = console["ExecStart"]
    assert start.split()[1:] == ["console"]
    for key, values in daemon.items():
        if key not in DAEMON_ONLY and key not in ("Description", "After"):
            assert console.get(key) == values, key
    assert console["RestartPreventExitStatus"] == ["78"]  # a bad [console] is not restarted


def test_the_console_template_is_the_console_per_instance() -> None:
    per_instance = for_an_instance(CONSOLE, (" edi-gateway.service", " edi-gateway@%i.service"))
    template = CONSOLE_TEMPLATE.read_text()
    assert template[template.index("[Unit]") :] == per_instance


def test_the_retention_timer_runs_daily_and_catches_up_a_missed_day() -> None:
    timer = directives(RETENTION_TIMER.read_text())
    assert timer["OnCalendar"] == ["daily"]
    assert timer["Persistent"] == ["yes"] or timer["Persistent"] == ["true"]
    assert timer["WantedBy"] == ["timers.target"]


def test_the_retention_templates_are_the_job_and_its_timer_per_instance() -> None:
    per_instance = for_an_instance(RETENTION, (" edi-gateway.service", " edi-gateway@%i.service"))
    template = RETENTION_TEMPLATE.read_text()
    assert template[template.index("[Unit]") :] == per_instance
    timer = RETENTION_TIMER.read_text()
    timer = timer[timer.index("[Unit]") :].replace("edi-gateway:", "edi-gateway (%i):")
    template = RETENTION_TIMER_TEMPLATE.read_text()
    assert template[template.index("[Unit]") :] == timer


@pytest.mark.parametrize(
    ("source", "command"),
    [
        (UNIT, "scripts/install-service."),
        (TEMPLATE, "scripts/install-service test."),
        (RETENTION, "scripts/install-service installs it"),
        (RETENTION_TEMPLATE, "scripts/install-service test installs it"),
    ],
)
def test_the_install_steps_are_those_scripts_install_service_runs(
    source: Path, command: str
) -> None:
    """The units' comments and the README say to run the script, which runs the steps the
    plain unit lists (tests/integration/test_install.py runs it): they cannot drift apart."""
    header = source.read_text().split("\n[Unit]")[0]
    assert command in " ".join(line.lstrip("# ") for line in header.splitlines()), source.name
    script = ROOT / "scripts" / "install-service"
    assert script.stat().st_mode & 0o111, "scripts/install-service is executable"
    text = script.read_text()
    assert "set -euo pipefail" in text
    assert "the install steps listed at the top of systemd/edi-gateway.service" in " ".join(
        line.lstrip("# ") for line in text.splitlines()
    )
    readme = (ROOT / "README.md").read_text()
    service = readme[readme.index("## Running it as a service") :]
    service = service[: service.index("\n## ", 1)]
    assert "Install it as root on Debian with `scripts/install-service`" in " ".join(
        service.split()
    )

"""scripts/install-service on this machine, for real (issue 23): the install steps the README and
the units list, as written, on Debian as root.

It installs the gateway as an administrator would, and leaves installed what an installation
is: /opt/edi-gateway (its .venv, a minute to make the first time, then reinstalled only when the
checkout changed), the user and group edi-gateway, the units in /etc/systemd/system, the
tmpfiles in /etc/tmpfiles.d, /etc/edi-gateway/gateway.toml and the home /var/lib/edi-gateway.
A run finds them there from the previous one (or from a real installation) and must leave them
as they are, so these tests pass run again and on a machine where the gateway is installed.
What a test adds of its own goes when it ends: the daemon it starts, its ledger (a PostgreSQL
database of its own), the /etc/edi-gateway/environment it writes to point the daemon at the test
session's RabbitMQ virtual host (one that was there is put back), an instance's settings.
The script runs from a copy of the files it reads, taken at the start: an edit made meanwhile in
the working tree cannot make its second run install again. The tests take a lock of their own:
two never change the installation at once.

The script runs with --no-start: it installs and checks, and prints the systemctl line it would
run, so that where systemd runs no service starts beside the test's daemon. The tests need root
on Debian, and fail, never skip, elsewhere."""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import shutil
import signal
import stat
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway.ledger.database import current_revisions
from tests.integration.ledger.databases import postgres_database
from tests.integration.support import ROOT
from tests.integration.test_systemd_notify import notify_socket, received
from tests.support.broker import AMQP_URL

USER = "edi-gateway"
OPT = Path("/opt/edi-gateway")
CONFIG = Path("/etc/edi-gateway")
HOME = Path("/var/lib/edi-gateway")
UNITS = Path("/etc/systemd/system")
TMPFILES = Path("/etc/tmpfiles.d/edi-gateway.conf")
SCRIPT_READS = ["scripts/install-service", "systemd", "gateway", "adapters"]
SCRIPT_READS_FILES = ["pyproject.toml", "README.md", "gateway.toml"]
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOCK = Path("/run/lock/edi-gateway-install-test.lock")


@pytest.fixture(autouse=True)
def _root_on_debian() -> Iterator[None]:
    """Root on Debian, or a failure saying what to run; then the installation to ourselves."""
    if os.geteuid() != 0:
        pytest.fail(
            "tests/integration/test_install.py installs the gateway as a service on this machine "
            "(scripts/install-service) and needs root: run it as root, e.g. "
            "`sudo .venv/bin/pytest -n 0 tests/integration/test_install.py`",
            pytrace=False,
        )
    if not Path("/etc/debian_version").is_file():
        pytest.fail("scripts/install-service is for Debian: run this test on Debian", pytrace=False)
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the files scripts/install-service reads, as they are now."""
    copy = tmp_path / "checkout"
    for name in SCRIPT_READS:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, copy / name, ignore=ignore)
        else:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    for name in SCRIPT_READS_FILES:
        shutil.copy2(ROOT / name, copy / name)
    return copy


def install_service(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``scripts/install-service --no-start ARGS`` run to its end, whatever its exit status
    (not started: where systemd runs, the test's daemon is the only one)."""
    return subprocess.run(
        [str(checkout / "scripts" / "install-service"), "--no-start", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def said(run: subprocess.CompletedProcess[str]) -> str:
    return f"exit {run.returncode}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr[-8000:]}"


@contextmanager
def file_of_the_test(path: Path, text: str, mode: int) -> Iterator[Path]:
    """``path`` holds ``text`` (root's, ``mode``) for the block; then what was there is put back
    as it was, or the file is removed."""
    before = path.read_bytes() if path.exists() else None
    status = path.stat() if path.exists() else None
    path.write_text(text)
    os.chown(path, 0, 0)
    path.chmod(mode)
    try:
        yield path
    finally:
        if before is None or status is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
            os.chown(path, status.st_uid, status.st_gid)
            path.chmod(stat.S_IMODE(status.st_mode))


def unit_settings(unit: Path, instance: str = "") -> dict[str, list[str]]:
    """The [Service] settings of an installed unit, ``%i`` replaced by ``instance``."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip().replace("%i", instance))
    return found


def unit_environment(unit: Path, instance: str = "") -> dict[str, str]:
    """The environment systemd gives the unit's processes: its user's, its Environment= lines,
    then its EnvironmentFile= (which wins, as in systemd)."""
    settings = unit_settings(unit, instance)
    [user] = settings["User"]
    account = pwd.getpwnam(user)
    environment = {
        "PATH": SYSTEMD_PATH,
        "HOME": account.pw_dir,
        "USER": user,
        "LOGNAME": user,
        "SHELL": account.pw_shell,
    }
    for assignment in settings.get("Environment", []):
        key, _, value = assignment.partition("=")
        environment[key] = value
    for name in settings.get("EnvironmentFile", []):
        file = Path(name.removeprefix("-"))
        if not file.is_file() and name.startswith("-"):
            continue
        for line in file.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", ";")) and "=" in line:
                key, _, value = line.partition("=")
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                environment[key.strip()] = value
    return environment


def as_the_unit(unit: Path, command: list[str]) -> list[str]:
    """``command`` run as the unit's user and group (setpriv: the process itself, no session)."""
    settings = unit_settings(unit)
    [user], [group] = settings["User"], settings["Group"]
    return ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups", "--", *command]


def snapshot() -> dict[str, tuple[int, int, int, int, int]]:
    """What the installation is made of: each path's mode, owner, group, size and mtime (the
    user and group as their /etc/passwd and /etc/group lines)."""
    roots = [OPT, CONFIG, HOME, TMPFILES, *sorted(UNITS.glob("edi-gateway*"))]
    found: dict[str, tuple[int, int, int, int, int]] = {}
    for root in roots:
        paths = [root, *root.rglob("*")] if root.is_dir() else [root]
        for path in paths:
            info = path.lstat()
            found[str(path)] = (
                info.st_mode,
                info.st_uid,
                info.st_gid,
                info.st_size,
                info.st_mtime_ns,
            )
    account = pwd.getpwnam(USER)
    group = grp.getgrnam(USER)
    found[f"passwd {':'.join(map(str, account))}"] = (0, 0, 0, 0, 0)
    found[f"group {group.gr_name}:{group.gr_gid}:{','.join(group.gr_mem)}"] = (0, 0, 0, 0, 0)
    return found


def owned(path: Path) -> tuple[str, str, str]:
    """``path``'s mode (octal, as the steps write it), owner and group."""
    info = path.stat()
    return (
        f"{stat.S_IMODE(info.st_mode):04o}",
        pwd.getpwuid(info.st_uid).pw_name,
        grp.getgrgid(info.st_gid).gr_name,
    )


def assert_installed(checkout: Path) -> None:
    """The user, files and folders the steps make, with their documented owners and modes."""
    account = pwd.getpwnam(USER)
    assert account.pw_uid < 1000, "a system user"
    assert grp.getgrgid(account.pw_gid).gr_name == USER
    assert (account.pw_dir, account.pw_shell) == (str(HOME), "/usr/sbin/nologin")
    executable = OPT / ".venv" / "bin" / "edi-gateway"
    assert os.access(executable, os.X_OK), executable
    assert owned(OPT) == ("0755", "root", "root")
    assert (OPT / "README.md").read_text() == (checkout / "README.md").read_text()
    units = [*(checkout / "systemd").glob("*.service"), *(checkout / "systemd").glob("*.timer")]
    assert len(units) == 8  # the daemon, retention job and timer, console: and their templates
    for unit in units:
        assert owned(UNITS / unit.name) == ("0644", "root", "root"), unit.name
        assert (UNITS / unit.name).read_text() == unit.read_text(), unit.name
    assert owned(TMPFILES) == ("0644", "root", "root")
    tmpfiles = (checkout / "systemd" / "edi-gateway.tmpfiles").read_text()
    assert TMPFILES.read_text() == tmpfiles
    folders = [line.split() for line in tmpfiles.splitlines() if line.startswith("d ")]
    assert len(folders) >= 7
    for _, path, mode, owner, group, _age in folders:
        assert owned(Path(path)) == (mode, owner, group), path
    assert owned(CONFIG) == ("0750", "root", USER)
    assert owned(CONFIG / "gateway.toml") == ("0640", "root", USER)


def test_install_service_makes_a_service_that_starts_as_its_unit_says_and_again_changes_nothing(
    checkout: Path,
) -> None:
    first = install_service(checkout)
    assert first.returncode == 0, said(first)
    assert (
        "ok   settings (/etc/edi-gateway/gateway.toml; home /var/lib/edi-gateway)" in first.stdout
    )
    assert first.stdout.endswith(  # what is left to do, exactly
        "\n  systemctl daemon-reload && systemctl enable --now edi-gateway.service "
        "edi-gateway-retention.timer\n"
    ), said(first)
    assert_installed(checkout)

    unit = UNITS / "edi-gateway.service"
    with postgres_database("edigw_install") as ledger, notify_socket() as (listener, address):
        secrets = (
            f"# the test's: its own ledger and virtual host\nEDIGW_DATABASE_URL={ledger}\n"
            f'EDIGW_AMQP_URL="{AMQP_URL}"\nEDIGW_METRICS_ADDRESS=127.0.0.1:0\n'
        )
        with file_of_the_test(CONFIG / "environment", secrets, 0o600):
            environment = unit_environment(unit)
            assert environment["EDIGW_DATABASE_URL"] == ledger
            assert environment["EDIGW_HOME"] == str(HOME)
            [start] = unit_settings(unit)["ExecStart"]
            check = subprocess.run(
                as_the_unit(unit, [start.split()[0], "check-config"]),
                env=environment,
                cwd="/",
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert check.returncode == 0, check.stderr
            [watchdog] = unit_settings(unit)["WatchdogSec"]
            [umask] = unit_settings(unit)["UMask"]
            notify = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": str(int(watchdog) * 1_000_000)}
            log = checkout.parent / "daemon.log"
            with log.open("wb") as stderr:
                daemon = subprocess.Popen(
                    as_the_unit(unit, start.split()),
                    env={**environment, **notify},
                    cwd="/",
                    umask=int(umask, 8),
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            try:
                lines = received(listener, 60, lambda lines: "READY=1" in lines)
                assert "READY=1" in lines, log.read_text(errors="replace")[-8000:]
                status = Path(f"/proc/{daemon.pid}/status").read_text()
                uid = pwd.getpwnam(USER).pw_uid
                assert f"\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n" in status
                assert f"\nUmask:\t{umask}\n" in status
            finally:
                daemon.send_signal(signal.SIGTERM)
                try:
                    code = daemon.wait(timeout=60)
                finally:
                    daemon.kill()
            assert code == 0, log.read_text(errors="replace")[-8000:]
            assert "STOPPING=1" in received(listener, 1, lambda lines: "STOPPING=1" in lines)
            engine = sa.create_engine(ledger, poolclass=sa.NullPool)
            try:
                with engine.connect() as connection:  # the daemon's, from the environment file
                    assert current_revisions(connection)
            finally:
                engine.dispose()

            before = snapshot()
            second = install_service(checkout)  # with the environment file: check-config reads it
            assert second.returncode == 0, said(second)
            assert snapshot() == before
            assert [line for line in second.stdout.splitlines() if "install-service:" in line] == [
                "install-service: /etc/edi-gateway/gateway.toml: there already, kept",
                "install-service: edi-gateway check-config, as edi-gateway with "
                "edi-gateway.service's environment",
                "install-service: not started (--no-start); to start it, run as root:",
            ]


def test_install_service_checks_the_settings_with_the_environment_file_and_keeps_an_admin_s(
    checkout: Path,
) -> None:
    assert install_service(checkout).returncode == 0
    mine = "# the administrator's\n" + (CONFIG / "gateway.toml").read_text()
    elsewhere = "/var/lib/edi-gateway/elsewhere"
    with (
        file_of_the_test(CONFIG / "gateway.toml", mine, 0o640),
        file_of_the_test(
            CONFIG / "environment", f'# a comment\n\n  EDIGW_HOME="{elsewhere}"\n', 0o600
        ),
    ):
        os.chown(CONFIG / "gateway.toml", 0, grp.getgrnam(USER).gr_gid)
        run = install_service(checkout)
        assert run.returncode == 0, said(run)
        assert f"/etc/edi-gateway/gateway.toml; home {elsewhere})" in run.stdout, said(run)
        assert "/etc/edi-gateway/gateway.toml: there already, kept" in run.stdout, said(run)
        assert (CONFIG / "gateway.toml").read_text() == mine
        assert owned(CONFIG / "gateway.toml") == ("0640", "root", USER)
        (CONFIG / "environment").write_text("EDIGW_MIN_AGE=soon\n")
        run = install_service(checkout)
        assert run.returncode != 0, said(run)
        assert "EDIGW_MIN_AGE" in run.stderr, said(run)
        assert "install-service: check-config failed" in run.stderr, said(run)
        assert "systemctl" not in run.stdout, said(run)
        assert (CONFIG / "gateway.toml").read_text() == mine


def test_install_service_for_an_instance_of_the_template(checkout: Path) -> None:
    instance = f"test{uuid.uuid4().hex[:8]}"
    try:
        run = install_service(checkout, instance)
        assert run.returncode == 0, said(run)
        assert owned(CONFIG / instance) == ("0750", "root", USER)
        assert owned(CONFIG / instance / "gateway.toml") == ("0640", "root", USER)
        assert (
            f"ok   settings (/etc/edi-gateway/{instance}/gateway.toml; "
            f"home /var/lib/edi-gateway/{instance})" in run.stdout
        ), said(run)
        assert run.stdout.endswith(
            f"\n  systemctl daemon-reload && systemctl enable --now "
            f"edi-gateway@{instance}.service edi-gateway-retention@{instance}.timer\n"
        ), said(run)
        assert_installed(checkout)
    finally:
        shutil.rmtree(CONFIG / instance, ignore_errors=True)

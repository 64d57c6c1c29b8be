"""Helpers for the SFTP tests: partner files on the server side, what arrived in the inbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from adapters.channels.sftp import Sftp, SftpChannel
from gateway.ledger import transfers
from gateway.ledger.transfers import DeliveryRow, PickupRow, PickupState
from gateway.ports import Spool
from gateway.runtime.channels import ChannelRuns

ROOT = Path(__file__).resolve().parents[3]
PARTNER = "acme"


class Clock:
    """A clock the test moves by hand (``clock.now += 60``): completeness checks and retries."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def put(folder: Path, name: str, data: bytes, *, mtime: float | None = None) -> Path:
    """A file the partner left on its server (written in place)."""
    path = folder / name
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def visible(folder: Path) -> dict[str, bytes]:
    """The files the folder watcher would see (no dotfiles), by name."""
    if not folder.exists():
        return {}
    return {
        p.name: p.read_bytes()
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".")
    }


def everything(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def with_inbound(channel: SftpChannel, remote: Path, **options: object) -> SftpChannel:
    """``channel`` with an ``[sftp.inbound]`` on ``remote/out`` (min_age 0 unless given)."""
    values: dict[str, object] = {"folder": str(remote / "out"), "min_age": 0.0, **options}
    data = channel.model_dump()
    data["inbound"] = values
    return SftpChannel.model_validate(data)


def with_outbound(channel: SftpChannel, remote: Path, **options: object) -> SftpChannel:
    """``channel`` with an ``[sftp.outbound]`` to ``remote/in``."""
    values: dict[str, object] = {"folder": str(remote / "in"), **options}
    data = channel.model_dump()
    data["outbound"] = values
    return SftpChannel.model_validate(data)


def exchange(
    channel: SftpChannel,
    home: Path,
    ledger: sessionmaker[Session],
    *,
    partner: str = PARTNER,
    clock: Callable[[], float] = time.monotonic,
) -> ChannelRuns:
    """The core's runs of ``partner``'s SFTP channel, with ``home/inbox`` and ``home/outbox``:
    settle, poll and deliver over one connection, behind the partner's breaker."""
    spool = Spool(inbox=home / "inbox", outbox=home / "outbox", ledger=ledger, clock=clock)
    return ChannelRuns(Sftp(partner, channel, spool))


def pickups(factory: sessionmaker[Session], partner: str = PARTNER) -> list[PickupRow]:
    with factory.begin() as s:
        return transfers.pickups_in_state(s, partner, list(PickupState))


def deliveries(factory: sessionmaker[Session], partner: str = PARTNER) -> list[DeliveryRow]:
    with factory.begin() as s:
        return transfers.deliveries_of(s, partner)


def profile_toml(channel: SftpChannel) -> str:
    """``channel`` as the ``[sftp]`` section of a partner profile."""
    import json

    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v if not isinstance(v, Path) else str(v))

    data = channel.model_dump(mode="json", exclude_none=True)
    lines = ["[sftp]"]
    sections = {}
    for key, v in data.items():
        if key in ("inbound", "outbound"):
            sections[key] = v
        else:
            lines.append(f"{key} = {value(v)}")
    for key, section in sections.items():
        lines.append(f"[sftp.{key}]")
        lines.extend(f"{k} = {value(v)}" for k, v in section.items())
    return "\n".join(lines) + "\n"


def profile_file(folder: Path, channel: SftpChannel) -> Path:
    """``folder/partners/<PARTNER>.toml``, the partner's profile holding ``channel``."""
    profile = folder / "partners" / f"{PARTNER}.toml"
    profile.parent.mkdir()
    profile.write_text(profile_toml(channel))
    return profile


def exchange_command(profile: Path, home: Path, database_url: str) -> list[str]:
    module = "tests.integration.sftp.exchange_once"
    return [sys.executable, "-m", module, str(profile), str(home), database_url]


def exchange_env(
    crash_at: str | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDIGW_CRASH_AT", None)
    if crash_at:
        env["EDIGW_CRASH_AT"] = crash_at
    env.update(extra or {})
    return env


def run_exchange_process(
    profile: Path,
    home: Path,
    database_url: str,
    *,
    crash_at: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """One exchange run in a separate process (killed by SIGKILL at ``crash_at``; ``env``: more
    variables, see :mod:`tests.integration.sftp.exchange_once`)."""
    return subprocess.run(
        exchange_command(profile, home, database_url),
        cwd=ROOT,
        env=exchange_env(crash_at, env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_exchange_process(
    profile: Path, home: Path, database_url: str, *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """:func:`run_exchange_process`, not waited for (to be killed at any moment)."""
    return subprocess.Popen(
        exchange_command(profile, home, database_url),
        cwd=ROOT,
        env=exchange_env(None, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

"""The daemon starts its parse workers when a file first needs them, not at its start: files
arriving one at a time are read in its own thread, so a daemon that meets no burst runs without
the fork server and the worker processes (a second of CPU and some 150 MB); the first burst
starts them, and is parsed there."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from gateway.runtime.daemon import TRICKLE
from tests.integration.support import (
    drop,
    running_daemon,
    small_850,
    wait_for,
    write_settings,
)


def _descendants(pid: int) -> list[str]:
    """The command lines of ``pid``'s processes, its children's, and so on."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            try:
                found.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" "))
            except OSError:
                continue
            pending.append(child)
    return [line.decode(errors="replace") for line in found]


def _archived(archive: Path, name: str) -> bool:
    return any(archive.rglob(f"*{name}"))


def _workers(pid: int) -> list[str]:
    return [line for line in _descendants(pid) if "multiprocessing.forkserver" in line]


def test_workers_start_with_the_first_burst_not_with_the_daemon(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = write_settings(tmp_path, database_url, parse_workers=1)
    inbox, archive = tmp_path / "inbox", tmp_path / "archive" / partner
    with running_daemon(config) as daemon:
        for n in range(3):  # one at a time, each taken before the next
            name = f"alone-{n}.edi"
            drop(inbox, partner, name, small_850(9800 + n))
            wait_for(f"{name} archived", functools.partial(_archived, archive, name))
        assert _workers(daemon.pid) == []
        burst = 4 * TRICKLE  # all ready at once: the partner's folder comes back with them
        held = tmp_path / "held"
        os.rename(inbox / partner, held)
        for n in range(burst):
            (held / f"burst-{n}.edi").write_bytes(small_850(9900 + n))
        os.rename(held, inbox / partner)
        wait_for(
            "the burst archived",
            lambda: len(list(archive.rglob("*burst-*.edi"))) == burst,
            timeout=60,
        )
        assert _workers(daemon.pid) != []  # the fork server and its worker

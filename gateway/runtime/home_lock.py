"""One daemon per home: an exclusive lock on the work folder, held for the life of the process.

Two daemons on one home both run the partners' channels, take files from one inbox and
publish one outbox: before this lock, two ``edi-gateway run`` started by mistake recorded 257
deliveries twice. ``run`` and ``run --once`` take the lock before anything else (the ledger's
migration included); a second one exits at once, naming the process that holds it. Commands
that only read the ledger (``status``, ``show``, ``acks``) never take it.

The lock is :func:`fcntl.flock` on ``<work>/.edi-gateway.lock``: the kernel releases it when the
process ends, however it ends (a SIGKILL included), so a stale lock file never blocks a restart.
The file holds the pid of the process that holds the lock, for the message of the one refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import HomeBusy

LOCK_NAME = ".edi-gateway.lock"
"""In the work folder (a dotfile: never a partner's folder, never a leftover)."""


@contextlib.contextmanager
def home_lock(work: Path) -> Iterator[Path]:
    """Hold the lock of the home whose work folder is ``work`` (created if need be) for the
    ``with`` block; :class:`HomeBusy` when another process holds it."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise HomeBusy(path, _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    """The pid the lock file names, if it names one."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None

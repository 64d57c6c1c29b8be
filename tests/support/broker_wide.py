"""Tests that change the broker for everyone run while no other test does.

A setting of the whole broker (``max_message_size``: RabbitMQ has no such limit per virtual
host) reaches every test running at the time, in this session's other workers and in any other
session on the machine: a test publishing a large message would see it refused. So every test
holds a shared lock on a file of the machine's temporary folder for its duration
(:func:`shared`), and a test changing the broker turns its own into an exclusive one
(:func:`alone`): it waits for the tests under way to end, and the others wait for it.

``flock`` lets shared locks in while an exclusive one waits, so a test waiting to be alone could
wait for ever behind workers that never all pause at once; a gate (a second file, locked
exclusively by whoever waits to be alone and, for a moment, by each test starting) keeps new
tests out meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

LOCKS = Path(tempfile.gettempdir())
"""Where the locks are: the machine's temporary folder, shared by every session on it."""
RUNNING = "edigw-tests-running.lock"
GATE = "edigw-tests-gate.lock"

_held: list[tuple[int, Path]] = []
"""The file descriptor of the shared lock the running test holds, and its folder."""


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)


@contextlib.contextmanager
def shared(folder: Path = LOCKS) -> Iterator[None]:
    """The test runs beside the others, not beside a test that is :func:`alone` (``folder``:
    where the locks are; another one only for the test of this module itself, so that it holds
    back no test of the suite)."""
    running, gate = _open(folder / RUNNING), _open(folder / GATE)
    held = (running, folder)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(running, fcntl.LOCK_SH)
        fcntl.flock(gate, fcntl.LOCK_UN)
        _held.append(held)
        yield
    finally:
        if _held and _held[-1] == held:
            _held.pop()
        os.close(running)  # releases its lock
        os.close(gate)


@contextlib.contextmanager
def alone() -> Iterator[None]:
    """The block runs while no other test does (within :func:`shared`)."""
    running, folder = _held[-1]
    gate = _open(folder / GATE)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)  # no test starts meanwhile
        fcntl.flock(running, fcntl.LOCK_EX)  # the tests under way end
        yield
    finally:
        fcntl.flock(running, fcntl.LOCK_SH)
        os.close(gate)

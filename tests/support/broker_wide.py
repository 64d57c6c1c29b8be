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
RUNNING = LOCKS / "edigw-tests-running.lock"
GATE = LOCKS / "edigw-tests-gate.lock"

_held: list[int] = []
"""The file descriptor of the shared lock the running test holds."""


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)


@contextlib.contextmanager
def shared() -> Iterator[None]:
    """The test runs beside the others, not beside a test that is :func:`alone`."""
    running, gate = _open(RUNNING), _open(GATE)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(running, fcntl.LOCK_SH)
        fcntl.flock(gate, fcntl.LOCK_UN)
        _held.append(running)
        yield
    finally:
        if _held and _held[-1] == running:
            _held.pop()
        os.close(running)  # releases its lock
        os.close(gate)


@contextlib.contextmanager
def alone() -> Iterator[None]:
    """The block runs while no other test does (within :func:`shared`)."""
    running, gate = _held[-1], _open(GATE)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)  # no test starts meanwhile
        fcntl.flock(running, fcntl.LOCK_EX)  # the tests under way end
        yield
    finally:
        fcntl.flock(running, fcntl.LOCK_SH)
        os.close(gate)

"""Control numbers for outbound interchanges and groups.

A :class:`ControlNumberCounter` hands out the next number of a named sequence. Sequence names are
chosen by the writer (one per sender/receiver pair and envelope level); the ledger persists them
(issue 3), :class:`InMemoryCounter` serves tests and one-shot commands.
"""

from __future__ import annotations

import threading
from typing import Protocol

MAX_CONTROL_NUMBER = 999_999_999
"""ISA13 and GS06 hold at most nine digits; sequences wrap around to 1 after this."""


class ControlNumberCounter(Protocol):
    def next(self, sequence: str) -> int:
        """Return the next number of ``sequence`` (1 for a new one), never the same twice."""
        ...


class InMemoryCounter:
    """Counts in memory; numbers restart with the process. Thread-safe."""

    def __init__(self, start: int = 1) -> None:
        self._start = start
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, sequence: str) -> int:
        with self._lock:
            value = self._values.get(sequence, self._start - 1) + 1
            if value > MAX_CONTROL_NUMBER:
                value = 1
            self._values[sequence] = value
            return value

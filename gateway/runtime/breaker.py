"""Retry with exponential backoff, and a circuit breaker that pauses a partner that keeps failing.

``failed()`` after each failed run: the next try waits ``initial``, then twice that... up to
``maximum``; after ``pause_after`` failures in a row the partner is *paused* for ``pause_for``
(and reported as such), then tried again. ``succeeded()`` closes the circuit. One breaker per
partner: a failing partner never delays another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BreakerState:
    failures: int
    """Failures in a row."""
    paused: bool
    retry_in: float
    """Seconds until the next try is allowed (0: now)."""
    last_error: str | None


class Breaker:
    def __init__(
        self,
        *,
        initial: float,
        maximum: float,
        pause_after: int,
        pause_for: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.pause_after = pause_after
        self.pause_for = pause_for
        self.clock = clock
        self.failures = 0
        self.next_try = 0.0
        self.last_error: str | None = None

    def ready(self) -> bool:
        return self.clock() >= self.next_try

    @property
    def paused(self) -> bool:
        return self.failures >= self.pause_after

    def failed(self, error: str) -> float:
        """Count a failure; the seconds to wait before the next try."""
        self.failures += 1
        self.last_error = error
        if self.paused:
            delay = self.pause_for
        else:
            delay = min(self.maximum, self.initial * 2 ** (self.failures - 1))
        self.next_try = self.clock() + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self.next_try = 0.0
        self.last_error = None

    def state(self) -> BreakerState:
        return BreakerState(
            failures=self.failures,
            paused=self.paused,
            retry_in=max(0.0, self.next_try - self.clock()),
            last_error=self.last_error,
        )

"""When the daemon retries the files a failure left in the work folder (:class:`RetrySchedule`),
and how long a step that fails at start-up waits before it is tried again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

RETRY_INTERVAL = 30.0
"""Seconds between looks at the work folder for files a failure left there (database down...),
and the longest wait between retries while they keep failing."""
RETRY_FIRST = 1.0
"""Seconds from a failure to the first retry of the files it left; doubled after each failed
retry, up to :data:`RETRY_INTERVAL`."""


@dataclass
class RetrySchedule:
    """When to retry the files a failure left in the work folder: soon after the failure, then
    less and less often while retries fail (a database restart takes seconds, an outage may take
    hours), and every :data:`RETRY_INTERVAL` when nothing failed."""

    clock: Callable[[], float] = time.monotonic
    delay: float = RETRY_FIRST
    due: float = 0.0

    def __post_init__(self) -> None:
        self.due = self.clock() + RETRY_INTERVAL

    def failed(self) -> None:
        """A file was just left in the work folder."""
        self.due = min(self.due, self.clock() + self.delay)

    def is_due(self) -> bool:
        return self.clock() >= self.due

    def retried(self, ok: bool) -> None:
        if ok:
            self.delay = RETRY_FIRST
            self.due = self.clock() + RETRY_INTERVAL
        else:
            self.delay = min(self.delay * 2, RETRY_INTERVAL)
            self.due = self.clock() + self.delay

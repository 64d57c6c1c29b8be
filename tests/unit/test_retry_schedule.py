"""When the daemon retries files a failure left in the work folder."""

from __future__ import annotations

from gateway.runtime.retries import RETRY_FIRST, RETRY_INTERVAL, RetrySchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_failed_means_a_look_every_interval() -> None:
    clock = Clock()
    retries = RetrySchedule(clock)
    clock.now += RETRY_INTERVAL - 0.1
    assert not retries.is_due()
    clock.now += 0.1
    assert retries.is_due()
    retries.retried(True)
    assert retries.due == clock.now + RETRY_INTERVAL


def test_a_failure_is_retried_soon_then_less_often_until_a_retry_goes_through() -> None:
    clock = Clock()
    retries = RetrySchedule(clock)
    retries.failed()
    assert retries.due == clock.now + RETRY_FIRST
    waits = []
    for _ in range(7):
        clock.now = retries.due
        assert retries.is_due()
        start = clock.now
        retries.retried(False)
        retries.failed()  # more files fail meanwhile: the retry does not come sooner
        waits.append(retries.due - start)
    assert waits == [min(RETRY_FIRST * 2**n, RETRY_INTERVAL) for n in range(1, 8)]
    clock.now = retries.due
    retries.retried(True)
    retries.failed()
    assert retries.due == clock.now + RETRY_FIRST

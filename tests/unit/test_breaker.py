"""Exponential backoff, then a pause after too many failures in a row."""

from __future__ import annotations

from gateway.runtime.breaker import Breaker


def test_backoff_doubles_up_to_the_maximum_then_pauses_and_success_closes_it() -> None:
    now = [0.0]
    breaker = Breaker(initial=5, maximum=15, pause_after=4, pause_for=600, clock=lambda: now[0])
    assert breaker.ready()
    assert [breaker.failed("down") for _ in range(3)] == [5, 10, 15]
    assert not breaker.paused and not breaker.ready()
    assert breaker.failed("down") == 600
    state = breaker.state()
    assert state.paused and state.failures == 4 and state.retry_in == 600
    assert state.last_error == "down"
    now[0] += 600
    assert breaker.ready()
    breaker.succeeded()
    assert breaker.state().failures == 0 and not breaker.paused

"""The finisher gathers commits while they keep coming (one run for many batches under a steady
flow), runs soon after the flow stops, and at once on a stop (gateway/runtime/finisher.py)."""

from __future__ import annotations

import threading
import time
from typing import cast

import pytest

from gateway.pipeline import Pipeline
from gateway.runtime import finisher
from gateway.runtime.finisher import Finisher


class _Runs:
    """Stands for the pipeline: when each ``finish`` ran."""

    def __init__(self) -> None:
        self.at: list[float] = []
        self.ran = threading.Event()

    def finish(self) -> None:
        self.at.append(time.monotonic())
        self.ran.set()


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> _Runs:
    monkeypatch.setattr(finisher, "GATHER", 0.3)
    monkeypatch.setattr(finisher, "QUIET", 0.05)
    return _Runs()


def _finisher(runs: _Runs, gathered: float = 0.0) -> Finisher:
    done = Finisher(cast(Pipeline, runs), gathered=gathered)
    done.start()
    return done


def test_a_steady_flow_of_commits_is_finished_a_few_times_not_once_per_commit(runs: _Runs) -> None:
    done = _finisher(runs)
    try:
        until = time.monotonic() + 0.65
        while time.monotonic() < until:  # a commit every 10 ms
            done.notify()
            time.sleep(0.01)
    finally:
        done.stop()
    assert 2 <= len(runs.at) <= 8  # each 0.3 s (GATHER), and the stop's; not 65


def test_commits_a_gather_window_apart_are_a_steady_flow(runs: _Runs) -> None:
    """With the daemon gathering a trickle's files (``gather_window``), its commits come up to
    the window apart: that is a flow still, not one that stopped after each commit."""
    done = _finisher(runs, gathered=0.1)
    try:
        until = time.monotonic() + 0.65
        while time.monotonic() < until:  # a commit every 80 ms: more than QUIET apart
            done.notify()
            time.sleep(0.08)
    finally:
        done.stop()
    assert 2 <= len(runs.at) <= 4  # each 0.3 s (GATHER), and the stop's; not one per commit


def test_commits_that_stop_coming_are_finished_soon(
    runs: _Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finisher, "GATHER", 5.0)
    done = _finisher(runs)
    try:
        notified = time.monotonic()
        done.notify()
        assert runs.ran.wait(2)
        assert runs.at[0] - notified < 1.0  # QUIET (0.05 s), not GATHER (5 s)
    finally:
        done.stop()


def test_a_stop_finishes_at_once(runs: _Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finisher, "GATHER", 5.0)
    done = _finisher(runs)
    done.notify()
    asked = time.monotonic()
    done.stop()
    assert runs.at and runs.at[-1] - asked < 1.0  # not GATHER's 5 s

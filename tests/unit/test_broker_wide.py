"""A test that changes the whole broker runs alone: it waits for the tests under way (in other
processes) to end, and tests starting meanwhile wait for it (tests.support.broker_wide). Its
locks are in a folder of this test's own: on the suite's, being alone would hold back every
worker of the session until the longest test under way ended."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.support import broker_wide

ROOT = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from pathlib import Path
from tests.support import broker_wide
with broker_wide.shared(Path(sys.argv[2])):
    print("in", time.time(), flush=True)
    time.sleep(float(sys.argv[1]))
    print("leaving", time.time(), flush=True)
"""


def other_test(seconds: float, locks: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(seconds), str(locks)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_alone_waits_for_the_tests_under_way_and_holds_back_those_starting(
    tmp_path: Path,
) -> None:
    running = other_test(1.0, tmp_path)
    assert running.stdout is not None and running.stdout.readline().startswith("in ")
    with broker_wide.shared(tmp_path), broker_wide.alone():
        entered = time.time()
        starting = other_test(0.0, tmp_path)
        time.sleep(0.5)
        left = time.time()
    leaving = float(running.communicate(timeout=30)[0].split()[1])
    assert leaving <= entered  # it waited for the test under way
    came_in = float(starting.communicate(timeout=30)[0].split()[1])
    assert came_in >= left  # the one starting waited for it

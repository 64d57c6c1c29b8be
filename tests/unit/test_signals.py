"""A signal runs its action in the "signals" thread, never in the handler: the main thread may
hold the lock of the very event the action sets (gateway.runtime.signals)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import os, signal, threading
from gateway.runtime.signals import route_signals
woken = threading.Event()
ran_in = []
def wake():
    ran_in.append(threading.current_thread().name)
    woken.set()
route_signals({signal.SIGHUP: wake})
for _ in range(200):  # the main thread waits on the event the action sets, as the daemon does
    woken.clear()
    threading.Timer(0.001, os.kill, (os.getpid(), signal.SIGHUP)).start()
    assert woken.wait(10), "the signal's action did not run"
print(sorted(set(ran_in)))
"""


def test_each_signal_runs_its_action_in_the_signals_thread_while_the_main_thread_waits() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['signals']"

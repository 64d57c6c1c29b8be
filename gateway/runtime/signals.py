"""Signals reach the daemon through a pipe, and a thread of its own acts on them.

A Python signal handler runs in the main thread, between two of its bytecodes. When the main
thread is inside ``Event.wait`` it may hold that event's lock at that moment, and a handler
setting the same event (the inbox's wake-up) then waits for it for ever: a SIGTERM arriving so
left the daemon running after "finishing the current batch, then stopping", still consuming
requests. A handler taking the logging lock can hang the same way. So the handler only writes
the signal's number to a pipe, which takes no lock; the "signals" thread reads it and runs the
action (stop, reload, wake the main loop up), where taking locks is safe.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def route_signals(actions: Mapping[int, Callable[[], object]]) -> None:
    """From now on, each signal of ``actions`` runs its action in the "signals" thread."""
    read_end, write_end = os.pipe()

    def on_signal(signum: int, _frame: object) -> None:
        os.write(write_end, bytes([signum]))  # nothing else: see the module's docstring

    def act() -> None:
        while True:
            signum = os.read(read_end, 1)[0]
            try:
                actions[signum]()
            except Exception:  # the daemon goes on: the next signal is acted on as well
                log.exception("acting on signal %s failed", signum)

    threading.Thread(target=act, name="signals", daemon=True).start()
    for signum in actions:
        signal.signal(signum, on_signal)

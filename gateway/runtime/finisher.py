"""The finisher: runs :meth:`Pipeline.finish <gateway.pipeline.Pipeline.finish>` in a thread of
its own, so that writing acknowledgements and archiving originals (fsyncs, a commit) overlap the
next batch instead of delaying it."""

from __future__ import annotations

import logging
import threading
import time

from ..pipeline import Pipeline

log = logging.getLogger(__name__)

INTERVAL = 5.0
"""Seconds between runs when nothing wakes it (a failed run is retried then)."""
GATHER = 1.0
"""Seconds at most it lets commits gather after a wake-up while they keep coming, so that under
a steady flow it runs (reads the ledger, takes its write turn, syncs the folders, commits) once
a second rather than after every batch: at 100 files/s, a run for every 100 files rather than
for every 25 (with 0.25 s), each run's fixed cost (about 6 ms of CPU) shared by four times the
files. What waits is the writing of acknowledgements and the archiving of originals, never a
publish."""
QUIET = 0.05
"""Seconds without a commit after which it runs without waiting for the rest of
:data:`GATHER` (within twice this long of the last commit): the flow stopped (a few files, then
nothing), and their acknowledgements need not wait for more."""


class Finisher:
    def __init__(self, pipeline: Pipeline, *, gathered: float = 0.0) -> None:
        self.pipeline = pipeline
        self.quiet = QUIET + gathered
        """Seconds without a commit after which the flow counts as stopped: :data:`QUIET`, and
        ``gathered`` more when the daemon gathers a trickle's files (its ``gather_window``: a
        steady flow's commits come up to that far apart)."""
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._main, name="finisher", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """A batch was committed: finish it soon (from any thread)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish what is committed, then end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _main(self) -> None:
        while True:
            self._wake.wait(INTERVAL)
            self._gather()
            stopping = self._stopping.is_set()
            try:
                self.pipeline.finish()
            except Exception:
                # Nothing is lost: the ledger still lists what is left; the next run retries it.
                log.exception("writing acknowledgements or archiving files failed; retrying")
            if stopping:
                return

    def _gather(self) -> None:
        """Wait while commits keep coming (looked at each :attr:`quiet`: a commit does not wake
        the thread meanwhile), for :data:`GATHER` in all; not at all once a stop is asked
        for."""
        deadline = time.monotonic() + GATHER
        self._wake.clear()
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._stopping.wait(min(self.quiet, left))
            if not self._wake.is_set():  # no commit meanwhile: the flow stopped
                return
            self._wake.clear()

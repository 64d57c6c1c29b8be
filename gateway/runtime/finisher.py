"""The finisher: runs :meth:`Pipeline.finish <gateway.pipeline.Pipeline.finish>` in a thread of
its own, so that writing acknowledgements and archiving originals (fsyncs, a commit) overlap the
next batch instead of delaying it."""

from __future__ import annotations

import logging
import threading

from ..pipeline import Pipeline

log = logging.getLogger(__name__)

INTERVAL = 5.0
"""Seconds between runs when nothing wakes it (a failed run is retried then)."""
GATHER = 0.25
"""Seconds it lets commits gather after a wake-up, so that under a steady flow it runs (and
takes the ledger's write turn, syncs the folders) a few times a second rather than after every
batch: at 100 files/s, a run for every 25 files rather than for every 5 (with 0.05 s), each
run's reads, folder syncs and commit shared by five times the files. What waits is the writing
of acknowledgements and the archiving of originals, never a publish."""


class Finisher:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
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
            self._stopping.wait(GATHER)
            self._wake.clear()
            stopping = self._stopping.is_set()
            try:
                self.pipeline.finish()
            except Exception:
                # Nothing is lost: the ledger still lists what is left; the next run retries it.
                log.exception("writing acknowledgements or archiving files failed; retrying")
            if stopping:
                return

"""The large-file lane: files over ``large_file_size`` are parsed beside the others, not before.

The main thread takes files a batch at a time and commits a batch once all of its files are
parsed, and the parse workers are shared with outbound rendering: a 20 MB file (a minute's
parse) held up every partner's small files and every outbound request behind it (measured: a
280-byte file waited 65 s). So a file larger than ``large_file_size`` is claimed by the main
thread as usual, then handed to this lane: one of ``large_file_workers`` slots records it,
parses it in a worker process of the slot's own and commits it as a batch of its own, while
the main thread goes on with the others. Larger files ready beyond the free slots stay in the
inbox until a slot is free (a parse takes about 65 times a file's size in memory).

What does not change: the steps of :class:`~gateway.pipeline.Pipeline` and their crash
safety (a file the lane holds is in the work folder and recorded; a crash recovers it once),
and commits still come one at a time (the pipeline's commit lock); only the parse runs beside
the others. Files found in the work folder at a start or a retry that are large are handed to
the lane too, and those it holds are never handed to a recovery meanwhile.

A stop abandons the parses under way (their worker processes are ended): their files stay in
the work folder, recorded, and are taken again at the next start, as after a crash. A commit
under way is finished.

A large file whose partner's format reads streams (CSV, fixed width, XML, X12) is not parsed in the
slot's worker process but read as a stream in the slot's thread, a part at a time
(:mod:`gateway.streamed`), whatever its size: a stop ends it between two parts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..pipeline import Pipeline
from ..spool import Claim, Claimed
from ..streamed import stream_file, streams
from . import heap
from .workers import WorkerPool

log = logging.getLogger(__name__)

Durable = Callable[[], object] | None
"""Returns once a claim's renames are on disk (None: they are: the file was found in work/)."""


class LargeFileLane:
    """``slots`` threads, each parsing one large file at a time in a worker process of its own."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        threshold: int,
        slots: int,
        on_failure: Callable[[], None] = lambda: None,
        on_done: Callable[[], None] = lambda: None,
        warm_up: Callable[[], object] | None = None,
        preload: Sequence[str] = (),
    ) -> None:
        self.pipeline = pipeline
        self.threshold = threshold
        """Bytes: a larger file takes the lane (0 slots: none does)."""
        self.slots = slots
        self.on_failure = on_failure
        """Called when a file could not go through (it stays in the work folder: retry it)."""
        self.on_done = on_done
        """Called when a slot is free again (the daemon takes the large files left waiting)."""
        self.warm_up = warm_up
        """Called in each slot's worker as it starts (:class:`~.workers.WorkerPool`)."""
        self.preload = tuple(preload)
        """Modules the slots' workers need (:attr:`.workers.WorkerPool.preload`)."""
        self._queue: queue.Queue[tuple[Claimed, Durable] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._held: set[Path] = set()
        """Work paths the lane holds: waiting for a slot, or in one."""
        self._pools: list[WorkerPool] = []
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._committing = 0
        self._committed = threading.Condition(self._lock)

    def is_large(self, path: Path) -> bool:
        """Whether the file at ``path`` takes the lane: larger than the threshold, and not so
        large that it is refused unread (that needs no parse)."""
        if self.slots < 1:
            return False
        try:
            size = path.lstat().st_size
        except OSError:
            return False
        limit = self.pipeline.max_file_size
        if size <= self.threshold:
            return False
        return limit is None or size <= limit or streams(self.pipeline, path)

    # -- the daemon's side ---------------------------------------------------------------------

    def take(self, ready: Sequence[Path], claim: Callable[[Iterable[Path]], Claim]) -> list[Path]:
        """Claim (with ``claim``) the large files of ``ready`` that free slots can take and
        start them; returns the others, small ones, for the daemon's batches. Large ones beyond
        the free slots are left in the inbox, for when a slot is free."""
        small: list[Path] = []
        room = self.room()
        for path in ready:
            if not self.is_large(path):
                small.append(path)
            elif room > 0:
                taken = claim([path])
                for claimed in taken.files:
                    self._hand_over(claimed, taken.durable)
                    room -= 1
        return small

    def recover(self, leftovers: Sequence[Claimed]) -> list[Claimed]:
        """Of the files found in the work folder, take the large ones (those the lane does not
        hold already; they wait for a slot if need be); returns the others, for the daemon's
        recovery. The lane never hands one file to a recovery while it holds it."""
        others: list[Claimed] = []
        for claimed in leftovers:
            with self._lock:
                held = claimed.path in self._held
            if held:
                continue
            if self.is_large(claimed.path):
                self._hand_over(claimed, None)
            else:
                others.append(claimed)
        return others

    def room(self) -> int:
        """Slots free now."""
        with self._lock:
            return max(0, self.slots - len(self._held))

    def idle(self) -> bool:
        """Nothing waiting for a slot or in one."""
        with self._lock:
            return not self._held

    def start(self) -> None:
        self._stopping = False
        self._pools = [
            WorkerPool(1, warm_up=self.warm_up, preload=self.preload) for _ in range(self.slots)
        ]
        self._threads = [
            threading.Thread(target=self._main, args=(pool,), name=f"large-file-{n}", daemon=True)
            for n, pool in enumerate(self._pools, 1)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Abandon the parses under way (their files stay in the work folder, recorded, for the
        next start), finish the commits under way, end the threads."""
        with self._lock:
            self._stopping = True
            while self._committing:
                self._committed.wait()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            while thread.is_alive():  # a slot still recording may start its worker again
                for pool in self._pools:
                    pool.terminate()
                thread.join(0.5)
        self._threads, self._pools = [], []

    # -- a slot --------------------------------------------------------------------------------

    def _hand_over(self, claimed: Claimed, durable: Durable) -> None:
        with self._lock:
            self._held.add(claimed.path)
        log.info(
            "%s: %s bytes, over large_file_size: parsed in the large-file lane",
            claimed.path,
            f"{_size(claimed.path):,}",
        )
        self._queue.put((claimed, durable))

    def _stopped(self) -> bool:
        return self._stopping

    def _main(self, pool: WorkerPool) -> None:
        while (item := self._queue.get()) is not None:
            claimed, durable = item
            try:
                if not self._stopping:
                    self._process(claimed, durable, pool)
            finally:
                with self._lock:
                    self._held.discard(claimed.path)
                self.on_done()

    def _process(self, claimed: Claimed, durable: Durable, pool: WorkerPool) -> None:
        """Record, parse, commit one file (the parse outside the commit: commits are taken
        one at a time), then end the slot's worker, which gives its memory back."""
        try:
            began = time.monotonic()
            if streams(self.pipeline, claimed.path):  # in this thread, a part at a time
                done = stream_file(self.pipeline, claimed, durable, stopping=self._stopped)
                log.info(
                    "%s: read as a stream in %.1f s"
                    if done
                    else "%s: read in part when the "
                    "stop came (%.1f s); read again at the next start",
                    claimed.path,
                    time.monotonic() - began,
                )
                return
            parsing = self.pipeline.begin([claimed], durable, workers=pool)
            if parsing is None:
                return
            results = parsing.job()
            parsed = time.monotonic()
            with self._lock:
                if self._stopping:
                    log.info(
                        "%s: its parse is abandoned by the stop; taken again at the next start",
                        claimed.path,
                    )
                    return
                self._committing += 1
            try:
                self.pipeline.complete(dataclasses.replace(parsing, job=lambda: results))
            finally:
                with self._lock:
                    self._committing -= 1
                    self._committed.notify_all()
            log.info(
                "%s: parsed in %.1f s, committed in %.1f s",
                claimed.path,
                parsed - began,
                time.monotonic() - parsed,
            )
        except Exception:
            log.exception("processing %s failed; it will be retried", claimed.path)
            if durable is not None:  # its retry records it: not before the sync
                with contextlib.suppress(OSError):
                    durable()
            self.on_failure()
        finally:
            pool.close()
            heap.give_back()  # what the file's parts and pages left free in the heap


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0

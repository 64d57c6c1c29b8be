"""Worker processes for the work that holds the GIL longest, so that it runs beside the daemon,
not inside it: reading, validating and translating inbound files (:meth:`WorkerPool.submit`),
and rendering and validating outbound documents (:meth:`WorkerPool.call`, from the outbound
pipeline's own thread).

Workers are started from a clean server process (``forkserver``: the daemon's threads are never
forked), load the maps once and hand back picklable results. A file that kills its worker (a
crash inside a library, memory exhausted) breaks the pool: the pool is started again, and when
that file was parsed alone (nothing else in flight) its result says the parser died on it, so it
is quarantined with a report instead of killing workers forever; otherwise
:class:`BrokenProcessPool` is raised so that the caller retries the files one at a time and
finds the culprit.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import multiprocessing
import os
import select
import signal
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final, TypeVar

from ..bus.cloudevents import SerializedMessage
from ..errors import ConfigError
from ..ports import Parser, ParseResult

log = logging.getLogger(__name__)
T = TypeVar("T")


def _warm_up(owner: int, warm_up: Callable[[], object] | None) -> None:
    # Ctrl-C reaches the whole process group: the daemon stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with(owner)
    if warm_up is not None:
        warm_up()
    settle_heap()


HEAP_THRESHOLDS: Final = (50_000, 20, 10)
"""The cyclic collector's thresholds in a parsing process (:func:`settle_heap`)."""


def settle_heap() -> None:
    """Once a parsing process has loaded its code and maps: those objects are set aside from
    the cyclic collector (``gc.freeze``) and the collector runs every 50,000 allocations rather
    than 700. Parsing allocates millions of short-lived objects: with the defaults, collections
    took up to half the time of reading a large CSV file (``bench/flat_xml.py``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*HEAP_THRESHOLDS)


def _exit_with(owner: int) -> None:
    """End this worker when the process that owns the pool ends, even by SIGKILL.

    A worker started through the forkserver holds the ends of the pipes that would tell it (and
    the forkserver) that the owner is gone, so without this the worker, the forkserver and the
    resource tracker outlive a killed daemon. A thread waits on a pidfd of the owner instead."""
    if not hasattr(os, "pidfd_open"):  # Linux only (5.3 and later)
        return
    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(0)

    def wait() -> None:
        select.select([pidfd], [], [])
        os._exit(0)

    threading.Thread(target=wait, name="exit-with-owner", daemon=True).start()


def _ready() -> bool:
    return True


SOCKET_PATH_ROOM = 107 - len("/pymp-xxxxxxxx/listener-xxxxxxxx")
"""The longest temporary folder the workers' forkserver can put its socket in (a socket's
path has at most 107 bytes)."""


def _check_temp_dir() -> None:
    """:class:`ConfigError` saying what to do when the temporary folder's path is too long for
    the workers' socket (rather than an ``OSError: AF_UNIX path too long`` from inside
    multiprocessing)."""
    folder = tempfile.gettempdir()
    if len(os.fsencode(folder)) > SOCKET_PATH_ROOM:
        raise ConfigError(
            f"the temporary folder {folder} is too long for the worker processes' socket "
            f"(at most {SOCKET_PATH_ROOM} bytes): set TMPDIR to a shorter one"
        )


FileToParse = tuple[bytes, str, str | None]
"""A file's bytes, its name and the partner it came from."""


def _parse(parser: Parser, data: bytes, file_name: str, partner: str | None) -> ParseResult:
    result = parser.parse(data, file_name=file_name, partner=partner)
    result.documents = [
        doc
        if doc.message is None or doc.for_hook  # the others: all their CloudEvent needs
        else dataclasses.replace(doc, message=SerializedMessage.of(doc.message))
        for doc in result.documents
    ]
    return result


def _parse_all(parser: Parser, files: Sequence[FileToParse]) -> list[ParseResult]:
    return [_parse(parser, data, name, partner) for data, name, partner in files]


@dataclasses.dataclass(frozen=True, slots=True)
class _Submission:
    futures: list[Future[Any]]
    """None when the pool was broken already."""
    executor: ProcessPoolExecutor
    alone: bool
    """Nothing else was in the workers when it was submitted."""
    number: int


MIN_CHUNK = 8
"""Files sent to a worker together at least (when there are that many): each job costs both
processes a hand-over of their own, which at a steady trickle (batches of a few files) cost
more than the parse."""

ParseJob = Callable[[], list[ParseResult]]
"""Files being parsed: called, waits for their results, in the order of the files."""


class WorkerPool:
    """``workers`` processes that parse inbound files and render outbound documents."""

    def __init__(
        self,
        workers: int,
        *,
        warm_up: Callable[[], object] | None = None,
        preload: Sequence[str] = (),
    ) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.workers = workers
        self.warm_up = warm_up
        """Called once in each worker as it starts (the formats load their maps); it must
        pickle."""
        self.preload = tuple(preload)
        """Modules the workers need (the formats'): imported once by the process's fork server,
        which every worker is forked from, rather than by each worker as it starts (about a
        second of CPU each: a pool started again after a crash, the large-file lane's workers,
        and each pool of a process that starts several)."""
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._submitted = 0
        self._running: set[Future[Any]] = set()
        """Futures not done yet (a done callback takes each out, even if nobody collects it)."""

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            _check_temp_dir()
            context = multiprocessing.get_context("forkserver")
            if self.preload:  # counts only before the process's fork server starts
                context.set_forkserver_preload(["__main__", *self.preload])
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_warm_up,
                initargs=(os.getpid(), self.warm_up),
            )
        return self._executor

    @property
    def submitted(self) -> int:
        """Jobs submitted so far (a batch's files, an outbound rendering)."""
        return self._submitted

    def check(self) -> None:
        """:class:`ConfigError` now for what would stop the workers from starting, for a
        caller that lets them start when a file first needs them (the daemon, ``run --once``):
        files arriving one at a time are read in the daemon's thread, so a daemon that meets
        no burst, no large batch, no recovery and no outbound request never pays the second of
        CPU and the 150 MB of its fork server and workers. The first that needs them waits that
        second, once."""
        _check_temp_dir()

    def start(self) -> None:
        """Start the workers and wait until they are ready (maps loaded), so that the first
        files do not wait for them."""
        executor = self._started()
        for future in [executor.submit(_ready) for _ in range(self.workers)]:
            future.result()

    def parse(self, parser: Parser, files: Sequence[FileToParse]) -> list[ParseResult]:
        """Each ``(data, file name, partner)`` parsed by ``parser``, results in order."""
        return self.submit(parser, files)()

    def submit(self, parser: Parser, files: Sequence[FileToParse]) -> ParseJob:
        """Start parsing the files.

        When a worker dies, every job in flight fails. A file submitted alone (nothing else was
        in the workers, and nothing else was submitted before its results were collected) is
        then the one that killed it: its result says so. Otherwise :class:`BrokenProcessPool` is
        raised, and the caller tries the files again one at a time.
        """
        if not files:
            return list
        size = max(MIN_CHUNK, len(files) // (self.workers * 4))
        chunks = [files[start : start + size] for start in range(0, len(files), size)]
        submission = self._start([(_parse_all, parser, chunk) for chunk in chunks])

        def collect() -> list[ParseResult]:
            try:
                return [result for chunk in self._results(submission) for result in chunk]
            except BrokenProcessPool:
                if len(files) > 1 or not submission.alone or self._submitted != submission.number:
                    raise
            return [
                ParseResult(
                    unreadable="the parser's process died while reading this file (a crash or "
                    "no memory left): it was not read"
                )
            ]

        return collect

    def call(self, function: Callable[..., T], *args: Any) -> Callable[[], T]:
        """Start ``function(*args)`` in a worker (a module-level function, picklable
        arguments); the returned callable waits for its result, or raises
        :class:`BrokenProcessPool` when a worker died meanwhile."""
        submission = self._start([(function, *args)])
        return lambda: self._results(submission)[0]

    def _start(self, calls: Sequence[tuple[Any, ...]]) -> _Submission:
        """Submit each ``(function, *args)`` (the inbound and outbound pipelines submit from
        their own threads)."""
        with self._lock:
            alone = not self._running
            self._submitted += 1
            executor = self._started()
            futures: list[Future[Any]] = []
            try:
                for function, *args in calls:
                    futures.append(executor.submit(function, *args))
            except BrokenProcessPool:
                futures.clear()
            for future in futures:
                self._running.add(future)
                future.add_done_callback(self._running.discard)
            return _Submission(futures, executor, alone, self._submitted)

    def _results(self, submission: _Submission) -> list[Any]:
        """The results of a submission; when a worker died, the pool starts again and
        :class:`BrokenProcessPool` is raised."""
        try:
            if submission.futures:
                return [future.result() for future in submission.futures]
        except (BrokenProcessPool, CancelledError):  # cancelled: the pool was restarted
            pass
        self._restart(submission.executor)
        raise BrokenProcessPool("a worker process died")

    def _restart(self, executor: ProcessPoolExecutor) -> None:
        """Stop ``executor`` if it is still the pool's: the next submission starts new
        workers. One that another thread already replaced is left alone."""
        with self._lock:
            if executor is not self._executor:
                return
            self._executor = None
        log.error("a worker process died; the worker pool starts again")
        executor.shutdown(wait=False, cancel_futures=True)

    def terminate(self) -> None:
        """End the workers now, in the middle of their jobs if need be (a job under way then
        gets the result of a dead worker); a later :meth:`submit` starts them again."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        for process in list((executor._processes or {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers (a later :meth:`parse` starts them again)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

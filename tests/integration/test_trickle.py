"""Files arriving one at a time (issue 26, trickle efficiency): a few small files, with nothing
else ready, are read in the daemon's own thread and recorded in the transaction of their commit
(one commit, no hand-over to a parse worker); files found in the work folder, bursts and larger
files are still parsed in the workers, which protect the daemon from what could crash or grow
it. With a gather window, files arriving one at a time wait up to it for the next ones, and share
their batch. On the SQLite ledger, in this process: no broker is needed before the publish."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from gateway import ledger as repository
from gateway.ledger import FileState
from gateway.runtime.daemon import TRICKLE, Gateway
from gateway.runtime.workers import WorkerPool
from tests.integration.support import drop, in_process_gateway, small_850

PARTNER = "trickle"


def _gateway(home: Path, **extra: object) -> tuple[Gateway, WorkerPool]:
    gw = in_process_gateway(home, f"sqlite:///{home / 'ledger.sqlite3'}", parse_workers=1, **extra)
    assert gw.pipeline.workers is not None
    return gw, gw.pipeline.workers


@contextmanager
def _commits(gw: Gateway) -> Iterator[list[int]]:
    """Counts the ledger's commits meanwhile (``[count]``)."""
    engine = gw.pipeline.factory.kw["bind"]
    count = [0]

    def committed(_connection: object) -> None:
        count[0] += 1

    sa.event.listen(engine, "commit", committed)
    try:
        yield count
    finally:
        sa.event.remove(engine, "commit", committed)


def _states(gw: Gateway) -> list[FileState]:
    with gw.pipeline.factory() as s:
        return sorted(row.state for row in repository.files_in_state(s, list(FileState)))


def test_a_small_file_arriving_alone_is_read_here_and_recorded_in_one_commit(
    tmp_path: Path,
) -> None:
    gw, workers = _gateway(tmp_path)
    try:
        drop(tmp_path / "inbox", PARTNER, "po.edi", small_850(8101))
        with _commits(gw) as commits:
            assert gw.process_ready() == 1
        assert commits == [1]  # the record, the documents, the outbox rows and the 997 at once
        assert workers.submitted == 0
        assert _states(gw) == [FileState.PROCESSED]
        gw.pipeline.finish()
        [ack] = (tmp_path / "outbox" / PARTNER).glob("997-*.x12")
        assert "AK1*PO*8101~" in ack.read_text()
        with gw.pipeline.factory() as s:
            [message] = repository.pending_outbox(s, limit=10)
        assert b"PO00008101" in message.body
    finally:
        workers.close()


def test_a_burst_a_large_file_and_a_file_left_in_the_work_folder_go_to_the_workers(
    tmp_path: Path,
) -> None:
    gw, workers = _gateway(tmp_path)
    try:
        for n in range(TRICKLE + 1):  # more than a trickle
            drop(tmp_path / "inbox", PARTNER, f"po{n}.edi", small_850(8200 + n))
        assert gw.process_ready() == TRICKLE + 1
        assert workers.submitted == 1
        large = small_850(8300) + b"\n" * 16_384  # over X12's read_here_under
        drop(tmp_path / "inbox", PARTNER, "large.edi", large)
        assert gw.process_ready() == 1
        assert workers.submitted == 2
        work = gw.source.work / PARTNER
        (work / f"{'a' * 32}__left.edi").write_bytes(small_850(8400))  # claimed before a crash
        assert gw.retry_leftovers()
        assert workers.submitted == 3
        states = _states(gw)  # the recovery finished the others too
        assert len(states) == TRICKLE + 3 and FileState.RECEIVED not in states
    finally:
        workers.close()


@contextmanager
def _dropping(home: Path, first: int, count: int, every: float) -> Iterator[None]:
    """Files ``first``, ``first + 1``... dropped one at a time, ``every`` seconds apart, from
    another thread, while the block runs (and until all are dropped)."""

    def drop_them() -> None:
        for n in range(first, first + count):
            time.sleep(every)
            drop(home / "inbox", PARTNER, f"po{n}.edi", small_850(n))

    dropper = threading.Thread(target=drop_them)
    dropper.start()
    try:
        yield
    finally:
        dropper.join()


def test_with_a_gather_window_files_arriving_one_at_a_time_share_one_batch(
    tmp_path: Path,
) -> None:
    """``gather_window``: a file ready alone waits up to the window for the next ones, and
    those that come meanwhile are taken with it: one commit for all, no longer than the
    window."""
    gw, workers = _gateway(tmp_path, gather_window=0.8)
    gw.source.start()
    try:
        drop(tmp_path / "inbox", PARTNER, "po8500.edi", small_850(8500))
        with _dropping(tmp_path, 8501, 3, every=0.1), _commits(gw) as commits:
            started = time.monotonic()
            assert gw.process_ready() == 4
            took = time.monotonic() - started
        assert commits == [1]
        assert 0.25 < took < 0.8 + 2.0  # it waited for the others, not past its window
        assert workers.submitted == 0  # still a trickle: read here
        assert _states(gw) == [FileState.PROCESSED] * 4
    finally:
        gw.source.stop()
        workers.close()


def test_without_a_window_or_in_a_burst_nothing_waits(tmp_path: Path) -> None:
    """By default (no window) a file ready alone is taken at once; with a window, a burst (a
    trickle's worth of files or more, ready together) is taken at once too."""
    gw, workers = _gateway(tmp_path)
    gw.source.start()
    try:
        drop(tmp_path / "inbox", PARTNER, "po8600.edi", small_850(8600))
        with _dropping(tmp_path, 8601, 3, every=0.3):
            assert gw.process_ready() == 1
    finally:
        gw.source.stop()
        workers.close()
    home = tmp_path / "burst"
    gw, workers = _gateway(home, gather_window=1.0)
    gw.source.start()
    try:
        for n in range(TRICKLE):
            drop(home / "inbox", PARTNER, f"po{n}.edi", small_850(8700 + n))
        started = time.monotonic()
        assert gw.process_ready() == TRICKLE
        assert time.monotonic() - started < 0.9
    finally:
        gw.source.stop()
        workers.close()

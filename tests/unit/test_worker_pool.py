"""The worker pool: a worker's death is pinned on a file only when nothing else was in the
workers; a call (outbound rendering) gets its result or BrokenProcessPool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import ConfigError
from gateway.runtime.workers import MIN_CHUNK, WorkerPool
from tests.integration.support import ROOT, CrashingParser, small_850


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(1)
    yield pool
    pool.close()


def test_a_lone_file_that_kills_the_worker_is_reported_unreadable(pool: WorkerPool) -> None:
    [result] = pool.parse(CrashingParser(), [(b"CRASH", "poison.edi", None)])
    assert result.unreadable is not None and "process died" in result.unreadable
    [after] = pool.parse(CrashingParser(), [(small_850(1), "a.edi", None)])
    assert after.unreadable is None and len(after.documents) == 1


def test_a_lone_file_is_not_blamed_while_another_job_is_in_flight(pool: WorkerPool) -> None:
    poison = pool.submit(CrashingParser(), [(b"CRASH", "poison.edi", None)])
    innocent = pool.submit(CrashingParser(), [(small_850(2), "a.edi", None)])
    with pytest.raises(BrokenProcessPool):
        innocent()
    with pytest.raises(BrokenProcessPool):
        poison()


def test_a_job_nobody_collected_does_not_hide_the_next_culprit(pool: WorkerPool) -> None:
    pool.submit(CrashingParser(), [(small_850(3), "abandoned.edi", None)])  # never collected
    pool.parse(CrashingParser(), [(small_850(4), "a.edi", None)])  # one worker: the first is done
    [result] = pool.parse(CrashingParser(), [(b"CRASH", "poison.edi", None)])
    assert result.unreadable is not None


def _die(code: int) -> None:
    os._exit(code)


def test_terminate_ends_a_job_under_way_at_once_and_the_pool_starts_again(
    pool: WorkerPool,
) -> None:
    job = pool.call(time.sleep, 60)
    time.sleep(0.5)  # the worker holds the job
    started = time.monotonic()
    pool.terminate()
    with pytest.raises(BrokenProcessPool):
        job()
    assert time.monotonic() - started < 10
    assert pool.call(divmod, 7, 2)() == (3, 1)


def test_a_call_runs_in_a_worker_and_a_dying_one_raises(pool: WorkerPool) -> None:
    assert pool.call(divmod, 7, 2)() == (3, 1)
    with pytest.raises(BrokenProcessPool):
        pool.call(_die, 3)()
    assert pool.call(divmod, 9, 4)() == (2, 1)  # started again


def test_a_call_in_flight_keeps_a_lone_file_from_being_blamed(pool: WorkerPool) -> None:
    call = pool.call(time.sleep, 0.5)  # the outbound pipeline's work, from another thread
    with pytest.raises(BrokenProcessPool):
        pool.parse(CrashingParser(), [(b"CRASH", "poison.edi", None)])
    assert call() is None  # one worker: the call was done before the file killed it


OWNER = """
import os, signal, sys
from gateway.runtime.workers import WorkerPool

if __name__ == "__main__":
    pool = WorkerPool(1)
    print(pool.call(os.getpid)(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_workers_end_when_the_daemon_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "owner.py"
    script.write_text(OWNER)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    owner = subprocess.run(
        [sys.executable, str(script)], capture_output=True, env=environment, timeout=60
    )
    assert owner.returncode == -signal.SIGKILL, owner.stderr.decode()
    worker = int(owner.stdout)
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived the process that owned the pool"


def test_a_few_files_go_to_a_worker_as_one_job_and_many_are_spread(
    pool: WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A steady trickle makes batches of a few files: each job costs both processes a hand-over,
    so they go as one; a burst's batch is split so that the workers share it."""
    jobs: list[int] = []
    start = pool._start

    def counted(calls: Sequence[tuple[Any, ...]]) -> Any:
        jobs.append(len(calls))
        return start(calls)

    monkeypatch.setattr(pool, "_start", counted)
    few = [(small_850(n), f"{n}.edi", None) for n in range(MIN_CHUNK)]
    many = [(small_850(n), f"{n}.edi", None) for n in range(MIN_CHUNK * 8)]
    assert len(pool.parse(CrashingParser(), few)) == MIN_CHUNK
    assert len(pool.parse(CrashingParser(), many)) == MIN_CHUNK * 8
    assert jobs == [1, 4]


def test_a_temporary_folder_too_long_for_the_workers_socket_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = tmp_path / ("t" * 80)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    with pytest.raises(ConfigError, match=r"too long for the worker processes' socket.*TMPDIR"):
        WorkerPool(1).start()

"""Files arriving one at a time (issue 26, trickle efficiency): a few small files, with nothing
else ready, are read in the daemon's own thread and recorded in the transaction of their commit
(one commit, no hand-over to a parse worker); files found in the work folder, bursts and larger
files are still parsed in the workers, which protect the daemon from what could crash or grow
it. On the SQLite ledger, in this process: no broker is needed before the publish."""

from __future__ import annotations

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


def _gateway(home: Path) -> tuple[Gateway, WorkerPool]:
    gw = in_process_gateway(home, f"sqlite:///{home / 'ledger.sqlite3'}", parse_workers=1)
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

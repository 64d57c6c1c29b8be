"""Files that grow after they looked complete, end to end on both ledgers: a writer that pauses
longer than ``min_age`` with its file open, then writes more. The whole file is processed (or,
when it changed after its first part was committed, quarantined with the reason): never its
first part alone in silence, never the first part twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gateway import ledger as repository
from gateway.ledger import FileState
from gateway.pipeline import Parsing
from gateway.spool import Claimed
from tests.integration.support import (
    PAUSING_WRITER,
    bound_queue,
    daemon_output,
    drop,
    gateway_process,
    in_process_gateway,
    run_once,
    small_850,
    take_all,
    wait_for,
    write_settings,
)

PAUSE = 2.5
"""Seconds the writer pauses between its two interchanges: five times min_age."""


def test_a_file_whose_writer_pauses_with_it_open_is_processed_whole(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Before, it was taken after min_age as its first interchange; the second, written through
    the still open descriptor into the file now in the work folder or the archive, was never
    read: archived whole, published half, silently."""
    config = write_settings(tmp_path, database_url, min_age=0.5)
    folder = tmp_path / "inbox" / partner
    folder.mkdir(parents=True)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(tmp_path / "inbox", partner, "probe.edi", small_850(8600))
            wait_for("the daemon to watch the inbox", lambda: bool(take_all(channel, queue)))
            writer = subprocess.Popen(
                [sys.executable, "-c", PAUSING_WRITER, str(folder / "growing.edi"), str(PAUSE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            first, second = small_850(8601), small_850(8602)
            writer.communicate(first + b"\0" + second, timeout=60)
            assert writer.returncode == 0
            published: list[bytes] = []

            def both_published() -> bool:
                published.extend(body for _, body in take_all(channel, queue))
                return len(published) >= 2

            wait_for("both interchanges to be published", both_published, timeout=30)
            archive = tmp_path / "archive" / partner
            wait_for("the file to be archived", lambda: any(archive.rglob("*growing.edi")))
            assert process.poll() is None, daemon_output(config)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, daemon_output(config)
        published.extend(body for _, body in take_all(channel, queue))
    numbers = sorted(json.loads(body)["data"]["po_number"] for body in published)
    assert numbers == ["PO00008601", "PO00008602"], daemon_output(config)
    [archived] = archive.rglob("*growing.edi")
    assert archived.read_bytes() == first + second
    assert not list((tmp_path / "quarantine").rglob("*growing.edi"))


def _growing_once(path_name: str, more: bytes) -> Callable[[Sequence[Claimed]], None]:
    """Appends ``more`` to the claimed file named ``path_name``, the first time only (as its
    writer would, through the descriptor it kept)."""
    grown: list[Path] = []

    def grow(batch: Sequence[Claimed]) -> None:
        for claimed in batch:
            if claimed.name == path_name and not grown:
                with claimed.path.open("ab") as out:
                    out.write(more)
                grown.append(claimed.path)

    return grow


def test_a_file_that_grows_between_its_read_and_its_commit_is_read_again_whole(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Nothing of the first read is committed: the file is read again (its record refreshed,
    a 'changed' event on its timeline) and both interchanges are published once."""
    gw = in_process_gateway(tmp_path, database_url, parse_workers=0)
    first, second = small_850(8701), small_850(8702)
    drop(tmp_path / "inbox", partner, "grows.edi", first)
    grow = _growing_once("grows.edi", second)
    begin = gw.pipeline.begin

    def begin_then_grow(
        batch: Sequence[Claimed], durable: Any = None, **options: Any
    ) -> Parsing | None:
        parsing = begin(batch, durable, **options)
        grow(batch)
        return parsing

    gw.pipeline.begin = begin_then_grow  # type: ignore[method-assign]
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        numbers = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert numbers == ["PO00008701", "PO00008702"]
    [archived] = (tmp_path / "archive" / partner).rglob("*grows.edi")
    assert archived.read_bytes() == first + second
    with gw.pipeline.factory() as s:
        [row] = repository.files_in_state(s, [FileState.ARCHIVED])
        assert row.size == len(first + second)
        kinds = [event.kind for event in repository.timeline(s, row.id)]
    assert kinds.count("changed") == 1, kinds


def test_a_file_that_grows_after_its_commit_is_quarantined_with_the_reason(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Its first part is committed (published once, acknowledged); reading it again would
    publish that twice: the whole file goes to quarantine, its report saying how many bytes
    were processed, and the timeline says why."""
    gw = in_process_gateway(tmp_path, database_url, parse_workers=0)
    first, second = small_850(8711), small_850(8712)
    drop(tmp_path / "inbox", partner, "grows.edi", first)
    drop(tmp_path / "inbox", partner, "other.edi", small_850(8713))
    grow = _growing_once("grows.edi", second)
    complete = gw.pipeline.complete

    def complete_then_grow(parsing: Parsing) -> None:
        complete(parsing)
        grow(parsing.batch)

    gw.pipeline.complete = complete_then_grow  # type: ignore[method-assign]
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        numbers = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert numbers == ["PO00008711", "PO00008713"]
    quarantine = tmp_path / "quarantine" / partner
    [moved] = quarantine.glob("*grows.edi")
    assert moved.read_bytes() == first + second
    report = json.loads((quarantine / f"{moved.name}.error.json").read_text())
    assert report["processed_bytes"] == len(first) and report["size"] == len(first + second)
    assert "changed after it was processed" in report["why"]
    with gw.pipeline.factory() as s:
        [row] = repository.files_in_state(s, [FileState.QUARANTINED])
        kinds = [event.kind for event in repository.timeline(s, row.id)]
    assert "set_aside" in kinds and "quarantined" in kinds and "archived" not in kinds, kinds
    assert [p.name.endswith("other.edi") for p in (tmp_path / "archive").rglob("*.edi")] == [True]

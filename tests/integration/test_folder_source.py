"""The watched inbox on a real file system: which files are taken, and when a claim is durable."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest

from adapters.transport import folder as folder_module
from adapters.transport.folder import FolderSource, RefusedFile, read_claimed


def _source(tmp_path: Path, **options: object) -> FolderSource:
    source = FolderSource(tmp_path / "inbox", tmp_path / "work", **options)  # type: ignore[arg-type]
    (tmp_path / "inbox" / "acme").mkdir(parents=True)
    return source


def test_only_complete_files_of_plain_partner_folders_are_ready(tmp_path: Path) -> None:
    source = _source(tmp_path, min_age=5.0)
    inbox = tmp_path / "inbox"
    for name in ("order.edi", "upload.part", "upload.tmp", ".hidden.edi"):
        (inbox / "acme" / name).write_bytes(b"x")
    (inbox / "acme" / "link.edi").symlink_to(inbox / "acme" / "order.edi")
    (inbox / "not a partner").mkdir()
    (inbox / "not a partner" / "order.edi").write_bytes(b"x")
    written = (inbox / "acme" / "order.edi").stat().st_mtime
    assert source.ready(now=written + 1.0) == []  # younger than min_age
    assert source.ready(now=written + 6.0) == [inbox / "acme" / "order.edi"]


def test_with_a_done_marker_a_file_waits_for_it_and_the_marker_goes_once_the_claim_is_durable(
    tmp_path: Path,
) -> None:
    source = _source(tmp_path, min_age=0.0, done_marker=".done")
    order = tmp_path / "inbox" / "acme" / "order.edi"
    order.write_bytes(b"x")
    assert source.ready() == []
    marker = order.with_name("order.edi.done")
    marker.write_bytes(b"")
    assert source.ready() == [order]

    hold = threading.Event()
    blocker = folder_module._claim_syncs.submit(hold.wait, 10)  # the sync thread is busy
    try:
        claim = source.claim([order])
        [claimed] = claim.files
        assert claimed.path.read_bytes() == b"x" and not order.exists()
        time.sleep(0.05)
        assert not claim.synced.done() and marker.exists()  # not synced yet: marker kept
    finally:
        hold.set()
        blocker.result()
    assert claim.durable() == [claimed]
    assert not marker.exists()
    assert os.listdir(tmp_path / "inbox" / "acme") == []


def test_what_the_inbox_cannot_give_is_reported_once_while_it_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = _source(tmp_path, min_age=0.0)
    acme = tmp_path / "inbox" / "acme"
    (acme / "link.edi").symlink_to(tmp_path / "elsewhere.edi")
    os.mkfifo(acme / "fifo.edi")
    (acme / "subfolder").mkdir()  # a partner's own folder: not reported
    os.mkfifo(acme / ".hidden")  # ignored names are not reported either
    (tmp_path / "inbox" / "not a partner").mkdir()
    with caplog.at_level(logging.WARNING, logger=folder_module.__name__):
        for _ in range(3):
            source.rescan()
            assert source.ready() == []
    warned = sorted(r.getMessage() for r in caplog.records)
    assert len(warned) == 3, warned
    assert "fifo.edi': never taken: not a regular file" in warned[0]
    assert "link.edi': never taken: not a regular file" in warned[1]
    assert "not a partner': ignored: not a plain partner name" in warned[2]
    caplog.clear()
    (acme / "link.edi").unlink()
    source.rescan()
    (acme / "link.edi").symlink_to(tmp_path / "elsewhere.edi")  # back: reported again
    with caplog.at_level(logging.WARNING, logger=folder_module.__name__):
        source.rescan()
    assert [r.getMessage() for r in caplog.records] == [
        f"{str(acme / 'link.edi')!r}: never taken: not a regular file (a link, a FIFO...)"
    ]


def test_a_claimed_path_is_read_only_when_it_is_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"ISA")
    assert read_claimed(tmp_path / "file") == b"ISA"
    (tmp_path / "link").symlink_to(tmp_path / "file")
    os.mkfifo(tmp_path / "fifo")  # no writer: reading it would wait for ever
    (tmp_path / "folder").mkdir()
    for name, kind in (("link", "a symbolic link"), ("fifo", "a FIFO"), ("folder", "a folder")):
        with pytest.raises(RefusedFile, match=f"not a regular file: {kind}"):
            read_claimed(tmp_path / name)
    assert read_claimed(tmp_path / "file", max_size=3) == b"ISA"
    with pytest.raises(RefusedFile, match="too large: 3 bytes, more than max_file_size"):
        read_claimed(tmp_path / "file", max_size=2)


def test_a_file_dated_in_the_future_is_taken_once_unchanged_for_min_age_of_our_own_time(
    tmp_path: Path,
) -> None:
    source = _source(tmp_path, min_age=1.0)
    order = tmp_path / "inbox" / "acme" / "order.edi"
    order.write_bytes(b"ISA")
    tomorrow = time.time() + 86_400
    os.utime(order, (tomorrow, tomorrow))  # a writer whose clock is a day ahead
    assert source.ready() == []
    time.sleep(0.5)
    order.write_bytes(b"ISA*00")  # still being written: the wait starts again
    os.utime(order, (tomorrow + 1, tomorrow + 1))
    changed = time.monotonic()
    assert source.ready() == []
    deadline = changed + 10
    while not source.ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() - changed >= 1.0
    assert source.ready() == [order]
    [claimed] = source.claim([order]).durable()
    assert claimed.path.read_bytes() == b"ISA*00"
    assert source._future == {}

"""The watched inbox on a real file system: which files are taken, and when a claim is durable."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest

from gateway.spool import FolderSource, RefusedFile, read_claimed
from gateway.spool import inbox as folder_module


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


def test_a_partner_folder_that_is_a_symbolic_link_is_never_followed_and_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, its files (wherever it pointed) were taken: moved out of their folder into the
    work folder, and processed or quarantined."""
    source = _source(tmp_path, min_age=0.0)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.edi").write_bytes(b"ISA")
    (tmp_path / "inbox" / "linked").symlink_to(elsewhere)
    source.notice(tmp_path / "inbox" / "linked" / "secret.edi")  # as an event would name it
    with caplog.at_level(logging.WARNING, logger=folder_module.__name__):
        for _ in range(3):
            source.rescan()
            assert source.ready() == []
    assert [r.getMessage() for r in caplog.records] == [
        f"{str(tmp_path / 'inbox' / 'linked')!r}: never followed: a symbolic link, not a folder "
        "(a partner folder must be a folder of the inbox itself)"
    ]
    assert os.listdir(elsewhere) == ["secret.edi"]


def test_a_claim_never_goes_through_a_partner_folder_swapped_for_a_link(tmp_path: Path) -> None:
    """Found complete in a real folder, which is then replaced by a link to another folder
    holding a file of the same name: the claim renames relative to the folder it opens without
    following links, so it moves nothing."""
    source = _source(tmp_path, min_age=0.0)
    acme = tmp_path / "inbox" / "acme"
    (acme / "order.edi").write_bytes(b"ISA")
    [ready] = source.ready()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "order.edi").write_bytes(b"not yours")
    acme.rename(tmp_path / "acme-was-here")
    acme.symlink_to(elsewhere)
    claim = source.claim([ready])
    assert claim.durable() == []
    assert os.listdir(elsewhere) == ["order.edi"]
    assert list((tmp_path / "work").rglob("*order.edi")) == []


def test_files_in_a_folder_inside_a_partner_folder_are_reported_once_and_never_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, they were neither taken nor reported: a partner uploading into a sub-folder
    waited for ever, silently."""
    source = _source(tmp_path, min_age=0.0)
    acme = tmp_path / "inbox" / "acme"
    (acme / "2026" / "11").mkdir(parents=True)
    (acme / "2026" / "order.edi").write_bytes(b"ISA")
    (acme / "empty").mkdir()  # nothing in it: nothing to say
    with caplog.at_level(logging.WARNING, logger=folder_module.__name__):
        for _ in range(3):
            source.rescan()
            assert source.ready() == []
        (acme / "2026" / "another.edi").write_bytes(b"ISA")  # what it holds changed: again
        source.rescan()
        source.rescan()
    said = f"{str(acme / '2026')!r}: never taken: {{}} item(s) in a folder inside a partner "
    said += f"folder (sub-folders are not read); move the files into {str(acme)!r}"
    assert [r.getMessage() for r in caplog.records] == [said.format(2), said.format(3)]
    assert sorted(os.listdir(acme / "2026")) == ["11", "another.edi", "order.edi"]


def test_a_file_its_writer_holds_open_is_not_ready_however_long_it_pauses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The watcher saw it written and not closed: older than min_age, it is still not taken
    (said once); closed, it is. A file written before the watcher started is taken by its age."""
    source = _source(tmp_path, min_age=0.2)
    acme = tmp_path / "inbox" / "acme"
    (acme / "before.edi").write_bytes(b"ISA")
    source.start()
    try:
        with (acme / "open.edi").open("wb") as out, caplog.at_level(logging.INFO):
            out.write(b"ISA*00")
            out.flush()
            time.sleep(0.6)  # the writer pauses, three times min_age
            assert source.ready() == [acme / "before.edi"]
            assert source.ready() == [acme / "before.edi"]
            out.write(b"*more")
        noted = [
            r.getMessage() for r in caplog.records if "still open for writing" in r.getMessage()
        ]
        assert len(noted) == 1, noted
        time.sleep(0.3)
        wait = time.monotonic() + 5
        while acme / "open.edi" not in source.ready() and time.monotonic() < wait:
            time.sleep(0.05)
        assert acme / "open.edi" in source.ready()
    finally:
        source.stop()


def test_a_claimed_file_the_gateway_may_not_read_is_refused_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its mode lets the gateway's user move it (the claim did) but not read it: its own cause,
    so it is quarantined unread with the reason instead of failing every retry."""
    (tmp_path / "file").write_bytes(b"ISA")
    opened = os.open

    def refusing(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if path == tmp_path / "file":
            raise PermissionError(13, "Permission denied")
        return opened(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing)
    with pytest.raises(RefusedFile, match="not readable by the gateway's user"):
        read_claimed(tmp_path / "file")

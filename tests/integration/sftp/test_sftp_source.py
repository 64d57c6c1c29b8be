"""Fetching from a real sshd: complete files only, into the inbox once, removed remotely only
after the ledger has them; kept files not taken twice; hostile names refused."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from adapters.transport.sftp import SftpSource, connect
from gateway.ledger.transfers import PickupState
from tests.integration.sftp.helpers import PARTNER, pickups, put, visible, with_inbound
from tests.integration.sftp.sshd import Sshd

Factory = sessionmaker[Session]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def source_for(
    sshd: Sshd,
    remote: Path,
    tmp_path: Path,
    ledger: Factory,
    clock: Clock | None = None,
    **options: object,
) -> SftpSource:
    channel = with_inbound(sshd.channel(), remote, **options)
    return SftpSource(
        PARTNER, channel, inbox=tmp_path / "inbox", ledger=ledger, clock=clock or Clock()
    )


def poll(source: SftpSource):  # type: ignore[no-untyped-def]
    with connect(PARTNER, source.channel) as session:
        return source.poll(session)


def test_files_are_taken_into_the_inbox_recorded_and_deleted_remotely(
    sshd: Sshd, remote: Path, tmp_path: Path, ledger: Factory
) -> None:
    files = {f"po{i}.edi": os.urandom(100 + i) for i in range(5)}
    for name, data in files.items():
        put(remote / "out", name, data)
    source = source_for(sshd, remote, tmp_path, ledger)
    report = poll(source)
    assert sorted(p.path.name for p in report.taken) == sorted(files)
    inbox = tmp_path / "inbox" / PARTNER
    assert visible(inbox) == files
    assert sorted(p.name for p in inbox.iterdir()) == sorted(files)  # no temp file left
    assert list((remote / "out").iterdir()) == []
    rows = pickups(ledger)
    assert {r.state for r in rows} == {PickupState.DONE}
    assert {r.sha256 for r in rows} == {hashlib.sha256(d).hexdigest() for d in files.values()}
    assert {r.detail["remote"] for r in rows if r.detail} == {"delete"}
    assert poll(source).taken == []


def test_after_move_the_remote_file_goes_to_the_taken_folder(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    put(remote / "out", "a.edi", b"first")
    source = source_for(
        sshd, remote, tmp_path, sqlite_factory, after="move", move_to=str(remote / "taken")
    )
    assert len(poll(source).taken) == 1
    assert (remote / "taken" / "a.edi").read_bytes() == b"first"
    put(remote / "out", "a.edi", b"second")  # same name again: moved beside the first
    assert len(poll(source).taken) == 1
    assert sorted(p.name for p in (remote / "taken").iterdir()) == ["a.edi", "a.edi.2"]
    assert visible(tmp_path / "inbox" / PARTNER) == {"a.edi": b"first", "a.2.edi": b"second"}


def test_kept_file_is_not_taken_twice_but_a_resent_file_with_new_content_is(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    put(remote / "out", "stock.csv", b"v1", mtime=time.time() - 100)
    source = source_for(sshd, remote, tmp_path, sqlite_factory, after="keep")
    assert [p.path.name for p in poll(source).taken] == ["stock.csv"]
    again = poll(source)
    assert again.taken == [] and again.already == ["stock.csv"]
    fresh = source_for(sshd, remote, tmp_path, sqlite_factory, after="keep")  # a restart
    assert poll(fresh).taken == []
    put(remote / "out", "stock.csv", b"v2 longer", mtime=time.time() - 50)
    taken = poll(fresh).taken
    assert [p.path.read_bytes() for p in taken] == [b"v2 longer"]
    assert (remote / "out" / "stock.csv").exists()
    assert visible(tmp_path / "inbox" / PARTNER) == {
        "stock.csv": b"v1",
        f"stock.{taken[0].pickup_id}.csv": b"v2 longer",
    }


def test_a_growing_file_is_taken_only_once_unchanged_for_min_age(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    clock = Clock()
    source = source_for(sshd, remote, tmp_path, sqlite_factory, clock, min_age=30)
    path = put(remote / "out", "big.edi", b"ISA*part one")
    assert poll(source).waiting == ["big.edi"]
    clock.now += 20
    with path.open("ab") as file:
        file.write(b"~part two")
    os.utime(path, (time.time() + 5, time.time() + 5))
    clock.now += 20
    assert poll(source).waiting == ["big.edi"]  # changed since the last poll: starts again
    clock.now += 29
    assert poll(source).taken == []
    clock.now += 2
    assert [p.size for p in poll(source).taken] == [len(b"ISA*part one~part two")]
    assert visible(tmp_path / "inbox" / PARTNER) == {"big.edi": b"ISA*part one~part two"}


def test_with_a_done_marker_only_marked_files_are_taken_and_the_marker_removed(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    source = source_for(sshd, remote, tmp_path, sqlite_factory, done_marker=".done", min_age=999)
    put(remote / "out", "a.edi", b"aaa")
    put(remote / "out", "b.edi", b"bbb")
    put(remote / "out", "b.edi.done", b"")
    report = poll(source)
    assert [p.path.name for p in report.taken] == ["b.edi"]
    assert report.waiting == ["a.edi"]
    assert sorted(p.name for p in (remote / "out").iterdir()) == ["a.edi"]


def test_dotfiles_directories_and_symlinks_are_never_taken(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    put(remote / "out", ".upload.tmp", b"partial")
    (remote / "out" / "folder").mkdir()
    secret = put(tmp_path, "secret.txt", b"not for the inbox")
    (remote / "out" / "link.edi").symlink_to(secret)
    report = poll(source_for(sshd, remote, tmp_path, sqlite_factory))
    assert report.taken == [] and report.refused == []
    assert visible(tmp_path / "inbox" / PARTNER) == {}


def test_hostile_names_are_refused_reported_and_never_used_locally(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    hostile = ["a\nb.edi", "back\\slash.edi", "esc\x1b[31m.edi", "rtl\u202egpj.edi", "tab\t.edi"]
    for name in hostile:
        put(remote / "out", name, b"evil")
    put(remote / "out", "good.edi", b"fine")
    source = source_for(sshd, remote, tmp_path, sqlite_factory)
    report = poll(source)
    assert [p.path.name for p in report.taken] == ["good.edi"]
    assert sorted(name for name, _ in report.refused) == sorted(hostile)
    assert all(reason for _, reason in report.refused)
    assert visible(tmp_path / "inbox" / PARTNER) == {"good.edi": b"fine"}
    assert sorted(p.name for p in (remote / "out").iterdir()) == sorted(hostile)  # left alone
    assert [r.remote_path for r in pickups(sqlite_factory)] == [str(remote / "out" / "good.edi")]


def test_a_name_already_in_the_inbox_is_never_overwritten(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    inbox = tmp_path / "inbox" / PARTNER
    inbox.mkdir(parents=True)
    (inbox / "po.edi").write_bytes(b"waiting for the pipeline")
    put(remote / "out", "po.edi", b"new one")
    [taken] = poll(source_for(sshd, remote, tmp_path, sqlite_factory)).taken
    assert visible(inbox) == {"po.edi": b"waiting for the pipeline", taken.path.name: b"new one"}

"""Fetching from a real sshd: complete files only, into the inbox once, removed remotely only
after the ledger has them; kept files not taken twice; hostile names refused."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from adapters.channels.sftp import SftpChannel, SftpInbound, SftpSource, connect
from adapters.channels.sftp import source as sftp_source
from adapters.channels.sftp.connection import SftpError
from adapters.channels.sftp.pipeline import Limits
from gateway.ledger import transfers
from gateway.ledger.transfers import NewPickup, PickupState
from tests.integration.sftp.helpers import PARTNER, Clock, pickups, put, visible, with_inbound
from tests.integration.sftp.sshd import Sshd

Factory = sessionmaker[Session]


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


def test_a_file_over_max_file_size_is_left_on_the_server_and_reported(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    put(remote / "out", "big.edi", b"x" * 101)
    put(remote / "out", "fits.edi", b"x" * 100)
    put(remote / "out", "big.log", b"x" * 500)  # not one of ours (glob): not reported either
    channel = with_inbound(sshd.channel(), remote, glob="*.edi")
    source = SftpSource(
        PARTNER, channel, inbox=tmp_path / "inbox", ledger=sqlite_factory, clock=Clock(),
        max_file_size=100,
    )  # fmt: skip
    report = poll(source)
    assert [p.path.name for p in report.taken] == ["fits.edi"]
    assert report.refused == [("big.edi", "too large: 101 bytes, more than max_file_size (100)")]
    assert sorted(p.name for p in (remote / "out").iterdir()) == ["big.edi", "big.log"]
    assert poll(source).refused == report.refused  # reported at each poll, still not taken


def test_a_name_that_is_not_utf8_is_refused_and_the_other_files_still_come(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    """The SFTP protocol (version 3) sends names as bytes; a server's folder may hold names in
    Latin-1. One such name must not stop the listing, and so every pickup of the partner."""
    put(remote / "out", "good.edi", b"fine")
    latin = os.fsencode(remote / "out") + b"/caf\xe9.edi"
    with open(latin, "wb") as out:
        out.write(b"latin-1 name")
    source = source_for(sshd, remote, tmp_path, sqlite_factory)
    report = poll(source)
    assert [p.path.name for p in report.taken] == ["good.edi"]
    [(name, reason)] = report.refused
    assert name == "caf\udce9.edi" and "UTF-8" in reason
    assert visible(tmp_path / "inbox" / PARTNER) == {"good.edi": b"fine"}
    assert os.listdir(os.fsencode(remote / "out")) == [b"caf\xe9.edi"]  # left alone


def test_a_folder_of_many_entries_is_listed_whole(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    """The server answers a listing in parts (OpenSSH: 100 names each): every part counts."""
    names = {f"po{i:04d}.edi" for i in range(350)}
    for name in names:
        put(remote / "out", name, name.encode())
    report = poll(source_for(sshd, remote, tmp_path, sqlite_factory))
    assert {p.path.name for p in report.taken} == names


def test_a_folder_that_cannot_be_listed_says_which_and_why(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    channel = with_inbound(sshd.channel(), remote)
    channel = type(channel).model_validate(
        {**channel.model_dump(), "inbound": {"folder": str(remote / "gone"), "min_age": 0.0}}
    )
    source = SftpSource(PARTNER, channel, inbox=tmp_path / "inbox", ledger=sqlite_factory)
    with pytest.raises(SftpError, match=r"cannot list .*/gone: .*(No such file|not found)"):
        poll(source)


def test_a_name_already_in_the_inbox_is_never_overwritten(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    inbox = tmp_path / "inbox" / PARTNER
    inbox.mkdir(parents=True)
    (inbox / "po.edi").write_bytes(b"waiting for the pipeline")
    put(remote / "out", "po.edi", b"new one")
    [taken] = poll(source_for(sshd, remote, tmp_path, sqlite_factory)).taken
    assert visible(inbox) == {"po.edi": b"waiting for the pipeline", taken.path.name: b"new one"}


def test_files_of_every_size_arrive_whole_in_batches_even_through_short_reads(
    sshd: Sshd,
    remote: Path,
    tmp_path: Path,
    sqlite_factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sftp_source, "BATCH_FILES", 4)
    sizes = [0, 1, 32767, 32768, 32769, 255 * 1024 + 1, 3_000_001, 17, 2048, 100_000]
    files = {f"f{i:02d}.edi": os.urandom(size) for i, size in enumerate(sizes)}
    for i, (name, data) in enumerate(files.items()):
        put(remote / "out", name, data, mtime=time.time() - 100 + i)
    source = source_for(sshd, remote, tmp_path, sqlite_factory)
    with connect(PARTNER, source.channel) as session:
        # reads larger than OpenSSH's sftp-server gives (255 KiB): every one comes back short
        session._limits = Limits(block=1 << 20, open_files=3)
        report = source.poll(session)
    assert [p.path.name for p in report.taken] == list(files)  # oldest first
    inbox = tmp_path / "inbox" / PARTNER
    assert visible(inbox) == files
    assert sorted(p.name for p in inbox.iterdir()) == sorted(files)
    assert {r.sha256 for r in pickups(sqlite_factory)} == {
        hashlib.sha256(d).hexdigest() for d in files.values()
    }
    assert list((remote / "out").iterdir()) == []


def test_a_download_linked_then_claimed_from_the_inbox_before_a_crash_is_not_linked_again(
    tmp_path: Path, sqlite_factory: Factory
) -> None:
    """Killed between linking a batch into the inbox and removing its dotfiles, after the folder
    watcher claimed one of the files (an atomic rename out of the inbox): the next start must
    not put that file into the inbox a second time."""
    inbox = tmp_path / "inbox" / PARTNER
    work = tmp_path / "var" / "work"
    inbox.mkdir(parents=True)
    work.mkdir(parents=True)
    with sqlite_factory.begin() as s:
        claimed, waiting = transfers.record_pickups(
            s,
            PARTNER,
            [
                NewPickup("/out/a.edi", 1, 1, "aa" * 32, ".sftp-a.part", "a.edi"),
                NewPickup("/out/b.edi", 1, 1, "bb" * 32, ".sftp-b.part", "b.edi"),
            ],
        )
    for row in (claimed, waiting):
        (inbox / row.temp_name).write_bytes(row.local_name.encode())
        os.link(inbox / row.temp_name, inbox / row.local_name)
    os.rename(inbox / "a.edi", work / "claimed-a.edi")  # the watcher took it
    channel = SftpChannel(
        host="127.0.0.1",
        user="edi",
        password=SecretStr("never used: settling needs no connection"),
        known_hosts=["127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA=="],
        inbound=SftpInbound(folder="/out"),
    )
    source = SftpSource(PARTNER, channel, inbox=tmp_path / "inbox", ledger=sqlite_factory)
    source.settle_local()
    assert sorted(p.name for p in inbox.iterdir()) == ["b.edi"]
    assert (work / "claimed-a.edi").read_bytes() == b"a.edi"
    assert {r.state for r in pickups(sqlite_factory)} == {PickupState.DELIVERED}

"""Faults against a real sshd: a connection cut mid-transfer, the server down, a wrong host key,
permission denied, and SIGKILL at every crash point. Each checks: nothing lost, nothing doubled,
nothing partial in the inbox, no remote file removed before the ledger has it."""

from __future__ import annotations

import functools
import hashlib
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.channels.sftp import (
    ChangedHostKey,
    SftpConnectionLost,
    SftpSource,
    UnknownHostKey,
    connect,
)
from adapters.channels.sftp.connection import SftpError
from gateway.ledger.transfers import PickupState
from gateway.ports import CollectReport
from tests.integration.sftp.exchange_once import BATCH_ENV, NTH_ENV
from tests.integration.sftp.helpers import (
    PARTNER,
    everything,
    exchange,
    pickups,
    profile_file,
    put,
    run_exchange_process,
    start_exchange_process,
    visible,
    with_inbound,
)
from tests.integration.sftp.sshd import Sshd, keygen
from tests.integration.support import wait_for
from tests.support.tcp_proxy import TcpProxy

Factory = sessionmaker[Session]
BIG = 48 * 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def temp_files(folder: Path) -> list[Path]:
    return list(folder.glob(".sftp-*.part")) if folder.exists() else []


# paramiko's prefetch thread dies with EOFError when the connection is cut (its own thread, not
# ours: the poll itself reports SftpConnectionLost, checked below)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_connection_cut_mid_download_leaves_nothing_in_the_inbox_and_is_retried(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    data = os.urandom(BIG)
    put(remote / "out", "huge.edi", data)
    inbox = tmp_path / "inbox" / PARTNER
    with TcpProxy(("127.0.0.1", sshd.port)) as proxy:
        channel = with_inbound(sshd.channel(port=proxy.port), remote)
        source = SftpSource(PARTNER, channel, inbox=tmp_path / "inbox", ledger=sqlite_factory)
        outcome: list[BaseException | CollectReport] = []

        def run() -> None:
            try:
                with connect(PARTNER, channel) as session:
                    outcome.append(source.poll(session))
            except BaseException as error:
                outcome.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        wait_for(
            "a download under way",
            lambda: any(p.stat().st_size > 0 for p in temp_files(inbox)),
            timeout=20.0,
            interval=0.005,
        )
        proxy.stall()
        proxy.cut()
        thread.join(30)
        [error] = outcome
        assert isinstance(error, SftpConnectionLost), error
        assert visible(inbox) == {}
        assert pickups(sqlite_factory) == []
        assert (remote / "out" / "huge.edi").read_bytes() == data  # not removed

        proxy.restore()
        with connect(PARTNER, channel) as session:
            report = source.poll(session)
    assert [p.sha256 for p in report.taken] == [sha(data)]
    assert everything(inbox) == ["huge.edi"]
    assert (inbox / "huge.edi").read_bytes() == data
    assert everything(remote / "out") == []


def test_server_down_at_poll_time_changes_nothing_and_the_next_run_takes_the_file(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    clock = [100.0]
    channel = with_inbound(sshd.channel(retry_initial=10.0), remote)
    runs = exchange(channel, tmp_path, sqlite_factory, clock=lambda: clock[0])
    put(remote / "out", "po.edi", b"ISA...")
    sshd.stop()
    report = runs.run()
    assert report.error is not None and "cannot connect" in report.error
    assert "127.0.0.1" in report.error and PARTNER in report.error
    assert runs.run().skipped == "backing off for 10 s"
    assert everything(remote / "out") == ["po.edi"]
    assert visible(tmp_path / "inbox" / PARTNER) == {}
    sshd.start()
    clock[0] += 10
    report = runs.run()
    assert report.error is None and report.collected is not None
    assert [p.path.name for p in report.collected.taken] == ["po.edi"]
    assert runs.breaker.failures == 0


def openssh_fingerprint(public_key: Path) -> str:
    output = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.split()[1]


def test_a_changed_host_key_is_refused_with_the_fingerprint_openssh_prints(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    keygen(tmp_path / "other")
    kind, blob = (tmp_path / "other.pub").read_text().split()[:2]
    channel = with_inbound(
        sshd.channel(known_hosts=[f"[127.0.0.1]:{sshd.port} {kind} {blob}"]), remote
    )
    put(remote / "out", "po.edi", b"ISA...")
    with pytest.raises(ChangedHostKey) as caught:
        connect(PARTNER, channel)
    actual = openssh_fingerprint(sshd.folder / "host_key.pub")
    assert caught.value.fingerprint == actual
    assert actual in str(caught.value)
    assert openssh_fingerprint(tmp_path / "other.pub") in str(caught.value)
    assert "CHANGED" in str(caught.value)
    assert "HOST KEY CHANGED" in (exchange(channel, tmp_path, sqlite_factory).run().error or "")
    assert everything(remote / "out") == ["po.edi"]
    assert visible(tmp_path / "inbox" / PARTNER) == {}


def test_an_unknown_host_key_is_refused_and_never_accepted(sshd: Sshd, tmp_path: Path) -> None:
    kind_blob = sshd.host_key_line.split(" ", 1)[1]
    channel = sshd.channel(known_hosts=[f"[127.0.0.1]:{sshd.port + 1} {kind_blob}"])
    with pytest.raises(UnknownHostKey) as caught:
        connect(PARTNER, channel)
    assert caught.value.fingerprint == openssh_fingerprint(sshd.folder / "host_key.pub")
    assert f"[127.0.0.1]:{sshd.port}" in str(caught.value)
    # the known key for port 22 ("127.0.0.1" without brackets) does not vouch for another port
    with pytest.raises(UnknownHostKey):
        connect(PARTNER, sshd.channel(known_hosts=[f"127.0.0.1 {kind_blob}"]))


def test_a_hashed_known_hosts_file_is_understood(sshd: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(sshd.host_key_line + "\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert "|1|" in known.read_text()
    with connect(PARTNER, sshd.channel(known_hosts=[], known_hosts_file=str(known))) as session:
        assert session.sftp.listdir(str(tmp_path)) is not None


def test_remote_delete_denied_keeps_the_file_delivered_once_and_finishes_later(
    sshd_factory: Callable[..., Sshd], remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    strict = sshd_factory(sftp_flags="-P remove", name="strict")
    put(remote / "out", "po.edi", b"ISA*1")
    inbox = tmp_path / "inbox" / PARTNER
    source = SftpSource(
        PARTNER,
        with_inbound(strict.channel(), remote),
        inbox=tmp_path / "inbox",
        ledger=sqlite_factory,
    )
    for _ in range(3):
        with connect(PARTNER, source.channel) as session:
            report = source.poll(session)
        assert [name for name, _ in report.failed] == ["po.edi"]
        assert "delete failed" in report.failed[0][1]
        assert everything(inbox) == ["po.edi"]  # downloaded once, not again
    [row] = pickups(sqlite_factory)
    assert row.state is PickupState.DELIVERED
    assert everything(remote / "out") == ["po.edi"]
    # the partner's server allows remove again: the pending delete is done, nothing downloaded
    relaxed = sshd_factory(name="relaxed")
    source.channel = with_inbound(relaxed.channel(), remote)
    with connect(PARTNER, source.channel) as session:
        report = source.poll(session)
    assert report.finished == ["po.edi"] and report.taken == []
    assert everything(remote / "out") == [] and everything(inbox) == ["po.edi"]
    assert [r.state for r in pickups(sqlite_factory)] == [PickupState.DONE]


def test_a_file_replaced_remotely_before_its_delete_is_left_and_taken_as_new(
    sshd_factory: Callable[..., Sshd], remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    strict = sshd_factory(sftp_flags="-P remove", name="strict")
    put(remote / "out", "po.edi", b"first", mtime=time.time() - 60)
    source = SftpSource(
        PARTNER,
        with_inbound(strict.channel(), remote),
        inbox=tmp_path / "inbox",
        ledger=sqlite_factory,
    )
    with connect(PARTNER, source.channel) as session:
        source.poll(session)
    put(remote / "out", "po.edi", b"second version")  # re-sent before we could delete it
    source.channel = with_inbound(sshd_factory(name="relaxed").channel(), remote)
    with connect(PARTNER, source.channel) as session:
        report = source.poll(session)
    assert report.finished == ["po.edi"]
    assert [p.path.read_bytes() for p in report.taken] == [b"second version"]
    assert sorted(visible(tmp_path / "inbox" / PARTNER).values()) == [b"first", b"second version"]
    assert everything(remote / "out") == []


SOURCE_CRASH_POINTS = [
    "sftp_after_download",
    "sftp_after_record",
    "sftp_after_link",
    "sftp_after_remote_action",
]


@pytest.mark.parametrize("crash_at", SOURCE_CRASH_POINTS)
def test_sigkill_at_each_pickup_crash_point_neither_loses_nor_doubles_a_file(
    crash_at: str,
    sshd: Sshd,
    remote: Path,
    tmp_path: Path,
    sqlite_url: str,
    sqlite_factory: Factory,
) -> None:
    files = {f"po{i}.edi": os.urandom(5000 + i) for i in range(3)}
    for i, (name, data) in enumerate(files.items()):
        put(remote / "out", name, data, mtime=time.time() - 100 + i)
    profile = profile_file(tmp_path, with_inbound(sshd.channel(), remote))
    home = tmp_path / "home"

    crashed = run_exchange_process(profile, home, sqlite_url, crash_at=crash_at)
    assert crashed.returncode == -9, crashed.stderr
    inbox = home / "inbox" / PARTNER
    rows = pickups(sqlite_factory)
    # no remote file is gone unless the ledger has it, with the right content
    removed = set(files) - set(everything(remote / "out"))
    assert removed <= {Path(r.remote_path).name for r in rows}
    assert all(r.sha256 == sha(files[Path(r.remote_path).name]) for r in rows)
    # what the folder watcher could see is complete, right, and not doubled
    for name, data in visible(inbox).items():
        assert data == files[name]

    again = run_exchange_process(profile, home, sqlite_url)
    assert again.returncode == 0, again.stderr + again.stdout
    assert visible(inbox) == files
    assert everything(inbox) == sorted(files)  # no temporary file left
    assert everything(remote / "out") == []
    rows = pickups(sqlite_factory)
    assert len(rows) == len(files)
    assert {r.state for r in rows} == {PickupState.DONE}


def check_after_crash(
    files: dict[str, bytes], remote_out: Path, inbox: Path, factory: Factory
) -> None:
    """Nothing lost: a file gone remotely is in the ledger with its content; nothing doubled or
    partial: what the folder watcher could see is complete, right, under its own name (a second
    copy would have needed another)."""
    rows = pickups(factory)
    removed = set(files) - set(everything(remote_out))
    assert removed <= {Path(r.remote_path).name for r in rows}
    assert all(r.sha256 == sha(files[Path(r.remote_path).name]) for r in rows)
    for name, data in visible(inbox).items():
        assert data == files[name], name


def check_all_taken_once(
    files: dict[str, bytes], remote_out: Path, inbox: Path, factory: Factory
) -> None:
    assert visible(inbox) == files
    assert everything(inbox) == sorted(files)  # no temporary file left, no second copy
    assert everything(remote_out) == []
    rows = pickups(factory)
    assert sorted(Path(r.remote_path).name for r in rows) == sorted(files)
    assert {r.state for r in rows} == {PickupState.DONE}


@pytest.mark.parametrize("crash_at", SOURCE_CRASH_POINTS)
def test_sigkill_at_each_crash_point_of_a_later_batch_neither_loses_nor_doubles_a_file(
    crash_at: str,
    sshd: Sshd,
    remote: Path,
    tmp_path: Path,
    sqlite_url: str,
    sqlite_factory: Factory,
) -> None:
    files = {f"po{i}.edi": os.urandom(3000 + i) for i in range(7)}  # batches of 3, 3 and 1
    for i, (name, data) in enumerate(files.items()):
        put(remote / "out", name, data, mtime=time.time() - 100 + i)
    profile = profile_file(tmp_path, with_inbound(sshd.channel(), remote))
    home = tmp_path / "home"
    inbox = home / "inbox" / PARTNER

    crashed = run_exchange_process(
        profile, home, sqlite_url, env={BATCH_ENV: "3", NTH_ENV: f"{crash_at}:2"}
    )
    assert crashed.returncode == -9, crashed.stderr
    check_after_crash(files, remote / "out", inbox, sqlite_factory)
    first = sorted(files)[:3]  # the oldest: the first batch, all the way through
    done = [r for r in pickups(sqlite_factory) if r.state is PickupState.DONE]
    assert sorted(Path(r.remote_path).name for r in done) == first
    assert not set(first) & set(everything(remote / "out"))

    again = run_exchange_process(profile, home, sqlite_url, env={BATCH_ENV: "3"})
    assert again.returncode == 0, again.stderr + again.stdout
    check_all_taken_once(files, remote / "out", inbox, sqlite_factory)


def taking_or_done(process: subprocess.Popen[str], inbox: Path, before: list[str]) -> bool:
    return process.poll() is not None or everything(inbox) != before


def test_sigkill_at_random_instants_of_batched_polls_neither_loses_nor_doubles_a_file(
    sshd: Sshd,
    remote: Path,
    tmp_path: Path,
    sqlite_url: str,
    sqlite_factory: Factory,
) -> None:
    rng = random.Random(4242)
    files = {f"po{i:04d}.edi": rng.randbytes(200 + (i * 37) % 3000) for i in range(600)}
    for i, (name, data) in enumerate(files.items()):
        put(remote / "out", name, data, mtime=time.time() - 1000 + i)
    profile = profile_file(tmp_path, with_inbound(sshd.channel(), remote))
    home = tmp_path / "home"
    inbox = home / "inbox" / PARTNER
    env = {BATCH_ENV: "25"}
    kills = 0
    for _ in range(8):  # each killed at a random instant once it is taking files
        before = everything(inbox)
        process = start_exchange_process(profile, home, sqlite_url, env=env)
        wait_for(
            "the poll taking files",
            functools.partial(taking_or_done, process, inbox, before),
            timeout=60.0,
            interval=0.005,
        )
        time.sleep(rng.uniform(0.0, 0.1))
        process.kill()
        _out, err = process.communicate(timeout=60)
        if process.returncode == 0:
            break  # it finished first
        assert process.returncode == -9, err
        kills += 1
        check_after_crash(files, remote / "out", inbox, sqlite_factory)
    assert kills >= 1
    again = run_exchange_process(profile, home, sqlite_url, env=env)
    assert again.returncode == 0, again.stderr + again.stdout
    check_all_taken_once(files, remote / "out", inbox, sqlite_factory)


def test_a_bad_known_hosts_line_is_an_error_naming_the_line(sshd: Sshd) -> None:
    channel = sshd.channel(known_hosts=[sshd.host_key_line, "not a key line"])
    with pytest.raises(SftpError, match="known_hosts line 2"):
        connect(PARTNER, channel)

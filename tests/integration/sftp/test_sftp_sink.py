"""Delivering to a real sshd: temporary name + rename (or direct write where rename is forbidden),
size confirmed, recorded, moved to sent/; retried with backoff; never doubled across crashes; a
failing partner is paused without holding up another."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.channels.sftp import (
    Sftp,
    SftpChannel,
    SftpConnectionLost,
    SftpSink,
    connect,
)
from gateway.ledger.transfers import DeliveryState
from gateway.ports import DeliveryReport, Spool
from gateway.runtime.channels import ChannelSchedule
from tests.integration.sftp.helpers import (
    PARTNER,
    Clock,
    deliveries,
    everything,
    exchange,
    profile_file,
    run_exchange_process,
    visible,
    with_outbound,
)
from tests.integration.sftp.sshd import Sshd
from tests.support.ports import free_port
from tests.support.tcp_proxy import TcpProxy

Factory = sessionmaker[Session]


def outbox_with(tmp_path: Path, files: dict[str, bytes], partner: str = PARTNER) -> Path:
    folder = tmp_path / "outbox" / partner
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, data) in enumerate(files.items()):
        (folder / name).write_bytes(data)
        os.utime(folder / name, (time.time() - 100 + i, time.time() - 100 + i))
    return folder


def deliver(sink: SftpSink) -> DeliveryReport:
    with connect(PARTNER, sink.channel) as session:
        return sink.deliver(session)


def test_outbox_files_are_uploaded_renamed_confirmed_and_moved_to_sent(
    sshd: Sshd, remote: Path, tmp_path: Path, ledger: Factory
) -> None:
    files = {f"997_{i}.x12": os.urandom(300 + i) for i in range(4)}
    outbox = outbox_with(tmp_path, files)
    (outbox / ".writing.tmp").write_bytes(b"not yet")
    sink = SftpSink(
        PARTNER, with_outbound(sshd.channel(), remote), outbox=tmp_path / "outbox", ledger=ledger
    )
    report = deliver(sink)
    assert report.sent == list(files) and report.failed == []
    assert visible(remote / "in") == files
    assert everything(remote / "in") == sorted(files)  # no .part left behind
    assert everything(outbox) == [".writing.tmp", "sent"]
    assert visible(outbox / "sent") == files
    rows = deliveries(ledger)
    assert [r.state for r in rows] == [DeliveryState.FILED] * 4
    assert all(r.attempts == 1 and r.delivered_at is not None for r in rows)
    assert deliver(sink).sent == []


def test_where_rename_is_forbidden_the_error_says_so_and_direct_write_delivers(
    sshd_factory: Callable[..., Sshd], remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    server = sshd_factory(sftp_flags="-P rename,posix-rename")
    outbox = outbox_with(tmp_path, {"855.x12": b"ISA*855"})
    renaming = SftpSink(
        PARTNER,
        with_outbound(server.channel(), remote),
        outbox=tmp_path / "outbox",
        ledger=sqlite_factory,
    )
    report = deliver(renaming)
    [(name, reason)] = report.failed
    assert name == "855.x12" and "rename = false" in reason
    assert everything(remote / "in") == []  # the temporary upload was removed
    assert everything(outbox) == ["855.x12"]
    [row] = deliveries(sqlite_factory)
    assert row.state is DeliveryState.PENDING and row.attempts == 1 and row.last_error
    direct = SftpSink(
        PARTNER,
        with_outbound(server.channel(), remote, rename=False),
        outbox=tmp_path / "outbox",
        ledger=sqlite_factory,
    )
    assert deliver(direct).sent == ["855.x12"]
    assert visible(remote / "in") == {"855.x12": b"ISA*855"}
    [row] = deliveries(sqlite_factory)
    assert row.state is DeliveryState.FILED and row.attempts == 2


def test_permission_denied_is_retried_with_exponential_backoff(
    sshd_factory: Callable[..., Sshd], remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    read_only = sshd_factory(sftp_flags="-R")
    outbox_with(tmp_path, {"a.x12": b"A"})
    clock = Clock()
    channel = with_outbound(read_only.channel(retry_initial=10, retry_max=35), remote)
    sink = SftpSink(
        PARTNER, channel, outbox=tmp_path / "outbox", ledger=sqlite_factory, clock=clock
    )
    delays = []
    with connect(PARTNER, channel) as session:
        first = sink.deliver(session)
        assert [name for name, _ in first.failed] == ["a.x12"]
        assert "denied" in first.failed[0][1].lower()
        for _ in range(3):
            waited = 0
            while True:
                clock.now += 1
                waited += 1
                report = sink.deliver(session)
                if report.deferred != ["a.x12"]:
                    break
            assert [name for name, _ in report.failed] == ["a.x12"]
            delays.append(waited)
    assert delays == [10, 20, 35]
    [row] = deliveries(sqlite_factory)
    assert row.state is DeliveryState.PENDING and row.attempts >= 4


# paramiko's own writer thread may die with EOFError when the connection is cut
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_connection_cut_mid_upload_never_leaves_a_partial_file_under_the_final_name(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    data = os.urandom(48 * 1024 * 1024)
    outbox = outbox_with(tmp_path, {"big.x12": data})
    clock = Clock()
    with TcpProxy(("127.0.0.1", sshd.port)) as proxy:
        channel = with_outbound(sshd.channel(port=proxy.port), remote)
        sink = SftpSink(
            PARTNER, channel, outbox=tmp_path / "outbox", ledger=sqlite_factory, clock=clock
        )
        outcome: list[object] = []

        def run() -> None:
            try:
                outcome.append(deliver(sink))
            except BaseException as error:
                outcome.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        part = remote / "in" / ".big.x12.part"
        deadline = time.monotonic() + 20
        while not (part.exists() and part.stat().st_size > 0):
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proxy.stall()
        proxy.cut()
        thread.join(30)
        [error] = outcome
        assert isinstance(error, SftpConnectionLost), error
        assert not (remote / "in" / "big.x12").exists()
        assert everything(outbox) == ["big.x12"]
        [row] = deliveries(sqlite_factory)
        assert row.state is DeliveryState.PENDING and row.attempts == 1

        proxy.restore()
        clock.now += channel.retry_initial
        assert deliver(sink).sent == ["big.x12"]
    assert everything(remote / "in") == ["big.x12"]
    assert (remote / "in" / "big.x12").read_bytes() == data
    assert visible(outbox / "sent") == {"big.x12": data}


SINK_CRASH_POINTS = ["sftp_after_upload", "sftp_after_remote_rename", "sftp_after_sent"]


@pytest.mark.parametrize("crash_at", SINK_CRASH_POINTS)
def test_sigkill_at_each_delivery_crash_point_neither_loses_nor_doubles_a_file(
    crash_at: str,
    sshd: Sshd,
    remote: Path,
    tmp_path: Path,
    sqlite_url: str,
    sqlite_factory: Factory,
) -> None:
    home = tmp_path / "home"
    files = {f"997_{i}.x12": os.urandom(2000 + i) for i in range(3)}
    outbox = outbox_with(home, files)
    profile = profile_file(tmp_path, with_outbound(sshd.channel(), remote))

    crashed = run_exchange_process(profile, home, sqlite_url, crash_at=crash_at)
    assert crashed.returncode == -9, crashed.stderr
    for name, data in visible(remote / "in").items():
        assert data == files[name]  # whatever the partner can see is complete

    again = run_exchange_process(profile, home, sqlite_url)
    assert again.returncode == 0, again.stderr + again.stdout
    assert visible(remote / "in") == files
    assert everything(remote / "in") == sorted(files)  # no temporary upload left
    assert everything(outbox) == ["sent"]
    assert visible(outbox / "sent") == files
    rows = deliveries(sqlite_factory)
    assert len(rows) == len(files) and {r.state for r in rows} == {DeliveryState.FILED}


def test_a_different_file_waiting_at_the_partner_is_never_overwritten(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    (remote / "in" / "997.x12").write_bytes(b"the partner has not taken this one yet")
    outbox = outbox_with(tmp_path, {"997.x12": b"ours"})
    sink = SftpSink(
        PARTNER,
        with_outbound(sshd.channel(), remote),
        outbox=tmp_path / "outbox",
        ledger=sqlite_factory,
    )
    [(_, reason)] = deliver(sink).failed
    assert "different" in reason
    assert visible(remote / "in") == {"997.x12": b"the partner has not taken this one yet"}
    assert everything(outbox) == ["997.x12"]


def test_a_file_put_in_the_outbox_again_after_its_delivery_is_delivered_again(
    sshd: Sshd, remote: Path, tmp_path: Path, ledger: Factory
) -> None:
    outbox = outbox_with(tmp_path, {"856.x12": b"the document"})
    sink = SftpSink(
        PARTNER, with_outbound(sshd.channel(), remote), outbox=tmp_path / "outbox", ledger=ledger
    )
    assert deliver(sink).sent == ["856.x12"]
    (outbox / "856.x12").write_bytes(b"the document")  # an operator's copy: the partner lost it
    [(_, reason)] = deliver(sink).failed  # the partner has not taken the first one yet
    assert "same content from an earlier delivery" in reason and "not overwritten" in reason
    assert visible(remote / "in") == {"856.x12": b"the document"}
    assert everything(outbox) == ["856.x12", "sent"]
    rows = deliveries(ledger)
    assert [r.state for r in rows] == [DeliveryState.FILED, DeliveryState.PENDING]
    assert rows[1].last_error == reason
    (remote / "in" / "856.x12").unlink()  # the partner takes it
    sink.clock = lambda: time.monotonic() + 3600  # past the retry's backoff
    assert deliver(sink).sent == ["856.x12"]
    assert visible(remote / "in") == {"856.x12": b"the document"}
    assert everything(outbox / "sent") == ["856.x12", f"856.x12.{rows[1].id}"]
    assert [r.state for r in deliveries(ledger)] == [DeliveryState.FILED] * 2


def test_a_failing_partner_is_paused_without_holding_up_another(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_url: str, sqlite_factory: Factory
) -> None:
    good = with_outbound(sshd.channel(schedule={"interval": 0.2}), remote)
    dead = with_outbound(
        sshd.channel(
            port=free_port(), schedule={"interval": 0.1}, retry_initial=0.1, pause_after=2
        ),
        remote,
    )
    spool = Spool(inbox=tmp_path / "inbox", outbox=tmp_path / "outbox", ledger=sqlite_factory)
    schedule = ChannelSchedule([Sftp("good", good, spool), Sftp("dead", dead, spool)])
    outbox_with(tmp_path, {"ok.x12": b"good"}, partner="good")
    outbox_with(tmp_path, {"stuck.x12": b"dead"}, partner="dead")
    schedule.start()
    try:
        deadline = time.monotonic() + 20
        while not (
            schedule.status()["dead"]["sftp"].paused and (remote / "in" / "ok.x12").exists()
        ):
            assert time.monotonic() < deadline, schedule.status()
            time.sleep(0.05)
        outbox_with(tmp_path, {"ok2.x12": b"more"}, partner="good")
        while not (remote / "in" / "ok2.x12").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        schedule.stop()
    state = schedule.status()["dead"]["sftp"]
    assert state.paused and state.failures >= 2 and "cannot connect" in (state.last_error or "")
    assert schedule.status()["good"]["sftp"].failures == 0
    assert visible(remote / "in") == {"ok.x12": b"good", "ok2.x12": b"more"}
    assert everything(tmp_path / "outbox" / "dead") == ["stuck.x12"]


def test_one_exchange_polls_and_delivers_on_one_connection(
    sshd: Sshd, remote: Path, tmp_path: Path, sqlite_factory: Factory
) -> None:
    channel = with_outbound(sshd.channel(), remote)
    data = channel.model_dump()
    data["inbound"] = {"folder": str(remote / "out"), "min_age": 0}
    both = SftpChannel.model_validate(data)
    (remote / "out" / "850.x12").write_bytes(b"ISA*850")
    outbox_with(tmp_path, {"997.x12": b"ISA*997"})
    report = exchange(both, tmp_path, sqlite_factory).run()
    assert report.error is None and report.collected and report.delivered
    assert [p.path.name for p in report.collected.taken] == ["850.x12"]
    assert report.delivered.sent == ["997.x12"]
    log = (sshd.folder / "sshd.log").read_text()
    assert log.count("Accepted publickey") == 1

"""Files that fail, and start-up recovery, on the real RabbitMQ and both ledgers: a file whose
separators are bytes that are not ASCII is read and answered; a file that keeps failing for a
cause of its own is set aside in quarantine with the reason, at start-up as in the main loop; a
database outage while recovering is waited out. The daemon never stops and the others flow."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.formats.x12.inbound import X12Parser
from gateway import ledger as repository
from gateway.ports import ParseResult
from gateway.runtime.daemon import Gateway
from tests.integration.ledger.databases import POSTGRES_ADMIN_URL, postgres_database
from tests.integration.support import (
    UnstorableReplyParser,
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_process,
    in_process_gateway,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


def with_separator_ff(control: int) -> bytes:
    """A valid 850 whose ISA16 (the component separator) is the byte 0xFF."""
    data = small_850(control)
    assert data.count(b"*P*>~") == 1
    return data.replace(b"*P*>~", b"*P*\xff~")


def test_a_file_whose_separator_is_a_byte_that_is_not_ascii_is_answered_and_restarts_run(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Before, its 997 mirrored the byte, the ledger could not store it (UnicodeEncodeError),
    the file stayed in the work folder and every restart ended with status 1."""
    config = write_settings(tmp_path, database_url)
    inbox = tmp_path / "inbox"
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, partner, "ff.edi", with_separator_ff(8101))
            drop(inbox, partner, "plain.edi", small_850(8102))
            archive = tmp_path / "archive" / partner
            wait_for(
                "both files to be archived",
                lambda: len(list(archive.rglob("*.edi"))) == 2 or process.poll() is not None,
                timeout=60,
            )
            assert process.poll() is None, daemon_output(config)
            outbox = tmp_path / "outbox" / partner
            wait_for("both acknowledgements", lambda: len(list(outbox.glob("*.x12"))) == 2)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, daemon_output(config)
        gateway_command(config, "run", "--once")  # a restart runs (status 0)
        numbers = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert numbers == ["PO00008101", "PO00008102"]
    acks = [path.read_bytes() for path in outbox.glob("*.x12")]
    assert all(ack.isascii() for ack in acks)
    # the reply to ff.edi declares the default component separator; the other mirrors '>'
    assert sorted(ack[104:105] for ack in acks) == [b":", b">"]
    assert not list((tmp_path / "var" / "work").rglob("*.edi"))


def _run(gw: Gateway) -> Iterator[threading.Thread]:
    stop = threading.Event()
    daemon = threading.Thread(target=gw.run, args=(stop,))
    daemon.start()
    try:
        yield daemon
    finally:
        stop.set()
        gw.source.wake()
        daemon.join(60)


running = contextlib.contextmanager(_run)


def test_a_file_that_keeps_failing_for_a_cause_of_its_own_is_set_aside_and_the_others_flow(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """At start-up (left in the work folder by the last run) and in the main loop alike: it is
    quarantined with the error as its reason, a report and a set_aside event; before, start-up
    recovery raised and ended the daemon, at every restart."""
    gw = in_process_gateway(tmp_path, database_url, parse_workers=0)
    gw.pipeline.parser = UnstorableReplyParser()
    work = gw.source.work / partner
    work.mkdir(parents=True)
    (work / f"{'a' * 32}__left.edi").write_bytes(small_850(8201, partner_po="UNSTORABLE1"))
    (work / f"{'b' * 32}__left-fine.edi").write_bytes(small_850(8202))
    drop(tmp_path / "inbox", partner, "fine.edi", small_850(8203))
    quarantine = tmp_path / "quarantine" / partner
    archive = tmp_path / "archive" / partner
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue), running(gw) as daemon:
        wait_for("the first poison file to be set aside", lambda: any(quarantine.glob("*.edi")))
        drop(tmp_path / "inbox", partner, "new.edi", small_850(8204, partner_po="UNSTORABLE2"))
        drop(tmp_path / "inbox", partner, "after.edi", small_850(8205))
        wait_for(
            "two set aside, three archived",
            lambda: (
                len(list(quarantine.glob("*.edi"))) == 2 and len(list(archive.rglob("*.edi"))) == 3
            ),
        )
        assert daemon.is_alive()
        wait_for("three messages published", lambda: _count(gw) == 3)
        numbers = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert numbers == ["PO00008202", "PO00008203", "PO00008205"]
    for moved in quarantine.glob("*.edi"):
        why = json.loads((quarantine / f"{moved.name}.error.json").read_text())["why"]
        assert "cause of its own: UnicodeEncodeError" in why, why
    with gw.pipeline.factory() as s:
        rows = s.execute(sa.text("select id, name, state from files order by name")).all()
        states = {row.name: row.state for row in rows}
        assert states == {
            "after.edi": "archived",
            "fine.edi": "archived",
            "left-fine.edi": "archived",
            "left.edi": "quarantined",
            "new.edi": "quarantined",
        }
        for row in rows:
            kinds = [event.kind for event in repository.timeline(s, row.id)]
            assert ("set_aside" in kinds) == (row.state == "quarantined"), (row.name, kinds)
    assert gw.source.leftovers() == []
    again = in_process_gateway(tmp_path, database_url, parse_workers=0)
    with running(again) as restarted:  # nothing left that fails: it runs
        time.sleep(1)
        assert restarted.is_alive()


def _count(gw: Gateway) -> int:
    """Documents published (the quarantined files' notices are on edi.notice.*)."""
    query = "select count(*) from outbox where state = 'published' and routing_key like 'edi.in.%'"
    with gw.pipeline.factory() as s:
        return int(s.execute(sa.text(query)).scalar_one())


def test_a_database_outage_while_recovering_at_start_up_is_waited_out(
    tmp_path: Path, partner: str
) -> None:
    """PostgreSQL refuses connections when the daemon starts (a restart of both): recovery of
    what the last run left (outbound files, then the work folder) is retried until the ledger
    is back, instead of ending the daemon. Run twice: without the outbound pipeline (the work
    folder's recovery meets the outage) and with it (it recovers first)."""
    for outbound in (False, True):
        home = tmp_path / f"outbound-{outbound}"
        with postgres_database() as url:
            gw = in_process_gateway(home, url)
            if not outbound:
                gw.outbound = gw.consumer = None
            work = gw.source.work / partner
            work.mkdir(parents=True)
            (work / f"{'c' * 32}__left.edi").write_bytes(small_850(8301))
            archive = home / "archive" / partner
            name = sa.make_url(url).database
            _allow_connections(name, False)
            try:
                with running(gw) as daemon:
                    time.sleep(2.5)  # recovery fails, more than once
                    assert daemon.is_alive()
                    _allow_connections(name, True)
                    wait_for("the leftover to be archived", archive_holds_a_file(archive))
            finally:
                _allow_connections(name, True)
            assert not daemon.is_alive()


def archive_holds_a_file(archive: Path) -> Callable[[], bool]:
    return lambda: any(archive.rglob("*.edi"))


def _allow_connections(database: str | None, allowed: bool) -> None:
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as admin:
            admin.exec_driver_sql(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allowed}')
            if not allowed:
                admin.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{database}'"
                )
    finally:
        engine.dispose()


class FailingOutside(X12Parser):
    """The X12 parser, except that a file holding ``OUTSIDE`` fails as a full disk would."""

    def parse(self, data: bytes, **options: Any) -> ParseResult:
        if b"OUTSIDE" in data:
            raise OSError(28, "No space left on device")
        return super().parse(data, **options)


def test_a_leftover_failing_for_a_cause_outside_it_waits_and_those_behind_it_go_on(
    tmp_path: Path, partner: str
) -> None:
    """Its cause is not its own (the disk, here): it stays in the work folder for a later
    retry, never set aside; the leftovers after it are processed meanwhile (before, the first
    such failure ended the round, and one file could hold back every other for ever)."""
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", parse_workers=0)
    gw.pipeline.parser = FailingOutside()
    work = gw.source.work / partner
    work.mkdir(parents=True)
    (work / f"{'a' * 32}__stuck.edi").write_bytes(small_850(8401, partner_po="OUTSIDE1"))
    (work / f"{'b' * 32}__behind.edi").write_bytes(small_850(8402))
    assert not gw.retry_leftovers()  # something is left to retry
    assert [c.name for c in gw.source.leftovers()] == ["stuck.edi"]
    assert list((tmp_path / "archive" / partner).rglob("*behind.edi"))
    assert not (tmp_path / "quarantine").exists() or not any((tmp_path / "quarantine").rglob("*"))

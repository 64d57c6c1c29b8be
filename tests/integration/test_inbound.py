"""End to end on the real RabbitMQ and both ledgers: a file dropped in the inbox arrives as a
confirmed message on a bound queue, its 997 is written, the original archived; bad files are
quarantined with a report and a negative ack; duplicates are recorded, not republished."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from adapters.formats.x12.inbound import X12Parser
from gateway import ledger as repository
from gateway.control_numbers import ControlNumberCounter
from gateway.ports import ParseResult
from gateway.runtime.retries import RETRY_INTERVAL
from tests.integration.ledger.databases import POSTGRES_ADMIN_URL, postgres_database
from tests.integration.support import (
    CrashingParser,
    bound_queue,
    broken_850,
    drop,
    in_process_gateway,
    run_once,
    small_850,
    take_all,
    wait_for,
)


def test_a_dropped_850_is_published_acknowledged_and_archived(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "order.edi", small_850(7001))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
    event = json.loads(body)
    assert event["specversion"] == "1.0"
    assert event["data"]["po_number"] == "PO00007001"
    assert properties.message_id == event["id"] == event["data"]["document_id"]
    assert properties.delivery_mode == 2 and properties.correlation_id
    [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
    assert "AK1*PO*7001~" in ack.read_text() and "AK9*A*1*1*1~" in ack.read_text()
    [archived] = (tmp_path / "archive" / partner).rglob("*order.edi")
    assert archived.read_bytes() == small_850(7001)
    assert not list((tmp_path / "inbox" / partner).iterdir())
    with gw.pipeline.factory.begin() as s:
        kinds = [event.kind for event in repository.timeline(s, properties.message_id)]
    # the document's timeline, from the file's arrival to the broker's confirm
    assert kinds == [
        "received", "parsed", "enqueued", "ack_recorded", "processed", "ack_written",
        "archived", "published",
    ]  # fmt: skip


def test_a_published_document_carries_its_files_arrival_in_its_envelope_not_in_its_id(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "order.edi", small_850(7002))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        [(_, body)] = take_all(channel, queue)
    event = json.loads(body)
    envelope = event["data"]["envelope"]
    with gw.pipeline.factory.begin() as s:
        [document] = repository.documents_by_id(s, event["id"])
        file = repository.file_by_id(s, document.file_id)
    assert file is not None
    assert envelope["correlation_id"] == file.correlation_id == event["correlationid"]
    assert dt.datetime.fromisoformat(envelope["received_at"]) == file.received_at
    assert (envelope["partner"], envelope["format"]) == (partner, "x12")
    [parsed] = X12Parser().parse(small_850(7002), file_name="order.edi", partner=partner).documents
    assert event["id"] == event["data"]["document_id"] == parsed.document_id


def test_a_bad_file_is_quarantined_with_a_report_and_a_negative_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "bad.edi", broken_850(7002))
    drop(tmp_path / "inbox", partner, "orders.csv", b"po,sku\n1,ABC\n")
    with bound_queue(f"edi.in.*.{partner}") as (channel, queue):
        run_once(gw)
        assert take_all(channel, queue) == []
    quarantine = tmp_path / "quarantine" / partner
    [bad] = quarantine.glob("*bad.edi")
    report = json.loads((quarantine / f"{bad.name}.error.json").read_text())
    assert "SE01" in json.dumps(report["findings"])
    [csv] = quarantine.glob("*orders.csv")
    assert (
        "not an X12 file" in json.loads((quarantine / f"{csv.name}.error.json").read_text())["why"]
    )
    [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
    assert "AK5*R*4~" in ack.read_text()


def test_an_interchange_its_ta1_rejects_is_not_published_and_sent_again_is_taken_once(
    tmp_path: Path, partner: str
) -> None:
    """A TA1 with TA104 R asks the partner to send the interchange again: had its order been
    published too, the corrected copy (a new ISA13) would be the same order a second time."""
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    good = small_850(7010)
    drop(tmp_path / "inbox", partner, "bad.edi", good.replace(b"IEA*1*", b"IEA*2*"))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert take_all(channel, queue) == []
        [ta1] = (tmp_path / "outbox" / partner).glob("*.x12")
        assert ta1.name.startswith("TA1-") and "*R*021~" in ta1.read_text()
        [bad] = (tmp_path / "quarantine" / partner).glob("*bad.edi")
        why = json.loads(bad.with_name(bad.name + ".error.json").read_text())["documents"]
        assert why[0]["accepted"] is False
        resent = good.replace(b"*000007010*", b"*000007011*").replace(
            b"IEA*1*000007010", b"IEA*1*000007011"
        )
        drop(tmp_path / "inbox", partner, "again.edi", resent)
        run_once(gw)
        assert len(take_all(channel, queue)) == 1


def test_the_same_content_again_is_a_duplicate_and_other_content_under_its_numbers_is_new(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """The same file again is a duplicate, not parsed; other content under the same
    ISA13/GS06/ST02 (a partner whose counters were reset) is a new document: published, not
    dropped after a positive 997 (issue 20, item 1; this test asserted the drop before)."""
    gw = in_process_gateway(tmp_path, database_url)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "first.edi", small_850(7003))
        run_once(gw)
        drop(tmp_path / "inbox", partner, "again.edi", small_850(7003))
        drop(tmp_path / "inbox", partner, "same-numbers.edi", small_850(7003, partner_po="OTHER"))
        run_once(gw)
        published = take_all(channel, queue)
    assert sorted(json.loads(body)["data"]["po_number"] for _, body in published) == [
        "OTHER",
        "PO00007003",
    ]
    assert len({props.message_id for props, _ in published}) == 2
    with gw.pipeline.factory.begin() as s:
        report = repository.status(s, dt.datetime.now(dt.UTC))
    assert report.files[partner] == {"archived": 2, "duplicate": 1}
    assert report.documents[partner] == {"published": 2}


def test_a_file_left_in_the_work_folder_by_a_failure_is_retried(
    tmp_path: Path, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", parse_workers=0)
    drop(tmp_path / "inbox", partner, "order.edi", small_850(7004))
    parse = gw.pipeline.parser

    class Failing(X12Parser):
        def parse(self, data: bytes, **_: object) -> ParseResult:
            raise OSError("database briefly unreachable")

    gw.pipeline.parser = Failing()
    gw.source.start()
    try:
        assert gw.process_ready() == 1  # claimed, failed, left in work/ (logged, not raised)
        assert len(gw.source.leftovers()) == 1
        gw.pipeline.parser = parse
        with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
            gw.retry_leftovers()
            assert gw.relay.drain_once(30) == 1
            assert len(take_all(channel, queue)) == 1
    finally:
        gw.source.stop()
    assert gw.source.leftovers() == []
    assert list((tmp_path / "archive" / partner).rglob("*order.edi"))


def test_a_batch_whose_commit_failed_is_retried_without_recording_its_files_twice(
    tmp_path: Path, partner: str
) -> None:
    """The batch was recorded (its files are in the ledger as received) when its commit failed;
    retried one file at a time, each file keeps its one record."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    gw = in_process_gateway(tmp_path, url, parse_workers=0)
    for n in range(3):
        drop(tmp_path / "inbox", partner, f"order{n}.edi", small_850(7100 + n))
    failures = [OSError("the ledger went away mid-commit")]

    class FailingOnce(X12Parser):
        def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
            if failures:
                raise failures.pop()
            super().reply(result, counter)

    gw.pipeline.parser = FailingOnce()
    gw.source.start()
    try:
        assert gw.process_ready() == 3
        gw.pipeline.finish()
    finally:
        gw.source.stop()
    assert not failures
    with gw.pipeline.factory() as s:
        rows = s.execute(sa.text("select name, state from files order by name")).all()
        received = s.execute(sa.text("select file_id from events where kind = 'received'"))
        received_ids = sorted(received.scalars())
    assert [tuple(row) for row in rows] == [(f"order{n}.edi", "archived") for n in range(3)]
    # their "received" events went with the failed commit; each retry wrote its file's, once
    assert received_ids == [1, 2, 3]


def test_recording_files_just_claimed_is_one_statement_outside_any_transaction(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """One round trip on PostgreSQL (no BEGIN, no COMMIT), once the claim is durable; the
    files' "received" events are written by the batch's commit, first on their timelines."""
    gw = in_process_gateway(tmp_path, database_url, parse_workers=0)
    for n in range(3):
        drop(tmp_path / "inbox", partner, f"order{n}.edi", small_850(7200 + n))
    engine = gw.pipeline.factory.kw["bind"]
    statements: list[tuple[str, bool]] = []  # each with whether a transaction stayed open

    def executed(connection: sa.Connection, _cursor: object, statement: str, *_: object) -> None:
        statements.append((statement, _in_transaction(connection.connection.driver_connection)))

    gw.source.start()
    try:
        claim = gw.source.claim(gw.source.ready())

        def durable() -> None:  # the claim's renames on disk before any record names them
            claim.durable()
            statements.append(("(claim durable)", False))

        sa.event.listen(engine, "after_cursor_execute", executed)
        try:
            parsing = gw.pipeline.begin(claim.files, durable)
        finally:
            sa.event.remove(engine, "after_cursor_execute", executed)
        assert parsing is not None
        gw.pipeline.complete(parsing)
    finally:
        gw.source.stop()
    [(durable_first, _), (statement, in_transaction)] = statements
    assert durable_first == "(claim durable)"
    assert statement.lstrip().upper().startswith("INSERT INTO FILES") and not in_transaction
    with gw.pipeline.factory() as s:
        for file_id in (1, 2, 3):
            kinds = [event.kind for event in repository.timeline(s, file_id)]
            assert kinds[0] == "received" and kinds.count("received") == 1 and "processed" in kinds


def _in_transaction(driver: object) -> bool:
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    assert isinstance(driver, psycopg.Connection)
    return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def test_a_file_recorded_with_its_received_event_keeps_one_when_recovered(
    tmp_path: Path, partner: str
) -> None:
    """A crash after the file's record and its event were committed (as a ledger written
    before events waited for the commit has them): the recovery writes no second one."""
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", parse_workers=0)
    work = gw.source.work / partner
    work.mkdir(parents=True)
    claimed = work / f"{'c' * 32}__order.edi"
    claimed.write_bytes(small_850(7300))
    with gw.pipeline.factory.begin() as s:
        [file_id] = repository.record_files(
            s,
            [
                repository.NewFile(
                    partner, "order.edi", "0" * 64, 1, str(claimed), correlation_id="c" * 32
                )
            ],
        )
    assert gw.retry_leftovers()
    with gw.pipeline.factory() as s:
        kinds = [event.kind for event in repository.timeline(s, file_id)]
    assert kinds.count("received") == 1 and "processed" in kinds


def test_files_stranded_by_a_database_outage_go_through_seconds_after_it_ends(
    tmp_path: Path, partner: str
) -> None:
    """PostgreSQL refuses connections for a few seconds (a restart): the file that arrived then
    is left in work/, and the running daemon processes it within seconds of the database's
    return, not at the next periodic look at the work folder (30 s)."""
    with postgres_database() as url:
        name = sa.make_url(url).database
        gw = in_process_gateway(tmp_path, url)
        stop = threading.Event()
        daemon = threading.Thread(target=gw.run, args=(stop,))
        daemon.start()
        try:
            wait_for("the relay to connect", lambda: gw.relay.connected, timeout=30)
            with _admin() as admin:
                admin.exec_driver_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
                admin.exec_driver_sql(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}'"
                )
            drop(tmp_path / "inbox", partner, "order.edi", small_850(7010))
            wait_for("the file to be stranded", lambda: len(gw.source.leftovers()) == 1)
            time.sleep(1.5)  # a retry or two fail meanwhile
            with _admin() as admin:
                admin.exec_driver_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            back = time.monotonic()
            archive = tmp_path / "archive" / partner
            wait_for(
                "the stranded file to be archived",
                lambda: any(archive.rglob("*order.edi")),
                timeout=RETRY_INTERVAL - 10,
            )
            assert time.monotonic() - back < RETRY_INTERVAL - 10
            assert gw.source.leftovers() == []
        finally:
            stop.set()
            gw.source.wake()
            daemon.join(60)


@contextlib.contextmanager
def _admin() -> Iterator[sa.Connection]:
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def test_copies_processed_in_one_batch_are_one_original_and_duplicates(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    for name in ("a.edi", "b.edi", "c.edi"):
        drop(tmp_path / "inbox", partner, name, small_850(7005))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 1
    with gw.pipeline.factory.begin() as s:
        report = repository.status(s, dt.datetime.now(dt.UTC))
    assert report.files[partner] == {"archived": 1, "duplicate": 2}
    assert report.documents[partner] == {"published": 1}
    assert len(list((tmp_path / "outbox" / partner).glob("997-*.x12"))) == 1


def test_copies_of_a_bad_file_are_each_quarantined_with_a_report_and_a_negative_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Whether the bad file they copy is in the same batch, processed but not yet moved to
    quarantine, or already there: each copy gets what the file got, never 'duplicate'."""
    gw = in_process_gateway(tmp_path, database_url, parse_workers=0)
    inbox = tmp_path / "inbox"

    def process(*names: str) -> None:  # recorded and committed; not moved (no finish)
        for name in names:
            drop(inbox, partner, name, broken_850(7006))
        processed = [0]

        def all_processed() -> bool:
            processed[0] += gw.process_ready()
            return processed[0] == len(names)

        wait_for(f"{names} processed", all_processed, timeout=10)

    gw.source.start()
    try:
        process("bad.edi", "same-batch.edi")
        process("before-its-move.edi")
        gw.pipeline.finish()
        process("after-its-move.edi")
        gw.pipeline.finish()
    finally:
        gw.source.stop()
    with gw.pipeline.factory.begin() as s:
        report = repository.status(s, dt.datetime.now(dt.UTC))
    assert report.files[partner] == {"quarantined": 4}
    quarantine = tmp_path / "quarantine" / partner
    assert len(list(quarantine.glob("*.edi.error.json"))) == 4
    acks = [ack.read_text() for ack in (tmp_path / "outbox" / partner).glob("997-*.x12")]
    assert len(acks) == 4 and all("AK5*R*4~" in ack for ack in acks)


def test_a_batch_of_files_gets_one_ack_each_with_its_own_control_number(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    for n in range(20):
        drop(tmp_path / "inbox", partner, f"po{n}.edi", small_850(7100 + n))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 20
    acks = sorted((tmp_path / "outbox" / partner).glob("997-*.x12"))
    assert len(acks) == 20
    isa13 = {ack.read_text().split("*")[13] for ack in acks}
    assert isa13 == {f"{n:09d}" for n in range(1, 21)}


def test_the_same_document_in_two_files_of_one_batch_is_published_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Two files of one batch, not byte for byte the same (so not duplicate files), carry the
    same document: it is published once. (With other content under the same numbers, both are
    published: test_the_same_content_again_is_a_duplicate_and_other_content_under...)"""
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "a.edi", small_850(7006))
    drop(tmp_path / "inbox", partner, "b.edi", small_850(7006) + b"\n\n")
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 1
    with gw.pipeline.factory.begin() as s:
        report = repository.status(s, dt.datetime.now(dt.UTC))
    assert report.files[partner] == {"archived": 2}
    assert report.documents[partner] == {"published": 1, "duplicate": 1}


def test_a_file_that_kills_the_parser_is_quarantined_and_the_others_go_on(
    tmp_path: Path, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", parse_workers=1)
    gw.pipeline.parser = CrashingParser()
    drop(tmp_path / "inbox", partner, "a.edi", small_850(7201))
    drop(tmp_path / "inbox", partner, "poison.edi", b"CRASH" + small_850(7202))
    drop(tmp_path / "inbox", partner, "b.edi", small_850(7203))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 2
    quarantine = tmp_path / "quarantine" / partner
    [poison] = quarantine.glob("*poison.edi")
    report = json.loads((quarantine / f"{poison.name}.error.json").read_text())
    assert "parser's process died" in report["why"]
    assert len(list((tmp_path / "archive" / partner).rglob("*.edi"))) == 2
    assert gw.source.leftovers() == []


def test_a_parser_crash_while_batches_overlap_quarantines_only_the_file_that_caused_it(
    tmp_path: Path, partner: str
) -> None:
    # One file per batch: each batch's parse is started before the one before it is committed,
    # so the poison file kills the worker while other files' parses are in flight.
    gw = in_process_gateway(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", parse_workers=1, batch_size=1
    )
    gw.pipeline.parser = CrashingParser()
    for n, name in enumerate(("a.edi", "b.edi", "poison.edi", "c.edi", "d.edi")):
        data = small_850(7300 + n)
        drop(tmp_path / "inbox", partner, name, b"CRASH" + data if "poison" in name else data)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 4
    [quarantined] = (tmp_path / "quarantine" / partner).glob("*.edi")
    assert quarantined.name.endswith("-poison.edi")
    archived = sorted(p.name.rsplit("-", 1)[-1] for p in (tmp_path / "archive").rglob("*.edi"))
    assert archived == ["a.edi", "b.edi", "c.edi", "d.edi"]
    assert gw.source.leftovers() == []


def test_what_replaces_a_file_between_its_check_and_its_claim_is_quarantined_unread(
    tmp_path: Path, partner: str
) -> None:
    """Whoever writes to the inbox may swap a complete file for a symbolic link (to a file of
    ours), a FIFO or a folder after the gateway found it complete and before its claim: the
    claim moves what is there, and the gateway must not follow, wait on or fail over it."""
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    secret = tmp_path / "secret.edi"
    secret.write_bytes(small_850(7301))  # readable by the gateway, and a valid 850
    swaps: dict[str, Callable[[Path], None]] = {
        "link.edi": lambda path: path.symlink_to(secret),
        "fifo.edi": lambda path: os.mkfifo(path),
        "folder.edi": lambda path: path.mkdir(),
    }
    for name in swaps:
        drop(tmp_path / "inbox", partner, name, small_850(7302))
    drop(tmp_path / "inbox", partner, "fine.edi", small_850(7303))
    ready = gw.source.ready

    def swapped(now: float | None = None) -> list[Path]:
        paths = ready(now)
        for path in paths:
            if path.name in swaps:
                path.unlink()
                swaps[path.name](path)
        return paths

    gw.source.ready = swapped  # type: ignore[method-assign]
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        [(_, body)] = take_all(channel, queue)
    assert json.loads(body)["data"]["po_number"] == "PO00007303"
    quarantine = tmp_path / "quarantine" / partner
    for name in swaps:
        [moved] = quarantine.glob(f"*-{name}")
        report = json.loads((quarantine / f"{moved.name}.error.json").read_text())
        assert "not a regular file" in report["why"], report["why"]
    assert secret.read_bytes() == small_850(7301)
    assert gw.source.leftovers() == []
    assert not list((gw.source.work / partner).iterdir())


def test_a_link_or_a_fifo_claimed_before_a_crash_is_quarantined_at_the_restart(
    tmp_path: Path, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    work = gw.source.work / partner
    work.mkdir(parents=True)
    (tmp_path / "secret.edi").write_bytes(small_850(7311))
    (work / "0123456789abcdef__link.edi").symlink_to(tmp_path / "secret.edi")
    (work / "fedcba9876543210__gone.edi").symlink_to(tmp_path / "nothing-there")
    os.mkfifo(work / "00112233445566778899__fifo.edi")
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert take_all(channel, queue) == []
    quarantine = tmp_path / "quarantine" / partner
    assert sorted(p.name.split("-", 1)[1] for p in quarantine.glob("*.edi")) == [
        "fifo.edi", "gone.edi", "link.edi"
    ]  # fmt: skip
    assert gw.source.leftovers() == []
    with gw.pipeline.factory.begin() as s:
        assert repository.status(s, dt.datetime.now(dt.UTC)).files[partner] == {"quarantined": 3}


def test_files_with_names_not_utf8_odd_or_too_long_are_processed_under_readable_names(
    tmp_path: Path, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    folder = tmp_path / "inbox" / partner
    folder.mkdir(parents=True)
    names = {
        b"bestellung-f\xfcr.edi": "bestellung-f%FCr.edi",  # Latin-1, as from a Windows share
        b"new\nline.edi": "new%0Aline.edi",
        b"back\\slash.edi": "back%5Cslash.edi",
        b"x" * 251 + b".edi": "…" + "x" * 28 + ".edi",
    }
    for number, name in enumerate(names, start=7401):
        (folder / os.fsdecode(name)).write_bytes(small_850(number))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == len(names)
    archived = [p.name for p in (tmp_path / "archive" / partner).rglob("*.edi")]
    for kept in names.values():
        assert sum(name.endswith(kept) for name in archived) == 1, (kept, archived)
    assert os.listdir(folder) == [] and gw.source.leftovers() == []


def test_a_file_larger_than_max_file_size_is_quarantined_unread(
    tmp_path: Path, partner: str
) -> None:
    limit = len(small_850(7321))
    gw = in_process_gateway(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", max_file_size=limit
    )
    drop(tmp_path / "inbox", partner, "fits.edi", small_850(7321))
    drop(tmp_path / "inbox", partner, "big.edi", small_850(7322) + b"\n")
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        [(_, body)] = take_all(channel, queue)
    assert json.loads(body)["data"]["po_number"] == "PO00007321"
    quarantine = tmp_path / "quarantine" / partner
    [big] = quarantine.glob("*-big.edi")
    assert big.read_bytes() == small_850(7322) + b"\n"
    why = json.loads((quarantine / f"{big.name}.error.json").read_text())["why"]
    assert f"{limit + 1:,} bytes, more than max_file_size ({limit:,})" in why


def test_a_file_the_claim_cannot_move_stays_reported_and_the_others_go_on(
    tmp_path: Path, partner: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The kernel refuses the claim's rename (a file made immutable, a folder the gateway may not
    write, a locked file on a share): before, the error ended the daemon's loop, and a restart
    met it again."""
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    stuck = drop(tmp_path / "inbox", partner, "stuck.edi", small_850(7611))
    drop(tmp_path / "inbox", partner, "ok.edi", small_850(7612))
    rename = os.rename

    def refusing(source: Any, target: Any, **options: Any) -> None:
        if source == stuck.name and "src_dir_fd" in options:  # the claim's rename
            raise PermissionError(1, "Operation not permitted")
        rename(source, target, **options)

    monkeypatch.setattr(os, "rename", refusing)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 1
        gw.source.rescan()
        run_once(gw)  # tried again, reported once
        warned = [r.getMessage() for r in caplog.records if "cannot claim" in r.getMessage()]
        assert warned == [
            f"{str(stuck)!r}: cannot claim it (Operation not permitted); tried again at each rescan"
        ]
        monkeypatch.setattr(os, "rename", rename)
        gw.source.rescan()
        run_once(gw)
        assert len(take_all(channel, queue)) == 1
    assert not stuck.exists()


def test_an_unexpected_error_while_taking_files_does_not_end_the_daemon(
    tmp_path: Path, partner: str, caplog: pytest.LogCaptureFixture
) -> None:
    gw = in_process_gateway(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ready = gw.source.ready
    failures = iter([RuntimeError("a bug of ours")])

    def once_failing(now: float | None = None) -> list[Path]:
        for error in failures:
            raise error
        return ready(now)

    gw.source.ready = once_failing  # type: ignore[method-assign]
    drop(tmp_path / "inbox", partner, "order.edi", small_850(7621))
    stop = threading.Event()
    daemon = threading.Thread(target=gw.run, args=(stop,))
    daemon.start()
    try:
        archive = tmp_path / "archive" / partner
        wait_for("the file to be archived", lambda: any(archive.rglob("*order.edi")), timeout=30)
    finally:
        stop.set()
        gw.source.wake()
        daemon.join(60)
    assert not daemon.is_alive()
    assert any("taking files from the inbox failed" in r.getMessage() for r in caplog.records)

"""Adversarial: hostile files among good ones, through the daemon on both ledgers. For each:
nothing lost, nothing done twice, the rest keeps flowing, the cause is visible (the log, the
ledger's timeline, a report beside a quarantined file).

- separators that are bytes no text holds (ISA16 0xFF, 0xFF between elements, 0x85 as the
  terminator) or a UTF-8 character (ISA16 U+00A6): read, published, answered in ASCII;
- a writer that pauses with its file open, then writes a second interchange: processed whole;
- a partner folder that is a symbolic link to a folder elsewhere, files in a sub-folder of a
  partner folder: never taken, reported once;
- a second daemon on the same home: refused, naming the first;
- a file whose commit fails for a cause of its own, left in the work folder by the last run and
  dropped while running: set aside in quarantine with its reason; restarts run.

Issue 20, items 12, 15 and 18. Add new hostile files to :func:`hostile_files`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from pika.adapters.blocking_connection import BlockingChannel

from gateway.exit_codes import EXIT_BUSY
from gateway.ledger import create_engine_for
from tests.integration.support import (
    PAUSING_WRITER,
    UnstorableReplyParser,
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_outcome,
    gateway_process,
    in_process_gateway,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


def hostile_files() -> dict[str, bytes]:
    """Valid orders (PO00009001...) with hostile separators, by file name."""
    return {
        "isa16-ff.edi": small_850(9001).replace(b"*P*>~", b"*P*\xff~"),
        "element-ff.edi": small_850(9002).replace(b"*", b"\xff"),
        "terminator-85.edi": small_850(9003).replace(b"~", b"\x85"),
        "isa16-broken-bar.edi": small_850(9004).replace(b"*P*>~", "*P*\u00a6~".encode()),
    }


def test_hostile_files_lose_and_double_nothing_and_the_rest_flows(
    tmp_path: Path, database_url: str
) -> None:
    partner = "hostile"
    config = write_settings(tmp_path, database_url, min_age=0.5)
    inbox = tmp_path / "inbox"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.edi").write_bytes(small_850(9101))
    inbox.mkdir()
    (inbox / "linked").symlink_to(elsewhere)
    nested = inbox / partner / "nested"
    nested.mkdir(parents=True)
    (nested / "hidden.edi").write_bytes(small_850(9102))
    expected = {f"PO{n:08d}" for n in (9001, 9002, 9003, 9004, 9201, 9202, 9301, 9302, 9303)}
    published: list[bytes] = []
    with bound_queue("edi.in.#") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, partner, "plain-1.edi", small_850(9301))
            wait_for("the first plain file", lambda: _gather(channel, queue, published) == 1)
            second = gateway_outcome(config, "run")  # a second daemon on this home
            assert second.returncode == EXIT_BUSY, second.stderr
            assert f"(pid {process.pid})" in second.stderr
            writer = subprocess.Popen(
                [sys.executable, "-c", PAUSING_WRITER, str(inbox / partner / "growing.edi"), "2"],
                stdin=subprocess.PIPE,
            )
            for name, data in hostile_files().items():
                drop(inbox, partner, name, data)
            drop(inbox, partner, "plain-2.edi", small_850(9302))
            writer.communicate(small_850(9201) + b"\0" + small_850(9202), timeout=60)
            drop(inbox, partner, "plain-3.edi", small_850(9303))
            wait_for(
                "every order to be published",
                lambda: _gather(channel, queue, published) >= len(expected),
                timeout=60,
            )
            wait_for("every file to be archived", lambda: _archived(tmp_path) == 8)
            assert process.poll() is None, daemon_output(config)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, daemon_output(config)
        gateway_command(config, "run", "--once")  # a restart runs, and finds nothing to do
        _gather(channel, queue, published)
    numbers = Counter(json.loads(body)["data"]["po_number"] for body in published)
    assert numbers == Counter(expected), numbers  # none lost, none twice
    acks = list((tmp_path / "outbox" / partner).glob("*.x12"))
    assert acks and all(ack.read_bytes().isascii() for ack in acks)
    [growing] = (tmp_path / "archive" / partner).rglob("*growing.edi")
    assert growing.read_bytes() == small_850(9201) + small_850(9202)
    assert (elsewhere / "secret.edi").read_bytes() == small_850(9101)
    assert (nested / "hidden.edi").read_bytes() == small_850(9102)
    assert not list((tmp_path / "quarantine").rglob("*.edi"))
    assert not list((tmp_path / "var" / "work").rglob("*.edi"))
    logged = daemon_output(config)
    assert logged.count(f"{str(inbox / 'linked')!r}: never followed") == 1, logged
    assert logged.count(f"{str(nested)!r}: never taken: 1 item(s)") == 1, logged


def _gather(channel: BlockingChannel, queue: str, published: list[bytes]) -> int:
    published.extend(body for _, body in take_all(channel, queue))
    return len(published)


def _archived(home: Path) -> int:
    return len(list((home / "archive").rglob("*.edi")))


def test_a_file_whose_commit_fails_for_a_cause_of_its_own_is_set_aside_and_restarts_run(
    tmp_path: Path, database_url: str
) -> None:
    partner = "poison"
    gw = in_process_gateway(tmp_path, database_url, parse_workers=0)
    gw.pipeline.parser = UnstorableReplyParser()
    work = gw.source.work / partner
    work.mkdir(parents=True)
    (work / f"{'d' * 32}__left.edi").write_bytes(small_850(9401, partner_po="UNSTORABLE1"))
    drop(tmp_path / "inbox", partner, "fine.edi", small_850(9402))
    stop = threading.Event()
    daemon = threading.Thread(target=gw.run, args=(stop,))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        daemon.start()
        try:
            drop(tmp_path / "inbox", partner, "new.edi", small_850(9403, partner_po="UNSTORABLE2"))
            drop(tmp_path / "inbox", partner, "after.edi", small_850(9404))
            quarantine = tmp_path / "quarantine" / partner
            wait_for(
                "both poison files set aside, both others published",
                lambda: len(list(quarantine.glob("*.edi"))) == 2 and _published(database_url) == 2,
            )
            assert daemon.is_alive()
        finally:
            stop.set()
            gw.source.wake()
            daemon.join(60)
        numbers = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert numbers == ["PO00009402", "PO00009404"]
    for moved in quarantine.glob("*.edi"):
        why = json.loads((quarantine / f"{moved.name}.error.json").read_text())["why"]
        assert "for a cause of its own: UnicodeEncodeError" in why, why
    assert not list((tmp_path / "var" / "work").rglob("*.edi"))


def _published(database_url: str) -> int:
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            query = sa.text(  # documents (the quarantine notices are on edi.notice.*)
                "select count(*) from outbox"
                " where state = 'published' and routing_key like 'edi.in.%'"
            )
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()

"""The daemon's home, end to end on both ledgers: only files directly in a partner folder of the
inbox are taken (a link is never followed, a sub-folder never read, both reported once), and
one daemon runs per home (a second ``run``, or ``run --once``, exits naming the first)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from gateway.exit_codes import EXIT_BUSY
from gateway.runtime.home_lock import LOCK_NAME
from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_outcome,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


def test_only_files_directly_in_a_partner_folder_are_taken_the_rest_reported_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """A partner folder that is a link to a folder elsewhere: before, its files were moved out
    of there and published as that partner's. Files in a sub-folder: before, neither taken nor
    reported."""
    config = write_settings(tmp_path, database_url)
    inbox = tmp_path / "inbox"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.edi").write_bytes(small_850(8401))
    inbox.mkdir()
    linked = inbox / f"{partner}-linked"
    linked.symlink_to(elsewhere)
    nested = inbox / partner / "uploads"
    nested.mkdir(parents=True)
    (nested / "nested.edi").write_bytes(small_850(8402))
    with bound_queue("edi.in.#") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, partner, "order.edi", small_850(8403))
            archive = tmp_path / "archive" / partner
            wait_for("the order to be archived", lambda: any(archive.rglob("*order.edi")))
            time.sleep(1.5)  # several rescans (every 0.2 s)
            assert process.poll() is None, daemon_output(config)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, daemon_output(config)
        numbers = [json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)]
    assert numbers == ["PO00008403"]
    assert (elsewhere / "secret.edi").read_bytes() == small_850(8401)
    assert (nested / "nested.edi").read_bytes() == small_850(8402)
    for folder in ("var/work", "archive", "quarantine"):
        assert not list((tmp_path / folder).rglob("*secret.edi")), folder
        assert not list((tmp_path / folder).rglob("*nested.edi")), folder
    logged = daemon_output(config)
    assert logged.count(f"{str(linked)!r}: never followed: a symbolic link") == 1, logged
    assert logged.count(f"{str(nested)!r}: never taken: 1 item(s) in a folder inside") == 1


def test_a_second_daemon_on_one_home_exits_naming_the_first(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Before, both ran: two pollers, two relays, deliveries recorded twice. ``run`` and
    ``run --once`` are refused while it runs (status 4, the pid named); reading commands need
    no lock; ``replay`` leaves the publishing to the running daemon."""
    config = write_settings(tmp_path, database_url)
    lock = tmp_path / "var" / "work" / LOCK_NAME
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        first = gateway_process(config, "run")
        try:
            wait_for(
                "the first daemon to hold the lock",
                lambda: lock.exists() and lock.read_text().strip() == str(first.pid),
            )
            for args in (["run"], ["run", "--once"]):
                second = gateway_outcome(config, *args)
                assert second.returncode == EXIT_BUSY, (args, second.stderr)
                assert f"edi-gateway (pid {first.pid}) running on this home" in second.stderr
            drop(tmp_path / "inbox", partner, "order.edi", small_850(8501))
            wait_for("the order to be published", lambda: bool(take_all(channel, queue)))
            status = json.loads(gateway_command(config, "status", "--json"))
            assert status["files"][partner] == {"archived": 1}
            [document_id] = [
                line.split()[0]
                for line in gateway_command(
                    config, "replay", "--partner", partner, "--dry-run"
                ).splitlines()[:-1]
            ]
            said = gateway_command(config, "replay", document_id)
            assert f"queued again; the edi-gateway (pid {first.pid}) running publishes" in said
            wait_for("the replayed message", lambda: bool(take_all(channel, queue)))
            assert first.poll() is None, daemon_output(config)
        finally:
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=60) == 0, daemon_output(config)
    gateway_command(config, "run", "--once")  # the lock went with the first daemon

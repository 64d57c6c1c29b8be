"""The operators' commands (issue 24) on a real daemon, RabbitMQ and ledger: a file quarantined
for a wrong sender id is published once its partner's profile is fixed and it is reprocessed
(SQLite and PostgreSQL); a paused partner's files wait in the inbox, across a restart, and are
taken when it is resumed; each command's exit codes; every action recorded with who did it."""

from __future__ import annotations

import getpass
import json
import time
import urllib.request
from pathlib import Path

from pika.adapters.blocking_connection import BlockingChannel

from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_outcome,
    running_daemon,
    small_850,
    take_all,
    wait_for,
    write_settings,
)
from tests.support.ports import free_port

ME = f"cli:{getpass.getuser()}"


def profile(home: Path, partner: str, sender: str) -> Path:
    """The partner's X12 profile, its files to come from ``ZZ:<sender>``."""
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{partner}.toml"
    path.write_text(f'[x12]\nsender_id = "GATEWAY"\nreceiver_id = "{sender}"\n')
    return path


def exceptions(config: Path) -> list[dict[str, object]]:
    """``edi-gateway exceptions --json`` (none while the daemon has not made its ledger yet)."""
    done = gateway_outcome(config, "exceptions", "--json")
    if "no ledger at" in done.stderr or "no daemon has run on it" in done.stderr:
        return []
    assert done.returncode == 0, done.stderr
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def arrived(channel: BlockingChannel, queue: str, into: list[object]) -> bool:
    """Whether a message is in ``into``, after those waiting in ``queue`` are added."""
    into.extend(take_all(channel, queue))
    return bool(into)


def test_a_file_quarantined_for_a_wrong_sender_id_is_published_once_reprocessed_after_the_fix(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    path = profile(tmp_path, partner, "WRONG")
    config = write_settings(tmp_path, database_url)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue), running_daemon(config):
        drop(tmp_path / "inbox", partner, "order.x12", small_850(41))
        wait_for("the order quarantined", lambda: bool(exceptions(config)))
        [listed] = exceptions(config)
        assert listed["kind"] == "file" and listed["partner"] == partner
        assert listed["cause"] == "envelope.sender_not_allowed"
        assert "ZZ:WRONG" in str(listed["why"])
        assert take_all(channel, queue) == []

        profile(tmp_path, partner, "ACME")  # the fix, seen by the daemon within 2 s
        wait_for(
            "the profile reloaded",
            lambda: daemon_output(config).count("partner profiles reloaded") >= 1,
        )
        file_id = str(listed["target"])
        said = gateway_command(config, "reprocess", file_id)
        assert f"reprocess-{file_id}-order.x12" in said and "taken by the daemon as file" in said
        published: list[object] = []
        wait_for(
            "the order published",
            lambda: arrived(channel, queue, published),
        )
        time.sleep(1)
        assert len(published) + len(take_all(channel, queue)) == 1  # once
        wait_for("the exception closed", lambda: not exceptions(config))
    assert path.exists()
    original = gateway_command(config, "show", file_id)
    assert (
        f"reprocessed            copied into the inbox as reprocess-{file_id}-order.x12" in original
    )
    assert f"by {ME}" in original and "reprocessed_as" in original
    copy_id = said.split("taken by the daemon as file ")[1].split()[0]
    copy = gateway_command(config, "show", copy_id)
    assert f"a copy of quarantined file {file_id}" in copy and "archived" in copy
    assert gateway_outcome(config, "reprocess", copy_id).returncode == 1  # archived: refused


def test_a_paused_partner_is_held_across_a_restart_and_taken_again_once_resumed(
    tmp_path: Path, partner: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", metrics_address=address
    )
    inbox = tmp_path / "inbox"
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        with running_daemon(config):
            wait_for("the daemon", lambda: "edi-gateway running" in daemon_output(config))
            said = gateway_command(config, "pause", partner, "--reason", "partner migrating")
            assert f"partner {partner} paused by {ME}" in said
            wait_for("the pause seen", lambda: f"partner {partner} PAUSED" in daemon_output(config))
            metrics = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read()
            assert f'edigw_partner_paused{{partner="{partner}"}} 1.0'.encode() in metrics
            drop(inbox, partner, "held.x12", small_850(51))
            time.sleep(3)
            assert (inbox / partner / "held.x12").exists()
            assert take_all(channel, queue) == []
        with running_daemon(config):  # a restart keeps the pause
            wait_for(
                "the pause said again",
                lambda: daemon_output(config).count(f"partner {partner} PAUSED") >= 2,
            )
            time.sleep(2)
            assert (inbox / partner / "held.x12").exists()
            assert "partner migrating" in daemon_output(config)
            assert gateway_outcome(config, "pause", partner).returncode == 1  # already
            gateway_command(config, "resume", partner)
            wait_for("the held file taken", lambda: not (inbox / partner / "held.x12").exists())
            got: list[object] = []
            wait_for(
                "the held order published",
                lambda: arrived(channel, queue, got),
            )
            assert f"partner {partner} RESUMED" in daemon_output(config)
            metrics = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read()
            assert f'edigw_partner_paused{{partner="{partner}"}}'.encode() not in metrics
    assert gateway_outcome(config, "resume", partner).returncode == 1  # not paused


def test_the_commands_say_what_they_refuse_with_exit_code_1_and_record_who_acted(
    tmp_path: Path, partner: str
) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    drop(tmp_path / "inbox", partner, "bad.x12", small_850(61).replace(b"SE*5*", b"SE*9*"))
    drop(tmp_path / "inbox", partner, "good.x12", small_850(62))
    gateway_outcome(config, "run", "--once")  # no broker needed for what follows
    [listed] = exceptions(config)
    bad = str(listed["target"])
    refused = {
        ("reprocess", "999"): "no file 999 in the ledger",
        ("reprocess", str(int(bad) + 1)): "not quarantined",
        ("reprocess", "no-such-request"): "no refused request no-such-request",
        ("dismiss", "999", "--reason", "x"): "no file 999",
        ("dismiss", bad, "--reason", "  "): "a dismissal needs a reason",
        ("pause", "../etc"): "is no partner's name",
        ("resume", partner): "is not paused",
    }
    for args, why in refused.items():
        done = gateway_outcome(config, *args)
        assert done.returncode == 1, (args, done.stderr)
        assert why in done.stderr, (args, done.stderr)
    assert gateway_outcome(config, "dismiss", bad).returncode == 2  # --reason is required
    said = gateway_command(config, "dismiss", bad, "--reason", "a test file")
    assert "dismissed: a test file" in said
    assert exceptions(config) == []
    assert gateway_outcome(config, "dismiss", bad, "--reason", "again").returncode == 1
    assert gateway_outcome(config, "reprocess", bad).returncode == 1  # dismissed
    assert f"dismissed by {ME}: a test file" in gateway_command(config, "show", bad)
    assert "no exception waits" in gateway_command(config, "exceptions")


def test_a_paused_partners_channel_neither_collects_nor_delivers_until_resumed(
    tmp_path: Path, partner: str
) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    share = tmp_path / "share"
    (share / "out").mkdir(parents=True)
    (share / "in").mkdir()
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(
        'format = "x12"\n[folder]\n'
        f'pickup = "{share / "out"}"\ndrop = "{share / "in"}"\nmin_age = 0.0\n'
        'after = "delete"\nschedule = { interval = 1 }\n'
    )
    outbox = tmp_path / "outbox" / partner
    with running_daemon(config):
        wait_for("the daemon", lambda: "edi-gateway running" in daemon_output(config))
        gateway_command(config, "pause", partner)
        wait_for("the pause seen", lambda: f"partner {partner} PAUSED" in daemon_output(config))
        time.sleep(1.5)  # a run under way when it was paused is over
        (share / "out" / "order.edi").write_bytes(small_850(71))
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / "note.x12").write_bytes(small_850(72))
        time.sleep(4)  # four runs of its schedule
        assert (share / "out" / "order.edi").exists()  # not collected
        assert list((share / "in").iterdir()) == []  # nothing delivered
        gateway_command(config, "resume", partner)
        wait_for("the order collected", lambda: not (share / "out" / "order.edi").exists())
        wait_for(
            "the note and the order's 997 delivered",
            lambda: len(list((share / "in").iterdir())) == 2,
        )
    assert "note.x12" in [path.name for path in (share / "in").iterdir()]


def test_a_refused_request_reprocessed_after_its_profile_is_fixed_is_rendered(
    tmp_path: Path, partner: str
) -> None:
    from tests.integration.outbound.support import (
        X12_SECTION,
        asn_data,
        outbound_bus,
        outbound_settings,
        request,
    )

    home = tmp_path / "home"
    strict = X12_SECTION.format(receiver=partner.upper()[:15])
    profiles = home / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(strict)
    config = outbound_settings(home, partner)
    outbox = home / "outbox" / partner
    unfit = {**asn_data("ASN-NOSCAC"), "carrier_scac": None}
    with outbound_bus(partner) as bus, running_daemon(config):
        bus.publish(request("nos", partner, data=unfit), message_id="nos")
        wait_for("the request refused", lambda: bool(exceptions(config)))
        [listed] = exceptions(config)
        assert listed["kind"] == "request" and listed["target"] == "nos"
        assert "carrier_scac" in str(listed["why"])
        relaxed = strict.replace('required = { "856" = ["carrier_scac", "orders.packs.sscc"] }', "")
        assert relaxed != strict
        (profiles / f"{partner}.toml").write_text(relaxed)  # the fix
        wait_for("the reload", lambda: "partner profiles reloaded" in daemon_output(config))
        said = gateway_command(config, "reprocess", "nos")
        assert "sent again" in said or "queued again" in said
        wait_for("the 856 rendered", lambda: bool(list(outbox.glob("856-*.x12"))))
        wait_for("the exception closed", lambda: not exceptions(config))
    assert f"refused request sent again, by {ME}" in gateway_command(config, "show", "nos")

"""The daemon end to end over SFTP: a partner's 850 on its server is fetched, published to
RabbitMQ and removed from the server, and the 997 the gateway writes is delivered back."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

import pika

from tests.integration.sftp.helpers import profile_toml, put, with_inbound, with_outbound
from tests.integration.sftp.sshd import Sshd
from tests.integration.support import (
    bound_queue,
    daemon_output,
    gateway_process,
    small_850,
    take_all,
    write_settings,
)


def test_the_daemon_fetches_publishes_and_answers_over_sftp(
    tmp_path: Path, sshd: Sshd, remote: Path
) -> None:
    partner = f"p{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    (home / "mappings" / "partners").mkdir(parents=True)
    channel = with_outbound(with_inbound(sshd.channel(), remote), remote)
    channel = type(channel).model_validate({**channel.model_dump(), "schedule": {"interval": 0.5}})
    (home / "mappings" / "partners" / f"{partner}.toml").write_text(profile_toml(channel))
    config = write_settings(home, f"sqlite:///{home / 'var' / 'ledger.sqlite3'}")
    put(remote / "out", "order.edi", small_850(9101))
    with bound_queue(f"edi.in.850.{partner}") as (channel_, queue):
        daemon = gateway_process(config, "run")
        try:
            deadline = time.monotonic() + 60
            messages: list[tuple[pika.spec.BasicProperties, bytes]] = []
            while time.monotonic() < deadline:
                messages += take_all(channel_, queue)
                if messages and any((remote / "in").glob("997-*.x12")):
                    break
                assert daemon.poll() is None, daemon_output(config)
                time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
    [(_properties, body)] = messages
    assert json.loads(body)["data"]["po_number"] == "PO00009101"
    assert list((remote / "out").iterdir()) == []  # taken, then deleted on the server
    [ack] = (remote / "in").glob("997-*.x12")
    assert "AK1*PO*9101~" in ack.read_text()
    assert list((home / "outbox" / partner / "sent").glob("997-*.x12"))


def test_a_file_whose_writer_died_midway_is_quarantined_never_published(
    tmp_path: Path, sshd: Sshd, remote: Path
) -> None:
    """Without a done marker, a file left half-written by a dead writer looks complete once
    unchanged for min_age: it is taken, and the pipeline quarantines it (its envelope is cut
    short) with a report; nothing of it is published."""
    partner = f"p{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    (home / "mappings" / "partners").mkdir(parents=True)
    channel = with_inbound(sshd.channel(), remote, min_age=0.3)
    channel = type(channel).model_validate({**channel.model_dump(), "schedule": {"interval": 0.2}})
    (home / "mappings" / "partners" / f"{partner}.toml").write_text(profile_toml(channel))
    config = write_settings(home, f"sqlite:///{home / 'var' / 'ledger.sqlite3'}")
    whole = small_850(9102)
    put(remote / "out", "cut.edi", whole[: len(whole) // 2])
    quarantine = home / "quarantine" / partner
    with bound_queue(f"edi.in.*.{partner}") as (channel_, queue):
        daemon = gateway_process(config, "run")
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not list(quarantine.glob("*.error.json")):
                assert daemon.poll() is None, daemon_output(config)
                time.sleep(0.2)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        assert take_all(channel_, queue) == []
    [report] = quarantine.glob("*cut.edi.error.json")
    assert json.loads(report.read_text())["findings"]
    assert list((remote / "out").iterdir()) == []  # taken once, after the ledger commit

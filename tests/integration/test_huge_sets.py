"""One huge 856 set through the daemon (issue 26): read in parts in the large-file lane, never
held, its item parts held in the ledger as they fill and released with the file: published as
its parts, which put back together are the message ``parse`` makes of the file, with its 997;
killed in the middle of the set and restarted, every part published exactly once, and the
same set again a duplicate that publishes nothing; a huge set rejected publishes none of its
parts, and is answered and quarantined as read whole; no part is left held. A set of 150 kB is
made huge (``EDIGW_TEST_HUGE_SETS``: 1,000 segments, parts of 20 cartons). On both ledgers (the
kill on SQLite)."""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy

from adapters.formats.x12.huge_sets import SETTINGS_ENV
from adapters.formats.x12.inbound import X12Parser
from bench.x12_throughput import generate_varied_846, generate_varied_856
from gateway.bus.cloudevents import SerializedMessage
from gateway.bus.topology import EVENTS_EXCHANGE
from gateway.ledger._held import AHEAD
from gateway.messages.parts import reassemble
from tests.integration.support import (
    bound_queue,
    daemon_log,
    daemon_output,
    drop,
    run_once_process,
    small_850,
    take_all,
    write_settings,
)

HUGE = {SETTINGS_ENV: "1000,20"}
LARGE, MOST = 4096, 32768
"""large_file_size and max_file_size (a file over both is read as a stream)."""


def huge_856(tmp_path: Path, broken: bool = False) -> bytes:
    path = tmp_path / "huge.x12"
    generate_varied_856(path, 150_000)
    data = path.read_bytes()
    path.unlink()
    if broken:  # a carton far in: its quantity is not a number; group 2
        data = re.sub(rb"SN1\*\*(\d+)\*", rb"SN1**MANY*", data, count=1)
        data = data.replace(b"*000000001*0*P*", b"*000000002*0*P*")
        data = re.sub(rb"\*1200\*1\*X\*004010~", b"*1200*2*X*004010~", data)
        data = re.sub(rb"GE\*1\*1~", b"GE*1*2~", data)
        data = data.replace(b"IEA*1*000000001~", b"IEA*1*000000002~")
    return data


def run(config: Path, env: dict[str, str] | None = None) -> int:
    """``run --once`` on ``config``, huge sets from 1,000 segments (``env`` besides)."""
    return run_once_process(config, {**HUGE, **(env or {})})


def events(channel: Any, queue: str) -> list[tuple[Any, dict[str, Any]]]:
    return [(properties, json.loads(body)) for properties, body in take_all(channel, queue)]


def without_arrival(message: dict[str, Any]) -> dict[str, Any]:
    envelope = {**message["envelope"], "received_at": None, "correlation_id": None}
    return {**message, "envelope": envelope}


def assert_parse_message(
    data: bytes, partner: str, received: list[tuple[Any, dict[str, Any]]]
) -> None:
    """``received`` are the parts of the message ``parse`` makes of ``data``, each once."""
    [expected] = X12Parser().parse(data, file_name="huge.x12", partner=partner).documents
    assert expected.message is not None, expected.errors
    whole = json.loads(SerializedMessage.of(expected.message).data)
    ids = [properties.message_id for properties, _ in received]
    total = received[0][1]["data"]["parts"]
    assert sorted(ids) == sorted(f"{expected.document_id}/{n}" for n in range(1, total + 1))
    assert total > 5  # the set's parts, as they filled
    for properties, event in received:
        assert event["id"] == properties.message_id and event["documentid"] == expected.document_id
        assert properties.headers["parts"] == str(total)
    message = reassemble([event["data"] for _, event in received])
    assert without_arrival(message) == without_arrival(whole)


def parts_left(database_url: str) -> dict[str, int]:
    """The outbox's rows of inbound messages by state, and those still held ahead of a
    document (``ahead``)."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.text("SELECT state, document_id FROM outbox WHERE exchange != :events"),
                {"events": EVENTS_EXCHANGE},
            ).all()
    finally:
        engine.dispose()
    counts = collections.Counter(state for state, _ in rows)
    counts["ahead"] = sum(document_id.startswith(AHEAD) for _, document_id in rows)
    return dict(counts)


def acknowledgements(tmp_path: Path, partner: str) -> list[str]:
    """The acknowledgements written for the partner, by their interchange's ISA13."""
    acks = [ack.read_text() for ack in (tmp_path / "outbox" / partner).glob("*.x12")]
    return sorted(acks, key=lambda text: re.findall(r"AK1\*SH\*(\d+)", text))


def test_a_huge_856_is_published_as_its_parts_and_a_rejected_one_publishes_none(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Two files of one huge set each, in one run: the good one published as its parts, which
    make the message ``parse`` makes, with its 997; the broken one rejected, none of its parts
    published, answered and quarantined as read whole."""
    config = write_settings(tmp_path, database_url, large_file_size=LARGE, max_file_size=MOST)
    data = huge_856(tmp_path)
    drop(tmp_path / "inbox", partner, "asn.x12", data)
    drop(tmp_path / "inbox", partner, "broken.x12", huge_856(tmp_path, broken=True))
    with bound_queue(f"edi.in.856.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    log = daemon_output(config)
    assert "asn.x12: read as a stream" in log and "broken.x12: read as a stream" in log, log
    assert_parse_message(data, partner, received)
    accepted, rejected = acknowledgements(tmp_path, partner)
    assert "AK5*A~" in accepted and "AK5*R*" in rejected
    assert any((tmp_path / "archive" / partner).rglob("*asn.x12"))
    [report] = (tmp_path / "quarantine" / partner).glob("*.error.json")
    assert "MANY" in report.read_text()
    left = parts_left(database_url)  # the rejected set's held parts forgotten
    assert left.get("ahead") == 0 and left.get("held", 0) == 0, left
    assert left.get("published") == len(received), left


def test_a_huge_856_under_max_file_size_is_read_as_a_stream_and_a_large_file_of_850s_whole(
    tmp_path: Path, partner: str
) -> None:
    """A file under ``max_file_size`` (its default here, 2 GiB) is read whole in a worker, but
    one holding a huge 856 is read as a stream all the same, its set in parts (read whole, it
    takes some 80 times its size); a large file of 850s is still read whole, in the lane's
    worker."""
    config = write_settings(tmp_path, "sqlite:///var/ledger.sqlite3", large_file_size=LARGE)
    data = huge_856(tmp_path)
    drop(tmp_path / "inbox", partner, "asn.x12", data)
    orders = b"".join(small_850(9000 + n) for n in range(60))
    assert LARGE < len(orders) < len(data)
    drop(tmp_path / "inbox", partner, "orders.x12", orders)
    with bound_queue(f"edi.in.856.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    log = daemon_log(config).read_text()
    assert "asn.x12: read as a stream" in log, daemon_output(config)
    assert "orders.x12: read as a stream" not in log and "orders.x12: parsed in" in log
    assert_parse_message(data, partner, received)


def test_a_kill_in_the_middle_of_a_huge_set_and_a_restart_publish_each_part_once(
    tmp_path: Path, partner: str
) -> None:
    config = write_settings(
        tmp_path, "sqlite:///var/ledger.sqlite3", large_file_size=LARGE, max_file_size=MOST
    )
    data = huge_856(tmp_path)
    drop(tmp_path / "inbox", partner, "asn.x12", data)
    with bound_queue(f"edi.in.856.{partner}") as (channel, queue):
        crashed = run(config, {"EDIGW_CRASH_AT": "after_part"})  # parts held, then the kill
        assert crashed == -9, daemon_output(config)
        assert take_all(channel, queue) == []  # nothing before the set's end
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    assert_parse_message(data, partner, received)
    [ack] = acknowledgements(tmp_path, partner)
    assert "AK5*A~" in ack
    drop(tmp_path / "inbox", partner, "again.x12", data)  # the same set again: a duplicate
    with bound_queue(f"edi.in.856.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        assert take_all(channel, queue) == []
    left = parts_left(f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}")
    assert left == {"published": len(received), "ahead": 0}, left


def test_a_huge_846_of_a_partner_checking_its_reference_data_is_published_whole_unchecked(
    tmp_path: Path, partner: str
) -> None:
    """The reference check sees a document read in parts by its first items only, and a
    document withheld would lose the parts held before its end: it is published with all its
    parts, and its timeline says it was not checked."""
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text('reference_check = ["846"]\n')
    references = tmp_path / "mappings" / "reference"
    references.mkdir(parents=True)
    (references / f"{partner}.toml").write_text('items = ["NONE-OF-THEM"]\n')
    database_url = f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"
    config = write_settings(tmp_path, database_url, large_file_size=LARGE, max_file_size=MOST)
    path = tmp_path / "catalog.x12"
    generate_varied_846(path, 150_000)
    data = path.read_bytes()
    path.unlink()
    drop(tmp_path / "inbox", partner, "catalog.x12", data)
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    assert_parse_message(data, partner, received)
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            said = connection.execute(
                sqlalchemy.text("SELECT message FROM events WHERE kind = 'not_checked'")
            ).all()
    finally:
        engine.dispose()
    assert [row[0] for row in said] == [
        "not checked against the partner's reference data: read in parts "
        "(a transaction set too large to hold)"
    ]
    assert parts_left(database_url) == {"published": len(received), "ahead": 0}

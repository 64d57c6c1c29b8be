"""One huge CSV order through the daemon (issue 22, with issue 26's parts): read in parts in the
large-file lane, never held, its item parts held in the ledger as they fill and released with
the file: published as its parts, which put back together are the message ``parse`` makes of
the file (the orders around it published whole, as ever); a huge order that fails far in
publishes none of its parts, its file quarantined as read whole; killed in the middle of the
order and restarted, every part published exactly once, and the same file again duplicates that
publish nothing; no part is left held. A huge CSV inventory advice, its lines grouped "rows by
line", is published as its parts too, while a CSV ship notice past the rows a document read
whole may hold is quarantined (``csv.too_large``). An order of 500 rows is made huge
(``EDIGW_TEST_HUGE_DOCUMENTS``: 100 rows, parts of 40 lines). On both ledgers (the kill and
the advice on SQLite)."""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

from adapters.formats.delimited.format import CsvParser
from adapters.formats.delimited.mapping import load_mapping
from adapters.formats.flat_in_parts import SETTINGS_ENV
from gateway.bus.cloudevents import SerializedMessage
from gateway.messages.parts import reassemble
from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    run_once_process,
    take_all,
    write_settings,
)
from tests.integration.test_huge_sets import events, parts_left, without_arrival
from tests.unit.delimited.test_flat_grouped_in_parts import advice_rows, advices
from tests.unit.delimited.test_huge_csv_document import orders
from tests.unit.test_flat_document_bound import ASN_HEADER, shipment

HUGE = {SETTINGS_ENV: "100,40"}
LARGE = 4096
"""large_file_size: the files, over it, are read as streams."""
PROFILE = 'format = "csv"\n[csv]\nmapping = "example-orders"\n'


def setup(tmp_path: Path, database_url: str, partner: str) -> Path:
    """The home: the partner's profile (CSV orders), gateway.toml."""
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(PROFILE)
    return write_settings(tmp_path, database_url, large_file_size=LARGE)


def run(config: Path, env: dict[str, str] | None = None) -> int:
    """``run --once`` on ``config``, documents huge from 100 rows (``env`` besides)."""
    return run_once_process(config, {**HUGE, **(env or {})})


def assert_parse_messages(
    data: bytes,
    partner: str,
    received: list[tuple[Any, dict[str, Any]]],
    mapping: str = "example-orders",
) -> None:
    """``received`` are the messages ``parse`` makes of ``data`` with ``mapping``, each once:
    the huge document (the second of three) as its parts, the others whole."""
    parser = CsvParser({partner: load_mapping(mapping)}, {}, {})
    expected = parser.parse(data, file_name="orders.csv", partner=partner).documents
    by_document = collections.defaultdict(list)
    for properties, event in received:
        by_document[event["data"]["document_id"]].append((properties, event))
    assert sorted(by_document) == sorted(d.document_id for d in expected)  # in any order
    small, huge, small_too = (by_document[d.document_id] for d in expected)
    assert len(small) == len(small_too) == 1
    total = huge[0][1]["data"]["parts"]
    assert total > 5  # the order's parts, as they filled
    ids = sorted(properties.message_id for properties, _ in huge)
    assert ids == sorted(f"{expected[1].document_id}/{n}" for n in range(1, total + 1))
    for doc, events_of in zip(expected, (small, huge, small_too), strict=True):
        assert doc.message is not None
        whole = json.loads(SerializedMessage.of(doc.message).data)
        data_of = [event["data"] for _, event in events_of]
        message = reassemble(data_of) if doc is expected[1] else data_of[0]
        assert without_arrival(message) == without_arrival(whole)


def test_a_huge_csv_order_is_published_as_its_parts_and_a_failing_one_publishes_none(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = setup(tmp_path, database_url, partner)
    data = orders()
    drop(tmp_path / "inbox", partner, "orders.csv", data)
    broken = orders(changed={"450": {"quantity": "MANY"}}).split(b"\n")
    broken_order = b"".join(line + b"\n" for line in broken if b"HUGE-1" in line)  # alone
    drop(tmp_path / "inbox", partner, "broken.csv", broken_order)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    log = daemon_output(config)
    assert "orders.csv: read as a stream" in log and "broken.csv: read as a stream" in log, log
    assert_parse_messages(data, partner, received)
    [report] = (tmp_path / "quarantine" / partner).glob("*broken.csv.error.json")
    assert "rows 1-500 (HUGE-1)" in report.read_text() and "MANY" in report.read_text()
    assert any((tmp_path / "archive" / partner).rglob("*orders.csv"))
    left = parts_left(database_url)  # the failing order's held parts forgotten
    assert left.get("ahead") == 0 and left.get("held", 0) == 0, left
    assert left.get("published") == len(received), left


def test_a_kill_in_a_huge_csv_order_and_a_restart_publish_each_part_once_and_a_copy_none(
    tmp_path: Path, partner: str
) -> None:
    database_url = f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"
    config = setup(tmp_path, database_url, partner)
    data = orders()
    drop(tmp_path / "inbox", partner, "orders.csv", data)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        crashed = run(config, {"EDIGW_CRASH_AT": "after_part"})  # parts held, then the kill
        assert crashed == -9, daemon_output(config)
        assert take_all(channel, queue) == []  # nothing before the file's end
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    assert_parse_messages(data, partner, received)
    drop(tmp_path / "inbox", partner, "again.csv", data)  # the same orders again: duplicates
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        assert take_all(channel, queue) == []
    left = parts_left(database_url)
    assert left == {"published": len(received), "ahead": 0}, left


def test_a_huge_csv_inventory_advice_is_published_as_its_parts_and_a_ship_notice_too_large_none(
    tmp_path: Path, partner: str
) -> None:
    database_url = f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"
    shipper = f"{partner}s"
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(
        PROFILE.replace("example-orders", "example-inventory")
    )
    (profiles / f"{shipper}.toml").write_text(PROFILE.replace("example-orders", "example-asn"))
    config = write_settings(tmp_path, database_url, large_file_size=LARGE)
    catalog = advices(advice_rows([str(n) for n in range(1, 251)], 2))  # 500 rows, 250 lines
    drop(tmp_path / "inbox", partner, "catalog.csv", catalog)
    drop(tmp_path / "inbox", shipper, "asn.csv", (ASN_HEADER + shipment("SHP-HUGE", 150)).encode())
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    assert "catalog.csv: read as a stream" in daemon_output(config)
    assert_parse_messages(catalog, partner, received, "example-inventory")
    [report] = (tmp_path / "quarantine" / shipper).glob("*asn.csv.error.json")
    text = report.read_text()
    assert "csv.too_large" in text and "rows 2-151 (SHP-HUGE): more than 100 rows" in text, text
    assert "(row 102 passes them)" in text, text
    left = parts_left(database_url)
    assert left == {"published": len(received), "ahead": 0}, left

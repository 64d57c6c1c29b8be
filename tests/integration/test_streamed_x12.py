"""Large X12 files read as streams through the daemon (issue 26): an interchange of many sets
over ``large_file_size`` is read a part of sets at a time, never whole, so ``max_file_size``
does not refuse it; each set is published once, only once the file is read to its end, and the
file gets its one 997; a broken set in the middle is rejected in the 997 and the others
published; a file from another sender is refused whole, nothing of it recorded nor published
nor acknowledged; a kill after a part was committed, and a restart, publish each set once. A
partner whose policy refuses reused control numbers has its files read whole. On both
ledgers."""

from __future__ import annotations

import json
from pathlib import Path

from pika.adapters.blocking_connection import BlockingChannel

from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_outcome,
    run_to_crash_point,
    take_all,
    write_settings,
)
from tests.integration.support import gateway_command as command
from tests.support.x12_files import interchange, order_set

SETS = 600
"""850s of the large file: three parts (200 documents each), about 58 kB."""
BROKEN = 300
"""The set (from 1) a broken file has broken: its PO1 quantity is not a number."""
LARGE, MOST = 4096, 32768
"""large_file_size and max_file_size."""


def po_number(n: int) -> str:
    return f"PO-{n:06d}"


def orders_x12(broken: int | None = None, count: int = SETS) -> bytes:
    """One interchange, one group of ``count`` orders; set ``broken`` (from 1) broken."""
    sets = [order_set(po_number(n))[0] for n in range(1, count + 1)]
    if broken is not None:
        set_id, body = sets[broken - 1]
        sets[broken - 1] = (set_id, [s.replace("PO1*1*12*", "PO1*1*TWELVE*") for s in body])
    return interchange(7001, [("PO", 7001, sets)]).encode()


def home(tmp_path: Path, database_url: str) -> Path:
    return write_settings(tmp_path, database_url, large_file_size=LARGE, max_file_size=MOST)


def published_orders(channel: BlockingChannel, queue: str) -> list[str]:
    return [json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)]


def acknowledgement(tmp_path: Path, partner: str) -> str:
    """The one acknowledgement file the gateway wrote for the partner."""
    [ack] = (tmp_path / "outbox" / partner).glob("*.x12")
    return ack.read_text()


def test_a_large_x12_file_is_read_as_a_stream_each_set_published_once_with_its_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url)
    data = orders_x12()
    assert len(data) > MOST  # read whole, it would be refused
    drop(tmp_path / "inbox", partner, "orders.x12", data)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run = gateway_outcome(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert run.returncode == 0 and "read as a stream" in run.stderr, run.stderr[-3000:]
    assert sorted(orders) == [po_number(n) for n in range(1, SETS + 1)]
    ack = acknowledgement(tmp_path, partner)
    assert "AK1*PO*7001~" in ack and f"AK9*A*{SETS}*{SETS}*{SETS}~" in ack, ack[-500:]
    assert any((tmp_path / "archive" / partner).rglob("*orders.x12"))


def test_a_broken_set_in_the_middle_is_rejected_in_the_997_and_the_others_published(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "orders.x12", orders_x12(broken=BROKEN))
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run = gateway_outcome(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert "read as a stream" in run.stderr, run.stderr[-3000:]
    assert sorted(orders) == [po_number(n) for n in range(1, SETS + 1) if n != BROKEN]
    ack = acknowledgement(tmp_path, partner)
    assert f"AK2*850*{BROKEN:04d}~\nAK3*PO1*" in ack and "AK5*R*5~" in ack, ack[-800:]
    assert f"AK9*P*{SETS}*{SETS}*{SETS - 1}~" in ack, ack[-500:]
    [report] = (tmp_path / "quarantine" / partner).glob("*.error.json")  # as read whole
    assert "TWELVE" in report.read_text()


def test_a_large_x12_file_from_another_sender_is_refused_whole_and_publishes_nothing(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url)
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(
        '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "NOT-ACME"\npartner_ids = ["ZZ:NOT-ACME"]\n'
    )
    drop(tmp_path / "inbox", partner, "orders.x12", orders_x12())
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run = gateway_outcome(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert "read as a stream" in run.stderr, run.stderr[-3000:]
    assert orders == []
    assert not list((tmp_path / "outbox" / partner).glob("*.x12"))  # no ack to a foreign id
    [report] = (tmp_path / "quarantine" / partner).glob("*.error.json")
    assert "not from partner" in json.loads(report.read_text())["why"]
    status = json.loads(command(config, "status", "--json"))
    assert status["documents"].get(partner, {}) == {}  # none recorded


def test_a_kill_after_a_part_and_a_restart_publish_each_set_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "orders.x12", orders_x12())
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_to_crash_point(config, "after_part")  # one part committed, held, then the kill
        assert published_orders(channel, queue) == []
        command(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert sorted(orders) == [po_number(n) for n in range(1, SETS + 1)]
    assert f"AK9*A*{SETS}*{SETS}*{SETS}~" in acknowledgement(tmp_path, partner)
    assert any((tmp_path / "archive" / partner).rglob("*orders.x12")), daemon_output(config)


def test_a_partner_refusing_reused_control_numbers_has_its_large_files_read_whole(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Refusing one takes every document of the file before its TA1 is decided."""
    config = home(tmp_path, database_url)
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(
        '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\ncontrol_numbers_reused = "reject"\n'
    )
    data = orders_x12(count=200)
    assert LARGE < len(data) < MOST
    drop(tmp_path / "inbox", partner, "orders.x12", data)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run = gateway_outcome(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert "parsed in the large-file lane" in run.stderr, run.stderr[-3000:]
    assert "read as a stream" not in run.stderr, run.stderr[-3000:]
    assert sorted(orders) == [po_number(n) for n in range(1, 201)]

"""Large flat files read as streams through the daemon (issue 22): a CSV file over
``large_file_size`` is read a part at a time, never whole, so ``max_file_size`` does not refuse
it; every order is published once and only once the file is read to its end; a file found
unreadable at its last line publishes nothing and is quarantined with its report; a kill after
a part was committed, and a restart, publish each order once. On both ledgers."""

from __future__ import annotations

import json
from pathlib import Path

from pika.adapters.blocking_connection import BlockingChannel

from tests.integration.support import (
    ROOT,
    bound_queue,
    daemon_output,
    drop,
    gateway_outcome,
    run_to_crash_point,
    take_all,
    write_settings,
)
from tests.integration.support import gateway_command as command

ORDERS = 1200
"""Orders of the large file: several parts (250 documents each) of two rows per order."""
LARGE, MOST = 4096, 65536
"""large_file_size and max_file_size."""


def orders_csv(orders: int = ORDERS) -> bytes:
    """``orders`` orders of two rows in the shipped example-orders layout (about 180 kB)."""
    first, second = (ROOT / "fixtures" / "csv" / "example-orders.csv").read_text().splitlines()[:2]
    rows = [
        line.replace("ORD-501", f"ORD-{n:06d}") + "\n"
        for n in range(orders)
        for line in (first, second)
    ]
    return "".join(rows).encode()


def home(tmp_path: Path, database_url: str, partner: str) -> Path:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text('format = "csv"\n[csv]\nmapping = "example-orders"\n')
    return write_settings(tmp_path, database_url, large_file_size=LARGE, max_file_size=MOST)


def published_orders(channel: BlockingChannel, queue: str) -> list[str]:
    return [json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)]


def test_a_large_csv_file_is_read_as_a_stream_and_each_order_published_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url, partner)
    data = orders_csv()
    assert len(data) > MOST  # read whole, it would be refused
    drop(tmp_path / "inbox", partner, "orders.csv", data)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run = gateway_outcome(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert run.returncode == 0 and "read as a stream" in run.stderr, run.stderr[-3000:]
    assert sorted(orders) == [f"ORD-{n:06d}" for n in range(ORDERS)]
    assert any((tmp_path / "archive" / partner).rglob("*orders.csv"))


def test_a_large_file_unreadable_at_its_end_publishes_nothing(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url, partner)
    data = orders_csv() + b'"ORDERSD96AUNEAN008","SHOP-7","GATEWAY","","ORD-\xff"\n'
    drop(tmp_path / "inbox", partner, "orders.csv", data)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        command(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert orders == []  # its first parts were recorded, held, then forgotten
    [report] = (tmp_path / "quarantine" / partner).glob("*.error.json")
    why = json.loads(report.read_text())["why"]
    assert f"line {2 * ORDERS + 1}" in why, why
    status = json.loads(command(config, "status", "--json"))
    assert status["documents"].get(partner, {}) == {}  # none left in the ledger


def test_a_kill_after_a_part_and_a_restart_publish_each_order_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home(tmp_path, database_url, partner)
    drop(tmp_path / "inbox", partner, "orders.csv", orders_csv())
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_to_crash_point(config, "after_part")  # one part committed, held, then the kill
        assert published_orders(channel, queue) == []
        command(config, "run", "--once")
        orders = published_orders(channel, queue)
    assert sorted(orders) == [f"ORD-{n:06d}" for n in range(ORDERS)]
    assert any((tmp_path / "archive" / partner).rglob("*orders.csv")), daemon_output(config)

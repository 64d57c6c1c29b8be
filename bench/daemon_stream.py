"""A large CSV file through the daemon, read as a stream (issue 22), beside the format alone
and the stdlib ``csv.reader`` over the same bytes, in the same run.

The file (``--mb`` MB of orders in the shipped example-orders layout, ``--rows-per-order`` rows
each) is dropped in the inbox of a home of its own (SQLite ledger) and ``edi-gateway run
--once`` takes it, with no broker to publish to: what is measured is reading, recording and
filing the file, not publishing (its messages stay queued in the ledger; the run exits 75). The
daemon's resident memory (its process and its worker processes) is sampled every 0.2 s; the
peak is printed beside the format's own peak (``bench/flat_xml.py``'s case) and the raw reader's.

Run:  .venv/bin/python bench/daemon_stream.py [--mb 64] [--rows-per-order 10]
      (the issue's figure: --mb 1024)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import flat_xml  # noqa: E402  (the bench beside this one: its file and its cases)

PARTNER = "bench"


def _rss_kb(pid: int, *, descendants: bool = True) -> int:
    """Resident kB of ``pid`` and (``descendants``) its descendants (0 once gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        pending += [int(child) for child in children] if descendants else []
    return total


def through_the_daemon(csv_file: Path, home: Path) -> tuple[float, int, int]:
    """``run --once`` taking ``csv_file``: the seconds its stream took (from the claim to the
    file's last commit, as the daemon logs it: not the 30 s ``--once`` then waits for a broker),
    the peak RSS (kB) of the daemon's own process, and of all its processes."""
    profiles = home / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{PARTNER}.toml").write_text('format = "csv"\n[csv]\nmapping = "example-orders"\n')
    (home / "gateway.toml").write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:1/%2F"\n'  # nobody listens: nothing published
        "min_age = 0.0\n"
        'metrics_address = ""\n'
    )
    inbox = home / "inbox" / PARTNER
    inbox.mkdir(parents=True)
    os.link(csv_file, inbox / csv_file.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(EDIGW_CONFIG=str(home / "gateway.toml"), PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run", "--once"],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "daemon.log").open("w"),
    )
    peak = main = 0
    while process.poll() is None:
        peak = max(peak, _rss_kb(process.pid))
        main = max(main, _rss_kb(process.pid, descendants=False))
        time.sleep(0.2)
    log = (home / "daemon.log").read_text()
    assert any((home / "archive" / PARTNER).rglob(f"*{csv_file.name}")), log[-3000:]
    found = re.search(r"read as a stream in ([0-9.]+) s", log)
    assert found is not None, log[-3000:]
    return float(found[1]), main, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=64.0)
    parser.add_argument("--rows-per-order", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        orders = folder / "orders.csv"
        rows = flat_xml.csv_file(orders, args.mb, args.rows_per_order)
        size = orders.stat().st_size / (1024 * 1024)
        print(f"CSV: {size:,.1f} MB, {rows:,} rows, {args.rows_per_order} rows per order")
        for case in ("csv-raw", "csv-gateway"):
            got = flat_xml.measure(case, orders)
            print(
                f"  {case:16} {got['rows'] / got['seconds']:10,.0f} rows/s"
                f" {size / got['seconds']:7.1f} MB/s   peak RSS {got['rss_mb']:7,.0f} MB"
            )
        seconds, main_kb, all_kb = through_the_daemon(orders, folder / "home")
        print(
            f"  {'daemon, streamed':16} {rows / seconds:10,.0f} rows/s {size / seconds:7.1f} MB/s"
            f"   peak RSS {main_kb / 1024:7,.0f} MB (its process; {all_kb / 1024:,.0f} MB with its"
            " idle worker processes)"
        )


if __name__ == "__main__":
    main()

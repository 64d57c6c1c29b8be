"""A large X12 file of many 846 sets through the daemon (issue 26): read as a stream of parts, and
the same file read whole, in the same run.

The file (``--mb`` MB: one interchange, one group of 846 inventory advices of 20 LIN loops each,
a catalog sent as many sets) is dropped in the inbox of a home of its own (SQLite ledger) and
``edi-gateway run --once`` takes it in the large-file lane, with no broker to publish to: what
is measured is reading, validating, translating, recording and filing the file, and its 997
(its messages stay queued in the ledger; the run exits 75). Read whole, the partner's profile
refuses reused control numbers (a partner whose files the gateway reads whole) and
``max_file_size`` is raised over the file: the lane's worker process parses it. The daemon's
resident memory (its process and its worker processes) is sampled every 0.2 s
(``bench/daemon_stream.py``'s sampler).

Run:  .venv/bin/python bench/daemon_stream_x12.py [--mb 16] [--cases streamed,whole]
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

from bench.daemon_stream import _rss_kb  # noqa: E402

PARTNER = "bench"
LINES = 20
"""LIN loops of each 846 set."""


def inventory_file(path: Path, mb: float) -> int:
    """``mb`` MB of 846 sets in one interchange at ``path``; returns how many sets."""
    target = int(mb * 1024 * 1024)
    with path.open("w") as out:
        size = out.write(
            "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261205*0600*U*"
            "00401*000000846*0*P*:~\nGS*IB*ACME*GATEWAY*20261205*0600*846*X*004010~\n"
        )
        sets = 0
        while size < target:
            sets += 1
            lines = [f"ST*846*{sets:09d}", f"BIA*00*SI*INV-{sets}*20261204*0600*2"]
            lines.append("N1*WH*EAST DC*92*DC-EAST")
            for n in range(1, LINES + 1):
                lines += [
                    f"LIN*{n}*VN*SKU-{sets}-{n}*UP*012345678905",
                    "PID*F****BLUE WIDGET",
                    f"QTY*17*{n * 7}*EA",
                    "QTY*33*100*EA",
                ]
            lines += [f"CTT*{LINES}", f"SE*{len(lines) + 2}*{sets:09d}"]
            size += out.write("~\n".join(lines) + "~\n")
        out.write(f"GE*{sets}*846~\nIEA*1*000000846~\n")
    return sets


def through_the_daemon(x12_file: Path, home: Path, *, whole: bool) -> tuple[float, int, int]:
    """``run --once`` taking ``x12_file``: the seconds the lane took (as the daemon logs it: the
    stream, or the parse and the commit),
    the peak RSS (kB) of the daemon's own process, and of all its processes."""
    profiles = home / "mappings" / "partners"
    profiles.mkdir(parents=True)
    policy = 'control_numbers_reused = "reject"\n' if whole else ""
    (profiles / f"{PARTNER}.toml").write_text(
        f'[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\n{policy}'
    )
    most = f"max_file_size = {2 * x12_file.stat().st_size}\n" if whole else ""
    (home / "gateway.toml").write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:1/%2F"\n'  # nobody listens: nothing published
        f'min_age = 0.0\nmetrics_address = ""\n{most}'
    )
    inbox = home / "inbox" / PARTNER
    inbox.mkdir(parents=True)
    os.link(x12_file, inbox / x12_file.name)
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
    assert any((home / "archive" / PARTNER).rglob(f"*{x12_file.name}")), log[-3000:]
    assert any((home / "outbox" / PARTNER).glob("*.x12")), log[-3000:]  # its 997
    found = re.search(
        r"(?:read as a stream|parsed) in ([0-9.]+) s(?:, committed in ([0-9.]+) s)?", log
    )
    assert found is not None, log[-3000:]
    return float(found[1]) + float(found[2] or 0), main, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=16.0)
    parser.add_argument("--cases", default="streamed,whole")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        advices = folder / "inventory.x12"
        sets = inventory_file(advices, args.mb)
        size = advices.stat().st_size / (1024 * 1024)
        print(f"X12: {size:,.1f} MB, {sets:,} 846 sets of {LINES} LIN loops, one interchange")
        for case in args.cases.split(","):
            seconds, main_kb, all_kb = through_the_daemon(
                advices, folder / case, whole=case == "whole"
            )
            print(
                f"  daemon, {case:9} {sets / seconds:8,.0f} sets/s {size / seconds:6.2f} MB/s"
                f"   peak RSS {main_kb / 1024:7,.0f} MB (its process; {all_kb / 1024:,.0f} MB"
                " with its worker processes)"
            )


if __name__ == "__main__":
    main()

"""An 846 inventory advice of a whole catalog (issue 25: 1,000,000 item/location lines), as X12
and as CSV, read and published, beside the raw readers over the same bytes, in the same run.

Writes (under a temporary folder) an interchange of 846 sets holding ``--lines`` LIN loops in all
(10,000 a set, the most the standard allows; each an item at a location, on hand and available, a
third of them with a quarantined quantity too) and the same as one advice in CSV, in the shipped
``example-inventory`` layout (a row per item, location and state): a CSV advice has no such
limit, and one of more than 10,000 lines is published in parts (gateway.messages.parts).
Then, each in a process of its own so that its peak RSS is its own:

  x12-raw       the bytes split into segments and elements (the floor)
  x12-gateway   the partner's format, read as a stream as the daemon reads a large file: read,
                envelope checks, validation, translation into an InventoryAdvice a set,
                serialized into the CloudEvents each is published as
  csv-raw       ``csv.reader`` over the CSV
  csv-gateway   the partner's CSV format (as a stream) through the mapping into one
                InventoryAdvice, and its CloudEvents (its parts)
  daemon        both files through ``edi-gateway run --once`` (SQLite ledger, a RabbitMQ vhost of
                its own): read as streams (they are over ``large_file_size``), recorded,
                published (the CSV advice as parts), consumed and put back together; the time
                from the daemon's start to its exit, and its RSS (with its worker processes)
                sampled every 0.2 s

Run:  .venv/bin/python bench/inventory_846.py [--lines 1000000] [--stages x12-raw,...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.daemon_stream import _rss_kb  # noqa: E402  (the daemon's and its workers' RSS)

PARTNER_X12, PARTNER_CSV = "bench3pl", "benchcsv"
STAGES = ("x12-raw", "x12-gateway", "csv-raw", "csv-gateway", "daemon")
ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        "
    "*261205*0600*U*00401*000000846*0*P*:~\n"
)


SET_LINES = 10_000
"""LIN loops in one 846 set at most (the standard's repeat of the LIN loop): a catalog of more
lines is several sets in the interchange, as 3PLs send it."""


def write_x12(path: Path, lines: int) -> int:
    """An interchange of 846 sets holding ``lines`` LIN loops in all; returns its segments."""
    segments = 4
    sets = (lines + SET_LINES - 1) // SET_LINES
    with path.open("w", encoding="ascii") as out:
        out.write(ISA + "GS*IB*ACME*GATEWAY*20261205*0600*846*X*004010~\n")
        for number in range(1, sets + 1):
            first, last = (number - 1) * SET_LINES + 1, min(number * SET_LINES, lines)
            out.write(
                f"ST*846*{number:04d}~\nBIA*00*SI*INV-{number}*20261204*0600~\n"
                "N1*WH*EAST DC*92*DC-EAST~\n"
            )
            count = 3
            for n in range(first, last + 1):
                loop = (
                    f"LIN*{n}*VN*SKU-{n:07d}*UP*0{n % 100000:05d}123456~\n"
                    f"QTY*17*{n % 500 + 1}*EA~\nQTY*33*{n % 400}*EA~\n"
                    + (f"QTY*QH*{n % 7 + 1}*CA~\n" if n % 3 == 0 else "")
                    + f"N1*LC*AISLE {n % 50}*92*A{n % 50:02d}~\n"
                )
                out.write(loop)
                count += loop.count("~")
            out.write(f"CTT*{last - first + 1}~\nSE*{count + 2}*{number:04d}~\n")
            segments += count + 2
        out.write(f"GE*{sets}*846~\nIEA*1*000000846~\n")
    return segments


def write_csv(path: Path, lines: int) -> int:
    """The same advice as CSV (example-inventory); returns its rows."""
    head = "INV-BIG,3PL-WEST,GATEWAY,ADV-BIG,20261204,0600,snapshot,DC-EAST"
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "file_reference,sender,receiver,advice_id,as_of_date,as_of_time,semantics,"
            "warehouse,line,sku,upc,description,location,state,quantity,unit\n"
        )
        for n in range(1, lines + 1):
            item = f"{head},{n},SKU-{n:07d},0{n % 100000:05d}123456,,A{n % 50:02d}"
            out.write(f"{item},on_hand,{n % 500 + 1},EA\n{item},available,{n % 400},EA\n")
            rows += 2
            if n % 3 == 0:
                out.write(f"{item},quarantined,{n % 7 + 1},CA\n")
                rows += 1
    return rows


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _formats(partner: str, profile: dict[str, Any]) -> Any:
    from adapters import REGISTRY
    from gateway.partner_formats import PartnerFormats
    from gateway.partners import parse_profile

    return PartnerFormats.of(REGISTRY, {partner: parse_profile(partner, profile, REGISTRY)})


def run_stage(stage: str, path: Path) -> dict[str, Any]:
    """One measurement in this process: what it made, how long it took, the peak RSS (imports
    done and maps loaded first, as in a running daemon)."""
    if stage == "x12-raw":
        started = time.perf_counter()
        segments = [segment.split(b"*") for segment in path.read_bytes().split(b"~")]
        return {"made": f"{len(segments):,} segments", "seconds": _since(started)}
    if stage == "csv-raw":
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as handle:
            rows = sum(1 for _ in csv.reader(handle))
        return {"made": f"{rows:,} rows", "seconds": _since(started)}
    from gateway.bus.cloudevents import cloud_events

    profile: dict[str, Any]
    if stage == "x12-gateway":
        partner, profile = PARTNER_X12, {"x12": {"sender_id": "GATEWAY", "receiver_id": "ACME"}}
    else:
        partner, profile = PARTNER_CSV, {"format": "csv", "csv": {"mapping": "example-inventory"}}
    formats = _formats(partner, profile)
    formats.warm_up()
    from gateway.runtime.workers import settle_heap

    settle_heap()  # as the daemon's parse workers have it
    started = time.perf_counter()
    lines = advices = events = 0
    with path.open("rb") as source:  # as the daemon reads a large file: a part at a time
        for part in formats.parse_stream(source, file_name=path.name, partner=partner):
            for document in part.documents:
                assert document.message is not None, document.errors[:3]
                lines += len(document.message.lines)
                advices += 1
                events += len(
                    cloud_events(document.message, correlation_id="c", partner=partner, kind="846")
                )
    made = f"{lines:,} lines in {advices} advices, {events} messages"
    return {"made": made, "seconds": _since(started)}


def _since(started: float) -> float:
    return time.perf_counter() - started


def measure(stage: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--path", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return {
            "made": "failed: " + done.stderr.strip().splitlines()[-1],
            "seconds": 0,
            "rss_mb": 0,
        }
    got: dict[str, Any] = json.loads(done.stdout)
    return got


def through_the_daemon(x12: Path, csv_file: Path, folder: Path, lines: int) -> dict[str, Any]:
    """Both files through ``run --once`` with a broker: the seconds to the last part consumed,
    the daemon's peak RSS with its workers, and what the consumer put back together."""
    import pika

    from gateway.messages.parts import reassemble
    from tests.support.broker import AMQP_URL, own_vhost

    home = folder / "home"
    profiles = home / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{PARTNER_X12}.toml").write_text(
        '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\n'
    )
    (profiles / f"{PARTNER_CSV}.toml").write_text(
        'format = "csv"\n[csv]\nmapping = "example-inventory"\n'
    )
    with own_vhost(), pika.BlockingConnection(pika.URLParameters(AMQP_URL)) as connection:
        channel = connection.channel()
        channel.exchange_declare("edi.in", "topic", durable=True)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, "edi.in", "edi.in.846.*")
        (home / "gateway.toml").write_text(
            f'amqp_url = "{AMQP_URL}"\nmin_age = 0.0\n'
            f'metrics_address = ""\ndatabase_url = "sqlite:///{home}/ledger.db"\n'
            "max_file_size = 2147483648\n"
        )
        for partner, source in ((PARTNER_X12, x12), (PARTNER_CSV, csv_file)):
            inbox = home / "inbox" / partner
            inbox.mkdir(parents=True)
            os.link(source, inbox / source.name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
        env.update(EDIGW_CONFIG=str(home / "gateway.toml"), PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run", "--once"],
            cwd=home,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(home / "daemon.log").open("w"),
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, _rss_kb(process.pid))
            connection.process_data_events(time_limit=0.2)  # heartbeats: the broker keeps us
        seconds = _since(started)  # from the start of the daemon to its exit, all published
        parts: dict[str, list[dict[str, Any]]] = {}
        wholes: list[dict[str, Any]] = []
        for _, _, body in channel.consume(queue, auto_ack=True, inactivity_timeout=5):
            if body is None:
                break
            data = json.loads(body)["data"]
            if data["message_type"] == "DocumentPart":
                parts.setdefault(data["document_id"], []).append(data)
            else:
                wholes.append(data)
    log = (home / "daemon.log").read_text()
    made = [reassemble(found) for found in parts.values()] + wholes
    by_sender: dict[str, int] = {}
    for advice in made:
        partner = advice["envelope"]["partner"]
        by_sender[partner] = by_sender.get(partner, 0) + len(advice["lines"])
    assert by_sender == {PARTNER_X12: lines, PARTNER_CSV: lines}, (by_sender, log[-3000:])
    messages = len(wholes) + sum(len(p) for p in parts.values())
    return {
        "made": f"{len(made)} advices, {2 * lines:,} lines, from {messages:,} messages",
        "seconds": seconds,
        "rss_mb": peak / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps({**run_stage(args.stage, args.path), "rss_mb": _rss_mb()}))
        return
    stages = args.stages.split(",")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        x12, csv_file = folder / "inventory.edi", folder / "inventory.csv"
        segments = write_x12(x12, args.lines)
        rows = write_csv(csv_file, args.lines)
        x12_mb, csv_mb = x12.stat().st_size / 2**20, csv_file.stat().st_size / 2**20
        print(
            f"846 of {args.lines:,} lines: X12 {x12_mb:,.1f} MB ({segments:,} segments), "
            f"CSV {csv_mb:,.1f} MB ({rows:,} rows)"
        )
        for stage in stages:
            if stage == "daemon":
                got = through_the_daemon(x12, csv_file, folder, args.lines)
                size, units, unit = x12_mb + csv_mb, args.lines * 2, "lines"
            else:
                got = measure(stage, x12 if stage.startswith("x12") else csv_file)
                size = x12_mb if stage.startswith("x12") else csv_mb
                units, unit = (segments, "segments") if stage.startswith("x12") else (rows, "rows")
            seconds = got["seconds"] or float("inf")
            print(
                f"  {stage:12} {units / seconds:11,.0f} {unit}/s {size / seconds:7.1f} MB/s"
                f" {got['seconds']:8.1f} s  peak RSS {got['rss_mb']:7,.0f} MB   {got['made']}"
            )


if __name__ == "__main__":
    main()

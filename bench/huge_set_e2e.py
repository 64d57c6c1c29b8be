"""One huge 856 set through the daemon, end to end (issue 26): read in parts, published as its
parts, a SIGKILL in the middle and a restart, every part counted.

The file (``--mb`` MB: ONE 856 set of varied cartons, ``bench/x12_throughput.py``'s
``generate_varied_856``) is dropped in the inbox of a home of its own (SQLite ledger, or
``--database``) and ``edi-gateway run`` takes it in the large-file lane, publishing to the local
RabbitMQ, in a virtual host of the bench's own (deleted at its end, with the parts the gateway's
catch-all queue kept; the folder too, unless ``--keep``); a queue of the bench's own, bound to
the partner's routing key, is consumed as the parts come (message id and size kept, bodies
dropped). The partner's validation policy makes ``syntax.loop_over_max`` and
``syntax.segment_over_max_use`` warnings: a set this large is over the standard's repeat counts
(200,000 HL loops in an 856), which would reject it.

``--kill-after S`` SIGKILLs the daemon (and its worker processes) S seconds after it started
(0: no kill), in the middle of the file; a new daemon then reads the file again (skipping
nothing of the set: it is one document, recorded at its end), publishes, and the bench waits
for the file's 997 and every part: each part's message id must come exactly once. The RSS of
the daemon's processes (the daemon and its worker processes) is sampled every 0.2 s
throughout; the figures of the complete read are the last run's (the daemon logs how long the
stream took).

Run:  .venv/bin/python bench/huge_set_e2e.py [--mb 64] [--kill-after 20] [--part-items N]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pika

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.daemon_stream import _rss_kb  # noqa: E402
from bench.x12_throughput import generate_varied_856  # noqa: E402
from gateway.bus.topology import INBOUND_EXCHANGE, declare  # noqa: E402
from tests.support.broker import AMQP_URL, own_vhost  # noqa: E402

PROFILE = """\
[x12]
sender_id = "BENCHRETAILER"
receiver_id = "BENCHSUPPLIER"
[x12.validation]
warn = ["syntax.loop_over_max", "syntax.segment_over_max_use"]
"""


class Parts:
    """The parts consumed from the bench's queue: message id -> times seen, total, bytes."""

    def __init__(self, routing_key: str) -> None:
        self.seen: collections.Counter[str] = collections.Counter()
        self.total: int | None = None
        self.bytes = 0
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.routing_key = routing_key
        self.thread = threading.Thread(target=self._consume, daemon=True)
        self.thread.start()
        self.ready.wait(30)

    def _consume(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        channel = connection.channel()
        declare(channel)
        queue = f"bench.huge.{uuid.uuid4().hex[:8]}"
        channel.queue_declare(queue, exclusive=True)
        channel.queue_bind(queue, INBOUND_EXCHANGE, self.routing_key)
        self.ready.set()
        consumed = channel.consume(queue, auto_ack=True, inactivity_timeout=0.5)
        for method, properties, body in consumed:
            if self.stop.is_set():
                break
            if method is None:
                continue
            self.seen[properties.message_id] += 1
            self.bytes += len(body)
            if self.total is None:
                self.total = int((properties.headers or {}).get("parts", "1"))
        connection.close()

    def complete(self) -> bool:
        return self.total is not None and len(self.seen) >= self.total


def _pss_kb(pid: int) -> int:
    """Proportional kB of ``pid`` and its descendants: their shared pages (the worker
    processes are forked from one server, with the modules it loaded) counted once in all,
    which the sum of their RSS counts in each (0 once gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0
        )
        pending += [int(child) for child in children]
    return total


def _cpu_s(pid: int) -> float:
    """CPU seconds (user and system) of ``pid``, all its threads (0 once gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "daemon.log").open("a"),
        start_new_session=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=64.0)
    parser.add_argument("--kill-after", type=float, default=20.0)
    parser.add_argument("--part-items", type=int, default=0, help="items a part (0: default)")
    parser.add_argument("--database", default="", help="database_url (default: SQLite)")
    parser.add_argument("--keep", default="", help="a folder to work in, kept")
    parser.add_argument("--timeout", type=float, default=7200.0)
    parser.add_argument("--progress", type=float, default=0.0, help="say how it goes every S s")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the daemon stopped on the way out
    folder = Path(args.keep or tempfile.mkdtemp(prefix="huge-set-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:  # a virtual host of its own: the parts (GBs) are not left in the broker's catch-all
        with own_vhost():
            bench(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def bench(args: argparse.Namespace, folder: Path) -> None:
    """The run of :func:`main`, in ``folder``."""
    x12 = folder / "asn.x12"
    began = time.monotonic()
    if not x12.exists():
        generate_varied_856(x12, int(args.mb * 1024 * 1024))
    size_mb = x12.stat().st_size / (1024 * 1024)
    with x12.open("rb") as source:
        segments = sum(chunk.count(b"~") for chunk in iter(lambda: source.read(1 << 24), b""))
    print(
        f"856: {size_mb:,.1f} MB, one set of {segments:,} segments "
        f"(made in {time.monotonic() - began:.0f} s)",
        flush=True,
    )
    partner = f"bench{uuid.uuid4().hex[:6]}"
    home = folder / "home"
    (home / "mappings" / "partners").mkdir(parents=True, exist_ok=True)
    (home / "mappings" / "partners" / f"{partner}.toml").write_text(PROFILE)
    database = args.database or f"sqlite:///{home / 'ledger.sqlite3'}"
    (home / "gateway.toml").write_text(
        f'database_url = "{database}"\namqp_url = "{AMQP_URL}"\nmin_age = 0.0\n'
        'metrics_address = ""\nmax_file_size = 1048576\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDIGW_")}
    env.update(
        EDIGW_CONFIG=str(home / "gateway.toml"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )
    if args.part_items:
        env["EDIGW_TEST_HUGE_SETS"] = f"20000,{args.part_items}"
    parts = Parts(f"edi.in.856.{partner}")
    inbox = home / "inbox" / partner
    inbox.mkdir(parents=True)
    os.link(x12, inbox / x12.name)
    run(args, home, env, partner, parts, size_mb, segments)


class Watch:
    """The daemon's runs, their processes' peak RSS (kB), and the moment of the kill."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env
        self.process = start(home, env)
        self.started = time.monotonic()
        self.runs = 1
        self.peak = self.peak_main = self.peak_pss = 0
        self.reading = self.reading_main = 0
        """The peak while the file is read (before the stream's end is logged), with the
        daemon's child processes (its worker processes; at a first start, the one that
        migrates the ledger), and of the daemon's process alone."""
        self.killed_at: float | None = None
        self.read_at: float | None = None
        """When the stream's end was first seen logged (the last run's)."""
        self.samples = 0
        self.cpu = self.cpu_before = 0.0
        """CPU seconds of the daemon's process (all its threads): this run's, as last sampled,
        and the runs' before it."""
        self.cpu_read: float | None = None
        """The daemon's CPU seconds when the stream's end was first seen logged."""

    def sample(self) -> None:
        rss = _rss_kb(self.process.pid)
        main = _rss_kb(self.process.pid, descendants=False)
        self.peak = max(self.peak, rss)
        self.peak_main = max(self.peak_main, main)
        self.samples += 1
        self.cpu = _cpu_s(self.process.pid) or self.cpu
        if self.samples % 5 == 0:  # a second: smaps_rollup walks every mapping
            self.peak_pss = max(self.peak_pss, _pss_kb(self.process.pid))
        log = (self.home / "daemon.log").read_text(errors="replace")
        if "read as a stream in" not in log:  # a killed run never logs it
            self.reading = max(self.reading, rss)
            self.reading_main = max(self.reading_main, main)
        elif self.read_at is None:
            self.read_at = time.monotonic()
            self.cpu_read = self.cpu_before + self.cpu

    def kill_and_restart(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.killed_at = time.monotonic() - self.started
        self.process = start(self.home, self.env)
        self.runs += 1
        self.read_at = None
        self.cpu_before, self.cpu = self.cpu_before + self.cpu, 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def run(
    args: argparse.Namespace,
    home: Path,
    env: dict[str, str],
    partner: str,
    parts: Parts,
    size_mb: float,
    segments: int,
) -> None:
    """Watch the daemon take the file (killed once, with ``--kill-after``), then say."""
    acks = home / "outbox" / partner
    watch = Watch(home, env)
    try:
        deadline = watch.started + args.timeout
        said = 0.0
        while time.monotonic() < deadline:
            time.sleep(0.2)
            watch.sample()
            running = time.monotonic() - watch.started
            if args.progress and running - said >= args.progress:
                said = running
                daemon = _rss_kb(watch.process.pid, descendants=False)
                print(
                    f"  {running:6.0f} s: RSS {_rss_kb(watch.process.pid) / 1024:,.0f} MB (peak "
                    f"{watch.peak / 1024:,.0f}, reading {watch.reading / 1024:,.0f}), the "
                    f"daemon's process {daemon / 1024:,.0f} MB (peak "
                    f"{watch.peak_main / 1024:,.0f}); {len(parts.seen)} part(s) published",
                    flush=True,
                )
            if args.kill_after and watch.killed_at is None and running > args.kill_after:
                watch.kill_and_restart()
                print(
                    f"  SIGKILL at {watch.killed_at:.0f} s ({len(parts.seen)} part(s) published "
                    "before)",
                    flush=True,
                )
            if parts.complete() and any(acks.glob("*.x12")):
                break
        took = time.monotonic() - watch.started
        publishing = None if watch.read_at is None else time.monotonic() - watch.read_at
    finally:
        watch.stop()
    time.sleep(1.0)
    parts.stop.set()
    parts.thread.join(10)
    runs, peak, peak_main, reading = watch.runs, watch.peak, watch.peak_main, watch.reading
    reading_main = watch.reading_main
    pss = watch.peak_pss
    cpu, cpu_read = watch.cpu_before + watch.cpu, watch.cpu_read
    log = (home / "daemon.log").read_text(errors="replace")
    streams = [float(s) for s in re.findall(r"read as a stream in ([0-9.]+) s", log)]
    twice = {mid: n for mid, n in parts.seen.items() if n > 1}
    print(f"  runs: {runs}; {took:.0f} s from the first start to the last part")
    if streams:
        last = streams[-1]
        print(
            f"  the complete read (last run): {last:.0f} s, {size_mb / last:.2f} MB/s, "
            f"{segments / last:,.0f} segments/s"
        )
    print(
        f"  peak RSS: {peak_main / 1024:,.0f} MB the daemon's process, {peak / 1024:,.0f} MB with "
        f"its worker processes; while the file was read {reading_main / 1024:,.0f} MB the "
        f"daemon's process, {reading / 1024:,.0f} MB with them (the rest: the release and the "
        "relay publishing the parts); proportional (PSS, shared pages counted once) with its "
        f"workers {pss / 1024:,.0f} MB"
    )
    if publishing is not None:
        print(f"  the parts published {publishing:.1f} s after the read's end was logged")
    print(
        f"  CPU of the daemon's process: {cpu:,.1f} s in all"
        + (f", {cpu_read:,.1f} s when the read's end was logged" if cpu_read is not None else "")
    )
    print(
        f"  parts: {len(parts.seen)} of {parts.total} published ({parts.bytes / 2**20:,.0f} MB "
        f"of events); exactly once: {not twice and parts.complete()}"
        + (f"; twice: {sorted(twice)[:5]}" if twice else "")
    )
    ack = next(iter(acks.glob("*.x12")), None)
    if ack is not None:
        found = re.search(r"AK5\*(\w)", ack.read_text())
        print(f"  997: AK5 {found[1] if found else '?'}")
    else:
        print("  997: none written")
    summary = {
        "mb": size_mb,
        "segments": segments,
        "stream_s": streams[-1] if streams else None,
        "peak_rss_mb": peak / 1024,
        "daemon_rss_mb": peak_main / 1024,
        "peak_pss_mb": pss / 1024,
        "publishing_s": publishing,
        "daemon_cpu_s": cpu,
        "daemon_cpu_read_s": cpu_read,
        "reading_rss_mb": reading / 1024,
        "daemon_reading_rss_mb": reading_main / 1024,
        "parts": len(parts.seen),
        "total": parts.total,
        "twice": len(twice),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

"""Inbound end to end: files/s, and latency from a file's close to its confirmed publish.

For each ledger (SQLite, PostgreSQL) the daemon runs as a subprocess on a temporary home:
  steady  small 850s dropped at 100 files/s for --seconds; p50/p99 latency
  max     --burst files dropped at once; files/s from the first close to the last confirm
and for both, the CPU each file took: the daemon's, its parse workers', the broker's and
PostgreSQL's (together the gateway's), and this benchmark's own (it writes the files), with the
rate at which that much work per file fills every core. In a burst that is the ceiling of this
machine for this code; at 100 files/s files come one at a time, each in a batch of its own, so
each pays for a whole batch's statements, commits and hand-overs between threads: several times
the CPU of a file in a burst, and what the steady latency depends on. On a machine shared with
other work the figures move with its load (the reference loop says how slow a core is now): a
loaded machine makes each file cost more CPU, and also gathers more files per batch, which
makes each cost less; compare trees in one run (``--baseline-tree``), and repeat it.
Beside them, in the same run, a raw pika publisher-confirm loop with the same window and a
message of the same size: the ceiling any gateway on this broker could reach; and the same loop
at 100 messages/s, each confirmed before the next: the client's and the broker's CPU per message
at a steady trickle, the floor of any gateway's cost per file on this broker; and the file
system's and SQLite's floor at the same rate (:mod:`bench.trickle_floor`: the claim, the commit,
the 997 and the archiving in a bare loop), which with the broker's is the floor of the whole
gateway's cost per file at a steady trickle on this machine. First, how fast
one core of the machine is (a fixed Python loop): machines of the same size differ by 2x; and
what creating a file and an fsync cost on the file system the runs use (--dir): on some virtual
disks creating a file costs 30 times what it costs on others, and each file the gateway takes
makes one (its 997).

Every run's home stays on disk until the benchmark ends. On ext4 without a journal, creating a
file costs 20 to 40 times more for minutes after many files were deleted nearby (the allocator
skips recently deleted inodes), so removing a run's thousands of files before the next run
would measure that clean-up, which the gateway never does: it renames files, it deletes none.

Latency = the outbox row's published_at (the moment the broker's confirm arrived) minus the
moment the file was renamed into the inbox (closed). Its stages are printed below each run: to
the file's record (received_at: the daemon got to it and claimed it), to the commit that queued
its message (the outbox row's created_at), to the confirm; and how many files a batch took on
average (the files of a batch share one received_at). Files are written under a temp name and
renamed, as a well-behaved partner does, so min_age = 0. Before each measured run the daemon
gets WARM_UP files of another partner at once and the run waits for their publish: the figures are
those of a running daemon, not of its first seconds. The ledger is not empty either: it holds
--history settled files (100,000 by default) of other partners, received the day before, each
with its document, as after some time in production; a lookup that reads a whole table (or a
whole index) shows in the figures.

The gateway's catch-all queues are emptied before each run: nothing consumes them here, and a
classic queue holding every earlier run's messages slows the broker's confirms down.

With ``--baseline-tree PATH`` (a git worktree of an earlier commit: ``git worktree add --detach
/tmp/old <commit>``) every case runs twice in turn, the daemon of that tree (``old``) and the
daemon of this one (``new``), each on a ledger and home of its own made the same way: before and
after on the same machine in the same minutes. The broker and PostgreSQL serve whatever else runs
on the machine too: their CPU over two seconds before each run, the daemon not started yet, is
printed as ``others`` (per file, at the run's length), the share that is not the gateway's.

Run:  .venv/bin/python bench/inbound_e2e.py [--seconds 10] [--burst 2000] [--repeat 3]
      [--history 100000] [--ledgers sqlite,postgresql] [--dir /srv/edi/bench]
      [--operations on|off|both]   (both: with and without the log lines and metrics endpoint)
      [--baseline-tree /tmp/old]   (the same cases with that tree's daemon, in turn)
      [--gather-window 0.02,0.05]  (and with this tree's daemon gathering a trickle's files)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pika
import sqlalchemy as sa
from pika.adapters.select_connection import SelectConnection

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.trickle_floor import trickle_floor  # noqa: E402
from gateway.bus.topology import DEFAULT_QUEUES  # noqa: E402
from gateway.ledger import migrate  # noqa: E402
from gateway.ledger.models import UTCDateTime  # noqa: E402
from tests.integration.ledger.databases import postgres_database  # noqa: E402
from tests.integration.support import small_850  # noqa: E402
from tests.support.broker import AMQP_URL, empty_queues, own_vhost  # noqa: E402

WINDOW = 256
WARM_UP = 20


@contextmanager
def database(kind: str, home: Path) -> Iterator[str]:
    """A new ledger database: a SQLite file in ``home``, or a PostgreSQL database of its own
    (dropped at the end), as the tests make them."""
    if kind == "sqlite":
        yield f"sqlite:///{home / 'ledger.sqlite3'}"
        return
    with postgres_database("bench") as url:
        yield url


def ledger_engine(url: str) -> sa.Engine:
    """One engine for the whole run: polling must not cost the machine the gateway runs on."""
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def published_times(engine: sa.Engine) -> dict[str, tuple[float, float, float]]:
    """File name -> epoch seconds of its record (``received_at``), of the commit that queued
    its message (the outbox row's ``created_at``) and of its confirmed publish."""
    query = sa.text(
        "select f.name, f.received_at, o.created_at, o.published_at from outbox o "
        "join documents d on d.id = o.document_pk join files f on f.id = d.file_id "
        "where o.state = 'published' and f.partner = 'bench'"
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return {
        name: (_epoch(recorded), _epoch(queued), _epoch(at)) for name, recorded, queued, at in rows
    }


def _epoch(value: dt.datetime | str) -> float:
    """The ledger stores UTC; raw SQLite queries return it as text."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def done(engine: sa.Engine, messages: int) -> bool:
    """Whether ``messages`` messages are published and none is waiting."""
    published, waiting = outbox_counts(engine)
    return published >= messages and waiting == 0


def outbox_counts(engine: sa.Engine) -> tuple[int, int]:
    """(published, not yet published) outbox rows; (0, -1) before the daemon made the tables."""
    query = sa.text(
        "select coalesce(sum(case when state = 'published' then 1 else 0 end), 0), "
        "coalesce(sum(case when state != 'published' then 1 else 0 end), 0) from outbox"
    )
    try:
        with engine.connect() as connection:
            published, pending = connection.execute(query).one()
    except sa.exc.SQLAlchemyError:
        return 0, -1
    return int(published), int(pending)


_HISTORY_ROWS = {
    "postgresql": "SELECT g AS n, 'h' || mod(g, 20) AS p, md5(g::text) || md5((-g)::text) AS h "
    "FROM generate_series(1, :count) AS g",
    "sqlite": "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) "
    "SELECT n, 'h' || (n % 20) AS p, lower(hex(randomblob(32))) AS h FROM g",
}
"""(id, partner, sha256) of each file of the history."""


def add_history(url: str, count: int) -> None:
    """``count`` settled files of 20 other partners, received a day ago (inside the duplicate
    window), each with its published document: the ledger of a gateway that has been running
    for a while, so that a lookup which reads a whole table shows."""
    engine = ledger_engine(url)
    try:
        migrate(engine)
        ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO files (id, partner, name, sha256, size, work_path, state, "
                    "correlation_id, received_at, updated_at) SELECT n, p, 'f' || n, h, 300, "
                    "'/old/' || n, 'archived', 'c' || n, :at, :at "
                    f"FROM ({_HISTORY_ROWS[engine.dialect.name]}) AS history"
                ).bindparams(sa.bindparam("at", type_=UTCDateTime())),
                {"count": count, "at": ago},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO documents (document_id, envelope_key, file_id, partner, kind, "
                    "interchange_ref, group_ref, transaction_ref, state, correlation_id, "
                    "created_at, updated_at) SELECT "
                    "'doc-' || id, 'key-' || id, id, partner, '850', 'H' || id, '1', '0001', "
                    "'published', correlation_id, received_at, updated_at FROM files"
                )
            )
            if engine.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT setval('files_id_seq', :count)"), {"count": count}
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


OPERATIONS_OFF = 'log_level = "WARNING"\nmetrics_address = ""\n'
"""The daemon without its lifecycle log lines and its metrics endpoint (``--operations both``
runs each case with them, as by default, and without, alternately)."""


def run_case(
    kind: str,
    mode: str,
    count: int,
    rate: float | None,
    history: int,
    runs: Path,
    extra: str = "",
    tree: Path = ROOT,
) -> dict[str, float]:
    """One run, its home a new folder in ``runs`` (left there: see the module's docstring), the
    daemon of the source tree ``tree``."""
    empty_queues(q.name for q in DEFAULT_QUEUES)  # nothing consumes them: earlier runs' pile up
    home = Path(tempfile.mkdtemp(dir=runs))
    with database(kind, home) as url:
        if history:
            add_history(url, history)
        (home / "gateway.toml").write_text(
            f'database_url = "{url}"\namqp_url = "{AMQP_URL}"\nmin_age = 0.0\n'
            f"rescan_interval = 1.0\npublish_window = {WINDOW}\n{extra}"
        )
        env = {**os.environ, "EDIGW_CONFIG": str(home / "gateway.toml"), "PYTHONPATH": str(tree)}
        others = shared_cpu()
        time.sleep(OTHERS_SPAN)
        others = {k: (v - others[k]) / OTHERS_SPAN for k, v in shared_cpu().items()}
        daemon = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run"],
            cwd=home,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        engine = ledger_engine(url)
        try:
            time.sleep(3)  # migrated, watching, relay connected
            held = home / "warmup"  # the warm-up's files come in together, a burst: the
            held.mkdir()  # parse workers, started by the first burst, are running, as in a
            for n in range(WARM_UP):  # daemon that has been running for a while
                (held / f"w{n}.edi").write_bytes(small_850(900_000 + n, sender="WARM"))
            (home / "inbox").mkdir(exist_ok=True)
            os.rename(held, home / "inbox" / "warmup")
            while not done(engine, WARM_UP):
                time.sleep(0.1)
            folder = home / "inbox" / "bench"
            folder.mkdir(parents=True)
            closed: dict[str, float] = {}
            cpu_before = cpu_seconds(daemon.pid)
            started = time.monotonic()
            for n in range(1, count + 1):
                name = f"po{n:06d}.edi"
                temp = folder / f".{name}.part"
                temp.write_bytes(small_850(n, sender="BENCH"))
                os.rename(temp, folder / name)
                closed[name] = time.time()
                if rate:
                    delay = started + n / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                if done(engine, WARM_UP + count):
                    break
                time.sleep(0.5)
            cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(daemon.pid).items()}
            published = published_times(engine)
        finally:
            engine.dispose()
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
    moments = {n: (closed[n], *published[n]) for n in closed if n in published}
    stages: dict[str, float] = {}
    for stage, start, end in STAGES:
        delays = [(t[end] - t[start]) * 1000 for t in moments.values()]
        stages[f"{stage}_p50"], stages[f"{stage}_p99"] = percentiles(delays)
    span = max(t[3] for t in moments.values()) - min(closed.values())
    return {
        **{f"cpu_{k}": v * 1000 / count for k, v in cpu.items()},
        "others": sum(others.values()) * span * 1000 / count,
        **stages,
        "files": len(moments),
        "files_per_s": len(moments) / span,
        "batch": len(moments) / len({t[1] for t in moments.values()}),
    }


STAGES = (("ms", 0, 3), ("recorded", 0, 1), ("committed", 1, 2), ("confirmed", 2, 3))
"""Latency (close to confirm) and its stages: close to record (waiting for the daemon, the
claim), record to commit (the parse and the batch's transaction), commit to confirm (the
relay and the broker)."""


def percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.99))]


def _stat(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name (field 3 onwards); [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _cpu_and_kernel(pid: int | str) -> tuple[float, float]:
    """CPU seconds of a process (all its threads): user + system, and system (kernel) alone."""
    fields = _stat(pid)
    if not fields:
        return 0.0, 0.0
    user, system = (int(field) / os.sysconf("SC_CLK_TCK") for field in fields[11:13])
    return user + system, system


def _cpu(pid: int | str) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    return _cpu_and_kernel(pid)[0]


def cpu_seconds(daemon: int) -> dict[str, float]:
    """CPU seconds so far of: the daemon, its descendants (parse workers), the broker (beam.smp),
    PostgreSQL's processes, and this benchmark (which writes the files)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(stat.parent.name)
        if fields:
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    descendants, todo = [], list(parents.get(daemon, []))
    while todo:
        pid = todo.pop()
        descendants.append(pid)
        todo += parents.get(pid, [])
    named: dict[str, list[str]] = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        named.setdefault(_comm(comm), []).append(comm.parent.name)
    daemon_cpu, daemon_kernel = _cpu_and_kernel(daemon)
    own = os.times()
    return {
        "daemon": daemon_cpu,
        "daemon_kernel": daemon_kernel,
        "workers": sum(_cpu(pid) for pid in descendants),
        "broker": sum(_cpu(pid) for pid in named.get("beam.smp", [])),
        "postgres": sum(_cpu(pid) for pid in named.get("postgres", [])),
        "writer": own.user + own.system,
        "writer_kernel": own.system,
    }


OTHERS_SPAN = 2.0
"""Seconds over which the broker's and PostgreSQL's CPU is measured before a run (what the
machine's other work costs them)."""


def shared_cpu() -> dict[str, float]:
    """CPU seconds so far of the broker and of PostgreSQL, which other work uses too."""
    named: dict[str, list[str]] = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        named.setdefault(_comm(comm), []).append(comm.parent.name)
    return {
        name: sum(_cpu(pid) for pid in named.get(name, [])) for name in ("beam.smp", "postgres")
    }


def _comm(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def raw_confirm_ceiling(count: int, body_size: int) -> float:
    """Messages/s of a bare pika confirm loop (window WINDOW, persistent, mandatory)."""
    exchange = f"bench.raw.{uuid.uuid4().hex[:8]}"
    body = b"x" * body_size
    state: dict[str, float] = {"sent": 0, "confirmed": 0, "acked_to": 0}
    channel_box: list[pika.channel.Channel] = []

    def pump() -> None:
        channel = channel_box[0]
        while state["sent"] - state["confirmed"] < WINDOW and state["sent"] < count:
            properties = pika.BasicProperties(delivery_mode=2, message_id=str(state["sent"]))
            channel.basic_publish(exchange, "edi.in.850.bench", body, properties, mandatory=True)
            state["sent"] += 1

    def on_confirm(frame: pika.frame.Method) -> None:
        method = frame.method
        done = method.delivery_tag - state["acked_to"] if method.multiple else 1
        state["acked_to"] = max(state["acked_to"], method.delivery_tag)
        state["confirmed"] += done
        if state["confirmed"] >= count:
            state["t1"] = time.perf_counter()
            connection.close()
        else:
            pump()

    def on_channel(channel: pika.channel.Channel) -> None:
        channel_box.append(channel)

        def bound(_frame: object) -> None:
            state["t0"] = time.perf_counter()
            pump()

        def declared_queue(_frame: object) -> None:
            channel.queue_bind(exchange, exchange, "#", callback=bound)

        def declared_exchange(_frame: object) -> None:
            channel.queue_declare(exchange, durable=True, callback=declared_queue)

        channel.confirm_delivery(
            on_confirm,
            callback=lambda _f: channel.exchange_declare(
                exchange, "topic", durable=True, callback=declared_exchange
            ),
        )

    connection = SelectConnection(
        pika.URLParameters(AMQP_URL),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda c, _reason: c.ioloop.stop(),
    )
    connection.ioloop.start()
    cleanup = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = cleanup.channel()
    channel.queue_delete(exchange)
    channel.exchange_delete(exchange)
    cleanup.close()
    return count / (state["t1"] - state["t0"])


def raw_steady_cost(count: int, rate: float, body_size: int) -> tuple[float, float]:
    """CPU ms per message of a bare pika loop publishing at ``rate`` messages/s, each persistent
    and confirmed before the next (as a steady trickle publishes): the client's and the
    broker's (its CPU at rest, measured for OTHERS_SPAN before, taken out)."""
    exchange = f"bench.raw.{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(exchange, durable=True)
    channel.queue_bind(exchange, exchange, "#")
    body = b"x" * body_size
    before = shared_cpu()["beam.smp"]
    time.sleep(OTHERS_SPAN)
    at_rest = (shared_cpu()["beam.smp"] - before) / OTHERS_SPAN
    broker, client, start = shared_cpu()["beam.smp"], time.process_time(), time.perf_counter()
    for n in range(count):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        properties = pika.BasicProperties(delivery_mode=2, message_id=str(n))
        channel.basic_publish(exchange, "edi.in.850.bench", body, properties, mandatory=True)
    elapsed = time.perf_counter() - start
    broker = shared_cpu()["beam.smp"] - broker - at_rest * elapsed
    client = time.process_time() - client
    channel.queue_delete(exchange)
    channel.exchange_delete(exchange)
    connection.close()
    return client * 1000 / count, broker * 1000 / count


def cpu_line(r: dict[str, float]) -> str:
    """CPU ms per file, and the rate at which that much work fills every core of the machine."""
    gateway = sum(r[f"cpu_{k}"] for k in ("daemon", "workers", "broker", "postgres"))
    total = gateway + r["cpu_writer"]
    cores = os.cpu_count() or 1
    return (
        f"cpu ms/file: daemon {r['cpu_daemon']:.2f} (kernel {r['cpu_daemon_kernel']:.2f}) + "
        f"parse workers {r['cpu_workers']:.2f} + "
        f"broker {r['cpu_broker']:.2f} + postgres {r['cpu_postgres']:.2f} = gateway "
        f"{gateway:.2f}; + file writer {r['cpu_writer']:.2f} (kernel "
        f"{r['cpu_writer_kernel']:.2f}) = {total:.2f} "
        f"({cores} cores full at {cores * 1000 / total:,.0f} files/s)"
    )


def file_creation_line(runs: Path) -> str:
    """Where the runs' files go, and what creating a file and syncing one costs there: each file
    the gateway takes makes one new file (its 997) and several syncs."""
    probe = Path(tempfile.mkdtemp(dir=runs))
    start = time.perf_counter()
    for n in range(500):
        os.close(os.open(probe / f"f{n}", os.O_WRONLY | os.O_CREAT))
    created = (time.perf_counter() - start) / 500
    fd = os.open(probe / "f0", os.O_WRONLY)
    start = time.perf_counter()
    for _ in range(50):
        os.write(fd, b"x" * 100)
        os.fsync(fd)
    synced = (time.perf_counter() - start) / 50
    os.close(fd)
    return f"{runs.parent}: creating a file {created * 1e6:,.0f} us, fsync {synced * 1e3:.2f} ms"


def describe_tree(tree: Path) -> str:
    """The tree's commit (and whether files differ from it)."""
    head = subprocess.run(
        ["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{tree} at {head[:90]}" + (" (with changes not committed)" if dirty else "")


def reference_loop_seconds() -> float:
    """Seconds one core takes for a fixed pure-Python loop (the best of three): how fast this
    machine is, so that runs on different machines can be compared."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(5_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--ledgers", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case")
    parser.add_argument(
        "--operations",
        choices=["on", "off", "both"],
        default="on",
        help="the lifecycle log lines and the metrics endpoint: on (the default settings), "
        "off, or both, alternately, for what they cost",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=100_000,
        help="settled files already in the ledger when a run starts (0: an empty ledger)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        help="where each run's home (inbox, work, archive, outbox, SQLite file) is made: a "
        "folder on the file system to measure (default: the system's temp folder)",
    )
    parser.add_argument(
        "--gather-window",
        default="",
        help="seconds, comma-separated (0.02,0.05): each case runs again with this tree's daemon "
        "and that gather_window (files ready alone wait that long for the next ones)",
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="a source tree (a git worktree of an earlier commit) whose daemon runs each case "
        "too, in turn with this one's (old, new)",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores; reference Python loop (5M additions) "
        f"{reference_loop_seconds() * 1000:.0f} ms on one core"
    )
    with own_vhost(), tempfile.TemporaryDirectory(dir=args.dir) as runs:
        run_all(args, Path(runs))


def run_all(args: argparse.Namespace, runs: Path) -> None:
    print(f"file system: {file_creation_line(runs)}")
    ceiling = raw_confirm_ceiling(20_000, 1300)
    print(f"raw pika publisher confirms (window {WINDOW}, 1.3 kB): {ceiling:,.0f} messages/s")
    client, broker = raw_steady_cost(1000, 100.0, 1300)
    print(
        f"raw pika at 100 messages/s, each confirmed before the next (1.3 kB): client {client:.2f}"
        f" + broker {broker:.2f} ms of CPU per message (what any gateway pays on this broker)"
    )
    floor = trickle_floor(runs)
    print(
        f"trickle floor at 100 files/s, bare loop (claim and its syncs, one WAL commit, a 997 "
        f"written and synced, the original archived: bench/trickle_floor.py): {floor:.2f} ms "
        f"of CPU per file; with the raw pika line: {floor + client + broker:.2f} ms per file, "
        f"under which no gateway with these steps goes on this machine"
    )
    print(f"ledger history: {args.history:,} settled files when each run starts")
    trees = [("", ROOT)]
    if args.baseline_tree is not None:
        trees = [("old", args.baseline_tree.resolve()), ("new", ROOT)]
        print(f"old: {describe_tree(trees[0][1])}\nnew: {describe_tree(ROOT)}")
    print(
        f"{'ledger':10} {'tree':4} {'mode':7} {'files':>6} {'files/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8}"
    )
    for kind in args.ledgers.split(","):
        for mode, count, rate in (
            ("steady", int(args.seconds * 100), 100.0),
            ("max", args.burst, None),
        ):
            settings = {"on": ("", ""), "off": (" (ops off)", OPERATIONS_OFF)}
            chosen = ["on", "off"] if args.operations == "both" else [args.operations]
            windows = [float(w) for w in args.gather_window.split(",") if w]
            gathered = [(f" (gather {w * 1000:g} ms)", f"gather_window = {w}\n") for w in windows]
            cases: list[tuple[tuple[str, str], tuple[str, Path]]] = []
            for _ in range(args.repeat):
                for n in chosen:
                    label, extra = settings[n]
                    cases += [((label, extra), tree) for tree in trees]
                    cases += [
                        ((label + more, extra + setting), trees[-1]) for more, setting in gathered
                    ]
            for (label, extra), (name, tree) in cases:
                r = run_case(kind, mode, count, rate, args.history, runs, extra, tree)
                print(
                    f"{kind:10} {name:4} {mode + label:7} {int(r['files']):>6} "
                    f"{r['files_per_s']:>8.1f} {r['ms_p50']:>8.1f} {r['ms_p99']:>8.1f}   "
                    f"{cpu_line(r)}\n"
                    f"{'':31}p50/p99 ms: to record {r['recorded_p50']:.1f}/"
                    f"{r['recorded_p99']:.1f}, to commit {r['committed_p50']:.1f}/"
                    f"{r['committed_p99']:.1f}, to confirm {r['confirmed_p50']:.1f}/"
                    f"{r['confirmed_p99']:.1f}; {r['batch']:.1f} files per batch; others' "
                    f"broker and PostgreSQL {r['others']:.2f} ms/file",
                    flush=True,
                )


if __name__ == "__main__":
    main()

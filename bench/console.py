"""The console's document search and document page on a large ledger, SQLite and PostgreSQL.

Each ledger is filled with --documents inbound documents (one per file, 20 partners, 850s,
856s and 997s, a few failed, over 30 days) and a tenth as many outbound ones, by SQL in the
database, then migrated (the search's indexes of migration 0006 included). PostgreSQL is
ANALYZEd (autovacuum would do it); SQLite is not (the gateway never runs ANALYZE on it).

For each typical search the time of :func:`gateway.ledger.search` (a page of 50 with its
bounded count) is printed as p50 / p99 over --repeat runs with varied values, beside a
baseline: the plain ``COUNT(*)`` of the same rows (what a page that counts everything would
cost at least; for an id, the scan of ``LIKE '%:PO…'`` an unindexed lookup makes). The
document page is :func:`gateway.ledger.document_view` of a random document.

Then the same through HTTP, as a browser or a program sees it: ``edi-gateway console`` runs
as a process on the ledger, and a logged-in client times ``GET /api/documents?q=<PO number>``,
the search page ``/documents?q=<PO number>`` and a document's page ``/documents/<id>`` (the
bench's documents have no file on disk: their pages show everything else).

Run:  .venv/bin/python bench/console.py [--documents 1000000] [--repeat 30]
                                               [--ledgers sqlite,postgresql]
(PostgreSQL at 127.0.0.1:5432, trust auth: a database of its own, dropped at the end.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.duplicates import BUSINESS_KEYS  # noqa: E402
from gateway.ledger import (  # noqa: E402
    Search,
    SearchPage,
    document_view,
    migrate,
    search,
    session_factory,
)
from tests.integration.ledger.databases import postgres_database  # noqa: E402

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PARTNERS = 20
KEY_TYPES = tuple(BUSINESS_KEYS)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A new ledger database: a SQLite file in ``folder``, or a PostgreSQL database of its own
    (dropped at the end), as the tests make them."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'ledger.sqlite3'}"
        return
    with postgres_database("bench_console") as url:
        yield url


_SERIES = {
    "postgresql": "SELECT g AS n FROM generate_series(1, :count) AS g",
    "sqlite": "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) "
    "SELECT n FROM g",
}
_AT = {  # n's time: spread over 30 days, as each backend stores it
    "postgresql": "(:start + n * (:seconds * interval '1 microsecond'))",
    "sqlite": "strftime('%Y-%m-%d %H:%M:%S', :start, '+' || (n * :seconds / 1000000) || ' seconds')"
    " || '.000000'",
}
_PAD = {"postgresql": "lpad(n::text, 9, '0')", "sqlite": "substr('000000000' || n, -9, 9)"}


def fill(url: str, documents: int) -> None:
    """The ledger at ``url``: ``documents`` files with a document each, documents / 10
    outbound documents; migrated; PostgreSQL analyzed."""
    engine = sa.create_engine(url)
    try:
        migrate(engine)
        name = engine.dialect.name
        at, pad = _AT[name], _PAD[name]
        spread = 30 * 86400 * 1_000_000 // max(documents, 1)  # microseconds between documents
        start = START if name == "postgresql" else START.strftime("%Y-%m-%d %H:%M:%S")
        values = {"count": documents, "start": start, "seconds": spread}
        series = _SERIES[name]
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO files (id, partner, name, sha256, size, work_path, final_path, "
                    "state, correlation_id, received_at, updated_at) SELECT n, 'partner' || "
                    f"(n % {PARTNERS}), 'f' || n || '.x12', 'h' || n, 300, '/work/' || n, NULL, "
                    f"'archived', 'claim-' || n, {at}, {at} FROM ({series}) AS s"
                ),
                values,
            )
            c.execute(
                sa.text(
                    "INSERT INTO documents (document_id, envelope_key, file_id, partner, kind, "
                    "format, interchange_ref, group_ref, transaction_ref, business_key, state, "
                    "correlation_id, created_at, updated_at) SELECT 'doc-' || n, 'env-' || n, n, "
                    f"'partner' || (n % {PARTNERS}), CASE WHEN n % 10 < 7 THEN '850' WHEN "
                    "n % 10 < 9 THEN '856' ELSE '997' END, 'x12', "
                    f"{pad}, '1', '0001', CASE WHEN n % 10 < 7 THEN 'PurchaseOrder:PO' || n "
                    "WHEN n % 10 < 9 THEN 'ShipNotice:SH' || n END, CASE WHEN n % 200 = 0 THEN "
                    "'failed' ELSE 'published' END, 'claim-' || n, "
                    f"{at}, {at} FROM ({series}) AS s"
                ),
                values,
            )
            c.execute(
                sa.text(
                    "INSERT INTO outbound_documents (request_id, partner, kind, document_id, "
                    "correlation_id, state, interchange_ref, created_at, updated_at) SELECT "
                    f"'req-' || n, 'partner' || (n % {PARTNERS}), '856', 'out-' || n, "
                    f"'out-claim-' || n, 'sent', {pad}, {at}, {at} FROM ({series}) AS s"
                ),
                {**values, "count": documents // 10, "seconds": spread * 10},
            )
            if name == "postgresql":
                c.execute(sa.text("SELECT setval('files_id_seq', :n)"), {"n": documents})
        if name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """p50 and p99 (the slowest under 100 runs) of ``run`` in milliseconds."""
    run()  # warm the cache, as a console that has been open a while
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def cases(documents: int) -> list[tuple[str, Callable[[], Search], str]]:
    """(name, a search with varied values, the baseline's SQL)."""
    day = START + dt.timedelta(days=12)

    def n() -> int:
        return random.randint(1, documents)

    def p() -> str:
        return f"partner{random.randrange(PARTNERS)}"

    return [
        ("newest, all", lambda: Search(), "SELECT count(*) FROM documents"),
        (
            "partner",
            lambda: Search(partner=p()),
            "SELECT count(*) FROM documents WHERE partner = 'partner7'",
        ),
        (
            "state failed",
            lambda: Search(state="failed"),
            "SELECT count(*) FROM documents WHERE state = 'failed'",
        ),
        (
            "kind 997, inbound",
            lambda: Search(kind="997", direction="inbound"),
            "SELECT count(*) FROM documents WHERE kind = '997'",
        ),
        (
            "partner + one day",
            lambda: Search(partner=p(), since=day, until=day + dt.timedelta(days=1)),
            "SELECT count(*) FROM documents WHERE partner = 'partner7' AND created_at >= "
            f"'{day:%Y-%m-%d}' AND created_at < '{day + dt.timedelta(days=1):%Y-%m-%d}'",
        ),
        ("sort by partner", lambda: Search(sort="partner"), "SELECT count(*) FROM documents"),
        ("sort by state", lambda: Search(sort="state"), "SELECT count(*) FROM documents"),
        ("sort by kind", lambda: Search(sort="kind"), "SELECT count(*) FROM documents"),
        (
            "outbound, all",
            lambda: Search(direction="outbound"),
            "SELECT count(*) FROM outbound_documents",
        ),
        (
            "PO number",
            lambda: Search(key=f"PO{n() // 10 * 10 + 1}", key_types=KEY_TYPES),
            "SELECT count(*) FROM documents WHERE business_key LIKE '%\\:PO123451'",
        ),
        (
            "ISA13",
            lambda: Search(key=f"{n():09d}", key_types=KEY_TYPES),
            "SELECT count(*) FROM documents WHERE interchange_ref = '000123456'",
        ),
        (
            "document id",
            lambda: Search(key=f"doc-{n()}", key_types=KEY_TYPES),
            "SELECT count(*) FROM documents WHERE document_id = 'doc-123456'",
        ),
        (
            "claim id",
            lambda: Search(key=f"claim-{n()}", key_types=KEY_TYPES),
            "SELECT count(*) FROM documents WHERE correlation_id = 'claim-123456'",
        ),
        (
            "request id",
            lambda: Search(key=f"req-{n() // 10 + 1}", key_types=KEY_TYPES),
            "SELECT count(*) FROM outbound_documents WHERE request_id = 'req-12345'",
        ),
    ]


def _search(s: Session, make: Callable[[], Search]) -> SearchPage:
    return search(s, make())


def measure(url: str, documents: int, repeat: int) -> None:
    engine = sa.create_engine(url)
    sessions = session_factory(engine)
    print(f"  {'search (a page of 50)':<22} {'p50 ms':>8} {'p99 ms':>8}   baseline: COUNT(*) ms")
    with sessions() as s:
        for name, make, baseline in cases(documents):
            p50, p99 = timed(partial(_search, s, make), repeat)
            base, _ = timed(partial(s.execute, sa.text(baseline)), 3)
            print(f"  {name:<22} {p50:8.1f} {p99:8.1f}   {base:8.1f}")

        def twentieth() -> None:
            after = None
            for _ in range(20):
                after = search(s, Search(after=after)).next

        p50, p99 = timed(twentieth, max(3, repeat // 10))
        print(f"  {'20 pages, newest':<22} {p50:8.1f} {p99:8.1f}   (OFFSET 950: see below)")
        base, _ = timed(
            lambda: s.execute(
                sa.text(
                    "SELECT id FROM documents ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 950"
                )
            ).all(),
            3,
        )
        print(f"  {'  OFFSET 950 page':<22} {base:8.1f}")
        p50, p99 = timed(lambda: document_view(s, f"doc-{random.randint(1, documents)}"), repeat)
        print(f"  {'document page':<22} {p50:8.1f} {p99:8.1f}")
    engine.dispose()


def measure_http(url: str, documents: int, repeat: int, folder: Path) -> None:
    """The console as a process on the ledger at ``url``; its pages timed through HTTP."""
    from tests.support.console import console_settings, running_console
    from tests.support.ports import free_port

    home = folder / f"home-{uuid.uuid4().hex[:6]}"
    home.mkdir()
    config = home / "gateway.toml"
    config.write_text(f'database_url = "{url}"\n' + console_settings(free_port()))
    with running_console(config) as console, console.logged_in("victor") as client:

        def get(path: Callable[[], str]) -> Callable[[], None]:
            def run() -> None:
                answer = client.get(path())
                assert answer.status_code == 200, answer.text[:500]

            return run

        def po() -> str:
            return f"PO{random.randint(1, documents) // 10 * 10 + 1}"

        for name, path in (
            ("API search, PO number", lambda: f"/api/documents?q={po()}"),
            ("search page, PO number", lambda: f"/documents?q={po()}"),
            ("search page, newest", lambda: "/documents"),
            ("document page", lambda: f"/documents/doc-{random.randint(1, documents)}"),
        ):
            p50, p99 = timed(get(path), repeat)
            print(f"  HTTP {name:<25} {p50:8.1f} {p99:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--ledgers", default="sqlite,postgresql")
    args = parser.parse_args()
    random.seed(24)
    with tempfile.TemporaryDirectory(prefix="bench-console-") as folder:
        for kind in args.ledgers.split(","):
            with database(kind, Path(folder)) as url:
                began = time.perf_counter()
                fill(url, args.documents)
                took = time.perf_counter() - began
                print(f"{kind}: {args.documents:,} documents (filled in {took:.0f} s)")
                measure(url, args.documents, args.repeat)
                measure_http(url, args.documents, args.repeat, Path(folder))


if __name__ == "__main__":
    main()

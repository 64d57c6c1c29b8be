"""The ledger's lookups on the path of every file use an index. A scan of a whole table costs
more with every file the ledger keeps (millions after a few months), and every batch pays it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from gateway import ledger as r
from gateway.ledger import outbound as o
from tests.integration.ledger.databases import Ledger

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

LOOKUPS: dict[str, Callable[[Session], object]] = {
    "earlier_copies": lambda s: r.earlier_copies(s, [("acme", "a" * 64, 10)], SINCE),
    "earlier_documents": lambda s: r.earlier_documents(s, [("acme", "k1"), ("acme", "k2")], SINCE),
    "earlier_of_batch": lambda s: r.earlier_of_batch(
        s, [("acme", "k1")], [("acme", "PurchaseOrder:1"), ("p1", "PurchaseOrder:2")], SINCE
    ),
    "files_by_work_paths": lambda s: r.files_by_work_paths(s, ["/work/acme/x"]),
    "files_with_event": lambda s: r.files_with_event(s, [1, 2], "received"),
    "files_in_state": lambda s: r.files_in_state(s, [r.FileState.PROCESSED]),
    "documents_by_id": lambda s: r.documents_by_id(s, "doc"),
    "pending_outbox": lambda s: r.pending_outbox(s, limit=10),
    "acks_to_write": lambda s: r.acks_to_write(s),
    "outbound_by_request_ids": lambda s: o.outbound_by_request_ids(s, ["req-1", "req-2"]),
    "outbound_by_control_numbers": lambda s: o.outbound_by_control_numbers(s, "p1", group_ref="7"),
    "outbound_overdue": lambda s: o.outbound_overdue(s, SINCE),
}


@contextmanager
def selects_run(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements run on ``engine`` in the block, with their parameters."""
    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: object, _cursor: object, statement: str, parameters: Any, *_args: object
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


ROWS = 5000
_POPULATE = [
    f"""INSERT INTO files (partner, name, sha256, size, work_path, state, correlation_id,
        received_at, updated_at)
        SELECT 'p' || mod(g, 20), 'f' || g, md5(g::text) || md5((-g)::text), 300, '/work/' || g,
        'archived', 'c' || g, now(), now() FROM generate_series(1, {ROWS}) g""",
    """INSERT INTO documents (document_id, envelope_key, file_id, partner, kind,
        interchange_ref, group_ref, transaction_ref, state, correlation_id, created_at, updated_at)
        SELECT 'doc-' || id, 'k' || id, id, partner, '850', lpad(id::text, 9, '0'), '1', '0001',
        'published', correlation_id, now(), now() FROM files""",
    """INSERT INTO outbox (message_id, document_id, document_pk, partner, exchange, routing_key,
        body, headers, correlation_id, state, attempts, created_at, published_at)
        SELECT document_id, document_id, id, partner, 'edi.in', 'edi.in.850.' || partner, '',
        '{}', correlation_id, 'published', 1, now(), now() FROM documents""",
    """INSERT INTO acks (file_id, partner, name, text, state, created_at, written_at)
        SELECT id, partner, '997-' || id || '.x12', 'ISA~', 'written', now(), now() FROM files""",
    """INSERT INTO events (at, kind, message, file_id, correlation_id)
        SELECT now(), 'received', 'file received', id, correlation_id FROM files""",
    f"""INSERT INTO outbound_documents (request_id, partner, kind, document_id, correlation_id,
        state, interchange_ref, group_ref, transaction_ref, file_name, ack_due_at, created_at,
        updated_at)
        SELECT 'r' || g, 'p' || mod(g, 20), '856', 'o' || g, 'c' || g, 'accepted',
        lpad(g::text, 9, '0'), g::text, '0001', 'f' || g, now(), now(), now()
        FROM generate_series(1, {ROWS}) g""",
    "ANALYZE",
]


def full_scans(ledger: Ledger, s: Session, statement: str, parameters: Any) -> list[str]:
    """The steps of the statement's plan that read a whole table, or a whole index."""
    connection = s.connection()
    if ledger.backend == "postgresql":
        explain = "EXPLAIN (FORMAT JSON) " + statement
        [plan] = connection.exec_driver_sql(explain, parameters).scalar_one()
        return [
            f"{node['Node Type']} on {node['Relation Name']}"
            for node in _nodes(plan["Plan"])
            if node["Node Type"] == "Seq Scan"
            or (node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node)
        ]
    plan = [
        row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    ]
    return [line for line in plan if line.startswith("SCAN")]


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_lookups_on_the_path_of_every_file_use_an_index(ledger: Ledger, lookup: str) -> None:
    """PostgreSQL plans by its statistics: there the tables first hold a few thousand settled
    files, each with a document, a published message and a written acknowledgement, and as
    many outbound documents (rolled back after)."""
    with selects_run(ledger.engine) as statements, ledger.factory.begin() as s:
        LOOKUPS[lookup](s)
    assert statements
    with ledger.factory.begin() as s:
        if ledger.backend == "postgresql":
            for populate in _POPULATE:
                s.connection().exec_driver_sql(populate)
        scans = {
            statement: full_scans(ledger, s, statement, parameters)
            for statement, parameters in statements
        }
        s.rollback()
    assert {statement: lines for statement, lines in scans.items() if lines} == {}


def test_earlier_documents_are_searched_by_their_envelope_key(ledger: Ledger) -> None:
    """Not by partner: a partner's documents are most of the ledger, and every batch asks
    (with the partner in the query, SQLite took the partner's index: a scan of all of them).
    Nor may documents without a key (recorded before it existed) make a key look unselective to
    SQLite's statistics: with a full index, 100,000 of them turned every lookup into a scan."""
    with selects_run(ledger.engine) as statements, ledger.factory.begin() as s:
        LOOKUPS["earlier_documents"](s)
    [(statement, parameters)] = statements
    with ledger.factory.begin() as s:
        connection = s.connection()
        if ledger.backend == "postgresql":
            for populate in _POPULATE:
                connection.exec_driver_sql(populate)
            [plan] = connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            ).scalar_one()
            used = {node.get("Index Name") for node in _nodes(plan["Plan"])}
        else:
            connection.exec_driver_sql(
                "INSERT INTO files (id, partner, name, sha256, size, work_path, state, "
                "correlation_id, received_at, updated_at) VALUES (1, 'acme', 'f', 'x', 1, '/w', "
                "'archived', 'c', '2026-12-01', '2026-12-01')"
            )
            connection.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                "INSERT INTO documents (document_id, file_id, partner, kind, state, "
                "correlation_id, created_at, updated_at) SELECT 'doc-' || i, 1, 'acme', '850', "
                "'published', 'c', '2026-12-01', '2026-12-01' FROM n"
            )
            connection.exec_driver_sql("ANALYZE")
            used = {
                row[-1]
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            }
        s.rollback()
    assert any("ix_documents_envelope_key" in (step or "") for step in used), used

"""BulkInsert goes to the driver directly (gateway/ledger/_statements.py): what it writes reads
back as what SQLAlchemy writes, the connection's cursor listeners see it (the ledger's turn to
write on SQLite is taken there), and the driver's errors are SQLAlchemy's. On SQLite and on
PostgreSQL, one row and many."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, exc, insert, select

from gateway.ledger._statements import SQLITE_PARAMETERS, BulkInsert
from gateway.ledger.models import DOCUMENTS, EVENTS
from tests.integration.ledger.databases import Ledger

EASTERN = dt.timezone(dt.timedelta(hours=-5))


def _event(n: int) -> dict[str, Any]:
    return {
        "at": dt.datetime(2026, 3, 1, 7, 30, n % 60, 123456, tzinfo=EASTERN),
        "kind": "received",
        "message": f"event {n} \N{EURO SIGN}",
        "file_id": None,
        "document_id": f"doc-{n}" if n % 2 else None,
        "correlation_id": "c",
        "detail": {"n": n, "nested": [1, "two", None]} if n % 3 else None,
    }


def _read_back(ledger: Ledger, ids: list[int]) -> list[dict[str, Any]]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(select(EVENTS).where(EVENTS.c.id.in_(ids)).order_by(EVENTS.c.id))
        return [{k: v for k, v in row._mapping.items() if k != "id"} for row in rows]


@pytest.mark.parametrize("count", [1, SQLITE_PARAMETERS // 7 + 5])  # SQLite: two statements
def test_rows_inserted_by_the_driver_read_back_as_sqlalchemy_writes_them(
    ledger: Ledger, count: int
) -> None:
    rows = [_event(n) for n in range(count)]
    with ledger.factory.begin() as s:
        ids = BulkInsert(EVENTS).returning_ids(s, rows)
    with ledger.engine.begin() as connection:
        plain = [
            connection.execute(insert(EVENTS).values(row).returning(EVENTS.c.id)).scalar_one()
            for row in rows
        ]
    assert ids == list(range(ids[0], ids[0] + len(rows)))
    direct, expected = _read_back(ledger, ids), _read_back(ledger, plain)
    assert direct == expected
    assert direct[0]["at"] == rows[0]["at"]  # the same instant, in UTC
    assert direct[0]["at"].tzinfo == dt.UTC


def test_cursor_listeners_see_the_insert(ledger: Ledger) -> None:
    seen: list[str] = []

    def listener(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(ledger.engine, "before_cursor_execute", listener)
    try:
        with ledger.factory.begin() as s:
            BulkInsert(EVENTS)(s, [_event(1), _event(2)])
    finally:
        event.remove(ledger.engine, "before_cursor_execute", listener)
    assert any(statement.startswith("INSERT INTO events") for statement in seen)


def test_the_driver_s_errors_are_sqlalchemy_s(ledger: Ledger) -> None:
    now = dt.datetime.now(dt.UTC)
    document = {
        "document_id": "d",
        "envelope_key": None,
        "file_id": 424242,  # no such file
        "partner": "p",
        "kind": "850",
        "format": None,
        "interchange_ref": None,
        "group_ref": None,
        "transaction_ref": None,
        "state": "parsed",
        "correlation_id": "c",
        "detail": None,
        "business_key": None,
        "content_digest": None,
        "created_at": now,
        "updated_at": now,
    }
    with pytest.raises(exc.IntegrityError), ledger.factory.begin() as s:
        BulkInsert(DOCUMENTS).returning_ids(s, [document])
    naive = _event(1) | {"at": dt.datetime(2026, 1, 1)}
    with (
        pytest.raises(exc.StatementError, match="aware datetimes"),
        ledger.factory.begin() as s,
    ):
        BulkInsert(EVENTS)(s, [naive])

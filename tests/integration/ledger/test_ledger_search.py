"""The console's search (gateway.ledger.search) on both ledgers: every filter, every kind of id
the "id or key" box takes, keyset pages that neither skip nor repeat a row (ties of time
included, inbound and outbound merged), counts bounded, the indexes it reads through made by
the migration."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, inspect

from gateway.duplicates import BUSINESS_KEYS
from gateway.ledger import Search, search
from gateway.ledger.models import DOCUMENTS, FILES, OUTBOUND_DOCUMENTS
from gateway.ledger.search import COUNT_LIMIT, SORTS
from tests.integration.ledger.databases import Ledger

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _fill(ledger: Ledger, inbound: int = 30, outbound: int = 10) -> None:
    """``inbound`` documents of two partners in files of their own (two share a time, one
    is failed, kinds 850 and 856), and ``outbound`` 856s, some at the very times of inbound
    ones."""
    files: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    for n in range(1, inbound + 1):
        at = T0 + dt.timedelta(minutes=n // 2)  # pairs share a time
        partner = "acme" if n % 3 else "globex"
        files.append(
            {
                "id": n,
                "partner": partner,
                "name": f"f{n}.x12",
                "sha256": f"{n:064d}",
                "size": 100,
                "work_path": f"/w/{n}",
                "final_path": None,
                "state": "archived",
                "correlation_id": f"claim-{n}",
                "detail": None,
                "received_at": at,
                "updated_at": at,
            }
        )
        documents.append(
            {
                "document_id": f"doc-{n}",
                "envelope_key": f"env-{n}",
                "file_id": n,
                "partner": partner,
                "kind": "850" if n % 4 else "856",
                "format": "x12",
                "interchange_ref": f"{n:09d}",
                "group_ref": str(n),
                "transaction_ref": "0001",
                "business_key": f"PurchaseOrder:PO{n}" if n % 4 else f"ShipNotice:SH{n}",
                "content_digest": None,
                "state": "failed" if n == 7 else "published",
                "correlation_id": f"claim-{n}",
                "detail": None,
                "created_at": at,
                "updated_at": at,
            }
        )
    sent = [
        {
            "request_id": f"req-{n}",
            "partner": "acme",
            "kind": "856",
            "document_id": f"out-{n}",
            "correlation_id": f"out-claim-{n}",
            "state": "sent",
            "interchange_ref": f"{500 + n:09d}",
            "created_at": T0 + dt.timedelta(minutes=n),
            "updated_at": T0 + dt.timedelta(minutes=n),
        }
        for n in range(1, outbound + 1)
    ]
    with ledger.factory.begin() as s:
        s.execute(insert(FILES), files)
        s.execute(insert(DOCUMENTS), documents)
        if sent:
            s.execute(insert(OUTBOUND_DOCUMENTS), sent)


def _all_pages(ledger: Ledger, query: Search) -> list[tuple[str, int]]:
    """Every row of ``query``, page after page."""
    seen: list[tuple[str, int]] = []
    after = None
    with ledger.factory() as s:
        while True:
            page = search(s, Search(**{**_fields(query), "after": after}))
            seen += [(row.direction, row.id) for row in page.rows]
            if page.next is None:
                return seen
            after = page.next


def _fields(query: Search) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__slots__}


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [True, False])
def test_pages_hold_every_row_once_in_order_in_both_directions(
    ledger: Ledger, sort: Any, descending: bool
) -> None:
    _fill(ledger)
    rows = _all_pages(ledger, Search(sort=sort, descending=descending, limit=7))
    assert len(rows) == len(set(rows)) == 40
    with ledger.factory() as s:
        whole = search(s, Search(sort=sort, descending=descending, limit=200))
    assert rows == [(row.direction, row.id) for row in whole.rows]
    keys = [
        ((getattr(r, sort),) if sort != "time" else ()) + (r.at, r.direction, r.id)
        for r in whole.rows
    ]
    assert keys == sorted(keys, reverse=descending)
    assert (whole.count, whole.more) == (40, False)


def test_filters_narrow_the_search(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:

        def found(**filters: Any) -> set[str | None]:
            return {r.document_id for r in search(s, Search(limit=200, **filters)).rows}

        assert found(state="failed") == {"doc-7"}
        assert found(direction="outbound") == {f"out-{n}" for n in range(1, 11)}
        assert found(direction="inbound", kind="856") == {
            f"doc-{n}" for n in (4, 8, 12, 16, 20, 24, 28)
        }
        assert found(partner="globex", direction="inbound") == {f"doc-{n}" for n in range(3, 31, 3)}
        window = found(since=T0 + dt.timedelta(minutes=9), until=T0 + dt.timedelta(minutes=10))
        assert window == {"doc-18", "doc-19", "out-9"}
        assert found(kind="856", partner="acme", direction="outbound", state="sent") == {
            f"out-{n}" for n in range(1, 11)
        }


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("PO5", {"doc-5"}),
        ("PurchaseOrder:PO5", {"doc-5"}),
        ("SH8", {"doc-8"}),
        ("doc-9", {"doc-9"}),
        ("000000011", {"doc-11"}),
        ("claim-13", {"doc-13"}),
        ("req-3", {"out-3"}),
        ("out-claim-4", {"out-4"}),
        ("000000502", {"out-2"}),
        ("out-6", {"out-6"}),
        ("nothing-at-all", set()),
    ],
)
def test_the_id_or_key_box_finds_each_kind_of_id(
    ledger: Ledger, key: str, expected: set[str]
) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        found = search(s, Search(key=key, key_types=tuple(BUSINESS_KEYS))).rows
        assert {r.document_id for r in found} == expected


def test_a_number_is_a_file_number_or_an_isa13(ledger: Ledger) -> None:
    """``12`` is file 12 (and ISA13 000000012: the same document here); ``502`` is the ISA13
    000000502 of an outbound document, as a partner's acknowledgement quotes it."""
    _fill(ledger)
    with ledger.factory() as s:
        assert {r.document_id for r in search(s, Search(key="12")).rows} == {"doc-12"}
        assert {r.document_id for r in search(s, Search(key="502")).rows} == {"out-2"}


def test_counts_stop_at_the_limit(ledger: Ledger) -> None:
    rows = COUNT_LIMIT + 5
    at = T0
    with ledger.factory.begin() as s:
        s.execute(
            insert(FILES),
            [
                {
                    "id": 1,
                    "partner": "acme",
                    "name": "big.x12",
                    "sha256": "0" * 64,
                    "size": 1,
                    "work_path": "/w/big",
                    "state": "archived",
                    "correlation_id": "big",
                    "received_at": at,
                    "updated_at": at,
                }
            ],
        )
        s.execute(
            insert(DOCUMENTS),
            [
                {
                    "document_id": f"d{n}",
                    "file_id": 1,
                    "partner": "acme",
                    "kind": "850",
                    "state": "published",
                    "correlation_id": "big",
                    "created_at": at,
                    "updated_at": at,
                }
                for n in range(rows)
            ],
        )
    with ledger.factory() as s:
        page = search(s, Search(limit=10))
        assert (page.count, page.more, len(page.rows)) == (COUNT_LIMIT, True, 10)
        assert page.next is not None
        later = search(s, Search(limit=10, after=page.next))
        assert not {r.id for r in later.rows} & {r.id for r in page.rows}


def test_a_cursor_of_another_order_is_refused(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        cursor = search(s, Search(limit=3)).next
        assert cursor is not None
        with pytest.raises(ValueError, match="not a page cursor"):
            search(s, Search(limit=3, sort="partner", after=cursor))
        with pytest.raises(ValueError, match="not a page cursor"):
            search(s, Search(after="garbage!"))


def test_the_migration_makes_the_search_indexes(ledger: Ledger) -> None:
    names = {
        table: {index["name"] for index in inspect(ledger.engine).get_indexes(table)}
        for table in ("documents", "files", "outbound_documents")
    }
    for table in ("documents", "outbound_documents"):
        paging = {f"ix_{table}_{c}created_at" for c in ("", "partner_", "state_", "kind_")}
        assert paging <= names[table]
    assert {"ix_documents_business_key", "ix_documents_interchange_ref"} <= names["documents"]
    assert "ix_files_correlation_id" in names["files"]

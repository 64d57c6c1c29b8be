"""Finding documents: the console's search over inbound documents (``documents``) and outbound
ones (``outbound_documents``), by partner, direction, kind, state, time and any id or key.

A ledger holds millions of documents and a person pages through a few dozen at a time, so:

- pages are keyset pages (:attr:`Search.after` is the last row's place in the order, never an
  offset), and every order ends with the time and the row's key, so that a page is one range
  of an index (migration ``0006``: the time alone, or after the partner, the state or the kind);
- the "id or key" box is looked up first, one indexed lookup per kind of id (document id, file
  number, business key, ISA13, claim id, request id), and the page is then read among the
  rows found (at most :data:`KEY_MATCHES`), never by scanning for them;
- a search counts what it finds only up to :data:`COUNT_LIMIT` ("more than 1,000"): a
  ``COUNT(*)`` over a million rows per page would cost more than the page.

Both directions together are two keyset queries merged: their order puts inbound before
outbound at an equal time, so one cursor serves both.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import heapq
import json
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, Index, Table, func, literal, select, text, true, tuple_
from sqlalchemy.orm import Session

from ._statements import _run
from .models import DOCUMENTS, FILES, OUTBOUND_DOCUMENTS, PARTNER_ACKS

Direction = Literal["inbound", "outbound"]
Sort = Literal["time", "partner", "kind", "state"]
DIRECTIONS: tuple[Direction, ...] = ("inbound", "outbound")
SORTS: tuple[Sort, ...] = ("time", "partner", "kind", "state")
COUNT_LIMIT = 1000
"""A search counts its rows up to this many; beyond, it says "more than"."""
KEY_MATCHES = 1000
"""Rows an id or key may name at most (a business key sent a thousand times is a test)."""
PAGE_LIMIT = 200
"""Rows a page holds at most."""
_BIGINT = 2**63 - 1


def _paging_indexes(table: Table) -> list[Index]:
    """A page's index for each order (and filter) of ``table``: by time alone, or by the
    partner, the state or the kind, then the time."""
    return [
        Index(
            f"ix_{table.name}_{name + '_' if name else ''}created_at",
            *((table.c[name],) if name else ()),
            table.c.created_at,
            table.c.id,
        )
        for name in ("", "partner", "state", "kind")
    ]


SEARCH_INDEXES = (
    *_paging_indexes(DOCUMENTS),
    *_paging_indexes(OUTBOUND_DOCUMENTS),
    Index(  # partial, as the partner's business key index
        "ix_documents_business_key",
        DOCUMENTS.c.business_key,
        sqlite_where=text("business_key IS NOT NULL"),
        postgresql_where=text("business_key IS NOT NULL"),
    ),
    Index("ix_documents_interchange_ref", DOCUMENTS.c.interchange_ref),
    Index("ix_files_correlation_id", FILES.c.correlation_id),
    Index("ix_outbound_documents_interchange_ref", OUTBOUND_DOCUMENTS.c.interchange_ref),
    Index("ix_outbound_documents_correlation_id", OUTBOUND_DOCUMENTS.c.correlation_id),
    Index("ix_partner_acks_document_id", PARTNER_ACKS.c.document_id),  # what an ack answered
)
"""The indexes the search (and a document's page) reads through, which migration ``0006``
makes: a page is one range of one of them, and each kind of id is found through its own.
Declared here, beside the queries that need them, they join the tables' metadata when the
ledger is imported (so the migrations test compares them too)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Search:
    """What a person asks for; every filter is optional (all of them: the newest documents)."""

    partner: str | None = None
    direction: Direction | None = None
    """``inbound`` (received), ``outbound`` (sent), or None: both."""
    kind: str | None = None
    """The transaction set or kind (``850``, ``856``, ``997``...)."""
    state: str | None = None
    since: dt.datetime | None = None
    """Recorded at or after (aware)."""
    until: dt.datetime | None = None
    """Recorded before (aware)."""
    key: str | None = None
    """Any id or key: business key (``PurchaseOrder:PO1`` or ``PO1``), document id, file
    number, ISA13, claim (correlation) id, outbound request id."""
    key_types: tuple[str, ...] = ()
    """The message types of business keys (:data:`gateway.duplicates.BUSINESS_KEYS`): a key
    without its type (``PO1``) is looked up under each (``PurchaseOrder:PO1``...)."""
    sort: Sort = "time"
    descending: bool = True
    after: str | None = None
    """The cursor of the page before (:attr:`SearchPage.next`)."""
    limit: int = 50


@dataclasses.dataclass(frozen=True, slots=True)
class FoundDocument:
    """One row of a search: an inbound document record or an outbound document."""

    direction: Direction
    id: int
    """The row's key in its table."""
    document_id: str | None
    """None for a refused outbound request (nothing was rendered)."""
    partner: str
    kind: str
    state: str
    at: dt.datetime
    business_key: str | None
    interchange_ref: str | None
    file_id: int | None
    """The inbound file it came in."""
    request_id: str | None
    """The outbound request it answers."""
    correlation_id: str


@dataclasses.dataclass(frozen=True, slots=True)
class SearchPage:
    rows: list[FoundDocument]
    next: str | None
    """The cursor of the next page; None on the last."""
    count: int
    """Rows found, counted up to :data:`COUNT_LIMIT` (``more`` says whether there are more)."""
    more: bool


def search(s: Session, query: Search) -> SearchPage:
    """One page of the documents ``query`` asks for, in its order, with a bounded count."""
    limit = max(1, min(query.limit, PAGE_LIMIT))
    cursor = _decode(query.after, query.sort) if query.after else None
    directions = (query.direction,) if query.direction else DIRECTIONS
    found: list[list[tuple[tuple[Any, ...], FoundDocument]]] = []
    count = 0
    for direction in directions:
        table = DOCUMENTS if direction == "inbound" else OUTBOUND_DOCUMENTS
        where = _filters(s, table, direction, query)
        if where is None:
            continue
        rows = _page(s, table, direction, where, query, cursor, limit + 1)
        found.append([(_key(row, query.sort), row) for row in rows])
        if not query.after:
            count += _count(s, table, where)
    merged = heapq.merge(*found, key=lambda pair: pair[0], reverse=query.descending)
    page = [row for _, row in merged][: limit + 1]
    next_cursor = _encode(_key(page[limit - 1], query.sort)) if len(page) > limit else None
    return SearchPage(page[:limit], next_cursor, min(count, COUNT_LIMIT), count > COUNT_LIMIT)


def _filters(
    s: Session, table: Table, direction: Direction, query: Search
) -> list[ColumnElement[bool]] | None:
    """The conditions of ``query`` on ``table``; None when its id or key names nothing there."""
    c = table.c
    where: list[ColumnElement[bool]] = []
    if query.partner:
        where.append(c.partner == query.partner)
    if query.kind:
        where.append(c.kind == query.kind)
    if query.state:
        where.append(c.state == query.state)
    if query.since:
        where.append(c.created_at >= query.since)
    if query.until:
        where.append(c.created_at < query.until)
    if query.key and query.key.strip():
        ids = _named(s, direction, query.key.strip(), query.key_types)
        if not ids:
            return None
        where.append(c.id.in_(ids))
    return where


def _named(s: Session, direction: Direction, key: str, key_types: Sequence[str]) -> list[int]:
    """The keys of the rows ``key`` names in ``direction``'s table: each kind of id looked up
    through its own index, so that none scans the table."""
    lookups: list[Any] = []
    if direction == "inbound":
        d = DOCUMENTS.c
        keys = [key] if ":" in key else [key, *(f"{kind}:{key}" for kind in key_types)]
        lookups.append(select(d.id).where(d.business_key.in_(keys)))
        lookups.append(select(d.id).where(d.document_id == key))
        lookups.append(select(d.id).where(d.interchange_ref.in_(_refs(key))))
        claimed = select(FILES.c.id).where(FILES.c.correlation_id == key)
        lookups.append(select(d.id).where(d.file_id.in_(claimed.scalar_subquery())))
        if key.isdigit() and int(key) <= _BIGINT:
            lookups.append(select(d.id).where(d.file_id == int(key)))
    else:
        o = OUTBOUND_DOCUMENTS.c
        lookups.append(select(o.id).where(o.request_id == key))
        lookups.append(select(o.id).where(o.document_id == key))
        lookups.append(select(o.id).where(o.interchange_ref.in_(_refs(key))))
        lookups.append(select(o.id).where(o.correlation_id == key))
    ids: dict[int, None] = {}
    for lookup in lookups:
        for found in _run(s, lookup.limit(KEY_MATCHES)).scalars():
            ids[int(found)] = None
        if len(ids) >= KEY_MATCHES:
            break
    return list(ids)[:KEY_MATCHES]


def _refs(key: str) -> list[str]:
    """An interchange reference as given, and as X12 writes it (``1`` -> ``000000001``)."""
    return [key, key.zfill(9)] if key.isdigit() and len(key) < 9 else [key]


def _order(table: Table, sort: Sort) -> list[ColumnElement[Any]]:
    """The columns of the order: the one asked for (if any), then the time."""
    c = table.c
    return ([] if sort == "time" else [c[sort]]) + [c.created_at]


def _page(
    s: Session,
    table: Table,
    direction: Direction,
    where: list[ColumnElement[bool]],
    query: Search,
    cursor: tuple[Any, ...] | None,
    limit: int,
) -> list[FoundDocument]:
    order = _order(table, query.sort)
    conditions = list(where)
    if cursor is not None:
        conditions.append(_after(table, order, DIRECTIONS.index(direction), cursor, query))
    columns = [*order, table.c.id]
    statement = (
        _columns(table, direction)
        .where(true(), *conditions)
        .order_by(*(col.desc() if query.descending else col.asc() for col in columns))
        .limit(limit)
    )
    return [FoundDocument(**dict(row)) for row in _run(s, statement).mappings()]


def _after(
    table: Table,
    order: list[ColumnElement[Any]],
    rank: int,
    cursor: tuple[Any, ...],
    query: Search,
) -> ColumnElement[bool]:
    """Rows after ``cursor`` = (order values..., direction's rank, id) in the query's order.

    The rank is constant in one table, so the condition is on the table's own columns: at
    the cursor's order values, a table that comes after the cursor's in the order (ranked
    before it, going down) takes its rows too, one that comes before takes none, and the
    cursor's own table breaks the tie by id."""
    *values, cursor_rank, cursor_id = cursor
    values = [literal(v, col.type) for v, col in zip(values, order, strict=True)]
    mine = tuple_(*order) if len(order) > 1 else order[0]
    theirs = tuple_(*values) if len(values) > 1 else values[0]
    # at equal order values, a table ranked before the cursor's comes after it going down
    takes_equal = rank < cursor_rank if query.descending else rank > cursor_rank
    if rank == cursor_rank:
        with_id = tuple_(*order, table.c.id)
        bound = tuple_(*values, literal(cursor_id, table.c.id.type))
        return with_id < bound if query.descending else with_id > bound
    if takes_equal:
        return mine <= theirs if query.descending else mine >= theirs
    return mine < theirs if query.descending else mine > theirs


def _columns(table: Table, direction: Direction) -> Any:
    c = table.c
    if direction == "inbound":
        return select(
            literal("inbound").label("direction"),
            c.id,
            c.document_id,
            c.partner,
            c.kind,
            c.state,
            c.created_at.label("at"),
            c.business_key,
            c.interchange_ref,
            c.file_id,
            literal(None).label("request_id"),
            c.correlation_id,
        )
    return select(
        literal("outbound").label("direction"),
        c.id,
        c.document_id,
        c.partner,
        c.kind,
        c.state,
        c.created_at.label("at"),
        literal(None).label("business_key"),
        c.interchange_ref,
        literal(None).label("file_id"),
        c.request_id,
        c.correlation_id,
    )


def _count(s: Session, table: Table, where: Sequence[ColumnElement[bool]]) -> int:
    """Rows matching ``where``, counted up to one more than :data:`COUNT_LIMIT`."""
    bounded = select(table.c.id).where(true(), *where).limit(COUNT_LIMIT + 1).subquery()
    return int(_run(s, select(func.count()).select_from(bounded)).scalar_one())


def _key(row: FoundDocument, sort: Sort) -> tuple[Any, ...]:
    """A row's place in the order: (sorted value, time, direction's rank, id)."""
    head = () if sort == "time" else (getattr(row, sort),)
    return (*head, row.at, DIRECTIONS.index(row.direction), row.id)


def _encode(key: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: Sort) -> tuple[Any, ...]:
    """A cursor back into its values; :class:`ValueError` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, json.JSONDecodeError) as error:
        raise ValueError(f"not a page cursor: {cursor!r}") from error
    if not isinstance(values, list) or len(values) != (3 if sort == "time" else 4):
        raise ValueError(f"not a page cursor: {cursor!r}")
    values[-3] = dt.datetime.fromisoformat(values[-3])
    return tuple(values)

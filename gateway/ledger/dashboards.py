"""What the console's business dashboards draw, read from the ledger: documents per hour by
partner and kind, order-receipt-to-publish latency, partners' acknowledgement rate and cycle
time, exceptions by partner and cause, and the outbox backlog over time.

Each is aggregated in SQL over a bounded window (hours back from ``now``) and returned as
series a chart draws (x: the hour's start, in seconds since the epoch). The same statements run
on SQLite and PostgreSQL: the few expressions they spell differently (an hour, seconds between
two times) are compiled for each (:class:`_Hour`, :class:`_Seconds`).

Bounded windows and large ledgers: the tables have no index on their times, but their ids count
up with them (rows are written at the time they record). :func:`first_id_since` finds, by
bisection on the primary key, the first id written at or after a time (a margin before it:
rows of concurrent transactions interleave by a few seconds), so that a window reads only its
range of the table. Latency percentiles come from a histogram counted in SQL (:data:`BUCKETS`),
interpolated as Prometheus's ``histogram_quantile`` does.

(Just over 400 lines: the six charts' queries share the window, hour and histogram helpers
above them; split, each module would import them all back.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ._outbox import OutboxState
from .models import DOCUMENTS, EVENTS, FILES, OUTBOUND_DOCUMENTS, OUTBOX, PARTNER_ACKS
from .outbound import OutboundState

HOUR = 3600
MARGIN = dt.timedelta(hours=1)
"""How far before a window's start :func:`first_id_since` starts looking (rows' times are
not quite in the order of their ids)."""
OUTBOX_LOOKBACK = dt.timedelta(days=7)
"""Outbox messages created this long before a window are read for what was published in it
(a message that waited longer is counted as backlog only once it is seen again)."""
BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
"""Upper bounds (seconds) of the latency histograms counted in SQL; the last bucket is open."""
TOP_SERIES = 8
"""Series a chart shows at most; the others are summed as one ("others")."""
SETTLED = (
    OutboundState.ACCEPTED,
    OutboundState.ACCEPTED_WITH_ERRORS,
    OutboundState.REJECTED,
)
SENT = (*SETTLED, OutboundState.WRITTEN, OutboundState.SENT, OutboundState.OVERDUE)
UNPUBLISHED = (OutboxState.PENDING, OutboxState.UNROUTABLE, OutboxState.HELD)


class _Hour(FunctionElement[int]):
    """The hour a time falls in, as whole hours since the epoch (UTC)."""

    type = Integer()
    inherit_cache = True


@compiles(_Hour, "sqlite")
def _hour_sqlite(element: _Hour, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 3600)"


@compiles(_Hour)
def _hour_postgresql(element: _Hour, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 3600) AS BIGINT)"


class _Seconds(FunctionElement[float]):
    """Seconds from the first time to the second."""

    type = Float()
    inherit_cache = True


@compiles(_Seconds, "sqlite")
def _seconds_sqlite(element: _Seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() is a float of days: rounded to the millisecond, 5 s stays 5 s, not 5.0000001
    return f"round((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(_Seconds)
def _seconds_postgresql(element: _Seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def grouped(column: Any) -> Any:
    """``column`` to group by, as an expression (``partner || ''``) labelled as the column:
    SQLite groups by a plain column by walking a whole index that begins with it (every row of
    the table, 90 ms for a million) instead of reading the window's range of ids and sorting
    it (15 ms); an expression leaves it no such index."""
    return column.concat(literal_column("''")).label(column.name)


def _bucket(seconds: ColumnElement[float]) -> ColumnElement[int]:
    """The index in :data:`BUCKETS` of the first bound ``seconds`` is within."""
    whens = [(seconds <= bound, index) for index, bound in enumerate(BUCKETS)]
    return case(*whens, else_=len(BUCKETS))


@dataclasses.dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: list[float | None]


@dataclasses.dataclass(frozen=True, slots=True)
class HourlyChart:
    """Values by hour: ``hours`` are the hours' starts (seconds since the epoch, UTC)."""

    hours: list[int]
    series: list[Series]


@dataclasses.dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class AckPerformance:
    """A partner's outbound documents sent in the window and what became of them."""

    partner: str
    sent: int
    acknowledged: int
    """Accepted, accepted with errors or rejected."""
    accepted: int
    overdue: int
    cycle_p50: float | None
    """Seconds from sending to the acknowledgement that settled it (of those settled in the
    window), median and 95th percentile."""
    cycle_p95: float | None

    @property
    def rate(self) -> float | None:
        """Acknowledged over sent (None when nothing was sent)."""
        return self.acknowledged / self.sent if self.sent else None


def first_id_since(s: Session, table: Table, column: Any, since: dt.datetime) -> int:
    """The first id of ``table`` whose ``column`` is at or after ``since`` minus
    :data:`MARGIN` (one past the last id when none is), by bisection on the primary key."""
    # two statements: SQLite reads min and max of the key at once by scanning the table
    low = _run(s, select(func.min(table.c.id))).scalar()
    high = _run(s, select(func.max(table.c.id))).scalar()
    if low is None or high is None:
        return 0
    after = since - MARGIN

    def written_from(id_: int) -> dt.datetime | None:
        """The time of the first row at or after ``id_`` (ids have gaps)."""
        query = select(column).where(table.c.id >= id_).order_by(table.c.id).limit(1)
        at: dt.datetime | None = _run(s, query).scalar()
        return at

    while low < high:
        middle = (low + high) // 2
        at = written_from(middle)
        if at is not None and at >= after:
            high = middle
        else:
            low = middle + 1
    at = written_from(low)
    return int(low) if at is not None and at >= after else int(high) + 1


def _run(s: Session, statement: Any, params: Any = None) -> Any:
    return s.connection().execute(statement, params or {})


def _hours(now: dt.datetime, hours: int) -> tuple[dt.datetime, list[int]]:
    """The window's start and its hours (whole hours since the epoch), the current one last."""
    last = int(now.timestamp()) // HOUR
    first = last - hours + 1
    return dt.datetime.fromtimestamp(first * HOUR, dt.UTC), list(range(first, last + 1))


def _top(
    totals: dict[str, dict[int, float]], grid: list[int], limit: int = TOP_SERIES
) -> list[Series]:
    """One series per label, the largest first; beyond ``limit``, the rest summed."""
    ranked = sorted(totals, key=lambda label: (-sum(totals[label].values()), label))
    shown, rest = ranked[:limit], ranked[limit:]
    series = [Series(label, [totals[label].get(h, 0) for h in grid]) for label in shown]
    if rest:
        summed = [sum(totals[label].get(h, 0) for label in rest) for h in grid]
        series.append(Series(f"{len(rest)} others", list(summed)))
    return series


def documents_per_hour(s: Session, now: dt.datetime, hours: int = 48) -> HourlyChart:
    """Documents received per hour by partner and kind (``partner 850``)."""
    start, grid = _hours(now, hours)
    first = first_id_since(s, DOCUMENTS, DOCUMENTS.c.created_at, start)
    hour = _Hour(DOCUMENTS.c.created_at)
    partner, kind = grouped(DOCUMENTS.c.partner), grouped(DOCUMENTS.c.kind)
    query = (
        select(hour, partner, kind, func.count())
        .where(DOCUMENTS.c.id >= first, DOCUMENTS.c.created_at >= start)
        .group_by(hour, partner, kind)
    )
    totals: dict[str, dict[int, float]] = defaultdict(dict)
    for at, partner, kind, count in _run(s, query):
        totals[f"{partner} {kind}"][int(at)] = count
    return HourlyChart([h * HOUR for h in grid], _top(totals, grid))


def quantile(q: float, counts: Sequence[int]) -> float | None:
    """The ``q`` quantile of a histogram of :data:`BUCKETS` (linear within a bucket; the open
    last bucket gives its lower bound), None when it is empty."""
    total = sum(counts)
    if not total:
        return None
    rank, seen = q * total, 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            lower = BUCKETS[index - 1] if index else 0.0
            if index == len(BUCKETS):
                return float(lower)
            return lower + (BUCKETS[index] - lower) * (rank - seen) / count
        seen += count
    return float(BUCKETS[-1])


def _histograms(rows: Iterable[Any]) -> dict[Any, list[int]]:
    """(key, bucket, count) rows -> key -> counts by bucket."""
    found: dict[Any, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
    for key, bucket, count in rows:
        found[key][int(bucket)] += count
    return found


def order_latency(s: Session, now: dt.datetime, hours: int = 48, kind: str = "850") -> HourlyChart:
    """From a file's receipt to the broker's confirm of each of its ``kind`` documents'
    messages, by the hour they were published: p50 and p95 (seconds) and how many."""
    start, grid = _hours(now, hours)
    first = first_id_since(s, OUTBOX, OUTBOX.c.created_at, start - OUTBOX_LOOKBACK)
    # the documents and files of those messages are as recent (a file a day older, at most):
    # bounded too, PostgreSQL joins the ranges instead of hashing the whole tables
    since = start - OUTBOX_LOOKBACK - dt.timedelta(days=1)
    first_document = first_id_since(s, DOCUMENTS, DOCUMENTS.c.created_at, since)
    first_file = first_id_since(s, FILES, FILES.c.received_at, since)
    hour = _Hour(OUTBOX.c.published_at)
    bucket = _bucket(_Seconds(FILES.c.received_at, OUTBOX.c.published_at))
    query = (
        select(hour, bucket, func.count())
        .select_from(OUTBOX)
        .join(DOCUMENTS, DOCUMENTS.c.id == OUTBOX.c.document_pk)
        .join(FILES, FILES.c.id == DOCUMENTS.c.file_id)
        .where(
            OUTBOX.c.id >= first,
            OUTBOX.c.published_at >= start,
            DOCUMENTS.c.id >= first_document,
            FILES.c.id >= first_file,
            DOCUMENTS.c.kind == kind,
        )
        .group_by(hour, bucket)
    )
    by_hour = _histograms(_run(s, query))
    empty = [0] * (len(BUCKETS) + 1)
    p50 = [quantile(0.5, by_hour.get(h, empty)) for h in grid]
    p95 = [quantile(0.95, by_hour.get(h, empty)) for h in grid]
    counts: list[float | None] = [sum(by_hour.get(h, empty)) for h in grid]
    return HourlyChart(
        [h * HOUR for h in grid],
        [Series("p50", p50), Series("p95", p95), Series("published", counts)],
    )


def _sent_at() -> ColumnElement[dt.datetime]:
    """When an outbound document was sent: its first ``outbound.sent`` event, else its record."""
    T = OUTBOUND_DOCUMENTS
    event = (
        select(func.min(EVENTS.c.at))
        .where(
            EVENTS.c.document_id == func.coalesce(T.c.document_id, T.c.request_id),
            EVENTS.c.kind == "outbound.sent",
        )
        .scalar_subquery()
    )
    return func.coalesce(event, T.c.created_at, type_=T.c.created_at.type)


def acknowledgements(s: Session, now: dt.datetime, hours: int = 7 * 24) -> list[AckPerformance]:
    """By partner: outbound documents sent in the window, how many were acknowledged (and
    accepted) or are overdue; the cycle time of the acknowledgements recorded in it."""
    T, A = OUTBOUND_DOCUMENTS, PARTNER_ACKS
    start, _ = _hours(now, hours)
    first = first_id_since(s, T, T.c.created_at, start)
    partner, state = grouped(T.c.partner), grouped(T.c.state)
    states = _run(
        s,
        select(partner, state, func.count())
        .where(T.c.id >= first, T.c.created_at >= start, T.c.state.in_([x.value for x in SENT]))
        .group_by(partner, state),
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for name, value, count in states:
        counts[name][value] = count
    first_ack = first_id_since(s, A, A.c.created_at, start)
    bucket = _bucket(_Seconds(_sent_at(), A.c.created_at))
    cycles = _histograms(
        _run(
            s,
            select(partner, bucket, func.count())
            .select_from(A)
            .join(T, T.c.id == A.c.outbound_id)
            .where(and_(A.c.id >= first_ack, A.c.created_at >= start, A.c.outcome == "applied"))
            .group_by(partner, bucket),
        )
    )
    found = []
    for partner in sorted(set(counts) | set(cycles)):
        mine = counts.get(partner, {})
        histogram = cycles.get(partner, [0] * (len(BUCKETS) + 1))
        found.append(
            AckPerformance(
                partner=partner,
                sent=sum(mine.values()),
                acknowledged=sum(mine.get(x.value, 0) for x in SETTLED),
                accepted=sum(mine.get(x.value, 0) for x in SETTLED[:2]),
                overdue=mine.get(OutboundState.OVERDUE.value, 0),
                cycle_p50=quantile(0.5, histogram),
                cycle_p95=quantile(0.95, histogram),
            )
        )
    return found


def exceptions(s: Session, now: dt.datetime, hours: int = 48) -> list[Bar]:
    """Files quarantined (by the code of their report's first finding) and requests refused in
    the window, by partner and cause (``partner: cause``), the most first."""
    start, _ = _hours(now, hours)
    first = first_id_since(s, FILES, FILES.c.received_at, start)
    code = FILES.c.detail[("report", "findings", 0, "code")].as_string()
    cause = func.coalesce(code, "unreadable file")
    partner = grouped(FILES.c.partner)
    files = _run(
        s,
        select(partner, cause, func.count())
        .where(FILES.c.id >= first, FILES.c.received_at >= start, FILES.c.state == "quarantined")
        .group_by(partner, cause),
    )
    T = OUTBOUND_DOCUMENTS
    first_request = first_id_since(s, T, T.c.created_at, start)
    refused = _run(
        s,
        select(grouped(T.c.partner), literal("request refused"), func.count())
        .where(
            T.c.id >= first_request,
            T.c.created_at >= start,
            T.c.state == OutboundState.INVALID.value,
        )
        .group_by(grouped(T.c.partner)),
    )
    bars = [Bar(f"{p}: {c}", n) for p, c, n in [*files, *refused]]
    return sorted(bars, key=lambda bar: (-(bar.value or 0), bar.label))


def outbox_backlog(s: Session, now: dt.datetime, hours: int = 48) -> HourlyChart:
    """Messages not yet published (pending, unroutable, held) at the end of each hour (the
    current one: now), from the messages' ``created_at`` and ``published_at``."""
    start, grid = _hours(now, hours)
    first = first_id_since(s, OUTBOX, OUTBOX.c.created_at, start - OUTBOX_LOOKBACK)
    unpublished = [x.value for x in UNPUBLISHED]
    before = _run(
        s,
        select(func.count())
        .select_from(OUTBOX)
        .where(OUTBOX.c.state.in_(unpublished), OUTBOX.c.id < first),
    ).scalar_one()
    created, published = _Hour(OUTBOX.c.created_at), _Hour(OUTBOX.c.published_at)
    made: dict[int, int] = defaultdict(int)
    gone: dict[int, int] = defaultdict(int)
    pairs = (  # one read of the range: by the hours made and published (None: not yet)
        select(created, published, func.count())
        .where(OUTBOX.c.id >= first)
        .group_by(created, published)
    )
    for made_in, gone_in, count in _run(s, pairs):
        made[made_in] += count
        if gone_in is not None:
            gone[gone_in] += count
    backlog: list[float | None] = []
    level = before
    level += sum(n for h, n in made.items() if h < grid[0])
    level -= sum(n for h, n in gone.items() if h < grid[0])
    for h in grid:
        level += made.get(h, 0) - gone.get(h, 0)
        backlog.append(max(level, 0))
    return HourlyChart([h * HOUR for h in grid], [Series("unpublished", backlog)])

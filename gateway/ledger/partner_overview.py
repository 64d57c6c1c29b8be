"""Each partner at a glance, read from the ledger (the console's partners page): when its
files last came in and when files last went to it, its error rate over the last day, and its
backlog (files not finished, messages not published, outbound documents awaiting their
acknowledgement).

Times and rates are read over bounded windows (:data:`RECENT`, :data:`LOOKBACK`) through
:func:`gateway.ledger.dashboards.first_id_since`; backlogs through the state indexes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ._documents import DocumentState
from ._files import FileState
from .dashboards import UNPUBLISHED, first_id_since, grouped
from .models import ACKS, DELIVERIES, DOCUMENTS, FILES, OUTBOUND_DOCUMENTS, OUTBOX, REMOTE_PICKUPS
from .outbound import AWAITING_ACK_STATES, OutboundState

RECENT = dt.timedelta(hours=24)
"""The window of the error rate."""
LOOKBACK = dt.timedelta(days=7)
"""How far back the last receipt and delivery are looked for (older: "not in 7 days")."""
UNFINISHED_FILES = (FileState.RECEIVED, FileState.PROCESSED)
FAILED_DOCUMENTS = (DocumentState.FAILED, DocumentState.QUARANTINED)


@dataclasses.dataclass(frozen=True, slots=True)
class PartnerOverview:
    partner: str
    last_received: dt.datetime | None = None
    """Its newest file in the ledger (taken from its folder or server), within LOOKBACK."""
    last_pickup: dt.datetime | None = None
    """Its newest file fetched from its server (SFTP), within LOOKBACK."""
    last_delivery: dt.datetime | None = None
    """The newest file delivered to it: to its server, or written to ``outbox/<partner>/``
    (acknowledgements, outbound documents), within LOOKBACK."""
    files: int = 0
    """Files received in the last 24 hours, and how many of those were quarantined."""
    quarantined: int = 0
    documents: int = 0
    """Documents received in the last 24 hours, and how many of those failed."""
    failed: int = 0
    unfinished_files: int = 0
    """Files received and not yet archived or quarantined."""
    unpublished: int = 0
    """Outbox messages not yet published (pending, unroutable, held)."""
    awaiting_ack: int = 0
    """Outbound documents written or sent, their acknowledgement not received yet."""
    overdue: int = 0

    @property
    def error_rate(self) -> float | None:
        """Failed documents over documents in the last 24 hours, or without documents,
        quarantined files over files; None when nothing came."""
        if self.documents:
            return self.failed / self.documents
        return self.quarantined / self.files if self.files else None


def _run(s: Session, statement: Any) -> Any:
    return s.connection().execute(statement)


def _newest(
    s: Session, table: Any, column: Any, since: dt.datetime, *where: Any, recorded: Any = None
) -> Any:
    """partner -> the newest ``column`` since ``since`` (of rows ``recorded`` since then, when
    ``column`` is set later than the row is written)."""
    first = first_id_since(s, table, column if recorded is None else recorded, since)
    query = (
        select(grouped(table.c.partner), func.max(column))
        .where(table.c.id >= first, column >= since, *where)
        .group_by(grouped(table.c.partner))
    )
    return dict(_run(s, query).all())


def _sum(condition: Any) -> Any:
    """How many rows meet ``condition``."""
    return func.sum(case((condition, 1), else_=0))


def _files(s: Session, week: dt.datetime, day: dt.datetime) -> dict[str, tuple[Any, int, int]]:
    """partner -> its newest file in the week, files and quarantined files of the day (one
    read of the week's files)."""
    first = first_id_since(s, FILES, FILES.c.received_at, week)
    recent = FILES.c.received_at >= day
    quarantined = and_(recent, FILES.c.state == FileState.QUARANTINED.value)
    partner = grouped(FILES.c.partner)
    query = (
        select(partner, func.max(FILES.c.received_at), _sum(recent), _sum(quarantined))
        .where(FILES.c.id >= first, FILES.c.received_at >= week)
        .group_by(partner)
    )
    return {p: (at, int(n or 0), int(q or 0)) for p, at, n, q in _run(s, query)}


def _counts(s: Session, table: Any, *where: Any) -> dict[str, int]:
    partner = grouped(table.c.partner)
    query = select(partner, func.count()).where(*where).group_by(partner)
    return dict(_run(s, query).all())


def partner_overview(
    s: Session, now: dt.datetime, partners: Any = ()
) -> dict[str, PartnerOverview]:
    """Every partner the ledger knows of recently or with a backlog, and ``partners`` (those
    with a profile) even without either, by name."""
    week, day = now - LOOKBACK, now - RECENT
    values: dict[str, dict[str, Any]] = defaultdict(dict)
    for partner in partners:
        values[partner] = {}

    def put(field: str, found: dict[str, Any], newest: bool = False) -> None:
        for partner, value in found.items():
            mine = values[partner]
            if newest and mine.get(field) is not None:
                value = max(value, mine[field])
            mine[field] = value

    files = _files(s, week, day)
    put("last_received", {partner: row[0] for partner, row in files.items()})
    put("files", {partner: row[1] for partner, row in files.items()})
    put("quarantined", {partner: row[2] for partner, row in files.items()})
    put("last_pickup", _newest(s, REMOTE_PICKUPS, REMOTE_PICKUPS.c.created_at, week))
    put(
        "last_delivery",
        _newest(s, DELIVERIES, DELIVERIES.c.delivered_at, week, recorded=DELIVERIES.c.created_at),
        newest=True,
    )
    put(
        "last_delivery",
        _newest(s, ACKS, ACKS.c.written_at, week, recorded=ACKS.c.created_at),
        newest=True,
    )
    written = OUTBOUND_DOCUMENTS.c.state.not_in(
        [OutboundState.RENDERED.value, OutboundState.INVALID.value]
    )
    outbound = _newest(s, OUTBOUND_DOCUMENTS, OUTBOUND_DOCUMENTS.c.created_at, week, written)
    put("last_delivery", outbound, newest=True)

    first_document = first_id_since(s, DOCUMENTS, DOCUMENTS.c.created_at, day)
    failed = DOCUMENTS.c.state.in_([x.value for x in FAILED_DOCUMENTS])
    documents = _run(
        s,
        select(grouped(DOCUMENTS.c.partner), func.count(), _sum(failed))
        .where(DOCUMENTS.c.id >= first_document, DOCUMENTS.c.created_at >= day)
        .group_by(grouped(DOCUMENTS.c.partner)),
    ).all()
    put("documents", {partner: count for partner, count, _ in documents})
    put("failed", {partner: int(bad or 0) for partner, _, bad in documents})

    unfinished = FILES.c.state.in_([x.value for x in UNFINISHED_FILES])
    put("unfinished_files", _counts(s, FILES, unfinished))
    put("unpublished", _counts(s, OUTBOX, OUTBOX.c.state.in_([x.value for x in UNPUBLISHED])))
    awaiting = OUTBOUND_DOCUMENTS.c.state.in_([x.value for x in AWAITING_ACK_STATES])
    put("awaiting_ack", _counts(s, OUTBOUND_DOCUMENTS, awaiting))
    late = OUTBOUND_DOCUMENTS.c.state == OutboundState.OVERDUE.value
    put("overdue", _counts(s, OUTBOUND_DOCUMENTS, late))
    return {name: PartnerOverview(name, **values[name]) for name in sorted(values)}

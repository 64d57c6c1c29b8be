"""Acknowledgements still owed and acknowledgements that answered nothing, for a person
(the console's ``/acks``): the outbound documents awaiting their partner's 997/999, the
overdue first, by partner; the partners' acknowledgements that matched nothing we sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .ledger.models import OUTBOUND_DOCUMENTS, PARTNER_ACKS
from .ledger.outbound import AWAITING_ACK_STATES, OutboundRow, OutboundState
from .ledger.reconciliation import AckOutcome, PartnerAckRow

MOST = 1000
"""Documents awaiting, and unmatched acknowledgements, listed at most."""


@dataclasses.dataclass(frozen=True, slots=True)
class Awaiting:
    """An outbound document without its acknowledgement yet."""

    row: OutboundRow
    overdue: bool
    late_by: dt.timedelta | None
    """How long past its deadline (None: not past it, or no deadline)."""

    def as_json(self) -> dict[str, Any]:
        r = self.row
        return {
            "document_id": r.document_id,
            "request_id": r.request_id,
            "partner": r.partner,
            "kind": r.kind,
            "state": r.state.value,
            "interchange": r.interchange_ref,
            "group": r.group_ref,
            "transaction": r.transaction_ref,
            "file_name": r.file_name,
            "sent_at": r.updated_at.isoformat(),
            "ack_due_at": r.ack_due_at.isoformat() if r.ack_due_at else None,
            "overdue": self.overdue,
            "late_by_seconds": int(self.late_by.total_seconds()) if self.late_by else None,
        }


_AWAITING = (  # the (state, ack_due_at) index
    select(OUTBOUND_DOCUMENTS)
    .where(
        OUTBOUND_DOCUMENTS.c.state.in_(
            [s.value for s in (OutboundState.OVERDUE, *AWAITING_ACK_STATES)]
        ),
        OUTBOUND_DOCUMENTS.c.ack_due_at.is_not(None),  # a partner that sends no ack: none due
    )
    .order_by(OUTBOUND_DOCUMENTS.c.ack_due_at, OUTBOUND_DOCUMENTS.c.id)
    .limit(MOST)
)


def awaiting(s: Session, now: dt.datetime, *, partner: str | None = None) -> list[Awaiting]:
    """Documents written, sent or overdue whose partner owes an acknowledgement (they have a
    deadline), the :data:`MOST` due first: the overdue first (the most late first), then by
    deadline."""
    query = _AWAITING
    if partner is not None:
        query = query.where(OUTBOUND_DOCUMENTS.c.partner == partner)
    rows = [
        OutboundRow(**{**r, "state": OutboundState(r["state"])})
        for r in s.execute(query).mappings()
    ]
    found = []
    for row in rows:
        late = now - row.ack_due_at if row.ack_due_at and row.ack_due_at <= now else None
        found.append(Awaiting(row, row.state is OutboundState.OVERDUE or late is not None, late))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(
        found,
        key=lambda a: (not a.overdue, a.row.ack_due_at or far, a.row.created_at, a.row.id),
    )


def by_partner(found: list[Awaiting]) -> dict[str, list[Awaiting]]:
    """``found`` by partner, the partners with the most overdue first."""
    groups: dict[str, list[Awaiting]] = {}
    for item in found:
        groups.setdefault(item.row.partner, []).append(item)
    order = sorted(groups, key=lambda p: (-sum(a.overdue for a in groups[p]), p))
    return {p: groups[p] for p in order}


_UNMATCHED = (
    select(PARTNER_ACKS)
    .where(PARTNER_ACKS.c.outcome == AckOutcome.UNMATCHED.value)
    .order_by(PARTNER_ACKS.c.id.desc())
    .limit(MOST)
)


def unmatched(s: Session, *, partner: str | None = None) -> list[PartnerAckRow]:
    """Partners' acknowledgements that answer for nothing we sent them, the newest first."""
    query = _UNMATCHED if partner is None else _UNMATCHED.where(PARTNER_ACKS.c.partner == partner)
    return [
        PartnerAckRow(**{**values, "outcome": AckOutcome(values["outcome"])})
        for values in s.connection().execute(query).mappings()
    ]


def ack_json(ack: PartnerAckRow) -> dict[str, Any]:
    return {
        "received": ack.created_at.isoformat(),
        "partner": ack.partner,
        "ack": ack.kind,
        "document_id": ack.document_id,
        "interchange": ack.acknowledged_interchange,
        "group": ack.acknowledged_group,
        "transaction": ack.acknowledged_transaction,
        "codes": list((ack.detail or {}).get("codes", [])),
    }

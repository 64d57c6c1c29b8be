"""What the ledger records about the acknowledgements partners send us (997, 999, TA1).

Like the rest of :mod:`gateway.ledger`, every function takes a session and leaves the transaction
to the caller, and returns plain frozen rows.

Every acknowledgement a partner sends is recorded in ``partner_acks``, one row per transaction
set it answers for (or one for its group / interchange when it names none), with what came of
it (:class:`AckOutcome`). Outbound documents change state through the guarded
:func:`gateway.ledger.outbound.claim_state`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, or_, select
from sqlalchemy.orm import Session

from .models import EVENTS, OUTBOUND_DOCUMENTS, PARTNER_ACKS
from .outbound import AWAITING_ACK_STATES, OutboundRow, OutboundState, outbound_by_id

A = PARTNER_ACKS
T = OUTBOUND_DOCUMENTS


class AckOutcome(StrEnum):
    """What came of a partner's acknowledgement (``partner_acks.outcome``)."""

    APPLIED = "applied"
    """It settled an outbound document: accepted, accepted with errors or rejected."""
    NOTED = "noted"
    """A TA1 accepting the interchange (A or E): recorded on the document's timeline; its state
    waits for the 997/999 that answers for the transaction set."""
    UNMATCHED = "unmatched"
    """It answers for something we never sent to this partner (no such control numbers, or
    sent under other ids)."""
    ALREADY_RECONCILED = "already_reconciled"
    """The document was settled by an earlier acknowledgement: recorded, not applied twice."""


OPEN_STATES = (
    OutboundState.RENDERED,
    OutboundState.WRITTEN,
    OutboundState.SENT,
    OutboundState.OVERDUE,
)
"""An acknowledgement may settle a document in these states (a late one after ``overdue`` too;
``rendered``: the file was written but a crash came before the ledger said so)."""
SETTLED_STATES = (
    OutboundState.ACCEPTED,
    OutboundState.ACCEPTED_WITH_ERRORS,
    OutboundState.REJECTED,
)
"""A document in these states has its answer: a second one is ``already_reconciled``."""


@dataclasses.dataclass(frozen=True, slots=True)
class PartnerAckRow:
    id: int
    partner: str
    kind: str
    document_id: str
    """The acknowledgement's own document id (as recorded in ``documents``)."""
    acknowledged_interchange: str | None
    acknowledged_group: str | None
    acknowledged_transaction: str | None
    outbound_id: int | None
    outcome: AckOutcome
    detail: dict[str, Any] | None
    created_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ack_rows(s: Session, statement: Any, params: Any = None) -> list[PartnerAckRow]:
    result = []
    for values in s.connection().execute(statement, params or {}).mappings():
        data = dict(values)
        data["outcome"] = AckOutcome(data["outcome"])
        result.append(PartnerAckRow(**data))
    return result


_INSERT_ACK = insert(A).returning(A.c.id)
_ACKS_OF_OUTBOUND = select(A).where(A.c.outbound_id == bindparam("p_outbound_id")).order_by(A.c.id)


def record_partner_ack(
    s: Session,
    *,
    partner: str,
    kind: str,
    document_id: str,
    outcome: AckOutcome,
    interchange_ref: str | None = None,
    group_ref: str | None = None,
    transaction_ref: str | None = None,
    outbound_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record an acknowledgement from ``partner`` (what it answers for, and what came of it);
    returns its id. The caller writes the timeline events."""
    ack_id: int = (
        s.connection()
        .execute(
            _INSERT_ACK,
            {
                "partner": partner,
                "kind": kind,
                "document_id": document_id,
                "acknowledged_interchange": interchange_ref,
                "acknowledged_group": group_ref,
                "acknowledged_transaction": transaction_ref,
                "outbound_id": outbound_id,
                "outcome": AckOutcome(outcome).value,
                "detail": None if detail is None else dict(detail),
                "created_at": at or _now(),
            },
        )
        .scalar_one()
    )
    return ack_id


def partner_acks_of_outbound(s: Session, outbound_id: int) -> list[PartnerAckRow]:
    """Every acknowledgement recorded against outbound document ``outbound_id``, oldest first."""
    return _ack_rows(s, _ACKS_OF_OUTBOUND, {"p_outbound_id": outbound_id})


def recent_partner_acks(
    s: Session, *, partner: str | None = None, limit: int = 50
) -> list[tuple[PartnerAckRow, OutboundRow | None]]:
    """The newest ``limit`` acknowledgements (of ``partner``, or of all), newest first, each
    with the outbound document it was matched to (``None`` when unmatched)."""
    query = select(A).order_by(A.c.id.desc()).limit(limit)
    if partner is not None:
        query = query.where(A.c.partner == partner)
    acks = _ack_rows(s, query)
    outbound = _outbound_by_ids(s, {a.outbound_id for a in acks if a.outbound_id is not None})
    return [(a, None if a.outbound_id is None else outbound.get(a.outbound_id)) for a in acks]


def _outbound_by_ids(s: Session, ids: Iterable[int]) -> dict[int, OutboundRow]:
    found: dict[int, OutboundRow] = {}
    for outbound_id in sorted(ids):
        row = outbound_by_id(s, outbound_id)
        if row is not None:
            found[outbound_id] = row
    return found


def overdue_report(
    s: Session, now: dt.datetime, *, partner: str | None = None
) -> list[OutboundRow]:
    """Documents without their acknowledgement past their deadline: those marked ``overdue``,
    and those still waiting whose ``ack_due_at`` has passed (the sweep has not come by yet),
    the most overdue first."""
    awaiting = [state.value for state in AWAITING_ACK_STATES]
    query = (
        select(T)
        .where(
            or_(
                T.c.state == OutboundState.OVERDUE.value,
                T.c.state.in_(awaiting) & T.c.ack_due_at.is_not(None) & (T.c.ack_due_at <= now),
            )
        )
        .order_by(T.c.ack_due_at, T.c.id)
    )
    if partner is not None:
        query = query.where(T.c.partner == partner)
    rows = []
    for values in s.connection().execute(query).mappings():
        data = dict(values)
        data["state"] = OutboundState(data["state"])
        rows.append(OutboundRow(**data))
    return rows


@dataclasses.dataclass(frozen=True, slots=True)
class AppliedAck:
    """A partner's acknowledgement that settled an outbound document (the metrics)."""

    id: int
    partner: str
    kind: str
    """The document's kind (``856``...)."""
    state: OutboundState
    """What it made of the document: accepted, accepted with errors or rejected."""
    seconds: float
    """From the document's sending to the acknowledgement's record."""


def _event_at(kind: str) -> Any:
    """When the outbound document's first ``kind`` event was written (its events go by its
    document id, or its request id when it has none)."""
    return (
        select(func.min(EVENTS.c.at))
        .where(
            EVENTS.c.document_id == func.coalesce(T.c.document_id, T.c.request_id),
            EVENTS.c.kind == kind,
        )
        .scalar_subquery()
    )


_APPLIED_AFTER = (
    select(
        A.c.id,
        T.c.partner,
        T.c.kind,
        T.c.state,
        A.c.created_at.label("acked_at"),
        func.coalesce(
            _event_at("outbound.sent"),
            _event_at("outbound.written"),
            T.c.created_at,
            type_=T.c.created_at.type,
        ).label("sent_at"),
    )
    .join_from(A, T, A.c.outbound_id == T.c.id)
    .where(A.c.id > bindparam("p_after"), A.c.outcome == AckOutcome.APPLIED.value)
    .order_by(A.c.id)
    .limit(bindparam("p_limit", type_=Integer))
)
_LAST_BEFORE = select(func.max(A.c.id)).where(A.c.created_at < bindparam("p_before"))


def applied_acks_after(s: Session, after_id: int, *, limit: int = 1000) -> list[AppliedAck]:
    """The acknowledgements recorded after the one ``after_id`` that settled an outbound
    document, oldest first, at most ``limit`` (one range of the primary key: the metrics read
    those recorded since their last reading). Sent: the document's ``outbound.sent`` event,
    else its ``outbound.written`` one, else its record."""
    found = []
    for row in s.connection().execute(_APPLIED_AFTER, {"p_after": after_id, "p_limit": limit}):
        seconds = max(0.0, (row.acked_at - row.sent_at).total_seconds())
        found.append(AppliedAck(row.id, row.partner, row.kind, OutboundState(row.state), seconds))
    return found


def last_partner_ack_id(s: Session, before: dt.datetime) -> int:
    """The id of the newest acknowledgement recorded before ``before`` (0: none)."""
    return int(s.connection().execute(_LAST_BEFORE, {"p_before": before}).scalar() or 0)

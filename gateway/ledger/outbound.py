"""What the ledger records about outbound documents (856, 855...): one row per request of the
modern layer, from the request to the partner's acknowledgement.

Like the rest of :mod:`gateway.ledger`, every function takes a session and leaves the transaction
to the caller, and returns plain frozen rows.

States (:class:`OutboundState`) and who sets them::

    rendered -> written -> sent -> accepted | accepted_with_errors | rejected | overdue
    invalid                                   (the request was refused; nothing was rendered)

- ``rendered``: the interchange is rendered, validated and stored in ``x12`` with its control
  numbers, in the transaction that drew them; its file is not written yet (a crash here is
  recovered at the next start: the file is written from ``x12``, same bytes, same name);
- ``written``: ``outbox/<partner>/<file_name>`` exists (fsynced); for a partner without a remote
  channel this is also delivered, and the row moves on to ``sent`` in the same transaction;
- ``sent``: delivered by the partner's channel (SFTP: the ``deliveries`` table says so);
- ``accepted``... ``overdue``: set by the reconciliation of the partner's 997/999/TA1.

References (``interchange_ref``, ``group_ref``, ``transaction_ref``) are stored as the format
wrote them, and looked up as given: a format whose acknowledgements quote them otherwise (X12:
numbers with or without leading zeros) says them as stored before asking.

(Over 400 lines: one table's life, from request to the partner's answer; its statements are
built once, beside the functions that run them.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session

from ._events import add_event
from ._statements import BulkInsert, _run
from .models import DELIVERIES, OUTBOUND_DOCUMENTS
from .transfers import CONFIRMED_DELIVERY_STATES

T = OUTBOUND_DOCUMENTS


class OutboundState(StrEnum):
    RENDERED = "rendered"
    """Rendered and validated, control numbers drawn, ``x12`` stored; file not written yet."""
    WRITTEN = "written"
    """Its file is in ``outbox/<partner>/``; the partner's channel is delivering it."""
    SENT = "sent"
    """Delivered: in the outbox folder (folder partners) or on the partner's server (SFTP)."""
    INVALID = "invalid"
    """The request was refused (``detail['reason']``) and dead-lettered."""
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    REJECTED = "rejected"
    OVERDUE = "overdue"
    """No acknowledgement by ``ack_due_at``."""


AWAITING_ACK_STATES = (OutboundState.WRITTEN, OutboundState.SENT)
"""A document in these states waits for the partner's acknowledgement."""


@dataclasses.dataclass(frozen=True, slots=True)
class OutboundRow:
    id: int
    request_id: str
    partner: str
    kind: str
    document_id: str | None
    correlation_id: str
    state: OutboundState
    sender_qualifier: str | None
    sender_id: str | None
    receiver_qualifier: str | None
    receiver_id: str | None
    group_kind: str | None
    interchange_ref: str | None
    group_ref: str | None
    transaction_ref: str | None
    file_name: str | None
    content: str | None
    request: dict[str, Any] | None
    ack_due_at: dt.datetime | None
    ack: dict[str, Any] | None
    detail: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime
    format: str | None = None
    """The kind of format it is written in; None for a refused request."""

    @property
    def data(self) -> bytes:
        """Its file's bytes: its text in the character set of its format's file (``detail``'s
        ``encoding``, when its format writes another than UTF-8)."""
        assert self.content is not None, "a rendered document has its text"
        return self.content.encode(str((self.detail or {}).get("encoding", "utf-8")))


@dataclasses.dataclass(frozen=True, slots=True)
class NewOutbound:
    """A row to record (:func:`record_outbound`)."""

    request_id: str
    partner: str
    kind: str
    correlation_id: str
    state: OutboundState
    request: dict[str, Any] | None
    detail: dict[str, Any] | None = None
    document_id: str | None = None
    sender_qualifier: str | None = None
    sender_id: str | None = None
    receiver_qualifier: str | None = None
    receiver_id: str | None = None
    group_kind: str | None = None
    interchange_ref: str | None = None
    group_ref: str | None = None
    transaction_ref: str | None = None
    file_name: str | None = None
    content: str | None = None
    format: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _row(values: Any) -> OutboundRow:
    data = dict(values)
    data["state"] = OutboundState(data["state"])
    return OutboundRow(**data)


def _rows(s: Session, statement: Any, params: Any = None) -> list[OutboundRow]:
    return [_row(r) for r in s.connection().execute(statement, params or {}).mappings()]


_INSERT = BulkInsert(T)
_BY_ID = select(T).where(T.c.id == bindparam("p_id"))
_BY_REQUEST_IDS = select(T).where(T.c.request_id.in_(bindparam("p_ids", expanding=True)))
_BY_DOCUMENT_ID = select(T).where(T.c.document_id == bindparam("p_document_id")).order_by(T.c.id)
_IN_STATE = (
    select(T).where(T.c.state == bindparam("p_state")).order_by(T.c.id).limit(bindparam("p_limit"))
)
_OVERDUE = (
    select(T)
    .where(
        T.c.state.in_([s.value for s in AWAITING_ACK_STATES]),
        T.c.ack_due_at.is_not(None),
        T.c.ack_due_at <= bindparam("p_now"),
    )
    .order_by(T.c.ack_due_at, T.c.id)
)
_DELIVERED = (
    select(T, DELIVERIES.c.sha256.label("delivered_sha256"))
    .join(
        DELIVERIES,
        and_(
            DELIVERIES.c.partner == T.c.partner,
            DELIVERIES.c.local_name == T.c.file_name,
            DELIVERIES.c.state.in_([state.value for state in CONFIRMED_DELIVERY_STATES]),
        ),
    )
    .where(T.c.state == OutboundState.WRITTEN.value)
    .order_by(T.c.id)
    .limit(bindparam("p_limit"))
)


def record_outbound(s: Session, rows: Sequence[NewOutbound]) -> list[int]:
    """Insert ``rows`` (one statement); returns their ids, in order. A ``request_id`` already
    recorded violates the unique index: look them up first (:func:`outbound_by_request_ids`)."""
    if not rows:
        return []
    now = _now()
    params = [
        {
            **{f.name: getattr(row, f.name) for f in dataclasses.fields(row)},
            "state": OutboundState(row.state).value,
            "ack_due_at": None,
            "ack": None,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    ids = _INSERT.returning_ids(s, params)
    for row in rows:
        add_event(
            s,
            kind=f"outbound.{OutboundState(row.state).value}",
            message=_describe_new(row),
            document_id=row.document_id or row.request_id,
            correlation_id=row.correlation_id,
            detail={"request_id": row.request_id, **(row.detail or {})},
            at=now,
        )
    return ids


def retry_refused(s: Session, row_id: int, row: NewOutbound) -> bool:
    """The refused request ``row_id`` arriving again, recorded as ``row`` (rendered now that
    the cause is fixed, or refused again, for the reason of now); False when it is no longer
    refused (another process took it meanwhile)."""
    now = _now()
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    values.pop("request_id")
    values.update(state=OutboundState(row.state).value, updated_at=now)
    T = OUTBOUND_DOCUMENTS
    done = _run(
        s,
        T.update()
        .where(T.c.id == row_id, T.c.state == OutboundState.INVALID.value)
        .values(**values),
    )
    if done.rowcount != 1:
        return False
    add_event(
        s,
        kind=f"outbound.{OutboundState(row.state).value}",
        message=f"arrived again: {_describe_new(row)}",
        document_id=row.document_id or row.request_id,
        correlation_id=row.correlation_id,
        detail={"request_id": row.request_id, "retried": True, **(row.detail or {})},
        at=now,
    )
    return True


def _describe_new(row: NewOutbound) -> str:
    if row.state == OutboundState.INVALID:
        reason = (row.detail or {}).get("reason", "")
        return f"request {row.request_id} for {row.partner} refused: {reason}"
    return (
        f"{row.kind} for {row.partner} rendered: interchange {row.interchange_ref}, group "
        f"{row.group_ref}, transaction {row.transaction_ref} (request {row.request_id})"
    )


def outbound_by_id(s: Session, outbound_id: int) -> OutboundRow | None:
    found = _rows(s, _BY_ID, {"p_id": outbound_id})
    return found[0] if found else None


def outbound_by_request_ids(s: Session, request_ids: Iterable[str]) -> dict[str, OutboundRow]:
    """The rows recorded for these request ids, by request id."""
    ids = sorted(set(request_ids))
    found: dict[str, OutboundRow] = {}
    for start in range(0, len(ids), 500):
        for row in _rows(s, _BY_REQUEST_IDS, {"p_ids": ids[start : start + 500]}):
            found[row.request_id] = row
    return found


def outbound_by_document_id(s: Session, document_id: str) -> list[OutboundRow]:
    return _rows(s, _BY_DOCUMENT_ID, {"p_document_id": document_id})


def outbound_in_state(s: Session, state: OutboundState, *, limit: int = 1000) -> list[OutboundRow]:
    return _rows(s, _IN_STATE, {"p_state": OutboundState(state).value, "p_limit": limit})


def outbound_by_control_numbers(
    s: Session, partner: str, interchange_ref: str | None = None, group_ref: str | None = None
) -> list[OutboundRow]:
    """The documents sent to ``partner`` with these interchange and/or group references (both
    given: both must match), oldest first. Sequences wrap, so more than one row can match over
    the years: the caller picks (usually the newest)."""
    if interchange_ref is None and group_ref is None:
        raise ValueError("outbound_by_control_numbers needs interchange_ref, group_ref or both")
    query = select(T).where(T.c.partner == partner, T.c.state != OutboundState.INVALID.value)
    if interchange_ref is not None:
        query = query.where(T.c.interchange_ref == interchange_ref)
    if group_ref is not None:
        query = query.where(T.c.group_ref == group_ref)
    return _rows(s, query.order_by(T.c.id))


def set_outbound_state(
    s: Session,
    outbound_id: int,
    state: OutboundState,
    *,
    ack: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    message: str | None = None,
    at: dt.datetime | None = None,
) -> OutboundRow:
    """Move a document to ``state``, with a timeline event; returns the updated row.

    ``ack`` replaces the stored acknowledgement when given; ``detail`` is merged into the stored
    detail (keys given win). :class:`LookupError` when there is no such row.
    """
    state = OutboundState(state)
    current = outbound_by_id(s, outbound_id)
    if current is None:
        raise LookupError(f"no outbound document {outbound_id} in the ledger")
    now = at or _now()
    values: dict[str, Any] = {"state": state.value, "updated_at": now}
    if ack is not None:
        values["ack"] = dict(ack)
    if detail is not None:
        values["detail"] = {**(current.detail or {}), **detail}
    s.connection().execute(update(T).where(T.c.id == outbound_id).values(**values))
    add_event(
        s,
        kind=f"outbound.{state.value}",
        message=message or f"{current.kind} for {current.partner} {state.value}",
        document_id=current.document_id or current.request_id,
        correlation_id=current.correlation_id,
        detail={"outbound_id": outbound_id, **(dict(detail) if detail else {})},
        at=now,
    )
    return dataclasses.replace(
        current,
        state=state,
        updated_at=now,
        ack=values.get("ack", current.ack),
        detail=values.get("detail", current.detail),
    )


def outbound_overdue(s: Session, now: dt.datetime) -> list[OutboundRow]:
    """Documents still waiting for an acknowledgement (``written`` or ``sent``) whose
    ``ack_due_at`` is at or before ``now``, the most overdue first."""
    return _rows(s, _OVERDUE, {"p_now": now})


_MARK_WRITTEN = (
    update(T)
    .where(T.c.id == bindparam("p_id"), T.c.state == OutboundState.RENDERED.value)
    .values(
        state=bindparam("p_state"),
        ack_due_at=bindparam("p_due", type_=T.c.ack_due_at.type),
        updated_at=bindparam("p_now", type_=T.c.updated_at.type),
    )
)


def mark_written(
    s: Session,
    written: Sequence[tuple[OutboundRow, dt.datetime | None, bool]],
    *,
    at: dt.datetime | None = None,
) -> None:
    """Record that the files of these ``rendered`` rows are written: each item is (row, its
    ack_due_at, delivered already?). Delivered ones go straight to ``sent``. Rows no longer
    ``rendered`` are left alone."""
    if not written:
        return
    now = at or _now()
    params = []
    for row, due, delivered in written:
        state = OutboundState.SENT if delivered else OutboundState.WRITTEN
        params.append({"p_id": row.id, "p_state": state.value, "p_due": due, "p_now": now})
        where = f"outbox/{row.partner}/{row.file_name}"
        add_event(
            s,
            kind="outbound.written",
            message=f"written to {where}",
            document_id=row.document_id or row.request_id,
            correlation_id=row.correlation_id,
            detail={"file_name": row.file_name, "ack_due_at": due.isoformat() if due else None},
            at=now,
        )
        if delivered:
            add_event(
                s,
                kind="outbound.sent",
                message=f"sent: {where} (the partner collects it from the folder)",
                document_id=row.document_id or row.request_id,
                correlation_id=row.correlation_id,
                at=now,
            )
    s.connection().execute(_MARK_WRITTEN, params)


def delivered_outbound(s: Session, *, limit: int = 1000) -> list[OutboundRow]:
    """``written`` rows whose file the ``deliveries`` table records as sent: under its name and
    with its bytes (a file of the same name delivered before, its name free again since, is
    another)."""
    found: dict[int, OutboundRow] = {}
    for values in s.connection().execute(_DELIVERED, {"p_limit": limit}).mappings():
        data = dict(values)
        delivered = data.pop("delivered_sha256")
        row = _row(data)
        if row.content is not None and hashlib.sha256(row.data).hexdigest() == delivered:
            found[row.id] = row
    return list(found.values())


def rename_files(
    s: Session,
    rows: Iterable[OutboundRow],
    names: Mapping[int, str],
    *,
    at: dt.datetime | None = None,
) -> None:
    """The files of these rows were written under other names (``row id -> name``): theirs were
    taken by other files (:mod:`gateway.spool`). Each gets an ``outbound.renamed`` event
    saying why."""
    if not names:
        return
    now = at or _now()
    for row in rows:
        name = names.get(row.id)
        if name is None:
            continue
        s.connection().execute(update(T).where(T.c.id == row.id).values(file_name=name))
        add_event(
            s,
            kind="outbound.renamed",
            message=f"written as {name}: outbox/{row.partner}/{row.file_name} is taken by "
            "another file",
            document_id=row.document_id or row.request_id,
            correlation_id=row.correlation_id,
            detail={"file_name": name, "taken": row.file_name},
            at=now,
        )


_CLAIM = (
    update(T)
    .where(
        T.c.id == bindparam("p_id"),
        T.c.state.in_(bindparam("p_from", expanding=True)),
    )
    .values(state=bindparam("p_state"), updated_at=bindparam("p_now", type_=T.c.updated_at.type))
    .returning(T.c.id)
)
_CLAIM_WITHOUT_ACK = _CLAIM.where(T.c.ack.is_(None))


def claim_state(
    s: Session,
    outbound_id: int,
    state: OutboundState,
    *,
    from_states: Iterable[OutboundState],
    without_ack: bool = False,
    at: dt.datetime | None = None,
) -> bool:
    """Move the document to ``state`` only if it is in one of ``from_states`` (and, with
    ``without_ack``, has no acknowledgement stored); True when it moved. One statement
    (``UPDATE ... WHERE state IN (...)``), so two writers never both move it: the pipeline
    applying a late 997, the overdue sweep and the delivery sweep cannot overwrite each other,
    on SQLite or PostgreSQL (where the update waits for the other transaction and checks the
    state again). The caller then records the acknowledgement and the event with
    :func:`gateway.ledger.outbound.set_outbound_state`."""
    params = {
        "p_id": outbound_id,
        "p_from": [OutboundState(x).value for x in from_states],
        "p_state": OutboundState(state).value,
        "p_now": at or _now(),
    }
    statement = _CLAIM_WITHOUT_ACK if without_ack else _CLAIM
    return s.connection().execute(statement, params).first() is not None

"""What the ledger keeps for the cross-document checks (:mod:`gateway.fulfilment`): the lines of
orders and of the documents that ship them (``order_lines``), and what each check found
(``order_checks``).

An order is named by its partner, its set (``940``: the depositor order number W0502 of a 940
the gateway sent; ``850``: the PO number BEG03 of an 850 it received) and its number. Its
``ordered`` lines come from the order itself, its ``shipped`` lines from the 945s answering a
940 and the 856s the gateway sends for an 850. A shipping document's lines are recorded once:
:func:`lines_of_document` tells a check whether it saw the document before, and
:func:`forget_shipment` drops the lines of a shipment sent again (the same BSN02) before its new
lines are recorded.

Like the rest of :mod:`gateway.ledger`, every function takes a session and leaves the transaction
to the caller, and returns plain frozen rows. Quantities are decimals, stored as text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from ._documents import DocumentState
from ._statements import _now, _run
from .models import DOCUMENTS, ORDER_CHECKS, ORDER_LINES, OUTBOX

L = ORDER_LINES
C = ORDER_CHECKS


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class OrderKey:
    """An order: its partner, its set (``940``, ``850``) and its number."""

    partner: str
    order_kind: str
    order_number: str


@dataclasses.dataclass(frozen=True, slots=True)
class OrderLineRow:
    id: int
    partner: str
    order_kind: str
    order_number: str
    source_kind: str
    document_id: str
    shipment_ref: str | None
    role: str
    """``ordered`` or ``shipped``."""
    line_number: str | None
    item: str
    item_ids: dict[str, Any] | None
    quantity: Decimal
    unit: str | None
    status: str | None
    correlation_id: str
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class NewOrderLine:
    """A line to record (see :class:`OrderLineRow`)."""

    role: str
    item: str
    item_ids: tuple[tuple[str, str], ...]
    quantity: Decimal
    unit: str | None = None
    line_number: str | None = None
    status: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """The newest document a partner sent under a business key, and the message it published."""

    document_id: str
    correlation_id: str
    body: bytes
    """Its CloudEvent, as published."""


@dataclasses.dataclass(frozen=True, slots=True)
class OrderCheckRow:
    id: int
    partner: str
    order_kind: str
    order_number: str
    kind: str
    """The set checked: ``945``, ``856``."""
    document_id: str
    outcome: str
    correlation_id: str
    detail: dict[str, Any] | None
    created_at: dt.datetime


_LINES_OF_ORDER = (
    select(L)
    .where(
        L.c.partner == bindparam("p_partner"),
        L.c.order_kind == bindparam("p_order_kind"),
        L.c.order_number == bindparam("p_order_number"),
    )
    .order_by(L.c.id)
)
_LINES_OF_DOCUMENT = select(L).where(L.c.document_id == bindparam("p_document_id")).order_by(L.c.id)
_FORGET_SHIPMENT = delete(L).where(
    L.c.partner == bindparam("p_partner"),
    L.c.order_kind == bindparam("p_order_kind"),
    L.c.order_number == bindparam("p_order_number"),
    L.c.source_kind == bindparam("p_source_kind"),
    L.c.shipment_ref == bindparam("p_shipment_ref"),
)
_CHECKS_OF_ORDER = (
    select(C)
    .where(
        C.c.partner == bindparam("p_partner"),
        C.c.order_kind == bindparam("p_order_kind"),
        C.c.order_number == bindparam("p_order_number"),
    )
    .order_by(C.c.id)
)
_CHECKS_OF_DOCUMENT = (
    select(C).where(C.c.document_id == bindparam("p_document_id")).order_by(C.c.id)
)
_ORDERS_NUMBERED = (
    select(L.c.partner, L.c.order_kind, L.c.order_number)
    .where(L.c.order_number == bindparam("p_order_number"))
    .distinct()
)
_ORDERS_OF_DOCUMENT = (
    select(L.c.partner, L.c.order_kind, L.c.order_number)
    .where(L.c.document_id == bindparam("p_document_id"))
    .distinct()
)
_CHECKED_ORDERS_OF_DOCUMENT = (
    select(C.c.partner, C.c.order_kind, C.c.order_number)
    .where(C.c.document_id == bindparam("p_document_id"))
    .distinct()
)
_NEWEST_UNDER_KEY = (
    select(DOCUMENTS.c.document_id, DOCUMENTS.c.correlation_id)
    .where(
        DOCUMENTS.c.partner == bindparam("p_partner"),
        DOCUMENTS.c.business_key == bindparam("p_business_key"),
        DOCUMENTS.c.state.in_(
            [DocumentState.PARSED, DocumentState.PUBLISHED, DocumentState.ACKNOWLEDGED]
        ),
    )
    .order_by(DOCUMENTS.c.id.desc())
    .limit(1)
)
_MESSAGE_OF_DOCUMENT = (
    select(OUTBOX.c.body)
    .where(
        OUTBOX.c.document_id == bindparam("p_document_id"),
        OUTBOX.c.message_id == bindparam("p_document_id"),
    )
    .order_by(OUTBOX.c.id.desc())
    .limit(1)
)
_INSERT_LINE = insert(L)
_INSERT_CHECK = insert(C)


def _order_params(order: OrderKey) -> dict[str, str]:
    return {
        "p_partner": order.partner,
        "p_order_kind": order.order_kind,
        "p_order_number": order.order_number,
    }


def _line_rows(s: Session, statement: Any, params: Mapping[str, Any]) -> list[OrderLineRow]:
    rows = []
    for row in _run(s, statement, params).mappings():
        values = dict(row)
        values["quantity"] = Decimal(values["quantity"])
        rows.append(OrderLineRow(**values))
    return rows


def _check_rows(s: Session, statement: Any, params: Mapping[str, Any]) -> list[OrderCheckRow]:
    return [OrderCheckRow(**dict(row)) for row in _run(s, statement, params).mappings()]


def record_order_lines(
    s: Session,
    order: OrderKey,
    *,
    source_kind: str,
    document_id: str,
    correlation_id: str,
    lines: Sequence[NewOrderLine],
    shipment_ref: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Record the lines of the document ``document_id`` (of set ``source_kind``) for ``order``."""
    if not lines:
        return
    now = at or _now()
    _run(
        s,
        _INSERT_LINE,
        [
            {
                "partner": order.partner,
                "order_kind": order.order_kind,
                "order_number": order.order_number,
                "source_kind": source_kind,
                "document_id": document_id,
                "shipment_ref": shipment_ref,
                "role": line.role,
                "line_number": line.line_number,
                "item": line.item,
                "item_ids": {"ids": [list(pair) for pair in line.item_ids]},
                "quantity": str(line.quantity),
                "unit": line.unit,
                "status": line.status,
                "correlation_id": correlation_id,
                "created_at": now,
            }
            for line in lines
        ],
    )


def order_lines(s: Session, order: OrderKey) -> list[OrderLineRow]:
    """The lines recorded for ``order``, ordered and shipped, in the order they came."""
    return _line_rows(s, _LINES_OF_ORDER, _order_params(order))


def lines_of_document(s: Session, document_id: str) -> list[OrderLineRow]:
    """The lines recorded from the document ``document_id`` (none: it was never checked)."""
    return _line_rows(s, _LINES_OF_DOCUMENT, {"p_document_id": document_id})


def forget_shipment(s: Session, order: OrderKey, source_kind: str, shipment_ref: str) -> int:
    """Drop the lines of the shipment ``shipment_ref`` (of set ``source_kind``) for ``order``:
    it is sent again, and its new lines replace them. Returns how many were dropped."""
    params = {**_order_params(order), "p_source_kind": source_kind, "p_shipment_ref": shipment_ref}
    return int(_run(s, _FORGET_SHIPMENT, params).rowcount or 0)


def record_order_check(
    s: Session,
    order: OrderKey,
    *,
    kind: str,
    document_id: str,
    outcome: str,
    correlation_id: str,
    detail: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Record what a check of the document ``document_id`` (of set ``kind``) found."""
    _run(
        s,
        _INSERT_CHECK,
        {
            "partner": order.partner,
            "order_kind": order.order_kind,
            "order_number": order.order_number,
            "kind": kind,
            "document_id": document_id,
            "outcome": outcome,
            "correlation_id": correlation_id,
            "detail": dict(detail) if detail is not None else None,
            "created_at": at or _now(),
        },
    )


def order_checks(s: Session, order: OrderKey) -> list[OrderCheckRow]:
    """What the checks of ``order``'s documents found, oldest first."""
    return _check_rows(s, _CHECKS_OF_ORDER, _order_params(order))


def checks_of_document(s: Session, document_id: str) -> list[OrderCheckRow]:
    """What the checks of the document ``document_id`` found, oldest first."""
    return _check_rows(s, _CHECKS_OF_DOCUMENT, {"p_document_id": document_id})


def orders_numbered(s: Session, order_number: str, partner: str | None = None) -> list[OrderKey]:
    """The orders (of any partner and set, or of ``partner``) numbered ``order_number``."""
    found = [OrderKey(*row) for row in _run(s, _ORDERS_NUMBERED, {"p_order_number": order_number})]
    return sorted(o for o in found if partner is None or o.partner == partner)


def orders_of_document(s: Session, document_id: str) -> list[OrderKey]:
    """The orders the document ``document_id`` is, ships, or was checked against."""
    params = {"p_document_id": document_id}
    found = {OrderKey(*row) for row in _run(s, _ORDERS_OF_DOCUMENT, params)}
    found |= {OrderKey(*row) for row in _run(s, _CHECKED_ORDERS_OF_DOCUMENT, params)}
    return sorted(found)


def received_message(s: Session, partner: str, business_key: str) -> ReceivedMessage | None:
    """The newest document ``partner`` sent under ``business_key`` (``PurchaseOrder:PO-1``) that
    was taken (parsed, published), with the message it published; None when there is none, or
    its message is no longer kept (pruned)."""
    found = _run(s, _NEWEST_UNDER_KEY, {"p_partner": partner, "p_business_key": business_key})
    row = found.first()
    if row is None:
        return None
    body = _run(s, _MESSAGE_OF_DOCUMENT, {"p_document_id": row.document_id}).scalar()
    if body is None:
        return None
    return ReceivedMessage(row.document_id, row.correlation_id, bytes(body))

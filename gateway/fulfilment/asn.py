"""Outbound 856 against the received 850: a ship notice the modern layer asks the gateway to send
is checked against the purchase orders the partner sent (by the PO number of each order level).

The 850's lines are read, the first time an 856 names its PO, from the message the gateway
published for the newest 850 the partner sent under that PO number (kept in the outbox; a PO
whose message was pruned is not known any more), and kept (:func:`record_purchase_order`;
read again when the partner revised the PO since): receiving an 850 costs nothing more.

:func:`check_ship_notice` compares each PO the notice names with what it ships, counting what
the 856s sent before for the PO shipped (not an 856 of the same shipment, BSN02: a notice sent
again replaces its earlier lines, it does not add to them):

- ``not_ordered``: an item the PO does not order;
- ``over``: more of an item than the PO ordered;
- ``order_unknown``: a PO the gateway never received from the partner: not an error, only said.

What comes of it is the partner's ``asn_check`` (:class:`gateway.partners.PartnerProfile`):
``warn`` (the default) sends the notice, with the findings on its timeline and an event on
``edi.events`` (:mod:`.events`); ``refuse`` refuses it like any refused request (``invalid``,
in the exceptions, to retry or dismiss), its reason naming the findings; ``off`` checks nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy.orm import Session

from .. import ledger
from ..ledger.orders import (
    NewOrderLine,
    OrderKey,
    OrderLineRow,
    forget_shipment,
    order_lines,
    received_message,
    record_order_check,
    record_order_lines,
)
from ..messages import PurchaseOrder, ShipNotice
from .compare import ItemOutcome, ItemResult, compare, described
from .events import FulfilmentOutcome, announced
from .lines import ORDERED, SHIPPED, as_compared, purchase_order_lines, ship_notice_lines

ORDER_KIND = "850"
NOTICE_KIND = "856"
POLICIES = ("off", "warn", "refuse")
REFUSED = "refused"
"""The outcome recorded (``order_checks``) for a notice its partner's policy refused."""


def record_purchase_order(
    s: Session,
    *,
    partner: str,
    order: PurchaseOrder,
    document_id: str,
    correlation_id: str,
    at: dt.datetime | None = None,
) -> None:
    """Keep the lines of the 850 ``document_id`` received from ``partner``."""
    key = OrderKey(partner, ORDER_KIND, order.po_number)
    forget_shipment(s, key, ORDER_KIND, key.order_number)
    record_order_lines(
        s,
        key,
        source_kind=ORDER_KIND,
        document_id=document_id,
        correlation_id=correlation_id,
        lines=purchase_order_lines(order),
        shipment_ref=key.order_number,
        at=at,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class PurchaseOrderFindings:
    """What an 856 ships of one PO, and what is wrong with it."""

    order: OrderKey
    lines: list[NewOrderLine]
    known: bool
    """The gateway received the PO."""
    not_ordered: list[ItemResult]
    over: list[ItemResult]

    @property
    def said(self) -> str:
        parts = []
        if self.not_ordered:
            parts.append(f"not ordered: {described(self.not_ordered)}")
        if self.over:
            parts.append(f"over the ordered quantity: {described(self.over)}")
        return f"PO {self.order.order_number}: " + "; ".join(parts)


@dataclasses.dataclass(frozen=True, slots=True)
class ShipNoticeCheck:
    """An 856 request checked: the refusal, when its partner's policy refuses what was found,
    and :meth:`recorded` for when it is rendered."""

    partner: str
    shipment_id: str
    correlation_id: str
    policy: str
    orders: list[PurchaseOrderFindings]

    @property
    def refusal(self) -> str | None:
        wrong = [o for o in self.orders if o.not_ordered or o.over]
        if self.policy != "refuse" or not wrong:
            return None
        said = " | ".join(o.said for o in wrong)
        return f'the ship notice does not agree with the PO received (asn_check = "refuse"): {said}'

    def refused(self, s: Session, request_id: str, at: dt.datetime) -> None:
        """Record the findings of a refused notice (its lines are not counted)."""
        for found in self.orders:
            if found.not_ordered or found.over:
                record_order_check(
                    s,
                    found.order,
                    kind=NOTICE_KIND,
                    document_id=request_id,
                    outcome=REFUSED,
                    correlation_id=self.correlation_id,
                    detail={"reason": found.said, "items": _items(found)},
                    at=at,
                )

    def recorded(self, s: Session, document_id: str, at: dt.datetime) -> list[ledger.NewMessage]:
        """Record the rendered notice ``document_id``'s lines under each known PO (in place of
        an earlier notice of its shipment) and its findings; returns the events to publish."""
        events = []
        for found in self.orders:
            if not found.known:
                events.append(
                    announced(
                        s,
                        outcome=FulfilmentOutcome.ORDER_UNKNOWN,
                        order=found.order,
                        kind=NOTICE_KIND,
                        document_id=document_id,
                        correlation_id=self.correlation_id,
                        detail={"po_number": found.order.order_number},
                        message=f"856 for PO {found.order.order_number}: no 850 with this PO "
                        f"number was received from {self.partner} (not checked)",
                        at=at,
                    )
                )
                continue
            forget_shipment(s, found.order, NOTICE_KIND, self.shipment_id)
            record_order_lines(
                s,
                found.order,
                source_kind=NOTICE_KIND,
                document_id=document_id,
                correlation_id=self.correlation_id,
                lines=found.lines,
                shipment_ref=self.shipment_id,
                at=at,
            )
            for outcome, items in (
                (FulfilmentOutcome.NOT_ORDERED, found.not_ordered),
                (FulfilmentOutcome.OVER, found.over),
            ):
                if items:
                    events.append(
                        announced(
                            s,
                            outcome=outcome,
                            order=found.order,
                            kind=NOTICE_KIND,
                            document_id=document_id,
                            correlation_id=self.correlation_id,
                            detail={
                                "shipment_id": self.shipment_id,
                                "policy": self.policy,
                                "items": [item.as_detail() for item in items],
                            },
                            message=f"PO {found.order.order_number} {outcome.value}: "
                            f"{described(items)}",
                            at=at,
                        )
                    )
        return events


def check_ship_notice(
    s: Session, *, partner: str, notice: ShipNotice, correlation_id: str, policy: str
) -> ShipNoticeCheck | None:
    """The 856 ``notice`` to ``partner`` against the 850s received from it; None when its
    policy is ``off``."""
    if policy == "off":
        return None
    found = []
    for po_number, lines in ship_notice_lines(notice).items():
        key = OrderKey(partner, ORDER_KIND, po_number)
        recorded = _with_newest_order(s, key)
        ordered = [line for line in recorded if line.role == ORDERED]
        earlier = [
            line
            for line in recorded
            if line.role == SHIPPED and line.shipment_ref != notice.shipment_id
        ]
        if not ordered:
            found.append(PurchaseOrderFindings(key, lines, False, [], []))
            continue
        comparison = compare(as_compared(ordered), as_compared(earlier) + as_compared(lines))
        found.append(
            PurchaseOrderFindings(
                key,
                lines,
                True,
                not_ordered=comparison.having(ItemOutcome.SUBSTITUTED),
                over=comparison.having(ItemOutcome.OVER),
            )
        )
    return ShipNoticeCheck(partner, notice.shipment_id, correlation_id, policy, found)


def _with_newest_order(s: Session, key: OrderKey) -> list[OrderLineRow]:
    """The lines recorded for the PO ``key``, its ordered lines those of the newest 850 the
    partner sent for it: read from the message it published (kept in the outbox) the first
    time an 856 names it, and again when the partner revised the PO since."""
    recorded = order_lines(s, key)
    ordered = [line for line in recorded if line.role == ORDERED]
    newest = received_message(s, key.partner, f"PurchaseOrder:{key.order_number}")
    if newest is None or (ordered and ordered[0].document_id == newest.document_id):
        return recorded
    data = json.loads(newest.body).get("data") or {}
    data.pop("document_id", None)
    record_purchase_order(
        s,
        partner=key.partner,
        order=PurchaseOrder.model_validate(data),
        document_id=newest.document_id,
        correlation_id=newest.correlation_id,
    )
    return order_lines(s, key)


def _items(found: PurchaseOrderFindings) -> list[dict[str, object]]:
    return [item.as_detail() for item in found.not_ordered + found.over]

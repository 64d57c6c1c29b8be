"""Where the checks join the pipelines.

Inbound (:func:`with_order_checks`): the pipeline's document hook, wrapped, also sees each
accepted 945 (checked against its 940), in the transaction that records it; every other
document passes at the cost of a look at its message type. Outbound (:func:`check_request`):
the outbound pipeline asks, in the transaction that records a request, what the checks make of
an 856 (against the 850s received) or a 940 (kept, for the 945s that will answer it).

A check never stops a document: whatever fails in it is undone alone (a savepoint) and logged,
and the document is published, or the request rendered, as if there were no check.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from .. import ledger
from ..bus.cloudevents import SerializedMessage
from ..messages import (
    ShipNotice,
    WarehouseShippingAdvice,
    WarehouseShippingOrder,
)
from ..outbound.requests import request_message
from ..ports import DocumentHook, ParsedDocument
from .asn import ShipNoticeCheck, check_ship_notice
from .warehouse import check_shipping_advice, record_warehouse_order

log = logging.getLogger(__name__)


def with_order_checks(hook: DocumentHook) -> DocumentHook:
    """``hook``, then the checks of :func:`check_inbound`."""

    def checked(s: Session, partner: str, doc: ParsedDocument) -> None:
        hook(s, partner, doc)
        check_inbound(s, partner, doc)

    return checked


def check_inbound(s: Session, partner: str, doc: ParsedDocument) -> None:
    """Check a 945 against its 940 (events queued in the outbox)."""
    if _message_type(doc.message) != "WarehouseShippingAdvice":
        return
    try:
        with ledger.savepoint(s):
            message = _checked_message(doc.message)
            records = ledger.documents_by_id(s, doc.document_id)
            correlation_id = records[-1].correlation_id if records else doc.document_id
            now = dt.datetime.now(dt.UTC)
            events = check_shipping_advice(
                s,
                partner=partner,
                advice=message,
                document_id=doc.document_id,
                correlation_id=correlation_id,
                at=now,
            )
            ledger.enqueue_messages(s, events)
    except Exception:
        log.exception("the order check of %s %s failed (published all the same)", partner, doc.kind)


def _message_type(message: object) -> str:
    return str(getattr(message, "message_type", ""))


def _checked_message(message: object) -> WarehouseShippingAdvice:
    """The canonical message itself; from a parse worker it comes serialized for its
    CloudEvent (:class:`~gateway.bus.cloudevents.SerializedMessage`), and is read again."""
    if isinstance(message, WarehouseShippingAdvice):
        return message
    if not isinstance(message, SerializedMessage):
        raise TypeError(f"not a canonical message: {type(message).__name__}")
    data = json.loads(message.data)
    data.pop("document_id", None)
    return WarehouseShippingAdvice.model_validate(data)


class RequestCheck:
    """What the checks make of one outbound request: :attr:`refusal` (refuse it), and
    :meth:`rendered` once it is (its lines kept, its findings recorded)."""

    def __init__(
        self,
        refusal: str | None,
        rendered: Callable[[Session, str, dt.datetime], list[ledger.NewMessage]],
        refused: Callable[[Session, dt.datetime], None] | None = None,
    ) -> None:
        self.refusal = refusal
        self._rendered = rendered
        self._refused = refused

    def rendered(self, s: Session, document_id: str, at: dt.datetime) -> list[ledger.NewMessage]:
        """Record the rendered document ``document_id``; returns the events to publish."""
        return _guarded(s, lambda: self._rendered(s, document_id, at)) or []

    def refused(self, s: Session, at: dt.datetime) -> None:
        """Record why it was refused."""
        if self._refused is not None:
            refused = self._refused
            _guarded(s, lambda: refused(s, at))


def check_request(
    s: Session,
    *,
    partner: str,
    kind: str,
    request_id: str,
    correlation_id: str,
    request: Mapping[str, Any] | None,
    asn_check: str,
) -> RequestCheck | None:
    """The check of an outbound request (its stored CloudEvent ``request``): an 856 against
    the 850s, by its partner's ``asn_check``; a 940 kept. None for any other request."""
    data = request.get("data") if request is not None else None
    if kind not in ("856", "940") or not isinstance(data, dict):
        return None
    try:
        with ledger.savepoint(s):
            if kind == "940":
                order = request_message(kind, data)
                assert isinstance(order, WarehouseShippingOrder)

                def keep(s: Session, document_id: str, at: dt.datetime) -> list[ledger.NewMessage]:
                    record_warehouse_order(
                        s,
                        partner=partner,
                        order=order,
                        document_id=document_id,
                        correlation_id=correlation_id,
                        at=at,
                    )
                    return []

                return RequestCheck(None, keep)
            checked: ShipNoticeCheck | None = check_ship_notice(
                s,
                partner=partner,
                notice=_ship_notice(data),
                correlation_id=correlation_id,
                policy=asn_check,
            )
    except Exception:
        log.exception("the order check of request %.80s failed (not checked)", request_id)
        return None
    if checked is None:
        return None
    notice = checked
    return RequestCheck(
        notice.refusal,
        notice.recorded,
        lambda s, at: notice.refused(s, request_id, at),
    )


def _ship_notice(data: Mapping[str, Any]) -> ShipNotice:
    notice = request_message("856", data)
    assert isinstance(notice, ShipNotice)
    return notice


def _guarded(s: Session, work: Callable[[], Any]) -> Any:
    try:
        with ledger.savepoint(s):
            return work()
    except Exception:
        log.exception("recording an order check failed (the document goes on)")
        return None

"""Outbound requests: what the modern layer publishes to have a document sent to a partner.

A request is a CloudEvents 1.0 JSON body (structured mode, content type
``application/cloudevents+json``) published to the exchange ``edi.out`` with routing key
``edi.out.<kind>.<partner>``::

    {"specversion": "1.0", "id": "asn-2026-555", "type": "edi.out.856", "source": "wms",
     "partner": "acme", "correlationid": "order-42", "data": {<a ShipNotice>}}

- ``id`` (required): the request's stable id. One request id -> one document, ever: a request
  published twice is rendered once.
- ``type`` (required): ``edi.out.856`` (``data`` is a :class:`~gateway.messages.ShipNotice`) or
  ``edi.out.855`` (a :class:`~gateway.messages.PurchaseOrderAck`), ``edi.out.846`` (an
  :class:`~gateway.messages.InventoryAdvice`), ``edi.out.940`` (a
  :class:`~gateway.messages.WarehouseShippingOrder`), ``edi.out.810`` (an
  :class:`~gateway.messages.Invoice`) or ``edi.out.943`` (a
  :class:`~gateway.messages.StockTransferShipment`).
- ``source`` (required), ``specversion`` (``1.0``).
- ``partner`` (extension attribute, or the AMQP header ``partner``): the partner's profile name.
- ``correlationid`` (optional): carried to the status events; by default the request id.
- ``data``: the canonical message. Its ``envelope`` may be left out, and whatever it holds is
  replaced: the partner's profile decides the ids, qualifiers, version and usage indicator, and
  the gateway draws the control numbers. Only ``envelope.x12.implementation_reference`` (ST03)
  is kept when given (or ``envelope.implementation_reference``, where schema 1.x had it).
  ``document_id`` and ``message_type`` may be present (they are recomputed).

Every problem raises :class:`RequestRefused` with a reason a person can act on: which field,
what was expected. So does a body that cannot be read safely: over :data:`MAX_REQUEST_BYTES`,
holding more than :data:`MAX_VALUES` JSON values, nested deeper than :data:`MAX_DEPTH`, not
UTF-8, ``NaN`` or an infinite number, a NUL character or an unpaired surrogate anywhere (no
ledger column stores those), an id, correlation id or partner over :data:`MAX_ID_BYTES` or
holding control characters (each goes into AMQP short strings). Whatever else goes wrong reading
a body is a refusal too, never an error that would have the broker deliver the request again. A
refused request is recorded under an id that is always safe to store and publish: its own when
it is one, else a digest of it (:func:`~gateway.bus.limits.digest_id`); the body as it came is
kept with it.

(Slightly over 400 lines: the checks of one body, top-down, each beside the limit it applies.)
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from ..bus.connection import describe
from ..bus.limits import digest_id
from ..errors import RequestRefused
from ..messages import (
    Envelope,
    InventoryAdvice,
    Invoice,
    Message,
    PurchaseOrderAck,
    ShipNotice,
    StockTransferShipment,
    WarehouseShippingOrder,
    X12Envelope,
)

EVENT_TYPE_PREFIX = "edi.out."
MESSAGES: Mapping[str, type[Message]] = {
    "856": ShipNotice,
    "855": PurchaseOrderAck,
    "846": InventoryAdvice,
    "940": WarehouseShippingOrder,
    "810": Invoice,
    "943": StockTransferShipment,
}
"""Request kinds (the routing word of ``edi.out.<kind>``) and the canonical message each carries."""
REQUIRED_ATTRIBUTES = ("specversion", "id", "type", "source", "data")
MAX_STORED_BODY = 256 * 1024
"""An invalid request's body is kept in the ledger up to this many bytes."""
MAX_REQUEST_BYTES = 8 * 1024 * 1024
"""A larger body is refused unread: the ship notice of the fixtures is 2 kB, one of 2,000
cartons 0.7 MB."""
MAX_VALUES = 200_000
"""A body holding more JSON values (objects, arrays, texts, numbers...) is refused before it is
validated: the fixtures' ship notice holds 101, a carton 18 (so 11,000 cartons fit). Validation
costs time and memory for each value it rejects: 1.9 million, in 8 MiB of zeros, took 24 s and
3.8 GB; 200,000 take about 1 s and 270 MB."""
MAX_DEPTH = 32
"""JSON nested deeper is refused (a ship notice is 7 levels deep). Deep nesting would exhaust
the stack of whatever walks it next (the JSON decoder, pydantic, the ledger's serializer)."""
MAX_ID_BYTES = 200
"""The longest request id, correlation id or partner name (UTF-8 bytes). Each goes into AMQP
short strings of 255 bytes (message id and correlation id of the status events and dead
letters, routing key), with room for what the gateway adds (``:accepted_with_errors``,
``#resend-12``, ``edi.status.invalid.``)."""
_NOT_AN_ID = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters and unpaired surrogates: never part of an id."""
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL and unpaired surrogates: no text column of PostgreSQL stores them (nor encodes UTF-8)."""

log = logging.getLogger(__name__)
_PLACEHOLDER_ENVELOPE = Envelope.of_x12(
    X12Envelope(
        sender_qualifier="ZZ",
        sender_id="-",
        receiver_qualifier="ZZ",
        receiver_id="-",
        interchange_control_number="0",
        interchange_version="00401",
        application_sender="-",
        application_receiver="-",
        group_control_number="0",
        version="004010",
        transaction_control_number="0001",
    )
).model_dump()


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """A well-formed request: its canonical message validated (envelope still a placeholder)."""

    request_id: str
    kind: str
    partner: str
    correlation_id: str
    source: str
    event: dict[str, Any]
    """The CloudEvent as received (stored in the ledger, re-rendered by a resend)."""
    message: Message


def body_request_id(body: bytes, message_id: str | None) -> str:
    """The id of a request whose body has none: its AMQP message id, else a digest of the body
    (so that a redelivery is recognised). A message id that cannot serve as an id
    (:func:`id_problem`) is replaced by its digest."""
    if message_id:
        return message_id if id_problem(message_id) is None else digest_id(message_id)
    return digest_id(body)


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id (a request id, a correlation id, a partner name); None when
    it can."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_ID_BYTES:
        return f"is {size:,} bytes long: at most {MAX_ID_BYTES} bytes are taken"
    found = _NOT_AN_ID.search(value)
    if found is not None:
        return f"holds the control character or unpaired surrogate {found[0]!r}"
    return None


def recorded_id(value: str) -> str:
    """``value`` when it can be an id, else its digest (:func:`~gateway.bus.limits.digest_id`)."""
    return value if id_problem(value) is None else digest_id(value)


def parse_request(
    body: bytes,
    *,
    routing_key: str = "",
    headers: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    correlation_id: str | None = None,
) -> OutboundRequest:
    """The request in ``body``; :class:`RequestRefused` naming the problem otherwise (whatever
    the problem: an unexpected error reading the body is a refusal too, and logged)."""
    headers = headers or {}
    key_words = routing_key.split(".")
    key_kind = recorded_id(key_words[2]) if len(key_words) >= 4 else "?"
    key_partner = recorded_id(key_words[3]) if len(key_words) >= 4 else ""
    header_partner = headers.get("partner")
    fallback_partner = recorded_id(str(header_partner)) if header_partner else key_partner or "-"
    fallback_id = body_request_id(body, message_id)
    if correlation_id is not None and id_problem(correlation_id) is not None:
        correlation_id = None  # the broker's, unfit to store: the request id stands in for it

    def refuse(
        reason: str,
        *,
        request_id: str = fallback_id,
        partner: str | None = None,
        kind: str = key_kind,
        correlation: str | None = None,
    ) -> RequestRefused:
        stored = {"body": body[:MAX_STORED_BODY].decode("utf-8", "replace")}
        return RequestRefused(
            reason,
            request_id=request_id,
            partner=partner or fallback_partner,
            kind=kind,
            correlation_id=correlation or correlation_id or request_id,
            request=stored,
        )

    try:
        return _parse(body, headers, correlation_id, refuse, key_kind, fallback_id)
    except RequestRefused:
        raise
    except Exception as error:  # a bug, or a body we did not foresee: refused, never a loop
        log.exception("reading an outbound request failed (%s)", fallback_id)
        raise refuse(f"the request could not be read: {describe(error)}") from None


def _parse(
    body: bytes,
    headers: Mapping[str, Any],
    correlation_id: str | None,
    refuse: _Refuse,
    key_kind: str,
    fallback_id: str,
) -> OutboundRequest:
    if len(body) > MAX_REQUEST_BYTES:
        raise refuse(f"the body is {len(body):,} bytes: at most {MAX_REQUEST_BYTES:,} are read")
    try:
        event = json.loads(body, parse_constant=_not_a_number, parse_float=_finite)
    except RecursionError:
        raise refuse(f"the body is JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # also UnicodeDecodeError, JSONDecodeError, huge integers
        raise refuse(f"the body is not JSON: {error}") from None
    except MemoryError:
        raise refuse("the body is too large to read as JSON") from None
    problem = None if _plainly_storable(body, event) else _content_problem(event)
    if problem is not None:
        raise refuse(problem)
    if not isinstance(event, dict):
        raise refuse(f"the body must be a CloudEvent JSON object, not {type(event).__name__}")
    problems: list[str] = []
    event_id = event.get("id")
    request_id = fallback_id
    if isinstance(event_id, str) and event_id.strip():
        request_id = recorded_id(event_id)
        if request_id != event_id:
            problems.append(f"CloudEvent attribute id {id_problem(event_id)}")
    header_partner = headers.get("partner")
    partner_value = event.get("partner", header_partner)
    partner = partner_value if isinstance(partner_value, str) and partner_value else ""
    if partner and id_problem(partner) is not None:
        problems.append(f"partner {id_problem(partner)}")
        partner = ""  # recorded under the routing key's partner
    etype = event.get("type")
    kind = (
        etype.removeprefix(EVENT_TYPE_PREFIX)
        if isinstance(etype, str) and etype.startswith(EVENT_TYPE_PREFIX)
        else key_kind
    )
    kind = kind if id_problem(kind) is None else "?"
    correlation = event.get("correlationid")
    correlation_text = correlation if isinstance(correlation, str) and correlation else None
    if correlation_text is not None and id_problem(correlation_text) is not None:
        problems.append(f"CloudEvent attribute correlationid {id_problem(correlation_text)}")
        correlation_text = None

    def refuse_event(reason: str) -> RequestRefused:
        return refuse(
            reason,
            request_id=request_id,
            partner=partner or None,
            kind=kind,
            correlation=correlation_text,
        )

    if problems:
        raise refuse_event("; ".join(problems))
    missing = [name for name in REQUIRED_ATTRIBUTES if event.get(name) in (None, "")]
    if missing:
        raise refuse_event(
            f"CloudEvent attribute(s) missing: {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED_ATTRIBUTES)})"
        )
    for name in ("id", "type", "source", "specversion"):
        if not isinstance(event[name], str):
            raise refuse_event(f"CloudEvent attribute {name} must be a string")
    if event["specversion"] != "1.0":
        raise refuse_event(f"specversion {event['specversion']!r} is not supported (expected 1.0)")
    if kind not in MESSAGES or event["type"] != f"{EVENT_TYPE_PREFIX}{kind}":
        expected = " or ".join(f"{EVENT_TYPE_PREFIX}{k}" for k in MESSAGES)
        raise refuse_event(f"type {event['type']!r} is not a request type (expected {expected})")
    if not partner:
        raise refuse_event(
            "no partner: set the CloudEvent extension attribute 'partner' (or the AMQP header "
            "'partner') to the partner's profile name"
        )
    if correlation is not None and not isinstance(correlation, str):
        raise refuse_event("CloudEvent attribute correlationid must be a string")
    data = event["data"]
    if not isinstance(data, dict):
        raise refuse_event(f"data must be a JSON object (a {MESSAGES[kind].__name__})")
    message = _message(MESSAGES[kind], data, refuse_event)
    return OutboundRequest(
        request_id=request_id,
        kind=kind,
        partner=partner,
        correlation_id=correlation_text or correlation_id or request_id,
        source=event["source"],
        event=event,
        message=message,
    )


class _Refuse(Protocol):
    """Makes the :class:`RequestRefused` of a request (what is known of it as defaults)."""

    def __call__(
        self,
        reason: str,
        *,
        request_id: str = ...,
        partner: str | None = None,
        kind: str = ...,
        correlation: str | None = None,
    ) -> RequestRefused: ...


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (nor stored by the ledger)")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large for a float")
    return value


def _content_problem(value: Any) -> str | None:
    """Why the decoded JSON ``value`` cannot be taken: more than :data:`MAX_VALUES` values,
    nested deeper than :data:`MAX_DEPTH`, or a key or text holding NUL or an unpaired
    surrogate; None when it can. Walks it with a stack of iterators, so that its memory is the
    depth, not the size."""
    if isinstance(value, str):
        return _text_problem(value, [])
    path: list[str | int] = []
    stack: list[Iterator[tuple[str | int, Any]]] = []
    if isinstance(value, dict | list):
        stack.append(_children(value))
    values = 1
    while stack:
        for key, child in stack[-1]:
            values += 1
            if values > MAX_VALUES:
                return f"the body holds more than {MAX_VALUES:,} JSON values"
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return _text_problem(key, path, "a key in ")
            if isinstance(child, str):
                if _UNSTORABLE.search(child):
                    return _text_problem(child, [*path, key])
            elif isinstance(child, dict | list):
                if len(stack) >= MAX_DEPTH:
                    return (
                        f"{_path([*path, key])}: JSON nested deeper than {MAX_DEPTH} levels "
                        "(a ship notice is 7 levels deep)"
                    )
                path.append(key)
                stack.append(_children(child))
                break
        else:
            stack.pop()
            if path:
                path.pop()
    return None


def _plainly_storable(body: bytes, event: Any) -> bool:
    """True when ``event``, decoded from ``body``, cannot hold what :func:`_content_problem`
    refuses, seen without walking its texts: a NUL or a surrogate in JSON text is a ``\\u``
    escape or (decoded with ``surrogatepass``) a UTF-8 lead byte 0xED, each value takes at least a
    byte, and the containers are checked for depth alone. False sends it to the full walk, which
    names the problem (and clears Hangul text, whose UTF-8 also holds 0xED, and UTF-16 or 32,
    whose bytes hold NUL)."""
    if len(body) > MAX_VALUES or any(mark in body for mark in (b"\\u", b"\xed", b"\x00")):
        return False
    return not isinstance(event, dict | list) or _nested_within(event, MAX_DEPTH)


def _nested_within(value: Any, levels: int) -> bool:
    """Whether the containers of ``value`` nest no deeper than ``levels``."""
    children = value.values() if isinstance(value, dict) else value
    deeper = levels - 1
    for child in children:
        if isinstance(child, dict | list) and not (deeper and _nested_within(child, deeper)):
            return False
    return True


def _children(value: dict[str, Any] | list[Any]) -> Iterator[tuple[str | int, Any]]:
    return iter(value.items()) if isinstance(value, dict) else enumerate(value)


def _text_problem(text: str, path: list[str | int], what: str = "") -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return (
        f"{what}{_path(path)} holds {found[0]!r}: NUL and unpaired surrogates are not taken (no "
        "text column of the ledger stores them)"
    )


def _path(parts: list[str | int]) -> str:
    """``data.orders[0].po_number`` (``the body`` for none), its middle cut past 120 characters."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    text = text.removeprefix(".") or "the body"
    return text if len(text) <= 120 else f"{text[:60]}...{text[-57:]}"


def _implementation_reference(given: Any) -> Any:
    """ST03 of a request's envelope: ``x12.implementation_reference``, or where schema 1.x had
    it (``implementation_reference``); None when there is none."""
    if not isinstance(given, dict):
        return None
    x12 = given.get("x12")
    if isinstance(x12, dict) and x12.get("implementation_reference"):
        return x12["implementation_reference"]
    return given.get("implementation_reference")


def _message(model: type[Message], data: dict[str, Any], refuse: Any) -> Message:
    values = {k: v for k, v in data.items() if k not in ("document_id", "envelope")}
    envelope = dict(_PLACEHOLDER_ENVELOPE)
    st03 = _implementation_reference(data.get("envelope"))
    if st03:
        envelope["x12"] = {**envelope["x12"], "implementation_reference": st03}
    values["envelope"] = envelope
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise refuse(
            f"data is not a valid {model.__name__}: {describe_validation(error)}"
        ) from None


def request_message(kind: str, data: Mapping[str, Any]) -> Message:
    """The canonical message of a request's ``data`` as :func:`parse_request` validates it (its
    envelope a placeholder); :class:`ValueError` when it is not valid."""
    return _message(MESSAGES[kind], dict(data), ValueError)


def describe_validation(error: ValidationError, *, prefix: str = "data", limit: int = 5) -> str:
    """The problems of a pydantic validation, each as ``data.path.to[0].field: what``."""
    problems = []
    for problem in error.errors(include_url=False)[:limit]:
        path = prefix
        for part in problem["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        text = f"{path}: {problem['msg']}"
        if problem["type"] not in ("missing",) and "input" in problem:
            shown = repr(problem["input"])
            text += f" (got {shown[:60]}{'...' if len(shown) > 60 else ''})"
        problems.append(text)
    more = error.error_count() - limit
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)

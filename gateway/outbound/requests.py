"""Outbound requests: what the modern layer publishes to have a document sent to a partner.

A request is a CloudEvents 1.0 JSON body (structured mode, content type
``application/cloudevents+json``) published to the exchange ``edi.out`` with routing key
``edi.out.<kind>.<partner>``::

    {"specversion": "1.0", "id": "asn-2026-555", "type": "edi.out.856", "source": "wms",
     "partner": "acme", "correlationid": "order-42", "data": {<a ShipNotice>}}

- ``id`` (required): the request's stable id. One request id -> one document, ever: a request
  published twice is rendered once.
- ``type`` (required): ``edi.out.856`` (``data`` is a :class:`~gateway.messages.ShipNotice`) or
  ``edi.out.855`` (a :class:`~gateway.messages.PurchaseOrderAck`).
- ``source`` (required), ``specversion`` (``1.0``).
- ``partner`` (extension attribute, or the AMQP header ``partner``): the partner's profile name.
- ``correlationid`` (optional): carried to the status events; by default the request id.
- ``data``: the canonical message. Its ``envelope`` may be left out, and whatever it holds is
  replaced: the partner's profile decides the ids, qualifiers, version and usage indicator, and
  the gateway draws the control numbers. Only ``envelope.implementation_reference`` (ST03) is
  kept when given. ``document_id`` and ``message_type`` may be present (they are recomputed).

Every problem raises :class:`RequestRefused` with a reason a person can act on: which field,
what was expected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..messages import Message, PurchaseOrderAck, ShipNotice
from ..partners import PartnerProfile, X12Profile

EVENT_TYPE_PREFIX = "edi.out."
MESSAGES: Mapping[str, type[Message]] = {"856": ShipNotice, "855": PurchaseOrderAck}
"""Request kinds (the X12 set) and the canonical message each carries."""
REQUIRED_ATTRIBUTES = ("specversion", "id", "type", "source", "data")
MAX_STORED_BODY = 256 * 1024
"""An invalid request's body is kept in the ledger up to this many bytes."""
_PLACEHOLDER_ENVELOPE = {
    "sender_qualifier": "ZZ",
    "sender_id": "-",
    "receiver_qualifier": "ZZ",
    "receiver_id": "-",
    "interchange_control_number": "0",
    "interchange_version": "00401",
    "application_sender": "-",
    "application_receiver": "-",
    "group_control_number": "0",
    "version": "004010",
    "transaction_control_number": "0001",
}


class RequestRefused(Exception):
    """A request that cannot be sent: ``reason`` says why; the other attributes say what is
    known of the request (for the ledger and the dead letter)."""

    def __init__(
        self,
        reason: str,
        *,
        request_id: str,
        partner: str,
        kind: str,
        correlation_id: str,
        request: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id
        self.partner = partner
        self.kind = kind
        self.correlation_id = correlation_id
        self.request = request


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
    (so that a redelivery is recognised)."""
    if message_id:
        return message_id
    return "sha256:" + hashlib.sha256(body).hexdigest()


def parse_request(
    body: bytes,
    *,
    routing_key: str = "",
    headers: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    correlation_id: str | None = None,
) -> OutboundRequest:
    """The request in ``body``; :class:`RequestRefused` naming the problem otherwise."""
    headers = headers or {}
    key_words = routing_key.split(".")
    key_kind = key_words[2] if len(key_words) >= 4 else "?"
    key_partner = key_words[3] if len(key_words) >= 4 else ""
    header_partner = headers.get("partner")
    fallback_partner = str(header_partner) if header_partner else key_partner or "-"
    fallback_id = body_request_id(body, message_id)

    def refuse(
        reason: str,
        *,
        request_id: str = fallback_id,
        partner: str = fallback_partner,
        kind: str = key_kind,
        correlation: str | None = None,
    ) -> RequestRefused:
        stored = {"body": body[:MAX_STORED_BODY].decode("utf-8", "replace")}
        return RequestRefused(
            reason,
            request_id=request_id,
            partner=partner,
            kind=kind,
            correlation_id=correlation or correlation_id or request_id,
            request=stored,
        )

    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise refuse(f"the body is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise refuse(f"the body must be a CloudEvent JSON object, not {type(event).__name__}")
    event_id = event.get("id")
    request_id = event_id if isinstance(event_id, str) and event_id.strip() else fallback_id
    partner_value = event.get("partner", header_partner)
    partner = partner_value if isinstance(partner_value, str) and partner_value else ""
    etype = event.get("type")
    kind = (
        etype.removeprefix(EVENT_TYPE_PREFIX)
        if isinstance(etype, str) and etype.startswith(EVENT_TYPE_PREFIX)
        else key_kind
    )
    correlation = event.get("correlationid")
    correlation_text = correlation if isinstance(correlation, str) and correlation else None

    def refuse_event(reason: str) -> RequestRefused:
        return refuse(
            reason,
            request_id=request_id,
            partner=partner or fallback_partner,
            kind=kind,
            correlation=correlation_text,
        )

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


def _message(model: type[Message], data: dict[str, Any], refuse: Any) -> Message:
    values = {k: v for k, v in data.items() if k not in ("document_id", "envelope")}
    given = data.get("envelope")
    envelope = dict(_PLACEHOLDER_ENVELOPE)
    if isinstance(given, dict) and given.get("implementation_reference"):
        envelope["implementation_reference"] = given["implementation_reference"]
    values["envelope"] = envelope
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise refuse(
            f"data is not a valid {model.__name__}: {describe_validation(error)}"
        ) from None


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


def check_partner(request: OutboundRequest, profiles: Mapping[str, PartnerProfile]) -> X12Profile:
    """The partner's [x12] profile, once the request meets it; :class:`RequestRefused` when the
    partner is unknown, has no [x12] section, or a field it requires is missing."""

    def refuse(reason: str) -> RequestRefused:
        return RequestRefused(
            reason,
            request_id=request.request_id,
            partner=request.partner,
            kind=request.kind,
            correlation_id=request.correlation_id,
            request=request.event,
        )

    profile = profiles.get(request.partner)
    if profile is None:
        known = ", ".join(sorted(profiles)[:10]) or "none"
        raise refuse(
            f"unknown partner {request.partner!r}: no mappings/partners/{request.partner}.toml "
            f"(known: {known})"
        )
    if profile.x12 is None:
        raise refuse(f"partner {request.partner!r} has no [x12] section in its profile")
    missing = missing_required(request.message, profile.x12.required.get(request.kind, []))
    if missing:
        raise refuse(
            f"partner {request.partner!r} requires for {request.kind}: "
            + "; ".join(f"data.{path} is missing or empty" for path in missing)
        )
    return profile.x12


def missing_required(message: Message, paths: list[str]) -> list[str]:
    """The required dotted paths that are missing or empty in ``message``, each as the
    concrete path that is missing (``orders[1].packs[0].sscc``). Through a list, every element
    must have the rest of the path; an empty list is missing."""
    missing: list[str] = []
    for path in paths:
        _walk(message, path.split("."), "", missing)
    return missing


def _walk(value: Any, parts: list[str], where: str, missing: list[str]) -> None:
    if not parts:
        if value is None or value == "" or value == []:
            missing.append(where)
        return
    if isinstance(value, list):
        if not value:
            missing.append(where)
        for index, item in enumerate(value):
            _walk(item, parts, f"{where}[{index}]", missing)
        return
    head, rest = parts[0], parts[1:]
    child = getattr(value, head, None) if value is not None else None
    path = f"{where}.{head}" if where else head
    if child is None or child == "" or child == []:
        missing.append(path)
        return
    _walk(child, rest, path, missing)

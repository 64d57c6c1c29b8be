"""The AsyncAPI 2.6.0 document of what the gateway publishes, generated from the code.

Channels: one per routing key ``edi.in.<kind>.{partner}`` on the inbound topic exchange (the
gateway publishes, consumers subscribe), and one per declared queue (``edi.in.all`` and the
dead-letter queue ``edi.dlq``). Every message is a CloudEvents 1.0 envelope whose ``data`` is a
canonical message; the canonical JSON Schemas (:func:`gateway.schemas.message_schemas`) are copied
into ``components.schemas`` (their ``$defs`` hoisted beside them) so the document is self-contained.

Outbound: the channels ``edi.out.<kind>.{partner}`` on the request exchange, where the modern layer
publishes requests (:mod:`gateway.outbound.requests`), the queue that takes them, the status
events on ``edi.status.{state}.{partner}`` (:mod:`gateway.outbound.status`), and the headers a
dead-lettered request carries. Inbound variants: test documents (``edi.test.<kind>.{partner}``),
sets passed through untranslated, and notices about inbound documents on the events exchange.
The cross-document checks' events: ``edi.fulfilment.{outcome}.{partner}``. The reference lists
the modern layer publishes: ``edi.ref.items.{scope}`` (:mod:`gateway.references.published`).

(Over 400 lines: it is one document, and its parts refer to each other by name; split by
channel it would be harder to check than whole.)
"""

from __future__ import annotations

import copy
from typing import Any

from .. import __version__
from ..fulfilment.events import FULFILMENT_ROUTING_KEY, FulfilmentOutcome
from ..messages.part_stream import WHOLE_BYTES
from ..messages.parts import PART_ITEMS, SPLIT_PATHS
from ..notices import CODES as NOTICE_CODES
from ..notices import NOTICE_ROUTING_KEY
from ..outbound.status import STATUS_ROUTING_KEY, OutboundStatus
from ..references.published import EVENT_TYPE as REFERENCE_EVENT_TYPE
from ..references.published import REFERENCE_EXCHANGE, REFERENCE_QUEUE, REFERENCE_ROUTING_KEY
from ..schemas import message_schemas, schema_id
from .cloudevents import CONTENT_TYPE, DATA_CONTENT_TYPE, HEADER_KEYS, SPEC_VERSION, event_type
from .consumer import ERROR_HEADER, REQUEST_ID_HEADER
from .topology import (
    DEFAULT_TOPOLOGY,
    KIND_MESSAGES,
    REQUEST_ROUTING_KEY,
    ROUTING_KEY,
    TEST_ROUTING_KEY,
    Topology,
)

ASYNCAPI_VERSION = "2.6.0"
AMQP_BINDING_VERSION = "0.2.0"
PARTNER_PATTERN = "^[A-Za-z0-9_-]+$"

_KIND_TITLES = {
    "850": "850 Purchase Order",
    "855": "855 Purchase Order Acknowledgment",
    "856": "856 Ship Notice/Manifest",
    "846": "846 Inventory Inquiry/Advice",
    "940": "940 Warehouse Shipping Order",
    "945": "945 Warehouse Shipping Advice",
    "810": "810 Invoice",
    "943": "943 Warehouse Stock Transfer Shipment Advice",
    "944": "944 Warehouse Stock Transfer Receipt Advice",
    "947": "947 Warehouse Inventory Adjustment Advice",
    "997": "997 Functional Acknowledgment (004010)",
    "999": "999 Implementation Acknowledgment (005010)",
    "ta1": "TA1 Interchange Acknowledgment",
}


def asyncapi_document(
    topology: Topology = DEFAULT_TOPOLOGY, *, server_url: str = "localhost:5672"
) -> dict[str, Any]:
    """The AsyncAPI 2.6.0 document (a JSON-ready dict) of ``topology``."""
    schemas: dict[str, Any] = {
        "CloudEvent": _cloud_event_schema(),
        "AmqpHeaders": _headers_schema(),
    }
    for name, schema in message_schemas().items():
        _hoist(name, schema, schemas)

    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    part = _parts(schemas, messages)
    for kind, message_name in KIND_MESSAGES.items():
        etype = event_type(kind)
        payload_name = f"{message_name}Event.{kind}"
        schemas[payload_name] = _event_payload_schema(kind, message_name)
        messages[etype] = {
            "name": etype,
            "title": f"{_KIND_TITLES[kind]} as a {message_name} CloudEvent",
            "summary": f"A {message_name} canonical message translated from an inbound "
            f"{_KIND_TITLES[kind]}, in a CloudEvents 1.0 envelope (structured JSON).",
            "contentType": CONTENT_TYPE,
            "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
            "headers": {"$ref": "#/components/schemas/AmqpHeaders"},
            "payload": {"$ref": f"#/components/schemas/{payload_name}"},
            "bindings": {"amqp": {"messageType": etype, "bindingVersion": AMQP_BINDING_VERSION}},
            "x-canonical-schema": schema_id(message_name),
        }
        channel_name = ROUTING_KEY.format(kind=kind, partner="{partner}")
        channels[channel_name] = {
            "description": f"Routing key of every {_KIND_TITLES[kind]} received from a partner, "
            f"on the topic exchange {topology.exchange!r}.",
            "parameters": {"partner": {"$ref": "#/components/parameters/partner"}},
            "subscribe": {
                "operationId": f"receive{kind.upper()}",
                "summary": f"Receive {_KIND_TITLES[kind]} documents as {message_name} events.",
                "message": (
                    {"oneOf": [{"$ref": f"#/components/messages/{etype}"}, part]}
                    if message_name in SPLIT_PATHS
                    else {"$ref": f"#/components/messages/{etype}"}
                ),
                "bindings": {"amqp": _publish_binding()},
            },
            "bindings": {"amqp": _exchange_binding(topology.exchange)},
        }

    all_messages = [{"$ref": f"#/components/messages/{event_type(k)}"} for k in KIND_MESSAGES]
    all_messages.append(part)
    all_messages += _inbound_variants(topology, schemas, messages, channels, all_messages)
    role_messages = _outbound(topology, schemas, messages, channels)
    role_messages["events"] = role_messages["events"] + _notices(
        topology, schemas, messages, channels
    )
    role_messages["events"] += _fulfilment(topology, schemas, messages, channels)
    _reference_lists(topology, schemas, messages, channels)
    role_messages["dead_letter"] = all_messages + role_messages["requests"]
    for queue in topology.queues:
        source = topology.exchange_for(queue.source)
        dead_letter = queue.source == "dead_letter"
        description = queue.description or f"Queue {queue.name!r}."
        bound = ", ".join(repr(key) for key in queue.bindings)
        dead_lettering = (
            f" Rejected or expired messages are dead-lettered to {topology.dead_letter_exchange!r}."
            if queue.dead_lettered
            else ""
        )
        channels[queue.name] = {
            "description": f"{description} Bound to exchange {source!r} with {bound}."
            + dead_lettering,
            "subscribe": {
                "operationId": f"consume_{queue.name.replace('.', '_')}",
                "summary": (
                    "Consume dead-lettered messages (routing key and body unchanged, x-death "
                    "header added)."
                    if dead_letter
                    else f"Consume the messages queue {queue.name!r} is bound to."
                ),
                "message": {"oneOf": role_messages.get(queue.source, all_messages)},
                "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
            },
            "bindings": {
                "amqp": {
                    "is": "queue",
                    "queue": {
                        "name": queue.name,
                        "durable": True,
                        "exclusive": False,
                        "autoDelete": False,
                        "vhost": "/",
                    },
                    "bindingVersion": AMQP_BINDING_VERSION,
                    "x-arguments": queue.queue_arguments(topology.dead_letter_exchange),
                    "x-bindings": [
                        {"exchange": source, "routingKey": key} for key in queue.bindings
                    ],
                }
            },
        }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:edi-gateway:inbound",
        "info": {
            "title": "edi-gateway inbound messages",
            "version": __version__,
            "description": (
                "Canonical messages the gateway publishes to RabbitMQ for every inbound X12 "
                "document: persistent, published with publisher confirms and mandatory routing, "
                "AMQP message id = the stable document id (a redelivery or replay keeps it), "
                "correlation id carried through. Routing keys are "
                f"{ROUTING_KEY!r} on the topic exchange {topology.exchange!r}; the gateway's "
                f"queues dead-letter to the topic exchange {topology.dead_letter_exchange!r}."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "url": server_url,
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The RabbitMQ broker the gateway publishes to.",
            }
        },
        "channels": channels,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "parameters": {
                "partner": {
                    "description": "The trading partner's id (its inbox folder name), one "
                    "routing-key word: characters other than letters, digits, '_' and '-' are "
                    "replaced by '_'.",
                    "schema": {"type": "string", "pattern": PARTNER_PATTERN},
                }
            },
            "correlationIds": {
                "correlationid": {
                    "description": "The correlation id of the received file, also the AMQP "
                    "correlation_id property.",
                    "location": "$message.payload#/correlationid",
                }
            },
        },
        "x-exchanges": [
            {
                "name": topology.exchange,
                "type": "topic",
                "durable": True,
                "role": "inbound canonical messages",
            },
            {
                "name": topology.dead_letter_exchange,
                "type": "topic",
                "durable": True,
                "role": "dead letters of the gateway's queues",
            },
            {
                "name": topology.request_exchange,
                "type": "topic",
                "durable": True,
                "role": "outbound requests the gateway consumes",
            },
            {
                "name": topology.events_exchange,
                "type": "topic",
                "durable": True,
                "role": "status events of outbound documents",
            },
        ],
    }


def _exchange_binding(exchange: str) -> dict[str, Any]:
    return {
        "is": "routingKey",
        "exchange": {
            "name": exchange,
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        },
        "bindingVersion": AMQP_BINDING_VERSION,
    }


def _publish_binding() -> dict[str, Any]:
    return {
        "deliveryMode": 2,
        "mandatory": True,
        "timestamp": True,
        "bindingVersion": AMQP_BINDING_VERSION,
    }


def _topic_channel(
    description: str,
    parameters: dict[str, Any],
    operation_id: str,
    summary: str,
    messages: list[dict[str, str]],
    exchange: str,
) -> dict[str, Any]:
    """A channel of routing keys on a topic exchange the gateway publishes to."""
    return {
        "description": description,
        "parameters": parameters,
        "subscribe": {
            "operationId": operation_id,
            "summary": summary,
            "message": {"oneOf": messages},
            "bindings": {"amqp": _publish_binding()},
        },
        "bindings": {"amqp": _exchange_binding(exchange)},
    }


def _cloud_event_schema() -> dict[str, Any]:
    return {
        "title": "CloudEvent",
        "description": "CloudEvents 1.0 structured-mode JSON envelope.",
        "type": "object",
        "required": ["specversion", "id", "source", "type", "correlationid", "data"],
        "properties": {
            "specversion": {"type": "string", "const": SPEC_VERSION},
            "id": {"type": "string", "minLength": 1, "description": "The stable document id."},
            "source": {
                "type": "string",
                "format": "uri-reference",
                "minLength": 1,
                "description": "edi-gateway/<partner> unless configured otherwise.",
            },
            "type": {"type": "string", "minLength": 1, "description": "edi.in.<kind>"},
            "subject": {
                "type": "string",
                "description": "The business id: invoice number, PO number, shipment id, "
                "acknowledged control number.",
            },
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"type": "string", "const": DATA_CONTENT_TYPE},
            "dataschema": {"type": "string", "format": "uri"},
            "correlationid": {
                "type": "string",
                "minLength": 1,
                "description": "Extension attribute: the received file's correlation id.",
            },
            "data": {"description": "The canonical message."},
        },
    }


def _event_payload_schema(kind: str, message_name: str) -> dict[str, Any]:
    return {
        "title": f"{message_name} event ({kind})",
        "allOf": [
            {"$ref": "#/components/schemas/CloudEvent"},
            {
                "type": "object",
                "properties": {
                    "type": {"const": event_type(kind)},
                    "dataschema": {"const": schema_id(message_name)},
                    "data": {"$ref": f"#/components/schemas/{message_name}"},
                },
            },
        ],
    }


def _headers_schema() -> dict[str, Any]:
    return {
        "title": "AMQP headers",
        "description": "Conveniences copied from the CloudEvent for routing without parsing the "
        "body (the body is authoritative). AMQP properties: message_id = document id, "
        "correlation_id, content_type application/cloudevents+json, type = event type, "
        "delivery_mode 2, timestamp.",
        "type": "object",
        "required": list(HEADER_KEYS),
        "properties": {key: {"type": "string"} for key in HEADER_KEYS},
    }


def _hoist(name: str, schema: dict[str, Any], into: dict[str, Any]) -> None:
    """Copy a canonical schema into ``into`` (components.schemas) with its ``$defs`` beside it,
    rewriting ``#/$defs/X`` references to ``#/components/schemas/X``.

    The copy drops ``$schema`` and ``$id`` (a nested ``$id`` would make the rewritten references
    resolve against the canonical schema's URI) and keeps the ``$id`` as ``x-canonical-schema``.
    """
    body = copy.deepcopy(schema)
    definitions: dict[str, Any] = body.pop("$defs", {})
    body.pop("$schema", None)
    canonical_id = body.pop("$id", schema_id(name))
    body["x-canonical-schema"] = canonical_id
    for def_name, definition in definitions.items():
        rewritten = _rewrite_refs(definition)
        existing = into.get(def_name)
        if existing is not None and existing != rewritten:
            raise ValueError(f"two canonical schemas define {def_name!r} differently")
        into[def_name] = rewritten
    if name in into:
        raise ValueError(f"canonical schema name {name!r} clashes with another schema")
    into[name] = _rewrite_refs(body)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = "#/components/schemas/" + value.removeprefix("#/$defs/")
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


_REQUEST_KINDS = {
    "856": "ShipNotice",
    "855": "PurchaseOrderAck",
    "846": "InventoryAdvice",
    "940": "WarehouseShippingOrder",
    "810": "Invoice",
    "943": "StockTransferShipment",
}
_PROFILE_ENVELOPE = ("envelope", "document_id", "message_type")


def _parts(schemas: dict[str, Any], messages: dict[str, Any]) -> dict[str, str]:
    """The message of one part of a large document (:mod:`gateway.messages.parts`), with the
    split rule per message type; returns its reference."""
    rules = "; ".join(f"{name}: {', '.join(paths)}" for name, paths in SPLIT_PATHS.items())
    schemas["DocumentPartEvent"] = {
        "title": "DocumentPart event",
        "allOf": [
            {"$ref": "#/components/schemas/CloudEvent"},
            {
                "type": "object",
                "required": ["documentid", "part", "parts"],
                "properties": {
                    "id": {"description": "<document id>/<part>: the part's own id."},
                    "dataschema": {"const": schema_id("DocumentPart")},
                    "documentid": {"type": "string", "description": "The whole document's id."},
                    "part": {"type": "integer", "minimum": 1},
                    "parts": {"type": "integer", "minimum": 2},
                    "data": {"$ref": "#/components/schemas/DocumentPart"},
                },
            },
        ],
    }
    messages["edi.in.part"] = {
        "name": "edi.in.part",
        "title": "One part of a document too large for one message",
        "summary": f"A document with more than {PART_ITEMS} items in its repeating lists (or, "
        "read in parts as it comes: an X12 set of more than 20,000 segments, a CSV document of "
        f"more than 20,000 rows, more than {WHOLE_BYTES // (1 << 20)} MiB of their JSON) comes "
        "as parts on its own routing key, each with the document's id, its number and the "
        "total (CloudEvents extensions documentid, part, parts; AMQP headers document_id, part, "
        "parts): part 1 holds the header (the message with those lists empty), the others the "
        "items in document order, at most "
        f"{PART_ITEMS} each, as entries (path, at, items). "
        "Keep a document's parts until all are there, in any order, then append each entry's "
        "items to the list its path and indexes name (gateway.messages.parts.reassemble). "
        f"Split along, by message type: {rules}.",
        "contentType": CONTENT_TYPE,
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "headers": {"$ref": "#/components/schemas/AmqpHeaders"},
        "payload": {"$ref": "#/components/schemas/DocumentPartEvent"},
        "x-canonical-schema": schema_id("DocumentPart"),
    }
    return {"$ref": "#/components/messages/edi.in.part"}


def _inbound_variants(
    topology: Topology,
    schemas: dict[str, Any],
    messages: dict[str, Any],
    channels: dict[str, Any],
    translated: list[dict[str, str]],
) -> list[dict[str, str]]:
    """Add the channels of untranslated sets (partners that opt in) and of test documents;
    return the messages they add."""
    name = "UntranslatedTransaction"
    schemas[f"{name}Event"] = {
        "title": f"{name} event",
        "allOf": [
            {"$ref": "#/components/schemas/CloudEvent"},
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "pattern": "^edi\\.in\\.[0-9]{3}$"},
                    "dataschema": {"const": schema_id(name)},
                    "data": {"$ref": f"#/components/schemas/{name}"},
                },
            },
        ],
    }
    messages["edi.in.untranslated"] = {
        "name": "edi.in.untranslated",
        "title": "A transaction set the gateway does not translate, as its segments",
        "summary": 'Only for partners whose profile says unsupported_sets = "pass_through"; '
        "the event type is edi.in.<ST01>.",
        "contentType": CONTENT_TYPE,
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "headers": {"$ref": "#/components/schemas/AmqpHeaders"},
        "payload": {"$ref": f"#/components/schemas/{name}Event"},
        "x-canonical-schema": schema_id(name),
    }
    untranslated = [{"$ref": "#/components/messages/edi.in.untranslated"}]
    set_parameter = {
        "description": "ST01 of a set the gateway does not translate, e.g. 820.",
        "schema": {"type": "string", "pattern": "^[0-9]{3}$"},
    }
    channels[ROUTING_KEY.format(kind="{set}", partner="{partner}")] = _topic_channel(
        "Transaction sets without a canonical message of their own, passed through as their "
        f"segments, on the topic exchange {topology.exchange!r} (partners that opt in; others "
        "get them rejected in their 997/999, AK5 R code 1).",
        {"partner": {"$ref": "#/components/parameters/partner"}, "set": set_parameter},
        "receiveUntranslated",
        "Receive sets the gateway does not translate, as their segments.",
        untranslated,
        topology.exchange,
    )
    channels[TEST_ROUTING_KEY.format(kind="{kind}", partner="{partner}")] = _topic_channel(
        "Documents of test interchanges (X12 ISA15 T or I), apart from production, on the topic "
        f"exchange {topology.exchange!r}: bindings on edi.in.# never see them (unless the "
        'partner\'s profile says test_interchanges = "production").',
        {
            "partner": {"$ref": "#/components/parameters/partner"},
            "kind": {
                "description": "What the document is: ST01, or ta1.",
                "schema": {"type": "string", "pattern": "^([0-9]{3}|ta1)$"},
            },
        },
        "receiveTestDocuments",
        "Receive partners' test documents.",
        translated + untranslated,
        topology.exchange,
    )
    return untranslated


def _notices(
    topology: Topology,
    schemas: dict[str, Any],
    messages: dict[str, Any],
    channels: dict[str, Any],
) -> list[dict[str, str]]:
    """Add the notices about inbound documents (:mod:`gateway.notices`); return their message."""
    schemas["NoticeEvent"] = {
        "title": "Notice about an inbound document",
        "allOf": [
            {"$ref": "#/components/schemas/CloudEvent"},
            {
                "type": "object",
                "properties": {
                    "id": {"description": "<document id>:<code>"},
                    "type": {"type": "string", "pattern": "^edi\\.in\\.notice\\."},
                    "data": {
                        "type": "object",
                        "required": ["code", "document_id", "partner", "kind", "detail"],
                        "properties": {
                            "code": {"type": "string", "enum": list(NOTICE_CODES)},
                            "document_id": {"type": "string"},
                            "partner": {"type": "string"},
                            "kind": {"type": "string"},
                            "detail": {"type": "object"},
                        },
                    },
                },
            },
        ],
    }
    messages["edi.in.notice"] = {
        "name": "edi.in.notice",
        "title": "Notice about an inbound document",
        "summary": "control_numbers_reused: a document under control numbers an earlier "
        "document of the same parties used for other content, processed as a new document. "
        "business_duplicate: a document sent before with the same business key and content "
        "under other control numbers, not published again (unless the partner's profile says "
        "so). revision: a document under the business key of an earlier one with other "
        "content, published with the AMQP header revision_of (detail.revision_of). "
        "quarantined: a file (not a document: document_id file:<claim id>, kind file) set "
        "aside in quarantine; detail says which file, why, its first findings and where its "
        "report is.",
        "contentType": CONTENT_TYPE,
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "payload": {"$ref": "#/components/schemas/NoticeEvent"},
    }
    notice = [{"$ref": "#/components/messages/edi.in.notice"}]
    channels[NOTICE_ROUTING_KEY.format(code="{code}", partner="{partner}")] = _topic_channel(
        "Notices about inbound documents on the topic exchange "
        f"{topology.events_exchange!r}, correlated to their file.",
        {
            "partner": {"$ref": "#/components/parameters/partner"},
            "code": {
                "description": "What the notice is about.",
                "schema": {"type": "string", "enum": list(NOTICE_CODES)},
            },
        },
        "receiveNotices",
        "Hear about inbound documents a person should know about.",
        notice,
        topology.events_exchange,
    )
    return notice


def _fulfilment(
    topology: Topology,
    schemas: dict[str, Any],
    messages: dict[str, Any],
    channels: dict[str, Any],
) -> list[dict[str, str]]:
    """Add the events of the cross-document checks (:mod:`gateway.fulfilment.events`); return
    their message."""
    outcomes = [outcome.value for outcome in FulfilmentOutcome]
    schemas["FulfilmentEvent"] = {
        "title": "What a cross-document check found",
        "allOf": [
            {"$ref": "#/components/schemas/CloudEvent"},
            {
                "type": "object",
                "properties": {
                    "id": {"description": "<document id>:<outcome>"},
                    "type": {"type": "string", "pattern": "^edi\\.fulfilment\\."},
                    "correlationid": {
                        "description": "The order's: the 940 request's for a 945, the 856 "
                        "request's own for an 856 (a 945 matching no order: its file's)."
                    },
                    "data": {
                        "type": "object",
                        "required": ["outcome", "partner", "kind", "document_id", "order"],
                        "properties": {
                            "outcome": {"type": "string", "enum": outcomes},
                            "partner": {"type": "string"},
                            "kind": {"type": "string", "description": "945 or 856"},
                            "document_id": {"type": "string"},
                            "order": {
                                "type": "object",
                                "properties": {
                                    "kind": {"type": "string", "description": "940 or 850"},
                                    "number": {"type": "string"},
                                },
                            },
                            "detail": {
                                "type": "object",
                                "description": "items: per item ordered, shipped (so far, "
                                "across the order's documents), unit, outcome, shipped_by; "
                                "order_document_id, answered_by, after_short (945); "
                                "shipment_id, policy (856).",
                            },
                        },
                    },
                },
            },
        ],
    }
    messages["edi.fulfilment"] = {
        "name": "edi.fulfilment",
        "title": "What a cross-document check found",
        "summary": "A 945 against the 940 sent for its depositor order number: short, over, "
        "substituted, complete (shipped as ordered by it and the 945s before), unmatched (no "
        "940 known). An 856 request against the 850 received for its PO: not_ordered, over "
        "(counting the 856s sent before, not a resend of the same shipment), order_unknown.",
        "contentType": CONTENT_TYPE,
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "payload": {"$ref": "#/components/schemas/FulfilmentEvent"},
    }
    fulfilment = [{"$ref": "#/components/messages/edi.fulfilment"}]
    channels[FULFILMENT_ROUTING_KEY.format(outcome="{outcome}", partner="{partner}")] = (
        _topic_channel(
            "What the cross-document checks found, on the topic exchange "
            f"{topology.events_exchange!r}, correlated to the order's request.",
            {
                "partner": {"$ref": "#/components/parameters/partner"},
                "outcome": {
                    "description": "What the check found.",
                    "schema": {"type": "string", "enum": outcomes},
                },
            },
            "receiveFulfilment",
            "Hear how orders are shipped: 945s against 940s, 856s against 850s.",
            fulfilment,
            topology.events_exchange,
        )
    )
    return fulfilment


def _outbound(
    topology: Topology,
    schemas: dict[str, Any],
    messages: dict[str, Any],
    channels: dict[str, Any],
) -> dict[str, list[dict[str, str]]]:
    """Add the outbound channels, messages and schemas; return the messages of the queues
    bound to the requests and events exchanges, by role."""
    schemas["DeadLetterHeaders"] = {
        "title": "Dead-letter headers",
        "description": "A refused request is published to the dead-letter exchange unchanged "
        "(body, routing key, properties) with these headers added; it is also recorded in the "
        "ledger as invalid, and an invalid status event is published.",
        "type": "object",
        "required": [ERROR_HEADER, REQUEST_ID_HEADER],
        "properties": {
            ERROR_HEADER: {
                "type": "string",
                "description": "Why the request was refused: which field, what was expected.",
            },
            REQUEST_ID_HEADER: {"type": "string", "description": "The request's id."},
        },
    }
    requests = []
    for kind, name in _REQUEST_KINDS.items():
        canonical = schemas[name]
        schemas[f"{name}Request"] = {
            **canonical,
            "title": f"{name} (request)",
            "description": f"A {name} as requested: envelope, document_id and message_type may "
            "be left out; the envelope is replaced from the partner's profile (ids, qualifiers, "
            "version, usage) and the control numbers drawn by the gateway, keeping only "
            "envelope.x12.implementation_reference (ST03).",
            "required": [r for r in canonical.get("required", []) if r not in _PROFILE_ENVELOPE],
        }
        etype = f"edi.out.{kind}"
        schemas[f"{name}Request.{kind}"] = {
            "title": f"Request to send a {kind}",
            "type": "object",
            "required": ["specversion", "id", "type", "source", "partner", "data"],
            "properties": {
                "specversion": {"type": "string", "const": SPEC_VERSION},
                "id": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The request id: stable; a request published twice is sent "
                    "once.",
                },
                "type": {"type": "string", "const": etype},
                "source": {"type": "string", "minLength": 1},
                "partner": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Extension attribute: the partner's profile name (or the "
                    "AMQP header partner).",
                },
                "correlationid": {
                    "type": "string",
                    "description": "Carried to the status events; by default the request id.",
                },
                "data": {"$ref": f"#/components/schemas/{name}Request"},
            },
        }
        messages[etype] = {
            "name": etype,
            "title": f"Request: send a {_KIND_TITLES[kind]}",
            "summary": f"A {name} to render for a partner, in a CloudEvents 1.0 envelope.",
            "contentType": CONTENT_TYPE,
            "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
            "payload": {"$ref": f"#/components/schemas/{name}Request.{kind}"},
        }
        requests.append({"$ref": f"#/components/messages/{etype}"})
        channels[REQUEST_ROUTING_KEY.format(kind=kind, partner="{partner}")] = {
            "description": f"Requests to send a {_KIND_TITLES[kind]} to a partner, published "
            f"by the modern layer to the topic exchange {topology.request_exchange!r}.",
            "parameters": {"partner": {"$ref": "#/components/parameters/partner"}},
            "publish": {
                "operationId": f"request{kind}",
                "summary": f"Ask the gateway to render, validate and deliver a {kind}. Invalid "
                f"requests are dead-lettered to {topology.dead_letter_exchange!r} with the "
                "headers of DeadLetterHeaders.",
                "message": {"$ref": f"#/components/messages/{etype}"},
            },
            "bindings": {"amqp": _exchange_binding(topology.request_exchange)},
        }
    schemas["StatusEvent"] = {
        "title": "Status event of an outbound document",
        "type": "object",
        "required": ["specversion", "id", "source", "type", "correlationid", "data"],
        "properties": {
            "specversion": {"type": "string", "const": SPEC_VERSION},
            "id": {"type": "string", "description": "<request id>:<state>"},
            "source": {"type": "string"},
            "type": {"type": "string", "description": "edi.out.status.<state>"},
            "subject": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "correlationid": {"type": "string", "description": "The request's correlation id."},
            "data": {
                "type": "object",
                "required": ["request_id", "partner", "kind", "state"],
                "properties": {
                    "request_id": {"type": "string"},
                    "document_id": {"type": ["string", "null"]},
                    "partner": {"type": "string"},
                    "kind": {"type": "string"},
                    "state": {"type": "string", "enum": [s.value for s in OutboundStatus]},
                    "detail": {"type": "object"},
                },
            },
        },
    }
    messages["edi.out.status"] = {
        "name": "edi.out.status",
        "title": "Status event of an outbound document",
        "summary": "sent (delivered by the partner's channel), invalid (refused), accepted, "
        "accepted_with_errors, rejected, overdue.",
        "contentType": CONTENT_TYPE,
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "payload": {"$ref": "#/components/schemas/StatusEvent"},
    }
    status = [{"$ref": "#/components/messages/edi.out.status"}]
    channels[STATUS_ROUTING_KEY.format(state="{state}", partner="{partner}")] = _topic_channel(
        "Status events of outbound documents on the topic exchange "
        f"{topology.events_exchange!r}, correlated to their request.",
        {
            "partner": {"$ref": "#/components/parameters/partner"},
            "state": {
                "description": "The new state.",
                "schema": {"type": "string", "enum": [s.value for s in OutboundStatus]},
            },
        },
        "receiveOutboundStatus",
        "Hear what became of each outbound request.",
        status,
        topology.events_exchange,
    )
    return {"requests": requests, "events": status}


def _reference_lists(
    topology: Topology,
    schemas: dict[str, Any],
    messages: dict[str, Any],
    channels: dict[str, Any],
) -> None:
    """Add the reference lists the modern layer publishes (:mod:`gateway.references.
    published`): the items and locations the gateway checks documents against."""
    ids = {"type": ["array", "null"], "items": {"type": "string", "minLength": 1}}
    schemas["ReferenceListEvent"] = {
        "title": "A reference list: the items and locations known",
        "type": "object",
        "required": ["specversion", "id", "source", "type", "data"],
        "properties": {
            "specversion": {"type": "string", "const": SPEC_VERSION},
            "id": {"type": "string", "minLength": 1, "description": "The list's id."},
            "source": {"type": "string", "minLength": 1},
            "type": {"type": "string", "const": REFERENCE_EVENT_TYPE},
            "time": {
                "type": "string",
                "format": "date-time",
                "description": "When the list was issued: the newest list of a scope wins (one "
                "issued earlier, arriving later, is left out); without it, when it arrived.",
            },
            "data": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "description": {"type": "string"},
                    "items": {
                        **ids,
                        "description": "Every item known, by any of its ids (SKU, U.P.C....); "
                        "absent: items are not checked against this list.",
                    },
                    "locations": {
                        **ids,
                        "description": "Every location known (warehouses, aisles, bins); "
                        "absent: locations are not checked against this list.",
                    },
                },
            },
        },
    }
    messages[REFERENCE_EVENT_TYPE] = {
        "name": REFERENCE_EVENT_TYPE,
        "title": "A reference list of items and locations",
        "summary": "Replaces the list of its scope (a partner, or all): documents of the kinds "
        "a partner's profile checks (reference_check) naming other items or locations are "
        "withheld as exceptions (notice unknown_reference) until reprocessed.",
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": "#/components/schemas/ReferenceListEvent"},
    }
    channels[REFERENCE_ROUTING_KEY.format(scope="{scope}")] = {
        "description": "Reference lists published by the modern layer to the topic exchange "
        f"{REFERENCE_EXCHANGE!r}; each gateway instance takes them from its queue "
        f"{REFERENCE_QUEUE!r} (durable, dead-lettered to {topology.dead_letter_exchange!r}), "
        "keeps the newest of each scope in its ledger and checks documents against it from "
        "then on, without a restart.",
        "parameters": {
            "scope": {
                "description": "A partner's name (as a routing word), or all.",
                "schema": {"type": "string", "pattern": PARTNER_PATTERN},
            }
        },
        "publish": {
            "operationId": "publishReferenceList",
            "summary": "Tell the gateway the items and locations a partner's (or every "
            "partner's) documents may name. A message that is no list is dead-lettered.",
            "message": {"$ref": f"#/components/messages/{REFERENCE_EVENT_TYPE}"},
        },
        "bindings": {"amqp": _exchange_binding(REFERENCE_EXCHANGE)},
    }

"""The AsyncAPI 2.6.0 document of what the gateway publishes, generated from the code.

Channels: one per routing key ``edi.in.<kind>.{partner}`` on the inbound topic exchange (the
gateway publishes, consumers subscribe), and one per declared queue (``edi.in.all`` and the
dead-letter queue ``edi.dlq``). Every message is a CloudEvents 1.0 envelope whose ``data`` is a
canonical message; the canonical JSON Schemas (:func:`gateway.schemas.message_schemas`) are copied
into ``components.schemas`` (their ``$defs`` hoisted beside them) so the document is self-contained.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import __version__
from ..schemas import message_schemas, schema_id
from .cloudevents import CONTENT_TYPE, DATA_CONTENT_TYPE, HEADER_KEYS, SPEC_VERSION, event_type
from .topology import DEFAULT_TOPOLOGY, KIND_MESSAGES, ROUTING_KEY, Topology

ASYNCAPI_VERSION = "2.6.0"
AMQP_BINDING_VERSION = "0.2.0"
PARTNER_PATTERN = "^[A-Za-z0-9_-]+$"

_KIND_TITLES = {
    "850": "850 Purchase Order",
    "855": "855 Purchase Order Acknowledgment",
    "856": "856 Ship Notice/Manifest",
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
                "message": {"$ref": f"#/components/messages/{etype}"},
                "bindings": {"amqp": _publish_binding()},
            },
            "bindings": {"amqp": _exchange_binding(topology.exchange)},
        }

    all_messages = [{"$ref": f"#/components/messages/{event_type(k)}"} for k in KIND_MESSAGES]
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
                "message": {"oneOf": all_messages},
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
                "description": "The business id: PO number, shipment id, acknowledged control "
                "number.",
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

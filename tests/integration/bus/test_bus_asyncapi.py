"""The AsyncAPI document: the structure AsyncAPI 2.6.0 requires, every reference resolving, the
topology as declared, and real CloudEvents validating against each channel's payload schema.

(No well-kept AsyncAPI validator exists on PyPI; the document was also checked, outside the test
suite, against the official AsyncAPI 2.6.0 JSON Schema and the AMQP binding 0.2.0 schemas.)
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import jsonschema
import pytest

from gateway import messages
from gateway.bus import DEAD_LETTER_EXCHANGE, INBOUND_EXCHANGE, Topology, cloud_event
from gateway.bus.asyncapi import asyncapi_document
from gateway.bus.cloudevents import SerializedMessage, cloud_events
from gateway.bus.topology import ALL_QUEUE, DEAD_LETTER_QUEUE, KIND_MESSAGES, QueueSpec
from gateway.fulfilment import FulfilmentOutcome, fulfilment_event
from gateway.ledger.orders import OrderKey
from gateway.references.published import read_published
from gateway.schemas import message_schemas, schema_id
from tests.integration.bus.test_bus_cloudevents import canonical, interchange_ack

KINDS = (
    "850", "855", "856", "846", "940", "945", "810", "943", "944", "947", "997", "999", "ta1"
)  # fmt: skip


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


def resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"not a local reference: {ref}"
        target: Any = document
        for part in ref[2:].split("/"):
            assert part in target, f"unresolvable reference {ref}"
            target = target[part]
        node = target
    return node


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for value in node.values():
            found += references(value)
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def payload_validator(document: dict[str, Any], kind: str) -> jsonschema.Draft7Validator:
    message = resolve(document, {"$ref": f"#/components/messages/edi.in.{kind}"})
    root = {"$ref": message["payload"]["$ref"], "components": document["components"]}
    # No format checking: the canonical messages' naive datetimes (X12Envelope.created_at) are not
    # RFC 3339 date-times, which the schemas' "format": "date-time" names.
    return jsonschema.Draft7Validator(root)


def sample(kind: str) -> messages.CanonicalModel:
    files = {
        "850": "850-004010.edi",
        "855": "855-004010.edi",
        "856": "856-004010.edi",
        "846": "846-004010.edi",
        "940": "940-004010.edi",
        "945": "945-004010.edi",
        "810": "810-004010.edi",
        "943": "943-004010.edi",
        "944": "944-004010.edi",
        "947": "947-004010.edi",
    }
    if kind in files:
        return canonical(files[kind])
    if kind in ("997", "999"):
        return canonical("997-004010.edi")
    return interchange_ack()


def test_required_top_level_structure(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "2.6.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert set(document) >= {"asyncapi", "info", "channels", "components", "servers"}
    assert document["defaultContentType"] == "application/cloudevents+json"
    server = document["servers"]["rabbitmq"]
    assert (server["protocol"], server["protocolVersion"]) == ("amqp", "0.9.1")
    json.dumps(document)  # plain JSON


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = references(document)
    assert refs
    for ref in set(refs):
        resolve(document, {"$ref": ref})


def test_a_channel_per_routing_key_on_the_inbound_exchange(document: dict[str, Any]) -> None:
    channels = document["channels"]
    for kind in KINDS:
        channel = channels[f"edi.in.{kind}.{{partner}}"]
        binding = channel["bindings"]["amqp"]
        assert binding["is"] == "routingKey"
        assert binding["exchange"] == {
            "name": INBOUND_EXCHANGE,
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        }
        assert resolve(document, channel["parameters"]["partner"])["schema"]["type"] == "string"
        operation = channel["subscribe"]
        assert operation["bindings"]["amqp"]["deliveryMode"] == 2
        assert operation["bindings"]["amqp"]["mandatory"] is True
        message = resolve(document, operation["message"])
        if "oneOf" in message:  # the document whole, or one of its parts when it is large
            whole, part = message["oneOf"]
            assert part == {"$ref": "#/components/messages/edi.in.part"}
            message = resolve(document, whole)
        assert message["contentType"] == "application/cloudevents+json"
        payload = resolve(document, message["payload"])
        data = resolve(document, payload["allOf"][1]["properties"]["data"])
        assert data["x-canonical-schema"] == schema_id(KIND_MESSAGES[kind])


def test_every_channel_message_has_a_payload_schema(document: dict[str, Any]) -> None:
    for name, channel in document["channels"].items():
        operation = channel.get("subscribe") or channel["publish"]  # requests are published
        message = resolve(document, operation["message"])
        variants = message.get("oneOf", [message])
        assert variants, name
        for variant in variants:
            payload = resolve(document, resolve(document, variant)["payload"])
            assert isinstance(payload, dict) and payload, name


def test_queues_and_dead_lettering_are_documented(document: dict[str, Any]) -> None:
    channels = document["channels"]
    everything = channels[ALL_QUEUE]["bindings"]["amqp"]
    assert everything["is"] == "queue"
    assert everything["queue"]["name"] == ALL_QUEUE and everything["queue"]["durable"] is True
    assert everything["x-arguments"] == {"x-max-length": 10_000, "x-overflow": "drop-head"}
    assert everything["x-bindings"] == [{"exchange": INBOUND_EXCHANGE, "routingKey": "edi.in.#"}]
    dead = channels[DEAD_LETTER_QUEUE]["bindings"]["amqp"]
    assert dead["x-bindings"] == [{"exchange": DEAD_LETTER_EXCHANGE, "routingKey": "#"}]
    assert dead["x-arguments"] == {"x-max-length": 100_000, "x-overflow": "drop-head"}
    requests = channels["edi.out.requests"]["bindings"]["amqp"]
    assert requests["x-arguments"] == {"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE}
    exchanges = {e["name"]: e["type"] for e in document["x-exchanges"]}
    assert exchanges == {
        INBOUND_EXCHANGE: "topic",
        DEAD_LETTER_EXCHANGE: "topic",
        "edi.out": "topic",
        "edi.events": "topic",
    }
    every_inbound = channels[ALL_QUEUE]["subscribe"]["message"]["oneOf"]
    assert len(every_inbound) == len(KINDS) + 2  # the sets passed through, the parts
    assert {"$ref": "#/components/messages/edi.in.untranslated"} in every_inbound
    assert {"$ref": "#/components/messages/edi.in.part"} in every_inbound


def test_test_documents_untranslated_sets_and_notices_have_their_channels(
    document: dict[str, Any],
) -> None:
    channels = document["channels"]
    assert "edi.test.{kind}.{partner}" in channels
    assert "edi.in.{set}.{partner}" in channels
    notices = channels["edi.notice.{code}.{partner}"]
    assert notices["parameters"]["code"]["schema"]["enum"] == [
        "control_numbers_reused",
        "business_duplicate",
        "revision",
        "quarantined",
        "unknown_reference",
    ]
    events = channels["edi.events.all"]["subscribe"]["message"]["oneOf"]
    assert {"$ref": "#/components/messages/edi.in.notice"} in events
    status = channels["edi.status.{state}.{partner}"]["subscribe"]["message"]["oneOf"]
    assert {"$ref": "#/components/messages/edi.in.notice"} not in status


def test_every_canonical_schema_is_in_the_components(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name, schema in message_schemas().items():
        copied = schemas[name]
        assert copied["x-canonical-schema"] == schema[r"$id"]
        assert copied["required"] == schema["required"]
        assert set(copied["properties"]) == set(schema["properties"])
    assert not any("$defs" in ref for ref in references(document))


@pytest.mark.parametrize("kind", KINDS)
def test_real_events_validate_against_their_channel(document: dict[str, Any], kind: str) -> None:
    body, _ = cloud_event(sample(kind), correlation_id="corr", partner="acme", kind=kind)
    event = json.loads(body)
    validator = payload_validator(document, kind)
    validator.validate(event)

    broken = copy.deepcopy(event)
    del broken["data"]["envelope"]
    assert not validator.is_valid(broken)
    wrong_type = dict(event, type="edi.in.000")
    assert not validator.is_valid(wrong_type)
    no_id = {k: v for k, v in event.items() if k != "id"}
    assert not validator.is_valid(no_id)


def test_the_document_follows_the_topology() -> None:
    document = asyncapi_document(
        Topology("x.in", "x.dlx", (QueueSpec("x.q", ("edi.in.850.*",)),)),
        server_url="broker.example:5672",
    )
    channels = document["channels"]
    assert channels["edi.in.850.{partner}"]["bindings"]["amqp"]["exchange"]["name"] == "x.in"
    assert channels["x.q"]["bindings"]["amqp"]["x-arguments"] == {"x-dead-letter-exchange": "x.dlx"}
    assert ALL_QUEUE not in channels
    assert document["servers"]["rabbitmq"]["url"] == "broker.example:5672"
    # no timestamps or random parts: generating it twice gives the same document
    assert asyncapi_document() == asyncapi_document()


def test_the_cross_document_checks_events_have_their_channel(document: dict[str, Any]) -> None:
    channel = document["channels"]["edi.fulfilment.{outcome}.{partner}"]
    assert channel["parameters"]["outcome"]["schema"]["enum"] == [
        "short",
        "over",
        "substituted",
        "complete",
        "unmatched",
        "not_ordered",
        "order_unknown",
    ]
    events = document["channels"]["edi.events.all"]["subscribe"]["message"]["oneOf"]
    assert {"$ref": "#/components/messages/edi.fulfilment"} in events
    order = OrderKey("acme", "940", "SO-1")
    message = fulfilment_event(
        outcome=FulfilmentOutcome.SHORT,
        order=order,
        kind="945",
        document_id="doc-1",
        correlation_id="corr-1",
        detail={"items": []},
    )
    root = {"$ref": "#/components/schemas/FulfilmentEvent", "components": document["components"]}
    validator = jsonschema.Draft7Validator(root)
    event = json.loads(message.body)
    validator.validate(event)
    assert not validator.is_valid({**event, "type": "edi.out.status.sent"})
    assert message.routing_key == "edi.fulfilment.short.acme"
    assert (event["id"], event["correlationid"]) == ("doc-1:short", "corr-1")


def test_the_parts_of_a_large_document_validate_against_their_message(
    document: dict[str, Any],
) -> None:
    advice = sample("846")
    serialized = SerializedMessage.of(advice, part_items=1)
    events = cloud_events(serialized, correlation_id="corr", partner="acme", kind="846")
    assert len(events) == serialized.parts > 2
    message = resolve(document, {"$ref": "#/components/messages/edi.in.part"})
    validator = jsonschema.Draft7Validator(
        {"$ref": message["payload"]["$ref"], "components": document["components"]}
    )
    for _, body, _ in events:
        event = json.loads(body)
        validator.validate(event)
        assert not validator.is_valid({k: v for k, v in event.items() if k != "documentid"})
    channel = document["channels"]["edi.in.846.{partner}"]["subscribe"]["message"]
    assert {"$ref": "#/components/messages/edi.in.part"} in channel["oneOf"]


def test_a_reference_list_as_the_modern_layer_publishes_it_validates_against_its_message(
    document: dict[str, Any],
) -> None:
    channel = document["channels"]["edi.ref.items.{scope}"]
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "edi.ref"
    message = resolve(document, channel["publish"]["message"])
    validator = jsonschema.Draft7Validator(
        {"$ref": message["payload"]["$ref"], "components": document["components"]}
    )
    event = {
        "specversion": "1.0",
        "id": "L-7",
        "type": "edi.ref.items",
        "source": "erp",
        "time": "2026-12-05T10:00:00Z",
        "data": {"items": ["SKU-1"], "locations": ["DC-EAST"]},
    }
    validator.validate(event)
    assert not validator.is_valid({**event, "data": {"skus": ["SKU-1"]}})
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    read = read_published(json.dumps(event).encode(), "edi.ref.items.acme", None, now=now)
    assert read.content == {"items": ["SKU-1"], "locations": ["DC-EAST"]}

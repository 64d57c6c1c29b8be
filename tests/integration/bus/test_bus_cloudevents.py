"""CloudEvents envelopes: attributes, headers, and data that validates against its canonical
schema. (No broker needed.)"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import jsonschema
import pytest

from gateway import messages
from gateway.bus.cloudevents import CONTENT_TYPE, cloud_event, event_type
from gateway.cli import translate_command
from gateway.schemas import message_schemas, schema_id
from tests.integration.bus.helpers import purchase_order

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
NOON = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)


def canonical(file_name: str) -> messages.CanonicalModel:
    out = io.StringIO()
    translate_command(FIXTURES / file_name, pretty=False, out=out)
    payload = json.loads(out.getvalue().splitlines()[0])
    payload.pop("document_id")
    model: type[messages.CanonicalModel] = getattr(messages, payload["message_type"])
    return model.model_validate(payload)


def interchange_ack() -> messages.InterchangeAck:
    return messages.InterchangeAck(
        envelope=messages.Envelope.of_x12(
            messages.X12Envelope(
                sender_qualifier="ZZ",
                sender_id="GATEWAY",
                receiver_qualifier="ZZ",
                receiver_id="ACME",
                interchange_control_number="000000042",
                interchange_version="00401",
            )
        ),
        interchange_control_number="000000007",
        interchange_date=dt.date(2026, 11, 23),
        interchange_time="1200",
        status="A",
        note_code="000",
    )


def test_a_purchase_order_event_has_every_attribute() -> None:
    po = purchase_order("acme", 7)
    body, headers = cloud_event(po, correlation_id="corr-7", partner="acme", kind="850", time=NOON)
    event = json.loads(body)
    assert event == {
        "specversion": "1.0",
        "id": po.document_id,
        "source": "edi-gateway/acme",
        "type": "edi.in.850",
        "subject": "PO-acme-7",
        "time": "2026-11-23T12:00:00Z",
        "datacontenttype": "application/json",
        "dataschema": schema_id("PurchaseOrder"),
        "correlationid": "corr-7",
        "data": po.model_dump(mode="json"),
    }
    assert headers == {
        "event_type": "edi.in.850",
        "partner": "acme",
        "kind": "850",
        "message_type": "PurchaseOrder",
        "document_id": po.document_id,
        "correlation_id": "corr-7",
    }
    assert CONTENT_TYPE == "application/cloudevents+json"
    # compact UTF-8 JSON, and the data is a valid canonical message
    assert body == json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    jsonschema.Draft202012Validator(message_schemas()["PurchaseOrder"]).validate(event["data"])


@pytest.mark.parametrize(
    ("file_name", "kind"),
    [
        ("850-004010.edi", "850"),
        ("855-004010.edi", "855"),
        ("856-004010.edi", "856"),
        ("997-004010.edi", "997"),
        ("810-004010.edi", "810"),
    ],
)
def test_every_canonical_message_makes_a_valid_event(file_name: str, kind: str) -> None:
    message = canonical(file_name)
    name = type(message).__name__
    body, headers = cloud_event(message, correlation_id="c", partner="acme", kind=kind)
    event = json.loads(body)
    assert event["type"] == event_type(kind) == f"edi.in.{kind}"
    assert event["dataschema"] == schema_id(name)
    assert headers["message_type"] == name
    assert event["id"] == getattr(message, "document_id")  # noqa: B009 - computed field
    business_id = {
        "PurchaseOrder": "po_number",
        "PurchaseOrderAck": "po_number",
        "ShipNotice": "shipment_id",
        "FunctionalAck": "group_control_number",
        "Invoice": "invoice_number",
    }[name]
    assert event["subject"] == getattr(message, business_id)
    jsonschema.Draft202012Validator(message_schemas()[name]).validate(event["data"])
    # time is now, in UTC, RFC 3339
    moment = dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < 60


def test_a_ta1_event() -> None:
    ack = interchange_ack()
    body, headers = cloud_event(ack, correlation_id="c", partner="acme", kind="TA1", time=NOON)
    event = json.loads(body)
    assert event["type"] == "edi.in.ta1"
    assert headers["kind"] == "ta1"
    assert event["subject"] == "000000007"
    assert event["id"] == ack.document_id
    jsonschema.Draft202012Validator(message_schemas()["InterchangeAck"]).validate(event["data"])


def test_source_can_be_given() -> None:
    body, _ = cloud_event(
        purchase_order("acme", 1),
        source="edi-gateway-eu/acme",
        correlation_id="c",
        partner="acme",
        kind="850",
    )
    assert json.loads(body)["source"] == "edi-gateway-eu/acme"


def test_times_must_be_aware_and_messages_canonical() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cloud_event(
            purchase_order("acme", 1),
            correlation_id="c",
            partner="acme",
            kind="850",
            time=dt.datetime(2026, 1, 1),
        )
    with pytest.raises(TypeError, match="not a canonical message"):
        cloud_event(
            messages.Address(city="Springfield"), correlation_id="c", partner="acme", kind="850"
        )

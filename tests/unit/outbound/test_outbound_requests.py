"""Request validation: every refusal names the field and what was expected."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.outbound.requests import RequestRefused, check_partner, parse_request
from gateway.partners import PartnerProfile
from tests.unit.outbound.test_outbound_render import asn_request


def event(**changes: Any) -> bytes:
    base = json.loads(json.dumps(asn_request().event))
    base.update(changes)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def refusal(body: bytes, **options: Any) -> RequestRefused:
    with pytest.raises(RequestRefused) as caught:
        parse_request(body, **options)
    return caught.value


def test_a_valid_request_with_envelope_left_out() -> None:
    request = parse_request(event(correlationid="c-9"))
    assert (request.request_id, request.kind, request.partner) == ("r-1", "856", "acme")
    assert request.correlation_id == "c-9"


def test_the_partner_may_come_from_the_amqp_header() -> None:
    request = parse_request(event(partner=None), headers={"partner": "globex"})
    assert request.partner == "globex"
    assert request.correlation_id == "r-1"  # defaults to the request id


def test_malformed_json_keeps_the_message_id_as_request_id() -> None:
    refused = refusal(b"{nope", message_id="m-1", routing_key="edi.out.856.acme")
    assert "not JSON" in refused.reason
    assert (refused.request_id, refused.partner, refused.kind) == ("m-1", "acme", "856")
    assert refusal(b"{nope").request_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": None}, "missing: id"),
        ({"type": "edi.out.850"}, "expected edi.out.856 or edi.out.855"),
        ({"specversion": "0.3"}, "expected 1.0"),
        ({"partner": None}, "no partner"),
        ({"data": []}, "data must be a JSON object"),
    ],
)
def test_envelope_problems_are_named(changes: dict[str, Any], expected: str) -> None:
    assert expected in refusal(event(**changes)).reason


def test_schema_violations_name_the_path() -> None:
    data = json.loads(json.dumps(asn_request().event["data"]))
    data["orders"][0]["packs"][0]["items"][0]["quantity_shipped"] = "lots"
    del data["ship_date"]
    reason = refusal(event(data=data)).reason
    assert "data.ship_date: Field required" in reason
    assert "data.orders[0].packs[0].items[0].quantity_shipped" in reason and "'lots'" in reason


def test_unknown_partner_and_required_fields() -> None:
    request = asn_request(carrier_scac=None)
    acme = PartnerProfile.model_validate(
        {
            "name": "acme",
            "x12": {
                "sender_id": "US",
                "receiver_id": "ACME",
                "required": {"856": ["carrier_scac", "orders.packs.sscc", "ship_to.name"]},
            },
        }
    )
    with pytest.raises(RequestRefused, match="unknown partner 'acme'"):
        check_partner(request, {})
    with pytest.raises(RequestRefused) as caught:
        check_partner(request, {"acme": acme})
    assert "data.carrier_scac is missing or empty" in caught.value.reason
    assert "sscc" not in caught.value.reason and "ship_to" not in caught.value.reason
    assert check_partner(asn_request(), {"acme": acme}) is acme.x12

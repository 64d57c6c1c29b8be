"""Request validation: every refusal names the field and what was expected."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from adapters import REGISTRY
from gateway.bus.limits import digest_id
from gateway.errors import RequestRefused
from gateway.outbound import preparing, requests
from gateway.outbound.requests import parse_request
from gateway.outbound.requirements import check_partner
from gateway.partner_formats import PartnerFormats
from gateway.partners import parse_profile
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


@pytest.mark.parametrize(
    "envelope",
    [
        {"x12": {"implementation_reference": "005010VICS"}},
        {"implementation_reference": "005010VICS"},  # where schema 1.x had it
    ],
)
def test_a_request_keeps_only_the_st03_of_its_envelope(envelope: dict[str, Any]) -> None:
    data = json.loads(json.dumps(asn_request().event))["data"]
    given = {**envelope, "sender": {"id": "SOMEONE"}, "received_at": "2026-12-05T10:00:00Z"}
    request = parse_request(event(data={**data, "envelope": given}))
    x12 = request.message.envelope.x12
    assert x12 is not None and x12.implementation_reference == "005010VICS"
    assert (
        request.message.envelope.sender.id == "-" and request.message.envelope.received_at is None
    )


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
    acme = parse_profile(
        "acme",
        {
            "x12": {
                "sender_id": "US",
                "receiver_id": "ACME",
                "required": {"856": ["carrier_scac", "orders.packs.sscc", "ship_to.name"]},
            },
        },
        REGISTRY,
    )
    with pytest.raises(RequestRefused, match="unknown partner 'acme'"):
        check_partner(request, {})
    with pytest.raises(RequestRefused) as caught:
        check_partner(request, {"acme": acme})
    assert "data.carrier_scac is missing or empty" in caught.value.reason
    assert "sscc" not in caught.value.reason and "ship_to" not in caught.value.reason
    assert check_partner(asn_request(), {"acme": acme}) is acme.format_config


def test_ids_longer_than_amqp_carries_are_refused_and_recorded_under_their_digest() -> None:
    long_id = "L" * 300
    refused = refusal(event(id=long_id))
    assert "CloudEvent attribute id is 300 bytes long: at most 200 bytes" in refused.reason
    assert refused.request_id == digest_id(long_id)
    assert refused.request is not None and long_id in refused.request["body"]  # kept as it came
    refused = refusal(event(id="ok", correlationid="C" * 300))
    assert "correlationid is 300 bytes long" in refused.reason
    assert (refused.request_id, refused.correlation_id) == ("ok", "ok")
    refused = refusal(event(partner="P" * 300), routing_key="edi.out.856.acme")
    assert "partner is 300 bytes long" in refused.reason
    assert refused.partner == "acme"  # the routing key's: the status event can be routed


def test_the_broker_s_ids_are_recorded_only_when_they_can_be_stored() -> None:
    refused = refusal(b"{nope", message_id="m\x00" + "x" * 250, correlation_id="c\x00")
    assert refused.request_id == digest_id("m\x00" + "x" * 250)
    assert refused.correlation_id == refused.request_id
    request = parse_request(event(), correlation_id="c\x00")
    assert request.correlation_id == "r-1"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[" * 1000 + b"]" * 1000, "nested deeper than 32 levels"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32 levels"),
        (b"[" + b"0," * 200_000 + b"0]", "more than 200,000 JSON values"),
        (b" " * (8 * 1024 * 1024 + 1), "at most 8,388,608 are read"),
        (b'{"id": "\xff"}', "not JSON: 'utf-8' codec can't decode byte 0xff"),
        (b'{"id": NaN}', "NaN is not a JSON number"),
        (b'{"id": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"n": 1e999}', "1e999 is too large for a float"),
        (b'{"n": ' + b"9" * 5000 + b"}", "Exceeds the limit"),
        (b'{"data": {"a": ["\\ud800"]}}', "data.a[0] holds '\\ud800'"),
        (b'{"data": {"\\u0000": 1}}', "a key in data holds '\\x00'"),
        (b'"\\u0000"', "the body holds '\\x00'"),
        (b'{"data": {"a": "\xed\xa0\x80"}}', "data.a holds '\\ud800'"),  # UTF-8 of a surrogate
        ('{"data": {"a": "\\u0000"}}'.encode("utf-16"), "data.a holds '\\x00'"),
        (b"[" * 33 + b"]" * 33, "nested deeper than 32 levels"),
        (b'{"a": ' * 33 + b"1" + b"}" * 33, "nested deeper than 32 levels"),
        (b"null", "not NoneType"),
        (b"", "not JSON"),
    ],
)
def test_a_body_that_cannot_be_read_safely_is_refused_with_the_reason(
    body: bytes, expected: str
) -> None:
    refused = refusal(body, message_id="m-1")
    assert expected in refused.reason
    assert refused.request_id == "m-1"


def test_an_unforeseen_error_reading_a_request_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_values: object) -> None:
        raise RuntimeError("a bug")

    body = event()
    monkeypatch.setattr(requests, "_plainly_storable", broken)
    refused = refusal(body, message_id="m-1")
    assert refused.reason == "the request could not be read: RuntimeError: a bug"
    assert refused.request_id == "m-1"


def test_text_that_only_looks_suspect_and_nesting_at_the_limit_are_taken() -> None:
    hangul = parse_request(event(id="한국-42"))  # its UTF-8 holds the byte 0xED
    assert hangul.request_id == "한국-42"
    assert "nested" not in refusal(b"[" * 32 + b"]" * 32).reason  # refused as not an object


def test_ids_at_the_limit_and_other_scripts_are_taken() -> None:
    assert parse_request(event(id="é" * 100)).request_id == "é" * 100  # 200 bytes
    assert "201 bytes" in refusal(event(id="é" * 100 + "x")).reason
    assert parse_request(event(id="注文-42", correlationid="相関")).correlation_id == "相関"


def test_an_unforeseen_error_rendering_a_request_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = event()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(preparing, "check_partner", broken)
    [prepared] = preparing.prepare_requests(
        [preparing.Delivery(tag=1, body=body)],
        {},
        PartnerFormats.of(REGISTRY, {}),
        dt.datetime.now(dt.UTC),
    )
    assert prepared.refusal == (
        "the request could not be rendered: RecursionError: maximum recursion depth exceeded"
    )
    assert (prepared.request_id, prepared.draft) == ("r-1", None)

"""Rendering a request per partner profile: separators, version, usage, ids; validated."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.profile import X12Profile
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.rendering import draft, interchange_spec, number
from adapters.formats.x12.translation import translate
from gateway.control_numbers import ControlNumberCounter, InMemoryCounter
from gateway.messages import ShipNotice
from gateway.outbound.requests import OutboundRequest, parse_request
from gateway.ports import DocumentRefused, RenderedDocument
from tests.integration.support import ROOT


def asn_request(**changes: Any) -> OutboundRequest:
    tx = next(transactions_in(ROOT / "fixtures" / "x12" / "856-004010.edi"))
    data = translate(tx).model_dump(mode="json")
    del data["envelope"], data["document_id"]
    data.update(changes)
    event = {
        "specversion": "1.0",
        "id": "r-1",
        "type": "edi.out.856",
        "source": "wms",
        "partner": "acme",
        "data": data,
    }
    return parse_request(json.dumps(event).encode())


def render_request(
    request: OutboundRequest, x12: X12Profile, counter: ControlNumberCounter
) -> RenderedDocument:
    now = dt.datetime.now(dt.UTC)
    return number(draft(request.message, request.kind, x12, now), x12, counter)


def profile(**values: Any) -> X12Profile:
    return X12Profile.model_validate({"sender_id": "US", "receiver_id": "ACME", **values})


def test_004010_production_with_default_separators() -> None:
    document = render_request(asn_request(), profile(), InMemoryCounter())
    isa = document.text.split("~")[0].split("*")
    assert (isa[6].strip(), isa[8].strip(), isa[12], isa[13], isa[15]) == (
        "US",
        "ACME",
        "00401",
        "000000001",
        "P",
    )
    assert "GS*SH*US*ACME*" in document.text and "*1*X*004010~" in document.text
    assert document.file_name == "856-US-ACME-000000001.x12"
    assert (document.interchange, document.group, document.transaction) == (
        "000000001",
        "1",
        "0001",
    )


def test_005010_test_usage_and_the_partners_separators() -> None:
    x12 = profile(
        version="005010",
        usage_indicator="T",
        element_separator="|",
        component_separator="<",
        segment_terminator="'",
        line_break=False,
        sender_qualifier="01",
        receiver_qualifier="14",
    )
    document = render_request(asn_request(), x12, InMemoryCounter(start=41))
    text = document.text
    assert "\n" not in text
    isa = text.split("'")[0].split("|")
    assert (isa[5], isa[7], isa[11], isa[12], isa[15], isa[16]) == (
        "01",
        "14",
        "^",
        "00501",
        "T",
        "<",
    )
    assert "|X|005010'" in text
    [tx] = list(transactions_in(text.encode()))
    message = translate(tx)
    assert isinstance(message, ShipNotice)
    assert (
        x12_facts(message.envelope).version == "005010"
        and x12_facts(message.envelope).usage_indicator == "T"
    )
    assert message.shipment_id == "ASN-2026-555"
    assert document.document_id == message.document_id


def test_control_numbers_come_from_the_partner_sequences() -> None:
    counter = InMemoryCounter()
    spec = interchange_spec(profile())
    first = render_request(asn_request(), profile(), counter)
    second = render_request(asn_request(), profile(), counter)
    assert (first.interchange, second.interchange) == ("000000001", "000000002")
    assert counter.next(spec.sequence("ISA")) == 3  # the sequence the 997s draw from too


def test_a_document_failing_the_map_is_refused_naming_the_element() -> None:
    with pytest.raises(DocumentRefused, match="BSN02"):
        render_request(asn_request(shipment_id="X" * 40), profile(), InMemoryCounter())


def test_a_value_holding_a_separator_is_refused() -> None:
    with pytest.raises(DocumentRefused, match="separator"):
        render_request(asn_request(shipment_id="A*B"), profile(), InMemoryCounter())

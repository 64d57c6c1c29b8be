"""A large canonical message is published as parts that put it back together exactly
(gateway.messages.parts, gateway.bus.cloudevents.cloud_events)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import jsonschema
import pytest

from gateway.bus.cloudevents import SerializedMessage, cloud_event, cloud_events, stamped
from gateway.messages import (
    Envelope,
    InventoryAdvice,
    InventoryLine,
    InventoryQuantity,
    ItemIdentification,
    Pack,
    Party,
    PartyId,
    QuantityState,
    ShipmentOrder,
    ShipNotice,
    ShippedItem,
)
from gateway.messages.parts import DocumentPart, reassemble, split
from gateway.schemas import message_schemas

NOON = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)


def envelope() -> Envelope:
    return Envelope(
        partner="acme",
        format="csv",
        sender=PartyId(id="ACME"),
        receiver=PartyId(id="GATEWAY"),
        interchange_reference="000000846",
    )


def advice(lines: int) -> InventoryAdvice:
    return InventoryAdvice(
        envelope=envelope(),
        purpose_code="00",
        report_type="SI",
        reference="INV-BIG",
        as_of_date=dt.date(2026, 12, 5),
        facility=Party(role="WH", id_qualifier="92", id="DC-EAST"),
        lines=[
            InventoryLine(
                line_number=str(n),
                item=ItemIdentification(vendor_item_number=f"SKU-{n}"),
                quantities=[
                    InventoryQuantity(
                        state=QuantityState.ON_HAND,
                        qualifier="17",
                        quantity=Decimal(n),
                        unit_of_measure="EA",
                    )
                ],
            )
            for n in range(1, lines + 1)
        ],
    )


def ship_notice(orders: int, packs: int) -> ShipNotice:
    item = ShippedItem(
        item=ItemIdentification(upc="012345678905"),
        quantity_shipped=Decimal(1),
        unit_of_measure="EA",
    )
    return ShipNotice(
        envelope=envelope(),
        purpose_code="00",
        shipment_id="ASN-1",
        ship_date=dt.date(2026, 12, 5),
        ship_time="1200",
        orders=[
            ShipmentOrder(
                po_number=f"PO-{o}",
                packs=[Pack(sscc=f"{o}-{p}", items=[item]) for p in range(packs)],
                items=[item] if o % 2 else [],
            )
            for o in range(orders)
        ],
    )


def test_a_message_with_few_items_is_published_whole_as_before() -> None:
    message = advice(3)
    serialized = SerializedMessage.of(message, part_items=3)
    assert serialized.chunks == () and serialized.parts == 1
    [(message_id, body, headers)] = cloud_events(
        message, correlation_id="c", partner="acme", kind="846", time=NOON
    )
    assert message_id == message.document_id
    assert (body, headers) == cloud_event(
        message, correlation_id="c", partner="acme", kind="846", time=NOON
    )


@pytest.mark.parametrize(
    ("message", "part_items", "parts"),
    [(advice(10), 3, 5), (advice(10), 5, 3), (ship_notice(4, 3), 4, 5)],
    ids=["846 in 4 item parts", "846 in 2 item parts", "856 packs and items"],
)
def test_the_parts_put_back_together_are_the_message(
    message: InventoryAdvice | ShipNotice, part_items: int, parts: int
) -> None:
    serialized = stamped(
        SerializedMessage.of(message, part_items=part_items), received_at=NOON, correlation_id="c"
    )
    events = cloud_events(serialized, correlation_id="c", partner="acme", kind="846", time=NOON)
    assert len(events) == parts == serialized.parts
    datas = []
    schema = message_schemas()["DocumentPart"]
    for number, (message_id, body, headers) in enumerate(events, start=1):
        event = json.loads(body)
        assert message_id == event["id"] == f"{message.document_id}/{number}"
        assert (event["documentid"], event["part"], event["parts"]) == (
            message.document_id,
            number,
            parts,
        )
        assert headers["document_id"] == message.document_id
        assert (headers["part"], headers["parts"], headers["message_type"]) == (
            str(number),
            str(parts),
            "DocumentPart",
        )
        assert event["dataschema"].endswith("/DocumentPart.json")
        jsonschema.validate(event["data"], schema)
        DocumentPart.model_validate(event["data"])
        datas.append(event["data"])
    datas.reverse()  # in any order
    whole = reassemble(datas)
    expected = json.loads(message.model_dump_json())
    expected["envelope"]["received_at"] = "2026-12-05T12:00:00Z"
    expected["envelope"]["correlation_id"] = "c"
    assert whole == expected
    content = {key: value for key, value in whole.items() if key != "document_id"}
    assert type(message).model_validate(content).document_id == message.document_id


def test_no_part_holds_more_items_than_the_limit() -> None:
    data = json.loads(advice(12).model_dump_json())
    chunks = split(data, "InventoryAdvice", 5)
    assert chunks is not None
    assert [sum(len(e["items"]) for e in chunk) for chunk in chunks] == [5, 5, 2]
    assert data["lines"] == []  # the header


def test_a_missing_or_foreign_part_is_refused() -> None:
    events = cloud_events(
        SerializedMessage.of(advice(6), part_items=2), correlation_id="c", partner="a", kind="846"
    )
    datas = [json.loads(body)["data"] for _, body, _ in events]
    with pytest.raises(ValueError, match="parts"):
        reassemble(datas[:-1])
    with pytest.raises(ValueError, match="header"):
        reassemble(datas[1:])
    other = dict(datas[2], document_id="another")
    with pytest.raises(ValueError, match="another document"):
        reassemble([*datas[:2], other, *datas[3:]])


def test_a_message_published_whole_is_the_json_of_its_model_dump() -> None:
    """Written by pydantic (model_dump_json), byte for byte what json.dumps wrote of the dump
    before, control characters and non-ASCII text included."""
    message = advice(2)
    lines = [
        line.model_copy(update={"description": 'é漢字😀 \x01\t"q"\\/ \u2028'})
        for line in message.lines
    ]
    for model in (message, message.model_copy(update={"lines": lines}), ship_notice(2, 2)):
        expected = json.dumps(
            model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
        )
        assert SerializedMessage.of(model).data == expected

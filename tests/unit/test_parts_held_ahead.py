"""A document whose item parts were held as they were read (one huge set) is published as the
same events as the message split whole: its header's event from what is known at its end
(:class:`~gateway.messages.parts.MessageInParts`), each part held made its event from the
header's (:func:`~gateway.bus.cloudevents.later_part`)."""

from __future__ import annotations

import pytest

from gateway.bus.cloudevents import SerializedMessage, cloud_events, later_part, stamped
from gateway.messages import InventoryAdvice, ShipNotice
from gateway.messages.parts import MessageInParts, split
from tests.unit.test_message_parts import NOON, advice, ship_notice


@pytest.mark.parametrize(
    ("message", "part_items"),
    [(advice(10), 3), (ship_notice(4, 3), 4)],
    ids=["846", "856"],
)
def test_the_parts_held_ahead_are_the_events_of_the_message_split_whole(
    message: InventoryAdvice | ShipNotice, part_items: int
) -> None:
    whole = stamped(
        SerializedMessage.of(message, part_items=part_items), received_at=NOON, correlation_id="c"
    )
    expected = cloud_events(whole, correlation_id="c", partner="acme", kind="846", time=NOON)
    header = message.model_dump(mode="json")
    chunks = split(header, message.message_type, part_items)
    assert chunks is not None
    in_parts = MessageInParts(message, header, 1 + len(chunks))
    assert in_parts.document_id == message.document_id
    assert in_parts.message_type == message.message_type
    first = stamped(in_parts, received_at=NOON, correlation_id="c")
    assert first.parts == len(expected) and first.ahead == len(chunks)
    [(message_id, body, headers)] = cloud_events(
        first, correlation_id="c", partner="acme", kind="846", time=NOON
    )
    assert (message_id, body, headers) == expected[0]
    for number, (part_id, part_body, part_headers) in enumerate(expected[1:], start=2):
        entries = whole.chunks[number - 2]
        assert later_part(body, headers, number, entries) == (part_id, part_body, part_headers)
        held = entries.encode()  # as the ledger holds them (a memoryview from PostgreSQL)
        assert later_part(body, headers, number, memoryview(held))[1] == part_body


def test_later_part_refuses_what_is_not_a_first_part() -> None:
    message = advice(2)
    [(_, body, headers)] = cloud_events(
        message, correlation_id="c", partner="acme", kind="846", time=NOON
    )
    with pytest.raises(ValueError, match="first part"):
        later_part(body, {**headers, "document_id": message.document_id}, 2, "[]")

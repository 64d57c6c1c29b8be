"""The neutral canonical envelope (gateway/messages/envelope.py): any format can fill it, an X12
envelope's neutral fields always say what its X12 facts say, and what the gateway adds
(received-at, correlation id) never changes an id."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.translation import translate
from gateway.bus.cloudevents import SerializedMessage, stamped
from gateway.messages import (
    Envelope,
    Message,
    PartyId,
    PurchaseOrder,
    content_digest,
    document_id_of,
)
from tests.integration.support import ROOT

RECEIVED = dt.datetime(2026, 12, 5, 10, 30, 15, 250000, tzinfo=dt.UTC)


def purchase_order() -> PurchaseOrder:
    message = translate(next(transactions_in(ROOT / "fixtures" / "x12" / "850-004010.edi")))
    assert isinstance(message, PurchaseOrder)
    return message.model_copy(
        update={"envelope": message.envelope.model_copy(update={"partner": "acme"})}
    )


def with_arrival(message: Message, received_at: dt.datetime, correlation_id: str) -> Message:
    envelope = message.envelope.model_copy(
        update={"received_at": received_at, "correlation_id": correlation_id}
    )
    return message.model_copy(update={"envelope": envelope})


def csv_envelope(**changes: object) -> Envelope:
    values: dict[str, object] = {
        "partner": "acme",
        "format": "csv",
        "sender": PartyId(id="ACME"),
        "receiver": PartyId(id="US", qualifier="GLN"),
        "transaction_reference": "ORDERS-2026-12-05.csv:3",
        **changes,
    }
    return Envelope.model_validate(values)


def test_received_at_and_correlation_id_never_change_an_id() -> None:
    po = purchase_order()
    arrived = with_arrival(po, RECEIVED, "c-1")
    again = with_arrival(po, RECEIVED + dt.timedelta(days=3), "c-2")
    assert po.document_id == arrived.document_id == again.document_id
    assert content_digest(po) == content_digest(arrived) == content_digest(again)
    assert po.envelope.envelope_key == arrived.envelope.envelope_key == again.envelope.envelope_key


def test_an_x12_envelope_says_its_x12_facts_in_neutral_terms() -> None:
    envelope = purchase_order().envelope
    assert envelope.x12 is not None
    assert (envelope.format, envelope.sender, envelope.receiver) == (
        "x12",
        PartyId(id="ACMERETAIL", qualifier="ZZ"),
        PartyId(id="WIDGETCO", qualifier="ZZ"),
    )
    assert (
        envelope.interchange_reference,
        envelope.group_reference,
        envelope.transaction_reference,
    ) == ("000000001", "1", "0001")
    assert envelope.test is (envelope.x12.usage_indicator != "P")


def test_an_envelope_whose_neutral_fields_contradict_its_x12_facts_is_refused() -> None:
    envelope = purchase_order().envelope.model_dump()
    for field, value in [
        ("sender", {"id": "SOMEONE", "qualifier": "ZZ"}),
        ("group_reference", "2"),
        ("test", not envelope["test"]),
    ]:
        with pytest.raises(ValidationError, match=f"{field} must be what the x12 part says"):
            Envelope.model_validate({**envelope, field: value})
    with pytest.raises(ValidationError, match="x12 part"):
        Envelope.model_validate({**envelope, "x12": None})
    with pytest.raises(ValidationError, match="x12 part"):
        csv_envelope(x12=envelope["x12"])


def test_changing_x12_facts_carries_the_neutral_fields_and_the_arrival_along() -> None:
    envelope = with_arrival(purchase_order(), RECEIVED, "c-1").envelope
    renumbered = envelope.with_x12(interchange_control_number="000000777", usage_indicator="T")
    assert renumbered.interchange_reference == "000000777" and renumbered.test
    assert (renumbered.partner, renumbered.received_at, renumbered.correlation_id) == (
        "acme",
        RECEIVED,
        "c-1",
    )
    with pytest.raises(ValidationError):
        envelope.with_x12(usage_indicator="X")
    with pytest.raises(ValueError, match="csv envelope has no X12 facts"):
        csv_envelope().with_x12(version="004010")


def test_a_document_of_another_format_has_an_envelope_and_ids_of_its_own() -> None:
    envelope = csv_envelope()
    assert envelope.x12 is None and envelope.interchange_reference is None
    assert envelope.identifying_parts() == (
        "csv",
        "",
        "ACME",
        "GLN",
        "US",
        "ORDERS-2026-12-05.csv:3",
    )
    assert document_id_of(envelope, "d") != document_id_of(csv_envelope(partner="globex"), "d")
    assert envelope.envelope_key != csv_envelope(transaction_reference="other").envelope_key


def test_the_envelope_is_strict_and_frozen() -> None:
    envelope = csv_envelope()
    with pytest.raises(ValidationError, match="Extra inputs"):
        csv_envelope(sender_id="ACME")
    with pytest.raises(ValidationError, match="frozen"):
        envelope.partner = "globex"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="timezone"):
        csv_envelope(received_at=dt.datetime(2026, 12, 5, 10, 30))


def test_stamping_a_serialized_message_is_serializing_the_stamped_message() -> None:
    po = purchase_order()
    serialized = SerializedMessage.of(po).stamped(received_at=RECEIVED, correlation_id="c-1")
    expected = SerializedMessage.of(with_arrival(po, RECEIVED, "c-1"))
    assert serialized == expected
    assert serialized.data == json.dumps(
        with_arrival(po, RECEIVED, "c-1").model_dump(mode="json"),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    data = json.loads(serialized.data)
    assert data["envelope"]["received_at"] == "2026-12-05T10:30:15.250000Z"
    assert data["document_id"] == po.document_id
    later = dt.datetime(2026, 12, 5, 12, 30, 15, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert stamped(po, received_at=later, correlation_id="c-1") == serialized  # in UTC
    on_the_second = RECEIVED.replace(microsecond=0)
    for again in (  # stamped once more (the other way), and a time without microseconds
        serialized.stamped(received_at=on_the_second, correlation_id="c-2"),
        stamped(po, received_at=on_the_second, correlation_id="c-2"),
    ):
        assert again == SerializedMessage.of(with_arrival(po, on_the_second, "c-2"))
    with pytest.raises(ValidationError):
        stamped(po, received_at=dt.datetime(2026, 12, 5), correlation_id="c-1")  # naive

"""canonical -> X12 -> canonical is the identity for 850, 855 and 856, in 004010 and 005010.

Each generated message is rendered, wrapped in an interchange by the writer (sender, receiver,
usage, version, control numbers and creation time all taken from the message's envelope), read
back by the reader and parsed again; the result equals the original in every field X12 carries.
The envelope fields only the gateway knows (:data:`NOT_IN_X12`: the partner, when and under which
correlation id the file came) are left out of the comparison: no X12 element holds them. The
rendered documents also validate clean against the implementation maps.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.segments import Separators
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import render_message, translate
from gateway.control_numbers import InMemoryCounter
from gateway.messages import Message, PurchaseOrder, PurchaseOrderAck, ShipNotice
from tests.unit.x12.strategies_added import (
    purchase_order_acks_with_added as purchase_order_acks,
)
from tests.unit.x12.strategies_added import purchase_orders_with_added as purchase_orders
from tests.unit.x12.strategies_added import ship_notices_with_added as ship_notices

NOT_IN_X12 = {"partner": None, "received_at": None, "correlation_id": None}
"""The envelope fields X12 cannot carry, as a message read from X12 alone has them."""

ROUND_TRIP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALTERNATIVE_SEPARATORS = [
    pytest.param(Separators(element="|", component=">", segment="\n", line_break=""), id="pipe-lf"),
    pytest.param(
        Separators(element="\x1d", component="\\", segment="\x1c", repetition="`", line_break=""),
        id="control-characters",
    ),
]


def parse(tx: TransactionSet) -> Message:
    message = translate(tx)
    assert isinstance(message, Message)
    return message


def interchange_text(message: Message, separators: Separators | None = None) -> str:
    """``message`` as a whole interchange, every envelope value taken from its envelope."""
    return render_message(
        message,
        InMemoryCounter(),
        separators=separators,
        keep_control_numbers=True,
        at=x12_facts(message.envelope).created_at,
    )


def read_back(text: str) -> TransactionSet:
    [tx] = list(transactions_in(text.encode()))
    assert tx.findings == [], "the reader found problems in the envelope the writer wrote"
    return tx


def carried(message: Message) -> Message:
    """``message`` as X12 carries it: without the envelope fields of :data:`NOT_IN_X12`."""
    return message.model_copy(update={"envelope": message.envelope.model_copy(update=NOT_IN_X12)})


def assert_round_trip(message: Message, separators: Separators | None = None) -> None:
    again = parse(read_back(interchange_text(message, separators)))
    assert again == carried(message)
    assert again.document_id == carried(message).document_id


@ROUND_TRIP
@given(purchase_orders())
def test_purchase_order_survives_render_and_parse(message: PurchaseOrder) -> None:
    assert_round_trip(message)


@ROUND_TRIP
@given(purchase_order_acks())
def test_purchase_order_ack_survives_render_and_parse(message: PurchaseOrderAck) -> None:
    assert_round_trip(message)


@ROUND_TRIP
@given(ship_notices())
def test_ship_notice_survives_render_and_parse(message: ShipNotice) -> None:
    assert_round_trip(message)


@pytest.mark.parametrize("separators", ALTERNATIVE_SEPARATORS)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.one_of(purchase_orders(), purchase_order_acks(), ship_notices()))
def test_round_trip_holds_with_other_separators(message: Message, separators: Separators) -> None:
    text = interchange_text(message, separators)
    assert "~" not in text and "*" not in text
    assert_round_trip(message, separators)


def test_rendered_documents_validate_clean_against_the_maps() -> None:
    from adapters.formats.x12.pyx12_engine import Pyx12Validator

    validator = Pyx12Validator()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(message=st.one_of(purchase_orders(), purchase_order_acks(), ship_notices()))
    def validates_clean(message: Message) -> None:
        tx = read_back(interchange_text(message))
        assert validator.supports(tx)
        findings = validator.validate(tx).findings
        assert findings == [], "\n".join(
            f"{f.code} {f.element or f.segment_id}: {f.message}" for f in findings
        )

    validates_clean()

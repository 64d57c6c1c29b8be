"""The outcome rules of reconciliation: what a partner's 997/999/TA1 makes of a document we sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from adapters.formats.x12.reconcile import (
    answers_for,
    interchange_verdict,
    same_number,
    set_verdict,
)
from gateway.ledger.outbound import OutboundRow, OutboundState
from gateway.messages import (
    ElementError,
    Envelope,
    FunctionalAck,
    InterchangeAck,
    SegmentError,
    TransactionSetAck,
    X12Envelope,
)

ENVELOPE = Envelope.of_x12(
    X12Envelope(
        sender_qualifier="ZZ",
        sender_id="ACME",
        receiver_qualifier="ZZ",
        receiver_id="GATEWAY",
        interchange_control_number="000000901",
        interchange_version="00401",
        application_sender="ACME",
        application_receiver="GATEWAY",
        group_control_number="901",
        version="004010",
        transaction_control_number="0001",
    )
)


def functional_ack(
    group_status: str, *sets: TransactionSetAck, codes: tuple[str, ...] = (), kind: str = "997"
) -> FunctionalAck:
    return FunctionalAck(
        envelope=ENVELOPE,
        kind=kind,
        functional_id="SH",
        group_control_number="42",
        status=group_status,
        transaction_sets_included=1,
        transaction_sets_received=1,
        transaction_sets_accepted=1 if group_status in "AEP" else 0,
        error_codes=list(codes),
        transactions=list(sets),
    )


def set_ack(
    status: str, *codes: str, errors: list[SegmentError] | None = None
) -> TransactionSetAck:
    return TransactionSetAck(
        transaction_set_id="856",
        control_number="0001",
        status=status,
        error_codes=list(codes),
        segment_errors=errors or [],
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("A", OutboundState.ACCEPTED),
        ("E", OutboundState.ACCEPTED_WITH_ERRORS),
        ("R", OutboundState.REJECTED),
        ("M", OutboundState.REJECTED),
        ("W", OutboundState.REJECTED),
        ("X", OutboundState.REJECTED),
    ],
)
def test_the_sets_ak5_decides_when_the_group_is_not_rejected(
    status: str, state: OutboundState
) -> None:
    verdict = set_verdict(functional_ack("P", set_ack(status, "5")), set_ack(status, "5"))
    assert (verdict.state, verdict.status, verdict.decided_by) == (state, status, "AK5")
    assert verdict.codes == ("5",)


def test_a_999_names_ik5_as_what_decided() -> None:
    ack = functional_ack("A", set_ack("A"), kind="999")
    assert set_verdict(ack, ack.transactions[0]).decided_by == "IK5"


def test_a_rejection_keeps_the_segment_and_element_errors() -> None:
    error = SegmentError(
        segment_id="TD5",
        position=4,
        error_code="8",
        elements=[ElementError(position=3, reference_number="67", error_code="1")],
    )
    answer = set_ack("R", "5", errors=[error])
    verdict = set_verdict(functional_ack("R", answer, codes=("5",)), answer)
    assert verdict.state is OutboundState.REJECTED
    assert verdict.codes == ("5", "5")  # the set's AK502 and the group's AK905
    [segment] = verdict.segment_errors
    assert segment["segment_id"] == "TD5" and segment["elements"][0]["error_code"] == "1"


@pytest.mark.parametrize("group_status", ["R", "M", "W", "X"])
def test_a_rejected_group_rejects_its_sets_whatever_their_ak5_says(group_status: str) -> None:
    answer = set_ack("A")
    verdict = set_verdict(functional_ack(group_status, answer, codes=("4",)), answer)
    assert (verdict.state, verdict.decided_by, verdict.codes) == (
        OutboundState.REJECTED,
        "AK9",
        ("4",),
    )


@pytest.mark.parametrize(
    ("group_status", "state"),
    [
        ("A", OutboundState.ACCEPTED),
        ("P", OutboundState.ACCEPTED),  # partially accepted: the sets not listed were accepted
        ("E", OutboundState.ACCEPTED_WITH_ERRORS),
        ("R", OutboundState.REJECTED),
    ],
)
def test_without_an_ak2_for_the_set_the_ak9_decides(
    group_status: str, state: OutboundState
) -> None:
    verdict = set_verdict(functional_ack(group_status), None)
    assert (verdict.state, verdict.decided_by) == (state, "AK9")


def ta1(status: str, note: str) -> InterchangeAck:
    return InterchangeAck(
        envelope=Envelope.of_x12(
            X12Envelope(
                sender_qualifier="ZZ",
                sender_id="ACME",
                receiver_qualifier="ZZ",
                receiver_id="GATEWAY",
                interchange_control_number="000000905",
                interchange_version="00401",
            )
        ),
        interchange_control_number="000000017",
        interchange_date=dt.date(2026, 11, 30),
        interchange_time="1200",
        status=status,
        note_code=note,
    )


def test_a_rejecting_ta1_rejects_with_its_note_code() -> None:
    verdict = interchange_verdict(ta1("R", "022"))
    assert verdict is not None
    assert (verdict.state, verdict.decided_by, verdict.codes) == (
        OutboundState.REJECTED,
        "TA1",
        ("022",),
    )


@pytest.mark.parametrize("status", ["A", "E"])
def test_an_accepting_ta1_leaves_the_state_to_the_functional_ack(status: str) -> None:
    assert interchange_verdict(ta1(status, "000")) is None


def test_control_numbers_compare_as_numbers_when_both_are_digits() -> None:
    assert same_number("0001", "1")
    assert same_number("000000017", "17")
    assert not same_number("0001", "0002")
    assert same_number("A1", "A1") and not same_number("A1", "a1")
    assert not same_number(None, "1")


def outbound_row(**values: Any) -> OutboundRow:
    now = dt.datetime.now(dt.UTC)
    defaults: dict[str, Any] = {
        "id": 1,
        "request_id": "r1",
        "partner": "acme",
        "kind": "856",
        "document_id": "d1",
        "correlation_id": "c1",
        "state": OutboundState.SENT,
        "sender_qualifier": "ZZ",
        "sender_id": "GATEWAY",
        "receiver_qualifier": "ZZ",
        "receiver_id": "ACME",
        "group_kind": "SH",
        "interchange_ref": "000000017",
        "group_ref": "42",
        "transaction_ref": "0001",
        "file_name": None,
        "content": None,
        "request": None,
        "ack_due_at": None,
        "ack": None,
        "detail": None,
        "created_at": now,
        "updated_at": now,
    }
    return OutboundRow(**{**defaults, **values})


def test_an_ack_answers_only_from_the_partners_id_to_ours() -> None:
    assert answers_for(outbound_row(), ENVELOPE)
    assert not answers_for(outbound_row(receiver_id="OTHER"), ENVELOPE)
    assert not answers_for(outbound_row(sender_id="SOMEONE"), ENVELOPE)
    assert answers_for(outbound_row(sender_id=None, receiver_id=None), ENVELOPE)

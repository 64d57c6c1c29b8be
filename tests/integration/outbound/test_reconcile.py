"""End to end on the real RabbitMQ and both ledgers: a partner's 997/999/TA1 dropped into the inbox
settles the outbound document it answers for, is recorded in ``partner_acks`` and announced on
``edi.events``; copies and strangers are recorded, not applied; a document nobody answers goes
overdue once."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import pika
import pytest
from sqlalchemy import insert, select

from adapters.formats.x12 import reconcile as reconcile_module
from adapters.formats.x12.translation import render_message
from gateway import ledger as repository
from gateway.acks_table import print_acks
from gateway.control_numbers import InMemoryCounter
from gateway.ledger.models import DOCUMENTS, OUTBOUND_DOCUMENTS
from gateway.ledger.outbound import OutboundRow, OutboundState, outbound_by_id
from gateway.ledger.reconciliation import (
    AckOutcome,
    PartnerAckRow,
    partner_acks_of_outbound,
    recent_partner_acks,
)
from gateway.messages import (
    ElementError,
    Envelope,
    FunctionalAck,
    SegmentError,
    TransactionSetAck,
    X12Envelope,
)
from gateway.outbound.overdue import mark_overdue
from gateway.outbound.status import STATUS_EXCHANGE
from gateway.runtime.daemon import Gateway
from tests.integration.support import (
    drop,
    in_process_gateway,
    run_once,
    small_850,
    take_all,
)
from tests.support.broker import AMQP_URL

OURS = "GATEWAY"
THEIRS = "ACME"


Channel: TypeAlias = pika.adapters.blocking_connection.BlockingChannel


@contextmanager
def status_events(partner: str) -> Iterator[tuple[Channel, str]]:
    """A private queue bound to the status exchange for ``partner``'s events; deleted after."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.exchange_declare(STATUS_EXCHANGE, exchange_type="topic", durable=True)
    queue = f"test.{uuid.uuid4().hex[:12]}"
    channel.queue_declare(queue, durable=False, auto_delete=False, exclusive=False)
    channel.queue_bind(queue, STATUS_EXCHANGE, f"edi.status.*.{partner}")
    try:
        yield channel, queue
    finally:
        channel.queue_delete(queue)
        connection.close()


def events(channel: Channel, queue: str) -> list[tuple[pika.spec.BasicProperties, dict[str, Any]]]:
    return [(properties, json.loads(body)) for properties, body in take_all(channel, queue)]


def sent_856(
    gw: Gateway,
    partner: str,
    *,
    interchange_ref: int,
    group_ref: int,
    transaction_ref: str = "0001",
    due: dt.datetime | None = None,
    state: OutboundState = OutboundState.SENT,
) -> int:
    """An 856 recorded as the outbound half records one it sent to ``partner``; returns its id."""
    now = dt.datetime.now(dt.UTC)
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    with gw.pipeline.factory.begin() as s:
        outbound_id: int = (
            s.connection()
            .execute(
                insert(OUTBOUND_DOCUMENTS).returning(OUTBOUND_DOCUMENTS.c.id),
                {
                    "request_id": request_id,
                    "partner": partner,
                    "kind": "856",
                    "document_id": f"doc-{request_id}",
                    "correlation_id": f"corr-{request_id}",
                    "state": state.value,
                    "sender_qualifier": "ZZ",
                    "sender_id": OURS,
                    "receiver_qualifier": "ZZ",
                    "receiver_id": THEIRS,
                    "group_kind": "SH",
                    "interchange_ref": f"{interchange_ref:09d}",
                    "group_ref": str(group_ref),
                    "transaction_ref": transaction_ref,
                    "file_name": f"856-{interchange_ref:09d}.x12",
                    "content": None,
                    "request": None,
                    "ack_due_at": due or now + dt.timedelta(hours=24),
                    "ack": None,
                    "detail": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            .scalar_one()
        )
    return outbound_id


def functional_ack_x12(
    isa13: int,
    acked_gs06: int,
    *sets: TransactionSetAck,
    group_status: str = "A",
    kind: str = "997",
    sender: str = THEIRS,
) -> bytes:
    """The partner's 997 (004010) or 999 (005010), written by the gateway's own renderer."""
    version = "004010" if kind == "997" else "005010X231A1"
    envelope = Envelope.of_x12(
        X12Envelope(
            sender_qualifier="ZZ",
            sender_id=sender,
            receiver_qualifier="ZZ",
            receiver_id=OURS,
            interchange_control_number=str(isa13),
            interchange_version="00401" if kind == "997" else "00501",
            application_sender=sender,
            application_receiver=OURS,
            group_control_number=str(isa13),
            version=version,
            transaction_control_number="0001",
            implementation_reference=None if kind == "997" else version,
        )
    )
    accepted = sum(1 for s in sets if s.status in ("A", "E"))
    ack = FunctionalAck(
        envelope=envelope,
        kind=kind,
        functional_id="SH",
        group_control_number=str(acked_gs06),
        group_version=None if kind == "997" else "005010",
        status=group_status,
        transaction_sets_included=max(1, len(sets)),
        transaction_sets_received=max(1, len(sets)),
        transaction_sets_accepted=accepted,
        transactions=list(sets),
    )
    return render_message(ack, InMemoryCounter(), keep_control_numbers=True).encode()


def accepted_set(st02: str = "0001") -> TransactionSetAck:
    return TransactionSetAck(transaction_set_id="856", control_number=st02, status="A")


def rejected_set(st02: str = "0001") -> TransactionSetAck:
    return TransactionSetAck(
        transaction_set_id="856",
        control_number=st02,
        status="R",
        error_codes=["5"],
        segment_errors=[
            SegmentError(
                segment_id="TD5",
                position=4,
                error_code="8",
                elements=[
                    ElementError(position=3, reference_number="67", error_code="1", bad_value="Z")
                ],
            )
        ],
    )


def ta1_x12(isa13: int, acked_isa13: int, status: str, note: str) -> bytes:
    segments = [
        f"ISA*00*          *00*          *ZZ*{THEIRS:<15}*ZZ*{OURS:<15}*261130*1200*U*00401*"
        f"{isa13:09d}*0*P*>",
        f"TA1*{acked_isa13:09d}*261130*1100*{status}*{note}",
        f"IEA*0*{isa13:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def row(gw: Gateway, outbound_id: int) -> OutboundRow:
    with gw.pipeline.factory.begin() as s:
        found = outbound_by_id(s, outbound_id)
    assert found is not None
    return found


def acks_of(gw: Gateway, outbound_id: int) -> list[PartnerAckRow]:
    with gw.pipeline.factory.begin() as s:
        return partner_acks_of_outbound(s, outbound_id)


# -- 997 / 999 -----------------------------------------------------------------------------------


def test_a_997_for_a_sent_856_accepts_it_and_announces_it(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    outbound_id = sent_856(gw, partner, interchange_ref=17, group_ref=17)
    drop(tmp_path / "inbox", partner, "997.x12", functional_ack_x12(901, 17, accepted_set()))
    with status_events(partner) as (channel, queue):
        run_once(gw)
        [(properties, event)] = events(channel, queue)
    settled = row(gw, outbound_id)
    assert settled.state is OutboundState.ACCEPTED
    assert settled.ack is not None
    assert (settled.ack["kind"], settled.ack["status"], settled.ack["decided_by"]) == (
        "997",
        "A",
        "AK5",
    )
    assert settled.ack["group"]["control_number"] == "17"
    [ack] = acks_of(gw, outbound_id)
    assert ack.outcome is AckOutcome.APPLIED and ack.kind == "997"
    assert (ack.acknowledged_interchange, ack.acknowledged_group, ack.acknowledged_transaction) == (
        "000000017",
        "17",
        "0001",
    )
    # the status event, correlated to the request
    assert event["type"] == "edi.out.status.accepted"
    assert event["id"] == properties.message_id == f"{settled.request_id}:accepted"
    assert event["correlationid"] == properties.correlation_id == settled.correlation_id
    assert event["data"]["request_id"] == settled.request_id
    assert event["data"]["document_id"] == settled.document_id
    assert event["data"]["detail"]["decided_by"] == "AK5"
    with gw.pipeline.factory.begin() as s:
        kinds = [e.kind for e in repository.timeline(s, settled.document_id or "")]
    assert "outbound.accepted" in kinds


def test_a_rejecting_997_rejects_the_856_with_the_partners_codes(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    outbound_id = sent_856(gw, partner, interchange_ref=18, group_ref=18)
    rejecting = functional_ack_x12(902, 18, rejected_set(), group_status="R")
    drop(tmp_path / "inbox", partner, "997.x12", rejecting)
    with status_events(partner) as (channel, queue):
        run_once(gw)
        [(_, event)] = events(channel, queue)
    settled = row(gw, outbound_id)
    assert settled.state is OutboundState.REJECTED
    assert settled.ack is not None
    assert settled.ack["codes"] == ["5"]
    [segment] = settled.ack["segment_errors"]
    assert (segment["segment_id"], segment["position"], segment["error_code"]) == ("TD5", 4, "8")
    assert segment["elements"][0] == {
        "position": 3,
        "component_position": None,
        "repetition_position": None,
        "reference_number": "67",
        "error_code": "1",
        "bad_value": "Z",
    }
    assert event["type"] == "edi.out.status.rejected"
    assert event["data"]["detail"]["segment_errors"][0]["segment_id"] == "TD5"
    assert [a.outcome for a in acks_of(gw, outbound_id)] == [AckOutcome.APPLIED]


def test_a_999_accepts_a_005010_856(tmp_path: Path, database_url: str, partner: str) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    outbound_id = sent_856(gw, partner, interchange_ref=19, group_ref=19)
    drop(
        tmp_path / "inbox",
        partner,
        "999.x12",
        functional_ack_x12(903, 19, accepted_set(), kind="999"),
    )
    with status_events(partner) as (channel, queue):
        run_once(gw)
        [(_, event)] = events(channel, queue)
    settled = row(gw, outbound_id)
    assert settled.state is OutboundState.ACCEPTED
    assert settled.ack is not None and settled.ack["decided_by"] == "IK5"
    assert settled.ack["kind"] == "999"
    assert event["data"]["state"] == "accepted"


def test_an_ak9_without_ak2_settles_the_set_it_does_not_list(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    outbound_id = sent_856(gw, partner, interchange_ref=20, group_ref=20)
    drop(tmp_path / "inbox", partner, "997.x12", functional_ack_x12(904, 20, group_status="E"))
    run_once(gw)
    settled = row(gw, outbound_id)
    assert settled.state is OutboundState.ACCEPTED_WITH_ERRORS
    assert settled.ack is not None and settled.ack["decided_by"] == "AK9"


# -- TA1 -----------------------------------------------------------------------------------------


def test_a_rejecting_ta1_rejects_the_interchange_and_an_accepting_one_is_only_noted(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    rejected = sent_856(gw, partner, interchange_ref=21, group_ref=21)
    noted = sent_856(gw, partner, interchange_ref=22, group_ref=22)
    drop(tmp_path / "inbox", partner, "ta1-r.x12", ta1_x12(905, 21, "R", "022"))
    drop(tmp_path / "inbox", partner, "ta1-a.x12", ta1_x12(906, 22, "A", "000"))
    with status_events(partner) as (channel, queue):
        run_once(gw)
        [(_, event)] = events(channel, queue)
    assert event["type"] == "edi.out.status.rejected"
    settled = row(gw, rejected)
    assert settled.state is OutboundState.REJECTED
    assert settled.ack is not None
    assert (settled.ack["decided_by"], settled.ack["codes"]) == ("TA1", ["022"])
    [ack] = acks_of(gw, rejected)
    assert (ack.kind, ack.outcome, ack.acknowledged_interchange) == (
        "ta1",
        AckOutcome.APPLIED,
        "000000021",
    )
    waiting = row(gw, noted)
    assert waiting.state is OutboundState.SENT and waiting.ack is None
    assert [a.outcome for a in acks_of(gw, noted)] == [AckOutcome.NOTED]


# -- not applied twice, not applied to strangers ---------------------------------------------------


def test_the_same_answer_again_is_recorded_as_already_reconciled_not_applied_twice(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    outbound_id = sent_856(gw, partner, interchange_ref=23, group_ref=23)
    with status_events(partner) as (channel, queue):
        drop(tmp_path / "inbox", partner, "997.x12", functional_ack_x12(907, 23, accepted_set()))
        run_once(gw)
        # the partner answers again, in a new interchange, and this time says rejected
        again = functional_ack_x12(908, 23, rejected_set(), group_status="R")
        drop(tmp_path / "inbox", partner, "997-again.content", again)
        run_once(gw)
        assert [e["type"] for _, e in events(channel, queue)] == ["edi.out.status.accepted"]
    settled = row(gw, outbound_id)
    assert settled.state is OutboundState.ACCEPTED
    assert settled.ack is not None and settled.ack["status"] == "A"
    first, second = acks_of(gw, outbound_id)
    assert (first.outcome, second.outcome) == (AckOutcome.APPLIED, AckOutcome.ALREADY_RECONCILED)
    assert second.detail is not None and second.detail["this_says"] == "rejected"
    with gw.pipeline.factory.begin() as s:
        kinds = [e.kind for e in repository.timeline(s, settled.document_id or "")]
    assert kinds.count("outbound.accepted") == 1 and "partner_ack_ignored" in kinds


def test_acks_for_documents_we_never_sent_are_recorded_as_unmatched(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    ours = sent_856(gw, partner, interchange_ref=24, group_ref=24)
    drop(tmp_path / "inbox", partner, "a.x12", functional_ack_x12(909, 99, accepted_set()))
    # right group number, but from an id we never sent it to
    stranger = functional_ack_x12(910, 24, accepted_set(), sender="SOMEONE")
    drop(tmp_path / "inbox", partner, "b.x12", stranger)
    drop(tmp_path / "inbox", partner, "c.x12", ta1_x12(911, 98, "R", "022"))
    with status_events(partner) as (channel, queue):
        run_once(gw)
        assert events(channel, queue) == []
    assert row(gw, ours).state is OutboundState.SENT
    with gw.pipeline.factory.begin() as s:
        recorded = recent_partner_acks(s, partner=partner)
    assert sorted(
        (a.kind, a.acknowledged_interchange, a.acknowledged_group, a.outcome) for a, o in recorded
    ) == [
        ("997", None, "24", AckOutcome.UNMATCHED),
        ("997", None, "99", AckOutcome.UNMATCHED),
        ("ta1", "000000098", None, AckOutcome.UNMATCHED),
    ]
    assert all(o is None for _, o in recorded)


# -- overdue -------------------------------------------------------------------------------------


def test_an_unanswered_856_goes_overdue_once_and_a_late_997_still_accepts_it(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    late = sent_856(gw, partner, interchange_ref=25, group_ref=25, due=past)
    not_yet = sent_856(gw, partner, interchange_ref=26, group_ref=26)
    with status_events(partner) as (channel, queue):
        run_once(gw)  # the sweep at the end of a run --once
        [(_, event)] = events(channel, queue)
        assert event["type"] == "edi.out.status.overdue"
        assert event["data"]["detail"]["interchange_ref"] == "000000025"
        assert row(gw, late).state is OutboundState.OVERDUE
        assert row(gw, not_yet).state is OutboundState.SENT
        # the next sweep finds nothing more to say
        assert mark_overdue(gw.pipeline.factory) == 0
        run_once(gw)
        assert events(channel, queue) == []
        # the partner answers after all
        drop(tmp_path / "inbox", partner, "997.x12", functional_ack_x12(912, 25, accepted_set()))
        run_once(gw)
        [(_, event)] = events(channel, queue)
    assert event["type"] == "edi.out.status.accepted"
    assert row(gw, late).state is OutboundState.ACCEPTED


def test_the_daemon_marks_a_document_overdue_after_a_short_deadline(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url, overdue_check_interval=0.2)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    outbound_id = sent_856(gw, partner, interchange_ref=27, group_ref=27, due=soon)
    stop = threading.Event()
    with status_events(partner) as (channel, queue):
        daemon = threading.Thread(target=gw.run, args=(stop,), daemon=True)
        daemon.start()
        try:
            received: list[tuple[pika.spec.BasicProperties, dict[str, Any]]] = []
            deadline = time.monotonic() + 30
            while not received and time.monotonic() < deadline:
                time.sleep(0.2)
                received = events(channel, queue)
            time.sleep(1.0)  # a few more sweeps: still one event
            received += events(channel, queue)
        finally:
            stop.set()
            gw.source.wake()
            daemon.join(60)
    assert [e["type"] for _, e in received] == ["edi.out.status.overdue"]
    assert row(gw, outbound_id).state is OutboundState.OVERDUE


# -- the acks command ----------------------------------------------------------------------------


def test_the_acks_command_lists_outcomes_and_overdue_documents(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    sent_856(gw, partner, interchange_ref=28, group_ref=28)
    sent_856(
        gw,
        partner,
        interchange_ref=29,
        group_ref=29,
        due=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
    )
    drop(tmp_path / "inbox", partner, "997.x12", functional_ack_x12(913, 28, rejected_set()))
    drop(tmp_path / "inbox", partner, "stray.x12", functional_ack_x12(914, 77, accepted_set()))
    run_once(gw)
    with gw.pipeline.factory.begin() as s:
        table = io.StringIO()
        print_acks(s, overdue=False, partner=partner, limit=50, as_json=False, out=table)
        as_json = io.StringIO()
        print_acks(s, overdue=False, partner=partner, limit=50, as_json=True, out=as_json)
        overdue = io.StringIO()
        print_acks(s, overdue=True, partner=partner, limit=50, as_json=False, out=overdue)
        nobody = io.StringIO()
        print_acks(s, overdue=True, partner="nobody", limit=50, as_json=False, out=nobody)
    header, *lines = table.getvalue().splitlines()
    assert header.split()[:6] == [
        "RECEIVED",
        "PARTNER",
        "ACK",
        "INTERCHANGE",
        "GROUP",
        "TRANSACTION",
    ]
    assert len(lines) == 2
    assert any("applied" in line and "5" in line and "rejected" in line for line in lines)
    assert any("unmatched" in line and " 77 " in line for line in lines)
    outcomes = sorted(line["outcome"] for line in json.loads(as_json.getvalue()))
    assert outcomes == ["applied", "unmatched"]
    [overdue_line] = overdue.getvalue().splitlines()[1:]
    assert "000000029" in overdue_line and "overdue" in overdue_line
    assert nobody.getvalue() == "no acknowledgement is overdue (partner nobody)\n"


def test_a_failure_while_reconciling_is_recorded_and_does_not_hold_the_file_back(
    tmp_path: Path, database_url: str, partner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    outbound_id = sent_856(gw, partner, interchange_ref=23, group_ref=23)

    def half_done_then_broken(self: Any, ack: FunctionalAck) -> None:
        repository.add_event(self.s, kind="note", message="half done", document_id="x")
        raise KeyError("AK9")

    monkeypatch.setattr(reconcile_module._Reconciliation, "functional", half_done_then_broken)
    drop(tmp_path / "inbox", partner, "997.x12", functional_ack_x12(907, 23, accepted_set()))
    drop(tmp_path / "inbox", partner, "po.x12", small_850(41, sender=THEIRS))
    run_once(gw)

    assert sorted(p.name.rsplit("-", 1)[-1] for p in (tmp_path / "archive").rglob("*.x12")) == [
        "997.x12",
        "po.x12",
    ]
    assert not list((tmp_path / "var" / "work").rglob("*__*"))
    assert row(gw, outbound_id).state is OutboundState.SENT  # still open: it will go overdue
    assert acks_of(gw, outbound_id) == []
    with gw.pipeline.factory.begin() as s:
        ack_id = s.execute(
            select(DOCUMENTS.c.document_id).where(
                DOCUMENTS.c.partner == partner, DOCUMENTS.c.kind == "997"
            )
        ).scalar_one()
        timeline = repository.timeline(s, ack_id)
        assert repository.timeline(s, "x") == []  # the half done work was undone
    [failed] = [e for e in timeline if e.kind == "reconcile_failed"]
    assert "KeyError" in failed.message and "stays open" in failed.message

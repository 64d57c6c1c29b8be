"""Hostile and careless partners: counters reset, two of our ids, repeated numbers in one file,
sets the gateway does not translate, spoofed sender ids, test interchanges (issue 20, items 1-6).

Every case runs the real gateway (``run --once`` in this process) on both ledgers, the real
broker and real files, and checks that nothing is lost, nothing doubled, the rest flows and the
cause is visible. The rule behind items 1-3: a document's id comes from what identifies it
(partner, both parties' ids, control numbers, a digest of its content), so equal ids mean the same
document and different documents never share one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pika
import pytest
from pika.adapters.blocking_connection import BlockingChannel as Channel

from gateway import ledger as repository
from gateway.bus.topology import EVENTS_EXCHANGE
from gateway.runtime.daemon import Gateway
from tests.integration.support import bound_queue, drop, in_process_gateway, run_once, take_all
from tests.support.x12_files import order, remittance, repeated_group


def write_profile(home: Path, partner: str, lines: str, *, partner_id: str = "ACME") -> None:
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{partner}.toml").write_text(
        f'[x12]\nsender_id = "GATEWAY"\nreceiver_id = "{partner_id}"\n{lines}\n'
    )


@contextmanager
def listening(partner: str) -> Iterator[tuple[Channel, str, str, str]]:
    """Queues for the partner's production documents, its test documents and its notices."""
    with (
        bound_queue(f"edi.in.*.{partner}") as (channel, production),
        bound_queue(f"edi.test.*.{partner}") as (_, test),
        bound_queue(f"edi.notice.*.{partner}", EVENTS_EXCHANGE) as (_, notices),
    ):
        yield channel, production, test, notices


def bodies(channel: Channel, queue: str) -> list[tuple[pika.spec.BasicProperties, Any]]:
    return [(props, json.loads(body)) for props, body in take_all(channel, queue)]


def acks(home: Path, partner: str) -> list[str]:
    return sorted(path.read_text() for path in (home / "outbox" / partner).glob("*.x12"))


def documents(gw: Gateway, partner: str) -> dict[str, int]:
    with gw.pipeline.factory.begin() as s:
        return repository.status(s, dt.datetime.now(dt.UTC)).documents.get(partner, {})


def quarantined(home: Path, partner: str) -> list[dict[str, Any]]:
    folder = home / "quarantine" / partner
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.error.json"))]


# -- 1. counters reset: other content under the same control numbers --------------------------


def test_other_content_under_reused_control_numbers_is_published_with_a_finding_and_notice(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, notices):
        drop(tmp_path / "inbox", partner, "first.edi", order(7101, "A-1"))
        run_once(gw)
        drop(tmp_path / "inbox", partner, "after-reset.edi", order(7101, "B-2"))
        run_once(gw)
        published = bodies(channel, production)
        [(_, event)] = bodies(channel, notices)
    assert [body["data"]["po_number"] for _, body in published] == ["A-1", "B-2"]
    first, second = (props.message_id for props, _ in published)
    assert first != second  # equal ids would mean the same document
    assert event["type"] == "edi.in.notice.control_numbers_reused"
    assert event["data"]["document_id"] == second
    assert event["data"]["detail"]["earlier_document"] == first
    assert all("AK5*A" in ack and "AK5*R" not in ack for ack in acks(tmp_path, partner))
    assert documents(gw, partner) == {"published": 2}
    with gw.pipeline.factory.begin() as s:
        timeline = repository.timeline(s, second)
    reused = [e for e in timeline if (e.detail or {}).get("finding") == "control_numbers_reused"]
    assert reused, [(e.kind, e.message, e.detail) for e in timeline]


def test_a_partner_policy_refuses_reused_control_numbers_with_a_ta1_025(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    write_profile(tmp_path, partner, 'control_numbers_reused = "reject"')
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, notices):
        drop(tmp_path / "inbox", partner, "first.edi", order(7102, "A-1"))
        run_once(gw)
        drop(tmp_path / "inbox", partner, "first-again.edi", order(7102, "A-1") + b"\n")
        drop(tmp_path / "inbox", partner, "after-reset.edi", order(7102, "B-2"))
        run_once(gw)
        published = bodies(channel, production)
        announced = bodies(channel, notices)
    # no control_numbers_reused notice: the refused file is quarantined, and that is announced
    assert [(e["type"], e["data"]["detail"]["file"]) for _, e in announced] == [
        ("edi.in.notice.quarantined", "after-reset.edi")
    ]
    assert [body["data"]["po_number"] for _, body in published] == ["A-1"]
    answers = acks(tmp_path, partner)
    [ta1] = [ack for ack in answers if "TA1*" in ack]
    assert "*R*025~" in ta1 and "AK5" not in ta1  # the TA1 is the refused interchange's only ack
    [report] = quarantined(tmp_path, partner)
    assert report["file"] == "after-reset.edi"
    assert any("control numbers used before" in f["message"] for f in report["findings"])
    assert documents(gw, partner) == {"published": 1, "duplicate": 1, "failed": 1}


# -- 2. one partner, two of our ids -------------------------------------------------------------


def test_the_same_interchange_number_sent_to_two_of_our_ids_is_two_documents(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "east.edi", order(7201, "EAST-1", receiver="GW-EAST"))
        drop(tmp_path / "inbox", partner, "west.edi", order(7201, "WEST-1", receiver="GW-WEST"))
        run_once(gw)
        published = bodies(channel, production)
    assert sorted(body["data"]["po_number"] for _, body in published) == ["EAST-1", "WEST-1"]
    assert documents(gw, partner) == {"published": 2}


# -- 3. the same group or interchange number twice in one file ----------------------------------


def test_a_repeated_group_number_in_one_interchange_is_rejected_not_published_under_one_id(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "two-groups.edi", repeated_group(7301, "FIRST", "SECOND"))
        run_once(gw)
        published = bodies(channel, production)
    assert [body["data"]["po_number"] for _, body in published] == ["FIRST"]
    [answer] = acks(tmp_path, partner)
    assert "AK9*A*1*1*1~" in answer and "AK9*R*1*1*1*6~" in answer
    [report] = quarantined(tmp_path, partner)
    assert any(f["code"] == "envelope.gs_duplicate_control_number" for f in report["findings"])
    ids = [doc["document_id"] for doc in report["documents"]]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert documents(gw, partner) == {"published": 1, "failed": 1}


def test_a_repeated_interchange_number_in_one_file_is_rejected_with_a_ta1_025(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    text = order(7302, "FIRST") + order(7302, "SECOND")
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "twice.edi", text)
        run_once(gw)
        published = bodies(channel, production)
    assert [body["data"]["po_number"] for _, body in published] == ["FIRST"]
    answers = "".join(acks(tmp_path, partner))
    assert "TA1*000007302*261123*1200*R*025~" in answers
    assert documents(gw, partner) == {"published": 1, "failed": 1}


# -- 4. sets the gateway does not translate ------------------------------------------------------


def test_a_set_the_gateway_cannot_translate_is_rejected_in_its_997_and_reported(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "remittance.edi", remittance(7401, "REM-9"))
        drop(tmp_path / "inbox", partner, "order.edi", order(7402, "PO-10"))
        run_once(gw)
        published = bodies(channel, production)
    assert [body["data"]["po_number"] for _, body in published] == ["PO-10"]
    [answer] = [ack for ack in acks(tmp_path, partner) if "AK2*820" in ack]
    assert "AK5*R*1~" in answer and "AK9*R*1*1*0~" in answer
    [report] = quarantined(tmp_path, partner)
    assert report["file"] == "remittance.edi"
    assert any(f["code"] == "translation.unsupported" for f in report["findings"])
    assert documents(gw, partner) == {"published": 1, "failed": 1}


def test_a_partner_may_take_untranslated_sets_as_their_segments(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    write_profile(tmp_path, partner, 'unsupported_sets = "pass_through"')
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "remittance.edi", remittance(7403, "REM-9"))
        run_once(gw)
        [(_, event)] = bodies(channel, production)
    assert event["type"] == "edi.in.820"
    assert event["dataschema"].endswith("/UntranslatedTransaction.json")
    data = event["data"]
    assert data["transaction_set_id"] == "820" and data["component_separator"] == ">"
    assert [(seg["id"], seg["elements"][0]) for seg in data["segments"]] == [
        ("BPR", "C"),
        ("TRN", "1"),
        ("RMR", "IV"),
    ]
    [answer] = acks(tmp_path, partner)
    assert "AK5*A~" in answer
    assert quarantined(tmp_path, partner) == []


# -- 5. a sender that is not the partner ---------------------------------------------------------


def test_a_file_under_another_senders_ids_is_refused_without_an_acknowledgement(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    write_profile(tmp_path, partner, "")  # the partner is ZZ:ACME
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "spoofed.edi", order(7501, "X-1", sender="BETA"))
        drop(tmp_path / "inbox", partner, "genuine.edi", order(7502, "A-1"))
        run_once(gw)
        published = bodies(channel, production)
    assert [body["data"]["po_number"] for _, body in published] == ["A-1"]
    [answer] = acks(tmp_path, partner)  # the genuine file's only: nothing goes to BETA
    assert "*ZZ*ACME           *" in answer and "BETA" not in answer
    [report] = quarantined(tmp_path, partner)
    assert report["file"] == "spoofed.edi"
    assert "refused: not from partner" in report["why"] and "ZZ:BETA" in report["why"]
    assert documents(gw, partner) == {"published": 1, "failed": 1}


def test_a_partner_may_send_under_several_declared_ids(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    write_profile(tmp_path, partner, 'partner_ids = ["ACME-EU"]')
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, _, _):
        drop(tmp_path / "inbox", partner, "us.edi", order(7503, "US-1"))
        drop(tmp_path / "inbox", partner, "eu.edi", order(7504, "EU-1", sender="ACME-EU"))
        run_once(gw)
        published = bodies(channel, production)
    assert sorted(body["data"]["po_number"] for _, body in published) == ["EU-1", "US-1"]
    assert quarantined(tmp_path, partner) == []


# -- 6. test interchanges -----------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["separate", "production"])
def test_test_interchanges_are_kept_apart_from_production_unless_the_partner_says(
    tmp_path: Path, database_url: str, partner: str, policy: str
) -> None:
    write_profile(tmp_path, partner, f'test_interchanges = "{policy}"')
    gw = in_process_gateway(tmp_path, database_url)
    with listening(partner) as (channel, production, test, _):
        drop(tmp_path / "inbox", partner, "test.edi", order(7601, "T-1", usage="T"))
        drop(tmp_path / "inbox", partner, "real.edi", order(7602, "P-1"))
        run_once(gw)
        real = bodies(channel, production)
        trial = bodies(channel, test)
    if policy == "separate":
        assert [body["data"]["po_number"] for _, body in real] == ["P-1"]
        assert [body["data"]["po_number"] for _, body in trial] == ["T-1"]
        assert trial[0][1]["data"]["envelope"]["x12"]["usage_indicator"] == "T"
        assert trial[0][1]["data"]["envelope"]["test"] is True
    else:
        assert sorted(body["data"]["po_number"] for _, body in real) == ["P-1", "T-1"]
        assert trial == []

"""The console's read-side queries (gateway.ledger.dashboards, gateway.ledger.partner_overview)
on both ledgers: hourly counts in the right hours, latency percentiles from the histogram
counted in SQL, acknowledgement rate and cycle time, exceptions by cause, the outbox backlog
derived from created_at and published_at, and windows that leave older rows out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert

from gateway.ledger import dashboards as figures
from gateway.ledger.models import (
    ACKS,
    DOCUMENTS,
    FILES,
    OUTBOUND_DOCUMENTS,
    OUTBOX,
    PARTNER_ACKS,
)
from gateway.ledger.partner_overview import partner_overview
from tests.integration.ledger.databases import Ledger

NOW = dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.UTC)
HOUR_11 = int(dt.datetime(2026, 12, 5, 11, tzinfo=dt.UTC).timestamp())
HOUR_12 = HOUR_11 + 3600
SE_COUNT = {"report": {"findings": [{"code": "envelope.se_count", "message": "..."}]}}


class _Rows:
    """Rows to insert, ids counting up with their times as the daemon writes them."""

    def __init__(self) -> None:
        self.files: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []

    def file(
        self, partner: str, at: dt.datetime, state: str = "archived", detail: Any = None
    ) -> int:
        n = len(self.files) + 1
        self.files.append(
            {
                "id": n,
                "partner": partner,
                "name": f"f{n}.x12",
                "sha256": f"{n:064d}",
                "size": 100,
                "work_path": f"/w/{n}",
                "final_path": None,
                "state": state,
                "correlation_id": f"claim-{n}",
                "detail": detail,
                "received_at": at,
                "updated_at": at,
            }
        )
        return n

    def document(
        self, partner: str, at: dt.datetime, kind: str = "850", state: str = "published"
    ) -> int:
        file_id = self.file(partner, at, "archived" if state == "published" else "quarantined")
        n = len(self.documents) + 1
        self.documents.append(
            {
                "id": n,
                "document_id": f"doc-{n}",
                "envelope_key": None,
                "file_id": file_id,
                "partner": partner,
                "kind": kind,
                "format": "x12",
                "interchange_ref": f"{n:09d}",
                "group_ref": str(n),
                "transaction_ref": "0001",
                "business_key": None,
                "content_digest": None,
                "state": state,
                "correlation_id": f"claim-{file_id}",
                "detail": None,
                "created_at": at,
                "updated_at": at,
            }
        )
        return n

    def message(
        self, partner: str, at: dt.datetime, published: dt.datetime | None, document: int | None
    ) -> None:
        n = len(self.outbox) + 1
        self.outbox.append(
            {
                "id": n,
                "message_id": f"m-{n}",
                "document_id": f"doc-{document}",
                "document_pk": document,
                "partner": partner,
                "exchange": "edi.events",
                "routing_key": "edi.in",
                "body": b"{}",
                "headers": {},
                "correlation_id": f"c-{n}",
                "state": "pending" if published is None else "published",
                "attempts": 0,
                "last_error": None,
                "created_at": at,
                "published_at": published,
            }
        )


def _outbound(n: int, partner: str, state: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": n,
        "request_id": f"req-{n}",
        "partner": partner,
        "kind": "856",
        "document_id": f"out-{n}",
        "correlation_id": f"out-{n}",
        "state": state,
        "created_at": at,
        "updated_at": at,
    }


def _fill(ledger: Ledger) -> None:
    """acme: three 850s received at 11:20 and published 2, 5 and 40 s later, an 856 at 10:30
    (failed), five 856s sent at 07:30 (two accepted and one rejected 10 min later, one awaiting,
    one overdue); globex: two 850s at 12:00 (one message still pending), a file quarantined for
    its SE count and one unreadable, a refused request; and older rows: a document and a
    pending message of ten days ago."""
    rows = _Rows()
    old = NOW - dt.timedelta(days=10)
    rows.message("acme", old, None, rows.document("acme", old))
    rows.document("acme", NOW - dt.timedelta(hours=2), kind="856", state="failed")
    received = NOW - dt.timedelta(minutes=70)  # 11:20
    for seconds in (2, 5, 40):
        document = rows.document("acme", received)
        rows.message("acme", received, received + dt.timedelta(seconds=seconds), document)
    noon = NOW - dt.timedelta(minutes=30)
    rows.message("globex", noon, noon + dt.timedelta(seconds=1), rows.document("globex", noon))
    rows.message("globex", noon, None, rows.document("globex", noon))
    rows.file("globex", noon, "quarantined", SE_COUNT)
    rows.file("globex", noon, "quarantined", None)
    sent_at = NOW - dt.timedelta(hours=5)
    outbound = [
        _outbound(n, "acme", state, sent_at)
        for n, state in enumerate(("accepted", "accepted", "rejected", "sent", "overdue"), 1)
    ]
    outbound.append(_outbound(6, "globex", "invalid", NOW - dt.timedelta(hours=1)))
    acks = [
        {
            "partner": "acme",
            "kind": "997",
            "document_id": f"ack-{n}",
            "outbound_id": n,
            "outcome": "applied",
            "created_at": sent_at + dt.timedelta(minutes=10),
        }
        for n in (1, 2, 3)
    ]
    ack_written = {
        "file_id": 2,
        "partner": "acme",
        "name": "997-a.x12",
        "text": "ISA...",
        "state": "written",
        "created_at": NOW - dt.timedelta(hours=2),
        "written_at": NOW - dt.timedelta(hours=2),
    }
    with ledger.factory.begin() as s:
        s.execute(insert(FILES), rows.files)
        s.execute(insert(DOCUMENTS), rows.documents)
        s.execute(insert(OUTBOX), rows.outbox)
        s.execute(insert(OUTBOUND_DOCUMENTS), outbound)
        s.execute(insert(PARTNER_ACKS), acks)
        s.execute(insert(ACKS), [ack_written])


def _at(chart: figures.HourlyChart, label: str, hour: int) -> float | None:
    series = next(s for s in chart.series if s.label == label)
    return series.values[chart.hours.index(hour)]


def test_documents_are_counted_in_their_hour_by_partner_and_kind(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        chart = figures.documents_per_hour(s, NOW, hours=48)
    assert len(chart.hours) == 48 and chart.hours[-1] == HOUR_12
    assert {s.label: sum(v or 0 for v in s.values) for s in chart.series} == {
        "acme 850": 3,  # the one of ten days ago is outside the window
        "acme 856": 1,
        "globex 850": 2,
    }
    assert _at(chart, "acme 850", HOUR_11) == 3
    assert _at(chart, "globex 850", HOUR_12) == 2


def test_order_latency_percentiles_come_from_the_histogram(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        chart = figures.order_latency(s, NOW, hours=48)
    assert _at(chart, "published", HOUR_11) == 3
    assert _at(chart, "p50", HOUR_11) == pytest.approx(3.75)  # 2, 5 and 40 s: (2.5, 5]
    assert 30 < (_at(chart, "p95", HOUR_11) or 0) <= 60
    assert _at(chart, "published", HOUR_12) == 1
    assert _at(chart, "p50", HOUR_12 - 7200) is None  # nothing published then


def test_acknowledgement_rate_and_cycle_time_by_partner(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        (acme,) = figures.acknowledgements(s, NOW, hours=24)
    assert (acme.partner, acme.sent, acme.acknowledged, acme.accepted, acme.overdue) == (
        "acme",
        5,
        3,
        2,
        1,
    )
    assert acme.rate == pytest.approx(0.6)
    assert acme.cycle_p50 == pytest.approx(600)  # 10 minutes, within (300, 900]
    assert 600 < (acme.cycle_p95 or 0) <= 900


def test_exceptions_by_partner_and_cause(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        bars = figures.exceptions(s, NOW, hours=48)
    found = {bar.label: bar.value for bar in bars}
    assert found == {
        "acme: unreadable file": 1,  # the failed 856's file, quarantined without a report
        "globex: envelope.se_count": 1,
        "globex: unreadable file": 1,
        "globex: request refused": 1,
    }


def test_outbox_backlog_is_derived_from_created_and_published_times(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        chart = figures.outbox_backlog(s, NOW, hours=48)
    # the message of ten days ago waits still; acme's three came and went within 11:00
    assert _at(chart, "unpublished", HOUR_11 - 3600) == 1
    assert _at(chart, "unpublished", HOUR_11) == 1
    assert _at(chart, "unpublished", HOUR_12) == 2  # and one of globex's waits


def test_first_id_since_finds_the_window_by_bisection(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:

        def first(since: dt.datetime) -> int:
            return figures.first_id_since(s, DOCUMENTS, DOCUMENTS.c.created_at, since)

        # documents 1 (ten days ago), 2 (10:30), 3-5 (11:20), 6-7 (12:00); an hour's margin
        assert first(NOW) == 6
        assert first(NOW - dt.timedelta(minutes=30)) == 3
        assert first(NOW - dt.timedelta(days=30)) == 1
        assert first(NOW + dt.timedelta(days=1)) == 8  # past the last one: an empty window


def test_partner_overview_counts_errors_and_backlog(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.factory() as s:
        found = partner_overview(s, NOW, ["initech"])
    assert sorted(found) == ["acme", "globex", "initech"]
    acme, globex = found["acme"], found["globex"]
    assert (acme.documents, acme.failed, acme.error_rate) == (4, 1, 0.25)
    assert acme.last_received == NOW - dt.timedelta(minutes=70)
    assert acme.last_delivery == NOW - dt.timedelta(hours=2)  # its 997 written
    assert (acme.unpublished, acme.awaiting_ack, acme.overdue) == (1, 1, 1)
    assert (globex.files, globex.quarantined, globex.documents, globex.failed) == (4, 2, 2, 0)
    assert globex.unpublished == 1
    assert found["initech"].error_rate is None and found["initech"].last_received is None

"""Retention (``edi-gateway prune``), on SQLite and on PostgreSQL: what was settled before the
cutoff goes, with its archived, quarantined and sent copies; unsettled work of every kind stays,
however old; a dry run counts the same and changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from gateway.config import Settings
from gateway.ledger.models import (
    ACKS,
    DELIVERIES,
    DOCUMENTS,
    EVENTS,
    FILES,
    ORDER_CHECKS,
    ORDER_LINES,
    OUTBOUND_DOCUMENTS,
    OUTBOX,
    PARTNER_ACKS,
    REMOTE_PICKUPS,
)
from gateway.retention import Pruned, prune
from tests.integration.ledger.databases import Ledger

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=400)
RECENT = NOW - dt.timedelta(days=10)
TABLES = [FILES, DOCUMENTS, OUTBOX, ACKS, EVENTS, OUTBOUND_DOCUMENTS, PARTNER_ACKS]
TABLES += [REMOTE_PICKUPS, DELIVERIES, ORDER_LINES, ORDER_CHECKS]
_numbers = itertools.count(1)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A home in ``tmp_path`` keeping 90 days (no gateway.toml but an empty one of its own)."""
    config = tmp_path / "gateway.toml"
    config.write_text("")
    monkeypatch.setenv("EDIGW_CONFIG", str(config))
    return Settings(home=tmp_path, retention_days=90)


class Rows:
    """Rows written straight into the ledger, as the gateway leaves them, at a given time."""

    def __init__(self, s: Session, home: Path) -> None:
        self.s = s
        self.home = home

    def _insert(self, table: Table, **values: Any) -> int:
        row_id: int = self.s.execute(insert(table).returning(table.c.id), values).scalar_one()
        return row_id

    def file(self, state: str, at: dt.datetime, *, copy: str | None = None) -> tuple[int, str]:
        """A file in ``state`` last changed ``at``; its archived (or quarantined) copy on disk
        when ``copy`` is ``archive`` (or ``quarantine``). Returns its id and correlation id."""
        n = next(_numbers)
        final = None
        if copy == "archive":
            final = self.home / "archive" / "acme" / at.strftime("%Y/%m/%d") / f"{n}-f.x12"
        elif copy == "quarantine":
            final = self.home / "quarantine" / "acme" / f"{n}-f.x12"
        if final is not None:
            final.parent.mkdir(parents=True, exist_ok=True)
            final.write_bytes(b"ISA*" * 25)
            if copy == "quarantine":
                final.with_name(final.name + ".error.json").write_text("{}")
        correlation = f"claim-{n}"
        file_id = self._insert(
            FILES,
            partner="acme",
            name=f"f{n}.x12",
            sha256=f"{n:064x}",
            size=100,
            work_path=f"/work/acme/f{n}.x12",
            final_path=str(final) if final else None,
            state=state,
            correlation_id=correlation,
            detail=None,
            received_at=at,
            updated_at=at,
        )
        self.event(at, file_id=file_id)
        return file_id, correlation

    def document(
        self, file_id: int, state: str, at: dt.datetime, document_id: str = ""
    ) -> tuple[int, str]:
        document_id = document_id or f"doc-{next(_numbers)}"
        pk = self._insert(
            DOCUMENTS,
            document_id=document_id,
            file_id=file_id,
            partner="acme",
            kind="850",
            state=state,
            correlation_id="c",
            created_at=at,
            updated_at=at,
        )
        self.event(at, file_id=file_id, document_id=document_id)
        return pk, document_id

    def message(
        self, document_id: str, state: str, at: dt.datetime, *, pk: int | None = None
    ) -> int:
        self.event(at, document_id=document_id)  # as the relay writes them: no file
        return self._insert(
            OUTBOX,
            message_id=f"m-{next(_numbers)}",
            document_id=document_id,
            document_pk=pk,
            partner="acme",
            exchange="edi.in",
            routing_key="edi.in.850.acme",
            body=b"{}",
            headers={},
            correlation_id="c",
            state=state,
            attempts=1,
            created_at=at,
            published_at=at if state == "published" else None,
        )

    def ack(self, file_id: int, state: str, at: dt.datetime) -> int:
        return self._insert(
            ACKS,
            file_id=file_id,
            partner="acme",
            name=f"997-{next(_numbers)}.x12",
            text="ISA*",
            state=state,
            created_at=at,
            written_at=at if state == "written" else None,
        )

    def event(
        self,
        at: dt.datetime,
        *,
        file_id: int | None = None,
        document_id: str | None = None,
        kind: str = "k",
    ) -> int:
        return self._insert(
            EVENTS, at=at, kind=kind, message="m", file_id=file_id, document_id=document_id
        )

    def order_rows(self, document_id: str, at: dt.datetime) -> None:
        """A line the cross-document checks keep of ``document_id``, and a check's findings."""
        order = {"partner": "acme", "order_kind": "940", "order_number": "SO-1"}
        self._insert(
            ORDER_LINES,
            **order,
            source_kind="945",
            document_id=document_id,
            role="shipped",
            item="VN:SKU-1",
            quantity="1",
            correlation_id="c",
            created_at=at,
        )
        self._insert(
            ORDER_CHECKS,
            **order,
            kind="945",
            document_id=document_id,
            outcome="complete",
            correlation_id="c",
            created_at=at,
        )

    def outbound(
        self, state: str, at: dt.datetime, *, due: dt.datetime | None = None, name: str = ""
    ) -> tuple[int, str]:
        n = next(_numbers)
        outbound_id = self._insert(
            OUTBOUND_DOCUMENTS,
            request_id=f"req-{n}",
            partner="acme",
            kind="856",
            document_id=f"out-{n}",
            correlation_id="c",
            state=state,
            file_name=name or f"856-{n}.x12",
            ack_due_at=due,
            created_at=at,
            updated_at=at,
        )
        self.event(at, document_id=f"out-{n}")
        return outbound_id, f"out-{n}"

    def partner_ack(self, outbound_id: int | None, at: dt.datetime) -> int:
        return self._insert(
            PARTNER_ACKS,
            partner="acme",
            kind="997",
            document_id=f"ack-{next(_numbers)}",
            outbound_id=outbound_id,
            outcome="applied" if outbound_id else "unmatched",
            created_at=at,
        )

    def pickup(self, state: str, at: dt.datetime, remote: str | None = None) -> int:
        n = next(_numbers)
        return self._insert(
            REMOTE_PICKUPS,
            partner="acme",
            remote_path=f"/out/{n}.x12",
            size=1,
            mtime=1,
            sha256="0" * 64,
            temp_name=f".sftp-{n}.part",
            local_name=f"{n}.x12",
            state=state,
            detail={"remote": remote} if remote else None,
            created_at=at,
            updated_at=at,
        )

    def delivery(self, state: str, at: dt.datetime, name: str = "") -> int:
        return self._insert(
            DELIVERIES,
            partner="acme",
            local_name=name or f"d{next(_numbers)}.x12",
            sha256="0" * 64,
            size=1,
            remote_path="/in/x",
            state=state,
            attempts=1,
            created_at=at,
            updated_at=at,
        )


@pytest.fixture
def rows(ledger: Ledger, settings: Settings) -> Iterator[Rows]:
    with ledger.factory.begin() as s:
        yield Rows(s, settings.home)


def counts(ledger: Ledger) -> dict[str, int]:
    with ledger.factory() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


def copies(home: Path) -> list[str]:
    """The files in the archive, quarantine and outbox folders."""
    found = [p for top in ("archive", "quarantine", "outbox") for p in (home / top).rglob("*")]
    return sorted(str(p.relative_to(home)) for p in found if p.is_file())


def settled_work(rows: Rows, at: dt.datetime) -> None:
    """One of each kind of settled work, last changed ``at``."""
    archived, _ = rows.file("archived", at, copy="archive")
    pk, document_id = rows.document(archived, "published", at)
    rows.message(document_id, "published", at, pk=pk)
    rows.order_rows(document_id, at)  # a 945 checked against its 940
    rows.ack(archived, "written", at)
    quarantined, claim = rows.file("quarantined", at, copy="quarantine")
    rows.document(quarantined, "failed", at)
    rows.message(f"file:{claim}", "published", at)  # its notice
    duplicate, _ = rows.file("duplicate", at, copy="archive")
    rows.document(duplicate, "duplicate", at)
    accepted, out_id = rows.outbound("accepted", at, due=at)
    rows.message(out_id, "published", at)  # its status event
    rows.order_rows(f"req-{out_id.removeprefix('out-')}", at)  # a 940's lines: its request id
    rows.partner_ack(accepted, at)
    rows.outbound("sent", at)  # a format expecting no acknowledgement
    rows.outbound("invalid", at)
    rows.partner_ack(None, at)
    rows.pickup("done", at, remote="delete")
    rows.pickup("done", at, remote="move")
    rows.delivery("filed", at)
    rows.message("req-of-a-row-gone", "published", at)  # a status event about nothing left


def test_old_settled_work_goes_with_its_copies(
    ledger: Ledger, settings: Settings, rows: Rows
) -> None:
    settled_work(rows, OLD)
    rows.s.commit()
    pruned = prune(settings, ledger.factory, now=NOW)
    assert dataclasses_values(pruned) == {
        "files": 3,
        "documents": 3,
        "messages": 2,  # the archived file's document's, the quarantined one's notice
        "acknowledgements": 1,
        "events": 3 + 3 + 4 + 3,  # files', documents', messages' and outbound's
        "outbound": 3,
        "outbound_messages": 1,
        "partner_acks": 1,
        "pickups": 2,
        "deliveries": 1,
        "unmatched_acks": 1,
        "lone_messages": 1,
        "order_lines": 2,
        "order_checks": 2,
        "archived": 2,
        "quarantined": 1,
        "sent": 0,
        "freed": 3 * 100 + 2,
    }
    assert set(counts(ledger).values()) == {0}
    assert copies(settings.home) == []
    assert sorted(os.listdir(settings.home / "archive")) == ["acme"]  # empty days went
    assert os.listdir(settings.home / "archive" / "acme") == []


def dataclasses_values(pruned: Pruned) -> dict[str, int]:
    values = vars(pruned).copy()
    del values["cutoff"], values["dry_run"]
    return values


def test_unsettled_work_stays_however_old(ledger: Ledger, settings: Settings, rows: Rows) -> None:
    rows.file("received", OLD)  # claimed, not processed
    rows.file("processed", OLD, copy="archive")  # processed, its move to come
    parsed, _ = rows.file("archived", OLD, copy="archive")
    rows.document(parsed, "parsed", OLD)  # not published yet
    for state in ("pending", "unroutable"):  # a message not published (or replayed)
        waiting, _ = rows.file("archived", OLD, copy="archive")
        pk, document_id = rows.document(waiting, "published", OLD)
        rows.message(document_id, state, OLD, pk=pk)
        rows.order_rows(document_id, OLD)  # stay with their document
    unwritten, _ = rows.file("archived", OLD, copy="archive")
    rows.ack(unwritten, "pending_write", OLD)  # its 997 not written yet
    _, claim = rows.file("quarantined", OLD, copy="quarantine")
    rows.message(f"file:{claim}", "pending", OLD)  # its notice not published yet
    for state in ("rendered", "written", "overdue"):  # not delivered; or its ack overdue
        rows.outbound(state, OLD, due=OLD)
    rows.outbound("sent", OLD, due=OLD)  # waiting for the partner's acknowledgement
    rows.outbound("written", OLD, name="waiting.x12")
    rows.delivery("filed", OLD, name="waiting.x12")  # what moves it to sent, soon
    _, out_id = rows.outbound("accepted", OLD)
    rows.message(out_id, "pending", OLD)  # its status event not published yet
    rows.order_rows(out_id, OLD)
    for state in ("downloaded", "delivered"):
        rows.pickup(state, OLD)
    rows.pickup("done", OLD, remote="keep")  # still on the partner's server
    for state in ("pending", "placing", "sent"):
        rows.delivery(state, OLD)
    rows.s.commit()
    before, on_disk = counts(ledger), copies(settings.home)

    pruned = prune(settings, ledger.factory, now=NOW)

    assert set(dataclasses_values(pruned).values()) == {0}
    assert counts(ledger) == before
    assert copies(settings.home) == on_disk


def test_what_was_settled_recently_stays(ledger: Ledger, settings: Settings, rows: Rows) -> None:
    settled_work(rows, RECENT)
    old, _ = rows.file("archived", OLD, copy="archive")
    pk, document_id = rows.document(old, "published", OLD)
    rows.message(document_id, "published", RECENT, pk=pk)  # replayed 10 days ago
    rows.s.commit()
    before, on_disk = counts(ledger), copies(settings.home)

    pruned = prune(settings, ledger.factory, now=NOW)

    assert set(dataclasses_values(pruned).values()) == {0}
    assert counts(ledger) == before
    assert copies(settings.home) == on_disk


def test_a_dry_run_counts_what_would_go_and_changes_nothing(
    ledger: Ledger, settings: Settings, rows: Rows
) -> None:
    settled_work(rows, OLD)
    rows.file("received", OLD)
    rows.s.commit()
    before, on_disk = counts(ledger), copies(settings.home)

    dry = prune(settings, ledger.factory, now=NOW, dry_run=True, batch=2)

    assert counts(ledger) == before
    assert copies(settings.home) == on_disk
    real = prune(settings, ledger.factory, now=NOW, batch=2)  # small batches: the same
    assert dataclasses_values(dry) == dataclasses_values(real)
    assert dry.files == 3 and dry.dry_run and not real.dry_run
    assert counts(ledger)["files"] == 1
    assert "would remove 3 inbound file(s)" in "\n".join(dry.lines(90))
    assert "removed 3 inbound file(s)" in "\n".join(real.lines(90))


def test_sent_copies_go_when_old_unless_work_under_way_needs_their_name(
    ledger: Ledger, settings: Settings, rows: Rows
) -> None:
    sent = settings.home / "outbox" / "acme" / "sent"
    sent.mkdir(parents=True)
    for name in ("old.x12", "recent.x12", "retrying.x12", "retrying.x12.7", "rendered.x12"):
        (sent / name).write_text("ISA*")
    for name in ("old.x12", "retrying.x12", "retrying.x12.7", "rendered.x12"):
        os.utime(sent / name, (OLD.timestamp(), OLD.timestamp()))
    rows.delivery("pending", OLD, name="retrying.x12")  # sent again, under way
    rows.outbound("rendered", OLD, name="rendered.x12")  # to be written, its name taken
    rows.s.commit()

    dry = prune(settings, ledger.factory, now=NOW, dry_run=True)
    assert (dry.sent, dry.freed) == (1, 4) and len(os.listdir(sent)) == 5
    pruned = prune(settings, ledger.factory, now=NOW)

    assert (pruned.sent, pruned.freed) == (1, 4)
    assert sorted(os.listdir(sent)) == [
        "recent.x12",
        "rendered.x12",
        "retrying.x12",
        "retrying.x12.7",
    ]


def test_a_document_s_timeline_stays_while_a_copy_of_it_stays(
    ledger: Ledger, settings: Settings, rows: Rows
) -> None:
    old, _ = rows.file("archived", OLD, copy="archive")
    rows.document(old, "published", OLD, document_id="doc-sent-twice")
    again, _ = rows.file("duplicate", RECENT, copy="archive")  # the partner sent it again
    rows.document(again, "duplicate", RECENT, document_id="doc-sent-twice")
    rows.event(OLD, document_id="doc-sent-twice")  # of the document, not of a file
    rows.s.commit()

    pruned = prune(settings, ledger.factory, now=NOW)

    assert (pruned.files, pruned.documents, pruned.events) == (1, 1, 2)
    with ledger.factory() as s:
        left = s.execute(select(EVENTS.c.file_id, EVENTS.c.document_id)).all()
    assert sorted(left, key=str) == sorted(
        [(again, None), (again, "doc-sent-twice"), (None, "doc-sent-twice")], key=str
    )


def test_a_replay_under_way_holds_its_file_back(
    ledger: Ledger, settings: Settings, rows: Rows
) -> None:
    """A replay of an old document commits while prune checks it: prune waits for it (SQLite:
    the write lock; PostgreSQL: the message's row) and then sees the message pending again."""
    old, _ = rows.file("archived", OLD, copy="archive")
    pk, document_id = rows.document(old, "published", OLD)
    message = rows.message(document_id, "published", OLD, pk=pk)
    rows.s.commit()
    before, on_disk = counts(ledger), copies(settings.home)
    results: list[Pruned] = []
    with ledger.factory.begin() as replay:
        replay.execute(
            update(OUTBOX).where(OUTBOX.c.id == message).values(state="pending", published_at=None)
        )
        pruning = threading.Thread(
            target=lambda: results.append(prune(settings, ledger.factory, now=NOW))
        )
        pruning.start()
        time.sleep(1.0)
        assert pruning.is_alive()  # waiting for the replay
    pruning.join(timeout=60)
    assert results and results[0].files == 0
    assert counts(ledger) == before
    assert copies(settings.home) == on_disk


def test_a_withheld_document_goes_once_dismissed_before_the_cutoff(
    ledger: Ledger, settings: Settings, rows: Rows
) -> None:
    """Dismissed, it is never to be published: it is settled, its withheld message with it;
    withheld and not dismissed, or dismissed since the cutoff, it stays."""
    files = {}
    for case, dismissed_at in (("dismissed", OLD), ("dismissed lately", RECENT), ("open", None)):
        files[case], _ = rows.file("archived", OLD, copy="archive")
        pk, document_id = rows.document(files[case], "parsed", OLD)
        rows.message(document_id, "withheld", OLD, pk=pk)
        if dismissed_at is not None:
            rows.event(dismissed_at, document_id=document_id, kind="withheld.dismissed")
    rows.s.commit()

    dry = prune(settings, ledger.factory, now=NOW, dry_run=True)
    pruned = prune(settings, ledger.factory, now=NOW)

    assert (pruned.files, pruned.documents, pruned.messages, pruned.archived) == (1, 1, 1, 1)
    assert dataclasses_values(dry) == dataclasses_values(pruned)
    with ledger.factory() as s:
        left = set(s.execute(select(FILES.c.id)).scalars())
        states = set(s.execute(select(OUTBOX.c.state)).scalars())
    assert left == {files["dismissed lately"], files["open"]}
    assert states == {"withheld"}

"""Every repository function, on SQLite and on PostgreSQL (the ``ledger`` fixture runs both)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway import ledger as r
from gateway.ledger import (
    AckState,
    DocumentState,
    FileState,
    OutboxState,
)
from gateway.ledger.models import DocumentRecord, FileRecord, OutboxMessage
from tests.integration.ledger.databases import Ledger

HOUR = dt.timedelta(hours=1)
_numbers = itertools.count(1)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_file(s: Session, partner: str = "acme", **overrides: Any) -> int:
    n = next(_numbers)
    values: dict[str, Any] = {
        "partner": partner,
        "name": f"f{n}.x12",
        "sha256": f"{n:064x}",
        "size": 100 + n,
        "work_path": f"/work/{partner}/f{n}.x12",
        "correlation_id": f"corr-{n}",
    }
    values.update(overrides)
    return r.record_file(s, **values)


def add_document(
    s: Session,
    file_id: int,
    document_id: str,
    *,
    partner: str = "acme",
    interchange_ref: str | None = "000000001",
    group_ref: str | None = "1",
    transaction_ref: str | None = "0001",
    state: DocumentState = DocumentState.PARSED,
    kind: str = "850",
    detail: dict[str, Any] | None = None,
    envelope_key: str | None = None,
) -> None:
    r.record_document(
        s,
        envelope_key=envelope_key,
        document_id=document_id,
        file_id=file_id,
        partner=partner,
        kind=kind,
        interchange_ref=interchange_ref,
        group_ref=group_ref,
        transaction_ref=transaction_ref,
        state=state,
        correlation_id=f"corr-doc-{document_id}",
        detail=detail,
    )


def add_message(s: Session, document_id: str, *, partner: str = "acme", body: bytes = b"{}") -> int:
    return r.enqueue(
        s,
        message_id=document_id,
        document_id=document_id,
        partner=partner,
        exchange="edi.in",
        routing_key=f"edi.in.850.{partner}",
        body=body,
        headers={"ce_type": "edi.in.850", "n": 1},
        correlation_id=f"corr-msg-{document_id}",
    )


def published_document(s: Session, partner: str = "acme", document_id: str = "doc") -> int:
    """A file with one parsed document and its pending message; returns the outbox id."""
    file_id = add_file(s, partner)
    add_document(s, file_id, document_id, partner=partner)
    return add_message(s, document_id, partner=partner)


def age_file(ledger: Ledger, file_id: int, by: dt.timedelta) -> None:
    with ledger.factory.begin() as s:
        s.execute(
            update(FileRecord)
            .where(FileRecord.id == file_id)
            .values(received_at=now() - by)
            .execution_options(synchronize_session=False)
        )


def age_documents(ledger: Ledger, file_id: int, by: dt.timedelta) -> None:
    with ledger.factory.begin() as s:
        s.execute(
            update(DocumentRecord)
            .where(DocumentRecord.file_id == file_id)
            .values(created_at=now() - by)
            .execution_options(synchronize_session=False)
        )


# -- files -----------------------------------------------------------------------------------


def test_record_file_and_find_it_by_work_path(ledger: Ledger) -> None:
    before = now()
    with ledger.factory.begin() as s:
        file_id = r.record_file(
            s,
            partner="acme",
            name="po.x12",
            sha256="ab" * 32,
            size=1234,
            work_path="/work/acme/po.x12",
            correlation_id="claim-1",
        )
    with ledger.factory.begin() as s:
        row = r.file_by_work_path(s, "/work/acme/po.x12")
        assert r.file_by_work_path(s, "/work/acme/other.content") is None
        events = r.timeline(s, str(file_id))
    assert row is not None
    assert row.id == file_id
    assert (row.partner, row.name, row.sha256, row.size) == ("acme", "po.x12", "ab" * 32, 1234)
    assert row.state is FileState.RECEIVED
    assert row.final_path is None
    assert row.correlation_id == "claim-1"
    assert row.received_at.tzinfo is dt.UTC
    assert before <= row.received_at <= now()
    assert [(e.kind, e.file_id, e.correlation_id) for e in events] == [
        ("received", file_id, "claim-1")
    ]


def test_file_by_work_path_gives_the_newest_record_of_a_reused_path(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        first = add_file(s, work_path="/work/acme/same.x12")
        r.set_file_state(s, first, FileState.ARCHIVED, final_path="/archive/1")
        second = add_file(s, work_path="/work/acme/same.x12")
    with ledger.factory.begin() as s:
        row = r.file_by_work_path(s, "/work/acme/same.x12")
    assert row is not None
    assert row.id == second > first


def test_files_are_recorded_together_and_found_by_work_paths(ledger: Ledger) -> None:
    files = [
        r.NewFile("acme", f"b{n}.x12", f"{n:064x}", n, f"/work/acme/b{n}.x12", f"c{n}")
        for n in range(3)
    ]
    with ledger.factory.begin() as s:
        ids = r.record_files(s, files)
        assert r.record_files(s, []) == []
    with ledger.factory.begin() as s:
        found = r.files_by_work_paths(s, ["/work/acme/b2.x12", "/work/acme/b0.x12", "/nowhere"])
        events = [r.timeline(s, file_id) for file_id in ids]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert {path: row.id for path, row in found.items()} == {
        "/work/acme/b0.x12": ids[0],
        "/work/acme/b2.x12": ids[2],
    }
    assert found["/work/acme/b2.x12"].state is FileState.RECEIVED
    assert [[e.kind for e in timeline] for timeline in events] == [["received"]] * 3
    assert events[1][0].message == "file b1.x12 received from acme (1 bytes)"


def test_many_rows_recorded_together_each_get_their_own_id_and_values(ledger: Ledger) -> None:
    """One statement for the whole batch (arrays on PostgreSQL): each id goes with its row,
    and columns that are empty in every row, or in some rows, come back as they went in."""
    count = 301
    files = [
        r.NewFile(
            "acme",
            f"m{n}.x12",
            f"{n:064x}",
            n,
            f"/work/acme/m{n}.x12",
            f"c{n}",
            {"n": n, "text": 'quote " and \\ backslash, {brace}'} if n % 3 == 0 else None,
        )
        for n in range(count)
    ]
    with ledger.factory.begin() as s:
        ids = r.record_files(s, files)
        documents = [
            r.NewDocument(
                document_id=f"many-{n}",
                file_id=file_id,
                partner="acme",
                kind="850",
                interchange_ref=None,
                group_ref=None,
                transaction_ref=None,
                state=DocumentState.PARSED,
                correlation_id=f"c{n}",
            )
            for n, file_id in enumerate(ids)
        ]
        record_ids = r.record_documents(s, documents)
        r.enqueue_messages(
            s,
            [
                r.NewMessage(
                    message_id=f"many-{n}",
                    document_id=f"many-{n}",
                    partner="acme",
                    exchange="edi.in",
                    routing_key="edi.in.850.acme",
                    body=bytes([n % 256]) * (n % 5),
                    headers={"n": n},
                    correlation_id=f"c{n}",
                    record=(record_id, ids[n]),
                )
                for n, record_id in enumerate(record_ids)
            ],
        )
    with ledger.factory.begin() as s:
        rows = [r.file_by_id(s, file_id) for file_id in ids]
        pending = r.pending_outbox(s, limit=count + 1)
        recorded = [r.documents_by_id(s, f"many-{n}") for n in (0, 150, 300)]
    assert len(set(ids)) == count
    assert [(row.name, row.size, row.detail) for row in rows if row is not None] == [
        (f.name, f.size, f.detail) for f in files
    ]
    assert [(m.message_id, m.body, m.headers, m.document_pk) for m in pending] == [
        (f"many-{n}", bytes([n % 256]) * (n % 5), {"n": n}, record_ids[n]) for n in range(count)
    ]
    assert [(d.id, d.file_id, d.interchange_ref, d.transaction_ref) for [d] in recorded] == [
        (record_ids[n], ids[n], None, None) for n in (0, 150, 300)
    ]


def test_settle_files_moves_each_file_to_its_final_state_once(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        archived, quarantined = add_file(s), add_file(s)
        r.set_file_state(s, archived, FileState.PROCESSED, final_path="/archive/a")
        r.set_file_state(s, quarantined, FileState.PROCESSED, final_path="/quarantine/q")
    states = {archived: FileState.ARCHIVED, quarantined: FileState.QUARANTINED}
    with ledger.factory.begin() as s:
        r.settle_files(s, states)
        r.settle_files(s, states)  # again: nothing happens
    with ledger.factory.begin() as s:
        rows = [r.file_by_id(s, file_id) for file_id in (archived, quarantined)]
        events = r.timeline(s, quarantined)
    assert [(row.state, row.final_path) for row in rows if row] == [
        (FileState.ARCHIVED, "/archive/a"),
        (FileState.QUARANTINED, "/quarantine/q"),
    ]
    assert [e.kind for e in events] == ["received", "processed", "quarantined"]
    assert events[-1].message == "file quarantined: /quarantine/q"


def test_files_in_state(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        a, b, c, d = (add_file(s) for _ in range(4))
        r.set_file_state(s, b, FileState.PROCESSED, final_path="/archive/b")
        r.set_file_state(s, c, FileState.ARCHIVED, final_path="/archive/c")
        r.set_file_state(s, d, FileState.DUPLICATE)
    with ledger.factory.begin() as s:
        assert [f.id for f in r.files_in_state(s, [FileState.RECEIVED])] == [a]
        both = r.files_in_state(s, [FileState.DUPLICATE, FileState.PROCESSED])
        assert [(f.id, f.state) for f in both] == [
            (b, FileState.PROCESSED),
            (d, FileState.DUPLICATE),
        ]
        assert [f.id for f in r.files_in_state(s, iter([FileState.PROCESSED]))] == [b]
        assert r.files_in_state(s, []) == []
        assert [f.id for f in r.files_in_state(s, list(FileState), limit=2)] == [a, b]


def test_duplicate_file(ledger: Ledger) -> None:
    digest = "cd" * 32
    with ledger.factory.begin() as s:
        original = add_file(s, sha256=digest)
        again = add_file(s, sha256=digest)
        other_partner = add_file(s, "globex", sha256=digest)
    since = now() - HOUR
    with ledger.factory.begin() as s:
        twin = r.duplicate_file(s, partner="acme", sha256=digest, since=since, before_id=again)
        assert twin is not None
        assert twin.id == original
        # only earlier records count: the original is no copy of its later copy (two copies
        # recorded before either is processed must not both become duplicates)
        assert (
            r.duplicate_file(s, partner="acme", sha256=digest, since=since, before_id=original)
            is None
        )
        # partners are separate
        assert (
            r.duplicate_file(
                s, partner="globex", sha256=digest, since=since, before_id=other_partner
            )
            is None
        )
        assert (
            r.duplicate_file(s, partner="acme", sha256="ef" * 32, since=since, before_id=again)
            is None
        )
    # outside the window
    age_file(ledger, original, dt.timedelta(days=10))
    with ledger.factory.begin() as s:
        assert (
            r.duplicate_file(
                s,
                partner="acme",
                sha256=digest,
                since=now() - dt.timedelta(days=7),
                before_id=again,
            )
            is None
        )
        twin = r.duplicate_file(
            s, partner="acme", sha256=digest, since=now() - dt.timedelta(days=11), before_id=again
        )
        assert twin is not None
        assert twin.id == original


def test_quarantined_and_duplicate_files_are_not_originals(ledger: Ledger) -> None:
    digest = "12" * 32
    with ledger.factory.begin() as s:
        bad = add_file(s, sha256=digest)
        r.set_file_state(s, bad, FileState.QUARANTINED, final_path="/quarantine/x")
        dup = add_file(s, sha256=digest)
        r.set_file_state(s, dup, FileState.DUPLICATE)
        new = add_file(s, sha256=digest)
    with ledger.factory.begin() as s:
        assert (
            r.duplicate_file(s, partner="acme", sha256=digest, since=now() - HOUR, before_id=new)
            is None
        )


def test_set_file_state(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        file_id = add_file(s)
    with ledger.factory.begin() as s:
        r.set_file_state(
            s,
            file_id,
            FileState.PROCESSED,
            detail={"documents": 2, "report": {"errors": ["x"]}},
            final_path="/archive/acme/2026/11/23/f.x12",
        )
    with ledger.factory.begin() as s:
        r.set_file_state(s, file_id, FileState.ARCHIVED)  # keeps final path and detail
        # the same state again, with nothing new: no change, no event
        r.set_file_state(s, file_id, FileState.ARCHIVED)
        r.set_file_state(
            s, file_id, FileState.ARCHIVED, final_path="/archive/acme/2026/11/23/f.x12"
        )
    with ledger.factory.begin() as s:
        row = r.file_by_id(s, file_id)
        events = r.timeline(s, file_id)
        with pytest.raises(LookupError):
            r.set_file_state(s, 999_999, FileState.ARCHIVED)
    assert row is not None
    assert row.state is FileState.ARCHIVED
    assert row.final_path == "/archive/acme/2026/11/23/f.x12"
    assert row.detail == {"documents": 2, "report": {"errors": ["x"]}}
    assert row.updated_at >= row.received_at
    assert [e.kind for e in events] == ["received", "processed", "archived"]
    assert events[1].detail == {"documents": 2, "report": {"errors": ["x"]}}
    assert "/archive/acme/2026/11/23/f.x12" in events[1].message


# -- documents -------------------------------------------------------------------------------


def test_record_document(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        add_document(s, file_id, "doc-a", detail={"errors": []})
        add_document(
            s,
            file_id,
            "doc-b",
            interchange_ref="000000001",
            group_ref=None,
            transaction_ref=None,
            kind="TA1",
            state=DocumentState.FAILED,
        )
    with ledger.factory.begin() as s:
        [a] = r.documents_by_id(s, "doc-a")
        rows = r.documents_of_file(s, file_id)
        events = r.timeline(s, "doc-a")
    assert [d.document_id for d in rows] == ["doc-a", "doc-b"]
    assert (a.file_id, a.partner, a.kind, a.interchange_ref, a.group_ref, a.transaction_ref) == (
        file_id,
        "acme",
        "850",
        "000000001",
        "1",
        "0001",
    )
    assert a.state is DocumentState.PARSED
    assert a.detail == {"errors": []}
    assert rows[1].group_ref is None and rows[1].state is DocumentState.FAILED
    # a document's timeline: its own events and the file-level events of its file
    assert [(e.kind, e.document_id) for e in events] == [("received", None), ("parsed", "doc-a")]
    assert "interchange 000000001" in events[1].message


def test_earlier_documents_are_found_by_partner_and_envelope_key_within_the_window(
    ledger: Ledger,
) -> None:
    with ledger.factory.begin() as s:
        first = add_file(s)
        add_document(s, first, "doc-1", envelope_key="key-1")
        add_document(s, first, "doc-2", envelope_key="key-1", partner="globex")
    since = now() - HOUR

    def earlier(*keys: r.EnvelopeKey, since: dt.datetime = since) -> dict[r.EnvelopeKey, list[str]]:
        with ledger.factory.begin() as s:
            found = r.earlier_documents(s, keys, since)
        return {key: [row.document_id for row in rows] for key, rows in found.items()}

    assert earlier(("acme", "key-1")) == {("acme", "key-1"): ["doc-1"]}
    assert earlier(("acme", "key-1"), ("globex", "key-1")) == {
        ("acme", "key-1"): ["doc-1"],
        ("globex", "key-1"): ["doc-2"],
    }
    assert earlier(("acme", "key-2")) == {}
    assert earlier(("initech", "key-1")) == {}
    assert earlier(("acme", "key-1"), since=now() + dt.timedelta(seconds=5)) == {}
    age_documents(ledger, first, dt.timedelta(days=3))
    assert earlier(("acme", "key-1")) == {}
    assert earlier(("acme", "key-1"), since=now() - dt.timedelta(days=4)) != {}


def test_earlier_documents_leave_out_failed_and_duplicate_documents(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        a = add_file(s)
        add_document(s, a, "failed", envelope_key="k", state=DocumentState.FAILED)
        add_document(s, a, "dup", envelope_key="k", state=DocumentState.DUPLICATE)
        add_document(s, a, "kept", envelope_key="k", state=DocumentState.PUBLISHED)
    with ledger.factory.begin() as s:
        found = r.earlier_documents(s, [("acme", "k")], now() - HOUR)
    assert [row.document_id for row in found[("acme", "k")]] == ["kept"]


def test_set_document_state(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        first = add_file(s)
        add_document(s, first, "doc-1")
        second = add_file(s)  # the same document sent again, recorded as a duplicate
        add_document(s, second, "doc-1", state=DocumentState.DUPLICATE)
    with ledger.factory.begin() as s:
        r.set_document_state(s, "doc-1", DocumentState.ACKNOWLEDGED, file_id=first)
        r.set_document_state(s, "doc-1", DocumentState.QUARANTINED, detail={"why": "test"})
        with pytest.raises(LookupError):
            r.set_document_state(s, "nope", DocumentState.PUBLISHED)
    with ledger.factory.begin() as s:
        rows = r.documents_by_id(s, "doc-1")
        events = r.timeline(s, "doc-1")
    assert [(d.file_id, d.state) for d in rows] == [
        (first, DocumentState.ACKNOWLEDGED),
        (second, DocumentState.QUARANTINED),
    ]
    assert rows[1].detail == {"why": "test"}
    kinds = [(e.kind, e.file_id) for e in events if e.document_id == "doc-1"]
    assert kinds == [
        ("parsed", first),
        ("duplicate", second),
        ("acknowledged", first),
        ("quarantined", second),
    ]


# -- outbox ----------------------------------------------------------------------------------


def test_enqueue_and_pending_outbox_in_id_order(ledger: Ledger) -> None:
    body = '{"specversion": "1.0", "data": "é"}'.encode() + bytes(range(256))
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        ids = []
        for n in range(5):
            add_document(s, file_id, f"doc-{n}", transaction_ref=f"000{n}")
            ids.append(add_message(s, f"doc-{n}", body=body))
        [document] = r.documents_by_id(s, "doc-3")
    assert ids == sorted(ids)
    with ledger.factory.begin() as s:
        pending = r.pending_outbox(s, limit=10)
        assert [m.id for m in r.pending_outbox(s, limit=2)] == ids[:2]
        assert [m.id for m in r.pending_outbox(s, limit=10, after_id=ids[2])] == ids[3:]
        events = r.timeline(s, "doc-3")
    assert [m.id for m in pending] == ids
    message = pending[3]
    assert message.message_id == message.document_id == "doc-3"
    assert message.document_pk == document.id
    assert message.body == body and isinstance(message.body, bytes)
    assert message.headers == {"ce_type": "edi.in.850", "n": 1}
    assert (message.exchange, message.routing_key, message.partner) == (
        "edi.in",
        "edi.in.850.acme",
        "acme",
    )
    assert message.state is OutboxState.PENDING
    assert (message.attempts, message.last_error, message.published_at) == (0, None, None)
    assert message.created_at.tzinfo is dt.UTC
    assert [e.kind for e in events if e.document_id] == ["parsed", "enqueued"]


def test_a_page_of_pending_messages_stops_at_its_bytes(ledger: Ledger) -> None:
    """A huge document's parts are 8 MiB each: a page of them is what fits its bytes (at least
    one), and says when rows were left for them; published rows are never in it."""
    sizes = [3000, 3000, 5000, 100, 9000, 100]
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        ids = []
        for n, size in enumerate(sizes):
            add_document(s, file_id, f"doc-{n}", transaction_ref=f"000{n}")
            ids.append(add_message(s, f"doc-{n}", body=bytes(size)))
    with ledger.factory.begin() as s:
        assert [m.id for m in r.pending_outbox(s, limit=10)] == ids
        page, cut = r.pending_page(s, limit=10, max_bytes=6000)
        assert ([m.id for m in page], cut) == (ids[:2], True)
        assert [len(m.body) for m in page] == [3000, 3000]
        page, cut = r.pending_page(s, limit=10, max_bytes=6000, after_id=ids[1])
        assert ([m.id for m in page], cut) == (ids[2:4], True)
        page, cut = r.pending_page(s, limit=10, max_bytes=10, after_id=ids[3])
        assert ([m.id for m in page], cut) == ([ids[4]], True)  # one, however large
        page, cut = r.pending_page(s, limit=2, max_bytes=1 << 20, after_id=ids[3])
        assert ([m.id for m in page], cut) == (ids[4:], False)  # the count's limit: not cut
        keys = [("edi.in", "edi.in.850.acme")]
        assert r.pending_page(s, limit=10, max_bytes=6000, except_keys=keys) == ([], False)
        r.mark_published(s, ids[:1])
    with ledger.factory.begin() as s:
        page, cut = r.pending_page(s, limit=10, max_bytes=6000)
        assert ([m.id for m in page], cut) == ([ids[1]], True)


def test_the_pending_messages_of_a_held_routing_key_are_read_by_their_bytes(
    ledger: Ledger,
) -> None:
    """A held routing key's rows are read a few at a time, and by their bytes as well (at
    least one): a huge document's parts are megabytes each."""
    sizes = [3000, 3000, 5000, 9000]
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        ids = []
        for n, size in enumerate(sizes):
            add_document(s, file_id, f"doc-{n}", transaction_ref=f"000{n}")
            ids.append(add_message(s, f"doc-{n}", body=bytes(size)))
        other = add_message(s, "doc-other", partner="globex")
    held = ("edi.in", "edi.in.850.acme")
    with ledger.factory.begin() as s:
        assert other not in ids
        read = r.pending_outbox_of(s, *held, limit=10, max_bytes=6000)
        assert [m.id for m in read] == ids[:2]
        assert [m.id for m in r.pending_outbox_of(s, *held, limit=1, max_bytes=1 << 20)] == ids[:1]
        r.mark_published(s, ids[:3])
    with ledger.factory.begin() as s:
        assert [m.id for m in r.pending_outbox_of(s, *held, limit=10, max_bytes=10)] == ids[3:]


def test_mark_published(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        a = published_document(s, document_id="doc-a")
        b = published_document(s, document_id="doc-b")
        c = published_document(s, document_id="doc-c")
        r.set_document_state(s, "doc-c", DocumentState.ACKNOWLEDGED)
    before = now()
    with ledger.factory.begin() as s:
        r.mark_published(s, [a, c])
    with ledger.factory.begin() as s:
        r.mark_published(s, [a])  # again: nothing changes, no second event
        r.mark_published(s, [])
        assert [m.id for m in r.pending_outbox(s, limit=10)] == [b]
        message = r.outbox_by_id(s, a)
        [doc_a] = r.documents_by_id(s, "doc-a")
        [doc_b] = r.documents_by_id(s, "doc-b")
        [doc_c] = r.documents_by_id(s, "doc-c")
        events = r.timeline(s, "doc-a")
    assert message is not None
    assert message.state is OutboxState.PUBLISHED
    assert message.published_at is not None and before <= message.published_at <= now()
    assert doc_a.state is DocumentState.PUBLISHED
    assert doc_b.state is DocumentState.PARSED
    assert doc_c.state is DocumentState.ACKNOWLEDGED  # never moved backwards
    published = [e for e in events if e.kind == "published"]
    assert len(published) == 1
    assert published[0].file_id == doc_a.file_id
    assert published[0].detail == {"outbox_id": a, "message_id": "doc-a"}


def test_mark_published_keeps_each_confirms_moment(ledger: Ledger) -> None:
    """Confirms recorded together keep their own moments (the relay gathers them)."""
    with ledger.factory.begin() as s:
        a = published_document(s, document_id="doc-a")
        b = published_document(s, document_id="doc-b")
        c = published_document(s, document_id="doc-c")
    first = now() - dt.timedelta(milliseconds=40)
    confirmed = {a: first, b: first + dt.timedelta(milliseconds=15), c: now()}
    with ledger.factory.begin() as s:
        r.mark_published(s, [a, b, c], at=confirmed)
    with ledger.factory.begin() as s:
        rows = {i: r.outbox_by_id(s, i) for i in (a, b, c)}
        assert r.pending_outbox(s, limit=10) == []
    assert {i: row.published_at for i, row in rows.items() if row is not None} == confirmed


def test_mark_published_in_large_batches(ledger: Ledger) -> None:
    count = r.IN_CHUNK + 37
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        for n in range(count):
            add_document(s, file_id, f"doc-{n}", transaction_ref=str(n))
            add_message(s, f"doc-{n}")
    with ledger.factory.begin() as s:
        ids = [m.id for m in r.pending_outbox(s, limit=count + 10)]
        assert len(ids) == count
        r.mark_published(s, ids)
    with ledger.factory.begin() as s:
        assert r.pending_outbox(s, limit=10) == []
        report = r.status(s, now())
    assert report.documents == {"acme": {"published": count}}


def test_unroutable_messages_stay_and_are_requeued(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        a = published_document(s, document_id="doc-a")
        b = published_document(s, document_id="doc-b")
    with ledger.factory.begin() as s:
        r.mark_unroutable(s, a, "NO_ROUTE {312}")
    with ledger.factory.begin() as s:
        # a confirm that follows the return does not publish it
        r.mark_published(s, [a])
        assert [m.id for m in r.pending_outbox(s, limit=10)] == [b]
        report = r.status(s, now())
        assert (report.outbox_pending, report.outbox_unroutable) == (1, 1)
        r.mark_unroutable(s, a, "NO_ROUTE again")
    with ledger.factory.begin() as s:
        message = r.outbox_by_id(s, a)
        assert message is not None
        assert message.state is OutboxState.UNROUTABLE
        assert (message.attempts, message.last_error) == (2, "NO_ROUTE again")
        assert r.requeue_unroutable(s) == 1
        assert r.requeue_unroutable(s) == 0
    with ledger.factory.begin() as s:
        assert [m.id for m in r.pending_outbox(s, limit=10)] == [a, b]
        r.mark_published(s, [a])
        r.mark_unroutable(s, a, "too late")  # confirmed already: stays published
        message = r.outbox_by_id(s, a)
        events = r.timeline(s, "doc-a")
    assert message is not None and message.state is OutboxState.PUBLISHED
    assert [e.kind for e in events if e.document_id] == [
        "parsed",
        "enqueued",
        "unroutable",
        "unroutable",
        "requeued",
        "published",
    ]
    assert "NO_ROUTE {312}" in events[3].message


def test_replay(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        a = published_document(s, "acme", "doc-a")
        b = published_document(s, "acme", "doc-b")
        g = published_document(s, "globex", "doc-g")
        r.mark_published(s, [a, b, g])
    with ledger.factory.begin() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == a)
            .values(created_at=now() - dt.timedelta(days=2))
            .execution_options(synchronize_session=False)
        )
    with ledger.factory.begin() as s:
        assert [m.id for m in r.documents_for_replay(s, document_id="doc-b")] == [b]
        assert [m.id for m in r.documents_for_replay(s, partner="acme")] == [a, b]
        assert [m.id for m in r.documents_for_replay(s, since=now() - HOUR)] == [b, g]
        recent_acme = r.documents_for_replay(s, partner="acme", since=now() - HOUR)
        assert [m.id for m in recent_acme] == [b]
        assert r.documents_for_replay(s, document_id="unknown") == []
        with pytest.raises(ValueError, match="document id, a partner or a time"):
            r.documents_for_replay(s)
        rows = r.documents_for_replay(s, partner="acme")
        assert all(m.state is OutboxState.PUBLISHED for m in rows)
        assert r.reset_for_replay(s, [m.id for m in rows]) == 2
        assert r.reset_for_replay(s, [a]) == 0  # pending already
    with ledger.factory.begin() as s:
        pending = r.pending_outbox(s, limit=10)
        events = r.timeline(s, "doc-a")
    assert [(m.id, m.message_id, m.published_at) for m in pending] == [
        (a, "doc-a", None),
        (b, "doc-b", None),
    ]
    assert events[-1].kind == "replay"


# -- acknowledgements ------------------------------------------------------------------------


def test_acks(ledger: Ledger) -> None:
    text = "ISA*00*          *00*...~\nGS*FA*...~\n"
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        first = r.record_ack(s, file_id=file_id, partner="acme", name="997_1.x12", text=text)
        second = r.record_ack(s, file_id=file_id, partner="acme", name="ta1_1.x12", text="TA1")
    with ledger.factory.begin() as s:
        acks = r.acks_to_write(s)
        assert [a.id for a in r.acks_to_write(s, limit=1)] == [first]
        r.mark_ack_written(s, first)
        r.mark_ack_written(s, first)  # again: nothing happens
    with ledger.factory.begin() as s:
        remaining = r.acks_to_write(s)
        events = r.timeline(s, file_id)
    assert [(a.id, a.name, a.partner, a.file_id, a.state) for a in acks] == [
        (first, "997_1.x12", "acme", file_id, AckState.PENDING_WRITE),
        (second, "ta1_1.x12", "acme", file_id, AckState.PENDING_WRITE),
    ]
    assert acks[0].text == text and acks[0].written_at is None
    assert [a.id for a in remaining] == [second]
    assert [e.kind for e in events] == ["received", "ack_recorded", "ack_recorded", "ack_written"]
    assert events[-1].message == "acknowledgement written: outbox/acme/997_1.x12"


def test_acks_are_marked_written_together(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        ids = [
            r.record_ack(s, file_id=file_id, partner="acme", name=f"{n}", text="x") for n in "ab"
        ]
    with ledger.factory.begin() as s:
        r.mark_acks_written(s, ids)
        r.mark_acks_written(s, ids)  # again: nothing happens
        assert r.acks_to_write(s) == []
        kinds = [e.kind for e in r.timeline(s, file_id)]
    assert kinds.count("ack_written") == 2


# -- events and timelines --------------------------------------------------------------------


def test_add_event_and_timeline(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        add_document(s, file_id, "doc-1")
        other = add_file(s)
        r.add_event(s, kind="note", message="about the file", file_id=file_id)
        r.add_event(
            s,
            kind="custom",
            message="about the document",
            document_id="doc-1",
            correlation_id="c-9",
            detail={"nested": {"list": [1, 2, None], "text": "ü"}},
        )
        r.add_event(s, kind="note", message="another file", file_id=other)
    with ledger.factory.begin() as s:
        by_document = r.timeline(s, "doc-1")
        by_file = r.timeline(s, str(file_id))
        assert r.timeline(s, f" {file_id} ") == by_file
        assert r.timeline(s, "no-such-document") == []
    assert [(e.kind, e.message) for e in by_document[1:]] == [
        ("parsed", "850 (interchange 000000001, group 1, transaction 0001) parsed"),
        ("note", "about the file"),
        ("custom", "about the document"),
    ]
    assert by_document[0].kind == "received" and by_document[0].file_id == file_id
    custom = by_document[-1]
    assert (custom.correlation_id, custom.detail, custom.file_id) == (
        "c-9",
        {"nested": {"list": [1, 2, None], "text": "ü"}},
        None,
    )
    assert [e.kind for e in by_file] == ["received", "parsed", "note"]
    assert all(e.at.tzinfo is dt.UTC for e in by_document)
    assert [e.id for e in by_document] == sorted(e.id for e in by_document)


# -- status ----------------------------------------------------------------------------------


def test_status(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        empty = r.status(s, now())
    assert (empty.files, empty.documents, empty.outbox_backlog) == ({}, {}, {})
    assert (empty.outbox_pending, empty.outbox_unroutable, empty.acks_to_write) == (0, 0, 0)
    assert empty.oldest_pending_age_seconds is None

    with ledger.factory.begin() as s:
        a1 = published_document(s, "acme", "a1")
        published_document(s, "acme", "a2")
        g1 = published_document(s, "globex", "g1")
        done = add_file(s, "globex")
        r.set_file_state(s, done, FileState.ARCHIVED)
        r.record_ack(s, file_id=done, partner="globex", name="997.x12", text="x")
        r.mark_published(s, [a1])
        r.mark_unroutable(s, g1, "NO_ROUTE")
    with ledger.factory.begin() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.document_id == "a2")
            .values(created_at=now() - dt.timedelta(seconds=90))
            .execution_options(synchronize_session=False)
        )
    at = now()
    with ledger.factory.begin() as s:
        report = r.status(s, at)
    assert report.at == at
    assert report.files == {"acme": {"received": 2}, "globex": {"archived": 1, "received": 1}}
    assert report.documents == {
        "acme": {"parsed": 1, "published": 1},
        "globex": {"parsed": 1},
    }
    assert (report.outbox_pending, report.outbox_unroutable) == (1, 1)
    assert report.outbox_backlog == {"acme": {"pending": 1}, "globex": {"unroutable": 1}}
    assert report.oldest_pending_age_seconds is not None
    assert 90 <= report.oldest_pending_age_seconds < 120
    assert report.acks_to_write == 1


# -- transactions and values -----------------------------------------------------------------


def test_the_caller_owns_the_transaction(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError, match="crash"), ledger.factory.begin() as s:
        published_document(s, document_id="doc-x")
        r.record_ack(s, file_id=add_file(s), partner="acme", name="997.x12", text="x")
        raise RuntimeError("crash before commit")
    with ledger.factory.begin() as s:
        report = r.status(s, now())
        assert (report.files, report.documents, report.outbox_pending) == ({}, {}, 0)
        assert report.acks_to_write == 0
        assert r.timeline(s, "doc-x") == []


def test_naive_datetimes_are_refused(ledger: Ledger) -> None:
    with ledger.factory.begin() as s, pytest.raises(Exception, match="aware datetimes"):
        r.duplicate_file(
            s, partner="acme", sha256="x", since=dt.datetime(2026, 1, 1), before_id=2**62
        )


def test_other_time_zones_are_stored_as_utc(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        file_id = add_file(s)
    eastern = dt.timezone(dt.timedelta(hours=-5))
    with ledger.factory.begin() as s:
        row = r.file_by_id(s, file_id)
        assert row is not None
        local = row.received_at.astimezone(eastern)
        # the same instant written in another zone selects the same rows
        found = r.duplicate_file(s, partner="acme", sha256=row.sha256, since=local, before_id=2**62)
        assert found is not None and found.id == file_id
        later = local + dt.timedelta(microseconds=1)
        assert (
            r.duplicate_file(s, partner="acme", sha256=row.sha256, since=later, before_id=2**62)
            is None
        )


def test_a_rolled_back_document_is_not_linked_to_a_later_message(ledger: Ledger) -> None:
    """enqueue remembers the document records of the current transaction only."""
    with ledger.factory() as session:
        with pytest.raises(RuntimeError), session.begin():
            add_document(session, add_file(session), "doc-r")
            raise RuntimeError("rolled back")
        with session.begin():
            outbox_id = add_message(session, "doc-r")
        with session.begin():
            file_id = add_file(session)
            add_document(session, file_id, "doc-r")
        with session.begin():
            later = add_message(session, "doc-r")
    with ledger.factory.begin() as s:
        first, second = r.outbox_by_id(s, outbox_id), r.outbox_by_id(s, later)
        [document] = r.documents_by_id(s, "doc-r")
    assert first is not None and first.document_pk is None
    assert second is not None and second.document_pk == document.id


def test_events_are_written_together_when_the_transaction_commits(ledger: Ledger) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
            statements.append(statement)

    sqlalchemy_event.listen(ledger.engine, "before_cursor_execute", count)
    try:
        with ledger.factory.begin() as s:
            ids = [published_document(s, document_id=f"doc-{n}") for n in range(3)]
            assert statements == []  # waiting in the session
            # a timeline read in the same transaction sees them
            assert [e.kind for e in r.timeline(s, "doc-1")] == ["received", "parsed", "enqueued"]
            assert len(statements) == 1
            r.mark_published(s, ids)
        assert len(statements) == 2  # the rest, at commit
    finally:
        sqlalchemy_event.remove(ledger.engine, "before_cursor_execute", count)
    with ledger.factory.begin() as s:
        assert [e.kind for e in r.timeline(s, "doc-2")][-1] == "published"


def test_a_plain_session_writes_events_at_once(ledger: Ledger) -> None:
    with Session(ledger.engine) as s, s.begin():
        file_id = add_file(s)
        count = s.connection().exec_driver_sql("SELECT count(*) FROM events").scalar()
        assert count == 1
        assert [e.kind for e in r.timeline(s, file_id)] == ["received"]


def test_details_keep_what_json_cannot_hold_as_text(ledger: Ledger) -> None:
    when = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    detail = {"path": Path("/quarantine/acme/x.x12"), "at": when, "amount": Decimal("1.50")}
    with ledger.factory.begin() as s:
        file_id = add_file(s)
        r.set_file_state(s, file_id, FileState.PROCESSED, detail=detail)
    with ledger.factory.begin() as s:
        row = r.file_by_id(s, file_id)
        events = r.timeline(s, file_id)
    expected = {"path": "/quarantine/acme/x.x12", "at": str(when), "amount": "1.50"}
    assert row is not None and row.detail == expected
    assert events[-1].detail == expected


def test_a_message_about_no_inbound_document_is_not_linked_to_one(ledger: Ledger) -> None:
    with ledger.factory.begin() as s:
        add_document(s, add_file(s), "same-id")
        [linked, alone] = r.enqueue_messages(
            s,
            [
                r.NewMessage("m1", "same-id", "acme", "edi.in", "k", b"{}", {}, "c"),
                r.NewMessage(
                    "m2", "same-id", "acme", "edi.events", "k", b"{}", {}, "c", of_document=False
                ),
            ],
        )
        rows = [r.outbox_by_id(s, outbox_id) for outbox_id in (linked, alone)]
    assert [row.document_pk is not None for row in rows if row] == [True, False]

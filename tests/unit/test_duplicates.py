"""Which documents of a batch were seen before: new, the same document again, or other content
under control numbers used before (gateway.duplicates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.duplicates import NEW, Seen, Verdict, classify
from gateway.ledger import DocumentRow, DocumentState

NOW = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Doc:
    document_id: str
    envelope_key: str
    accepted: bool = True


def row(document_id: str, envelope_key: str, file_id: int, partner: str = "acme") -> DocumentRow:
    return DocumentRow(
        id=file_id,
        document_id=document_id,
        envelope_key=envelope_key,
        file_id=file_id,
        partner=partner,
        kind="850",
        isa13="000000001",
        gs06="1",
        st02="0001",
        state=DocumentState.PUBLISHED,
        correlation_id="c",
        detail=None,
        created_at=NOW,
        updated_at=NOW,
    )


def test_the_same_document_again_is_a_duplicate_and_other_content_reuses_the_numbers() -> None:
    earlier = {("acme", "k1"): [row("doc-a", "k1", file_id=1)]}
    found = [(2, "acme", Doc("doc-a", "k1")), (3, "acme", Doc("doc-b", "k1"))]
    assert classify(found, earlier) == [
        Verdict(Seen.DUPLICATE, 1, "doc-a"),
        Verdict(Seen.REUSED, 1, "doc-a"),
    ]


def test_keys_are_per_partner_and_an_unknown_key_is_new() -> None:
    earlier = {("acme", "k1"): [row("doc-a", "k1", file_id=1)]}
    found = [(2, "globex", Doc("doc-a", "k1")), (3, "acme", Doc("doc-c", "k2"))]
    assert classify(found, earlier) == [NEW, NEW]


def test_a_record_made_before_the_content_digest_counts_as_the_same_document() -> None:
    """Before schema 1.1 a document's id was its envelope key: its content is unknown, so a
    document under its key is taken for a copy, as it was before the upgrade."""
    earlier = {("acme", "k1"): [row("k1", "k1", file_id=1)]}
    assert classify([(2, "acme", Doc("doc-new", "k1"))], earlier) == [
        Verdict(Seen.DUPLICATE, 1, "k1")
    ]


def test_documents_of_the_batch_count_in_order_and_failed_ones_do_not() -> None:
    found = [
        (1, "acme", Doc("doc-x", "k", accepted=False)),
        (2, "acme", Doc("doc-a", "k")),
        (3, "acme", Doc("doc-a", "k")),
        (4, "acme", Doc("doc-b", "k")),
        (5, "acme", Doc("", "")),
    ]
    assert classify(found, {}) == [
        NEW,
        NEW,
        Verdict(Seen.DUPLICATE, 2, "doc-a"),
        Verdict(Seen.REUSED, 2, "doc-a"),
        NEW,
    ]


def test_a_document_is_never_a_copy_of_its_own_file() -> None:
    earlier = {("acme", "k1"): [row("doc-a", "k1", file_id=7)]}
    assert classify([(7, "acme", Doc("doc-a", "k1"))], earlier) == [NEW]

"""Which documents of a batch were seen before: new, the same document again, other content
under control numbers used before, or the same order again / revised under new control numbers
(gateway.duplicates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from adapters.formats.x12.inbound import X12Parser
from gateway.duplicates import NEW, Seen, Verdict, business_key, classify
from gateway.ledger import DocumentRow, DocumentState
from gateway.messages import PurchaseOrder
from tests.integration.support import ROOT

FIXTURE = ROOT / "fixtures" / "x12" / "850-004010.edi"

NOW = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Doc:
    document_id: str
    envelope_key: str
    accepted: bool = True
    business_key: str = ""
    content_digest: str = ""
    former_document_id: str = ""
    former_content_digest: str = ""


def row(
    document_id: str,
    envelope_key: str,
    file_id: int,
    partner: str = "acme",
    business_key: str | None = None,
    content_digest: str | None = None,
) -> DocumentRow:
    return DocumentRow(
        id=file_id,
        document_id=document_id,
        envelope_key=envelope_key,
        file_id=file_id,
        partner=partner,
        kind="850",
        interchange_ref="000000001",
        group_ref="1",
        transaction_ref="0001",
        state=DocumentState.PUBLISHED,
        correlation_id="c",
        detail=None,
        created_at=NOW,
        updated_at=NOW,
        business_key=business_key,
        content_digest=content_digest,
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


def test_the_same_order_under_new_control_numbers_is_a_business_duplicate() -> None:
    earlier = {
        ("acme", "PurchaseOrder:4501"): [
            row("doc-a", "k1", 1, business_key="PurchaseOrder:4501", content_digest="d1")
        ]
    }
    found = [
        (2, "acme", Doc("doc-b", "k2", business_key="PurchaseOrder:4501", content_digest="d1"))
    ]
    assert classify(found, {}, earlier) == [Verdict(Seen.BUSINESS_DUPLICATE, 1, "doc-a")]


def test_the_same_order_with_other_content_is_a_revision_of_the_newest() -> None:
    key = "PurchaseOrder:4501"
    earlier = {
        ("acme", key): [
            row("doc-a", "k1", 1, business_key=key, content_digest="d1"),
            row("doc-b", "k2", 2, business_key=key, content_digest="d2"),
        ]
    }
    found = [
        (3, "acme", Doc("doc-c", "k3", business_key=key, content_digest="d3")),
        (4, "acme", Doc("doc-d", "k4", business_key=key, content_digest="d3")),  # c again
        (5, "acme", Doc("doc-e", "k5", business_key=key, content_digest="d1")),  # a again
        (6, "globex", Doc("doc-f", "k6", business_key=key, content_digest="d9")),
    ]
    assert classify(found, {}, earlier) == [
        Verdict(Seen.NEW, revision_of="doc-b"),
        Verdict(Seen.BUSINESS_DUPLICATE, 3, "doc-c"),
        Verdict(Seen.BUSINESS_DUPLICATE, 1, "doc-a"),
        NEW,  # another partner's order of that number is another order
    ]


def test_an_exact_duplicate_stays_one_and_a_failed_document_has_no_business_verdict() -> None:
    key = "ShipNotice:ASN1"
    earlier_envelopes = {("acme", "k1"): [row("doc-a", "k1", 1)]}
    earlier_business = {
        ("acme", key): [row("doc-a", "k1", 1, business_key=key, content_digest="d")]
    }
    found = [
        (2, "acme", Doc("doc-a", "k1", business_key=key, content_digest="d")),
        (3, "acme", Doc("doc-x", "k9", accepted=False, business_key=key, content_digest="d")),
    ]
    assert classify(found, earlier_envelopes, earlier_business) == [
        Verdict(Seen.DUPLICATE, 1, "doc-a"),
        NEW,
    ]


def test_business_keys_come_from_the_canonical_message() -> None:
    [doc] = X12Parser().parse(FIXTURE.read_bytes(), file_name="850.edi", partner="acme").documents
    assert isinstance(doc.message, PurchaseOrder)
    assert business_key(doc.message) == f"PurchaseOrder:{doc.message.po_number}"
    assert business_key(SimpleNamespace(message_type="ShipNotice", shipment_id=" ASN-9")) == (
        "ShipNotice:ASN-9"
    )
    assert business_key(SimpleNamespace(message_type="PurchaseOrder", po_number="  ")) is None
    assert business_key(SimpleNamespace(message_type="FunctionalAck")) is None


def test_a_document_recorded_under_schema_2_0_is_the_same_document_under_its_former_id() -> None:
    """Read by 2.1 it has another id (it holds what 2.0 did not read); the id 2.0 gave it is the
    one recorded: sent again, it is a duplicate, not other content under the same numbers."""
    earlier = {("acme", "k1"): [row("doc-2.0", "k1", file_id=1)]}
    again = Doc("doc-2.1", "k1", former_document_id="doc-2.0")
    other = Doc("doc-other", "k1", former_document_id="doc-other-2.0")
    assert classify([(2, "acme", again), (3, "acme", other)], earlier) == [
        Verdict(Seen.DUPLICATE, 1, "doc-2.0"),
        Verdict(Seen.REUSED, 1, "doc-2.0"),
    ]


def test_an_order_from_before_schema_2_1_sent_under_new_numbers_is_a_business_duplicate() -> None:
    business = {
        ("acme", "PurchaseOrder:1"): [
            row("doc-2.0", "k1", 1, business_key="PurchaseOrder:1", content_digest="d-2.0")
        ]
    }
    again = Doc(
        "doc-2.1",
        "k2",
        business_key="PurchaseOrder:1",
        content_digest="d-2.1",
        former_content_digest="d-2.0",
    )
    changed = Doc(
        "doc-x",
        "k3",
        business_key="PurchaseOrder:1",
        content_digest="d-x",
        former_content_digest="d-x-2.0",
    )
    assert classify([(2, "acme", again), (3, "acme", changed)], {}, business) == [
        Verdict(Seen.BUSINESS_DUPLICATE, 1, "doc-2.0"),
        Verdict(Seen.NEW, revision_of="doc-2.0"),
    ]

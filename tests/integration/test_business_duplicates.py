"""An order the partner sends again under new control numbers is recognised by its business key
(the PO number) and content: recorded, announced, not published again; the same PO number with
other content is published as a revision of the earlier order (gateway.duplicates)."""

from __future__ import annotations

import json
from pathlib import Path

from gateway import ledger
from gateway.bus.topology import EVENTS_EXCHANGE
from tests.integration.support import bound_queue, drop, in_process_gateway, run_once, take_all
from tests.support.x12_files import interchange, order

CHANGED_ORDER = ["BEG*00*SA*{po}**20261123", "PO1*1*24*EA*1.25**UP*012345678905", "CTT*1"]


def changed(isa13: int, po: str) -> bytes:
    """The order ``po`` with twice the quantity (other content, same business key)."""
    body = [segment.format(po=po) for segment in CHANGED_ORDER]
    return interchange(isa13, [("PO", isa13, [("850", body)])]).encode()


def test_an_order_sent_again_is_not_published_twice_and_a_changed_one_is_a_revision(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    inbox = tmp_path / "inbox"
    with (
        bound_queue(f"edi.in.850.{partner}") as (channel, queue),
        bound_queue(f"edi.notice.*.{partner}", EVENTS_EXCHANGE) as (notices, notice_queue),
    ):
        drop(inbox, partner, "first.edi", order(101, "4501"))
        run_once(gw)
        [(first, _)] = take_all(channel, queue)

        drop(inbox, partner, "again.edi", order(102, "4501"))  # new ISA13, same order
        run_once(gw)
        assert take_all(channel, queue) == []
        [(_, body)] = take_all(notices, notice_queue)
        duplicate = json.loads(body)["data"]
        assert duplicate["code"] == "business_duplicate"
        assert duplicate["detail"]["earlier_document"] == first.message_id

        drop(inbox, partner, "changed.edi", changed(103, "4501"))
        run_once(gw)
        [(revision, body)] = take_all(channel, queue)
        assert revision.headers["revision_of"] == first.message_id
        assert json.loads(body)["data"]["lines"][0]["quantity"] == "24"
        [(_, body)] = take_all(notices, notice_queue)
        assert json.loads(body)["data"]["detail"]["revision_of"] == first.message_id

    with gw.pipeline.factory.begin() as s:
        [again] = ledger.documents_by_id(s, duplicate["document_id"])
        [later] = ledger.documents_by_id(s, revision.message_id)
    assert again.state is ledger.DocumentState.DUPLICATE
    assert again.business_key == "PurchaseOrder:4501" and again.format == "x12"
    assert again.detail is not None and again.detail["finding"] == "business_duplicate"
    assert later.detail is not None and later.detail["revision"]["revision_of"] == first.message_id
    acks = sorted((tmp_path / "outbox" / partner).glob("997-*.x12"))
    assert len(acks) == 3 and all("AK9*A*1*1*1" in ack.read_text() for ack in acks)


def test_a_partner_may_want_orders_sent_again_published(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text('business_duplicates = "publish"\n')
    gw = in_process_gateway(tmp_path, database_url)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "first.edi", order(201, "4502"))
        drop(tmp_path / "inbox", partner, "again.edi", order(202, "4502"))
        run_once(gw)
        assert len(take_all(channel, queue)) == 2

"""A ledger written before canonical schema 1.1 upgrades in place, and the documents it holds
are still recognised when they arrive again (gateway/ledger/migrations/versions/0004); so are the
documents recorded under schema 2.0 that 2.1 reads otherwise (gateway.messages.upgrade)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import text

from adapters.formats.x12.inbound import SenderRules, X12Parser
from gateway import ledger as repository
from gateway.ledger import create_engine_for
from gateway.ledger.database import alembic_config
from gateway.messages import document_id_of
from gateway.ports import ParsedDocument
from gateway.runtime.daemon import Gateway
from tests.integration.support import (
    bound_queue,
    drop,
    in_process_gateway,
    run_once,
    small_850,
    take_all,
)


def test_a_document_recorded_before_the_upgrade_is_still_a_duplicate_after_it(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    document = small_850(7801)
    [parsed] = X12Parser().parse(document, file_name="old.edi", partner=partner).documents
    engine = create_engine_for(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
        now = dt.datetime.now(dt.UTC)
        file_id = connection.execute(
            text(
                "INSERT INTO files (partner, name, sha256, size, work_path, state, "
                "correlation_id, received_at, updated_at) VALUES (:p, 'old.edi', :sha, 1, "
                "'/work/old.edi', 'archived', 'c-old', :now, :now) RETURNING id"
            ),
            {"p": partner, "sha": "0" * 64, "now": now},
        ).scalar_one()
        connection.execute(  # before 0004 a document's id was its envelope key
            text(
                "INSERT INTO documents (document_id, file_id, partner, kind, isa13, gs06, st02, "
                "state, correlation_id, created_at, updated_at) VALUES (:d, :f, :p, '850', "
                "'000007801', '7801', '0001', 'published', 'c-old', :now, :now)"
            ),
            {"d": parsed.envelope_key, "f": file_id, "p": partner, "now": now},
        )
    engine.dispose()
    gw = in_process_gateway(tmp_path, database_url)  # migrates to the head
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "again.edi", document + b"\n")
        run_once(gw)
        assert take_all(channel, queue) == []
    with gw.pipeline.factory.begin() as s:
        [old] = repository.documents_by_id(s, parsed.envelope_key)
        [again] = repository.documents_by_id(s, parsed.document_id)
    assert old.envelope_key == parsed.envelope_key  # copied by the upgrade
    assert again.state is repository.DocumentState.DUPLICATE
    assert again.detail == {"duplicate_of_file": file_id, "duplicate_of_document": old.document_id}


def _850_with_a_buyer_item_id(control: int) -> bytes:
    """An 850 whose line carries an IN pair (2.1 reads it into ``buyer_item_id``, 2.0 kept it
    first among ``other_ids``): another digest, so another id, under 2.1."""
    return small_850(control, partner_po="PO-UPGRADE").replace(
        b"PO1*1*12*EA*1.25**UP*012345678905",
        b"PO1*1*12*EA*1.25**IN*B-77*UP*012345678905*BO*X9",
    )


DIGEST_2_0 = "a4f15cf7eef94e0daf94cf1266243f9b6e3e5cf2fbb468f02e0423200ead75c4"
"""The content digest the tree released with schema 2.0 (3ed1ec8) gave that 850."""


def test_a_document_recorded_under_schema_2_0_is_not_published_again_after_the_upgrade(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """The ledger recorded the 850 under 2.0 (its 2.0 id and digest). Sent again in the same
    interchange, it is a duplicate of that record; sent again under new control numbers, a
    business duplicate: published neither time, as 2.0 would have done."""
    document = _850_with_a_buyer_item_id(7802)
    [parsed] = X12Parser().parse(document, file_name="old.edi", partner=partner).documents
    assert parsed.message is not None
    id_2_0 = document_id_of(parsed.message.envelope, DIGEST_2_0)
    assert parsed.document_id != id_2_0  # 2.1 reads it otherwise
    gw = in_process_gateway(tmp_path, database_url)
    file_id = _recorded_under_2_0(gw, parsed, id_2_0, DIGEST_2_0, "PurchaseOrder:PO-UPGRADE")
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "again.edi", document)
        run_once(gw)
        drop(tmp_path / "inbox", partner, "renumbered.edi", _850_with_a_buyer_item_id(7803))
        run_once(gw)
        assert take_all(channel, queue) == []
    with gw.pipeline.factory.begin() as s:
        [again] = repository.documents_by_id(s, parsed.document_id)
        renumbered = [d for d in repository.documents_of_file(s, file_id + 2) if d.kind == "850"]
    assert again.state is repository.DocumentState.DUPLICATE
    assert again.detail == {"duplicate_of_file": file_id, "duplicate_of_document": id_2_0}
    [copy] = renumbered
    assert copy.state is repository.DocumentState.DUPLICATE
    assert copy.detail is not None and copy.detail["earlier_document"] == id_2_0


def _recorded_under_2_0(
    gw: Gateway, parsed: ParsedDocument, id_2_0: str, digest_2_0: str, business_key: str | None
) -> int:
    """Record ``parsed``'s document as a 2.0 gateway published it; returns its file's id."""
    assert parsed.message is not None
    partner = parsed.message.envelope.partner
    with gw.pipeline.factory.begin() as s:
        file_id = repository.record_file(
            s,
            partner=partner,
            name="old.edi",
            sha256="0" * 64,
            size=1,
            work_path="/work/old.edi",
            correlation_id="c-old",
        )
        repository.record_documents(
            s,
            [
                repository.NewDocument(
                    document_id=id_2_0,
                    file_id=file_id,
                    partner=partner,
                    kind=parsed.kind,
                    interchange_ref=parsed.interchange,
                    group_ref=parsed.group,
                    transaction_ref=parsed.transaction,
                    state=repository.DocumentState.PUBLISHED,
                    correlation_id="c-old",
                    envelope_key=parsed.envelope_key,
                    format="x12",
                    business_key=business_key,
                    content_digest=digest_2_0,
                )
            ],
        )
    return file_id


def _invoice(control: int) -> bytes:
    """A one-line 810 in its own interchange (small_850's envelope)."""
    order = (
        f"ST*850*0001~\nBEG*00*SA*PO{control:08d}**20261123~\n"
        "PO1*1*12*EA*1.25**UP*012345678905~\nCTT*1~\nSE*5*0001"
    )
    invoice = (
        f"ST*810*0001~\nBIG*20261123*INV-{control}**PO-{control}~\n"
        "IT1*1*12*EA*1.25**UP*012345678905~\nTDS*1500~\nCTT*1~\nSE*6*0001"
    )
    data = (
        small_850(control).replace(b"GS*PO*", b"GS*IN*").replace(order.encode(), invoice.encode())
    )
    assert b"ST*810" in data
    return data


INVOICE_DIGEST_2_0 = "a03f34d83d7e7288a9c73e22fc68d186ba61241f7a7cc89e39e622dc59dcba0a"
"""The content digest the tree released with 2.0 gave ``_invoice(7804)`` passed through (as an
UntranslatedTransaction: 2.0 did not translate the 810)."""


def test_a_set_2_0_passed_through_is_not_published_again_now_that_it_is_translated(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    folder = tmp_path / "mappings" / "partners"
    folder.mkdir(parents=True)
    (folder / f"{partner}.toml").write_text(
        '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\nunsupported_sets = "pass_through"\n'
    )
    document = _invoice(7804)
    parser = X12Parser({partner: SenderRules(pass_through=True)})
    [parsed] = parser.parse(document, file_name="old.edi", partner=partner).documents
    assert parsed.message is not None and parsed.message.message_type == "Invoice"
    id_2_0 = document_id_of(parsed.message.envelope, INVOICE_DIGEST_2_0)
    assert parsed.former_document_id == id_2_0
    gw = in_process_gateway(tmp_path, database_url)
    file_id = _recorded_under_2_0(gw, parsed, id_2_0, INVOICE_DIGEST_2_0, business_key=None)
    with bound_queue(f"edi.in.810.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "again.edi", document)
        run_once(gw)
        assert take_all(channel, queue) == []
    with gw.pipeline.factory.begin() as s:
        [again] = repository.documents_by_id(s, parsed.document_id)
    assert again.state is repository.DocumentState.DUPLICATE
    assert again.detail == {"duplicate_of_file": file_id, "duplicate_of_document": id_2_0}

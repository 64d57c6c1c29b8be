"""A ledger written by the gateway before the format-neutral core (canonical schema 1.1, ledger
revision 0004; fixtures/ledgers/, made by fixtures/ledgers/make_ledger.py running that code)
upgrades in place, on SQLite and PostgreSQL: nothing it holds is lost, what it had queued is
published, what it knew is still known (a document sent again is a duplicate; the partner's 997
for a document sent before the upgrade settles it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import ledger
from gateway.ledger.models import DOCUMENTS, OUTBOUND_DOCUMENTS
from gateway.ledger.outbound import OutboundState, outbound_by_request_ids
from tests.integration.ledger.databases import postgres_database
from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    in_process_gateway,
    run_once,
    take_all,
)

FIXTURES = ROOT / "fixtures" / "ledgers"
ORDER = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261123*1200*U*00401*"
    "000004001*0*P*>~\nGS*PO*ACME*GATEWAY*20261123*1200*4001*X*004010~\nST*850*0001~\n"
    "BEG*00*SA*PO-OLD-4001**20261123~\nPO1*1*12*EA*1.25**UP*012345678905~\nCTT*1~\n"
    "SE*5*0001~\nGE*1*4001~\nIEA*1*000004001~\n"
)
"""The order the old gateway recorded (make_ledger.py), byte for byte."""
ACK_OF_THE_856 = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261124*0900*U*00401*"
    "000000777*0*P*>~\nGS*FA*ACME*GATEWAY*20261124*0900*777*X*004010~\nST*997*0001~\n"
    "AK1*SH*1~\nAK2*856*0001~\nAK5*A~\nAK9*A*1*1*1~\nSE*6*0001~\nGE*1*777~\nIEA*1*000000777~\n"
)
"""The partner's 997 for the 856 the old gateway sent (GS06 1, ST02 0001)."""
PROFILE = '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\n'


@pytest.fixture(params=["sqlite", "postgresql"])
def old_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a copy of the old ledger, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        shutil.copyfile(FIXTURES / "ledger-0004.sqlite3", path)
        yield f"sqlite:///{path}"
        return
    with postgres_database() as url:
        subprocess.run(
            [
                "psql",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={url.replace('+psycopg', '')}",
                f"--file={FIXTURES / 'ledger-0004.postgresql.sql'}",
            ],
            check=True,
            capture_output=True,
        )
        yield url


def test_an_old_ledger_upgrades_in_place_and_its_work_goes_on(
    tmp_path: Path, old_ledger: str
) -> None:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / "acme.toml").write_text(PROFILE)
    gw = in_process_gateway(tmp_path, old_ledger)  # migrates to the head
    with gw.pipeline.factory.begin() as s:
        [old_order] = s.execute(select(DOCUMENTS)).mappings().all()
        [sent] = outbound_by_request_ids(s, ["old-request-1"]).values()
    assert (old_order["interchange_ref"], old_order["group_ref"], old_order["transaction_ref"]) == (
        "000004001",
        "4001",
        "0001",
    )
    assert old_order["format"] == "x12" and old_order["business_key"] is None
    assert (sent.interchange_ref, sent.group_ref, sent.group_kind, sent.format) == (
        "000000002",
        "1",
        "SH",
        "x12",
    )
    assert (
        sent.content is not None
        and sent.content.startswith("ISA*")
        and "ST*856*0001" in sent.content
    )

    with bound_queue("edi.in.850.acme") as (channel, queue):
        drop(tmp_path / "inbox", "acme", "again.edi", ORDER.encode() + b"\n")  # another file
        drop(tmp_path / "inbox", "acme", "997.edi", ACK_OF_THE_856.encode())
        run_once(gw)
        published = take_all(channel, queue)
    # the order queued before the upgrade goes out now, once; the order sent again is a copy
    assert [properties.message_id for properties, _ in published] == [old_order["document_id"]]
    assert json.loads(published[0][1])["data"]["po_number"] == "PO-OLD-4001"
    with gw.pipeline.factory.begin() as s:
        [again] = [
            row
            for row in s.execute(select(DOCUMENTS)).mappings()
            if row["id"] != old_order["id"] and row["kind"] == "850"
        ]
        [settled] = outbound_by_request_ids(s, ["old-request-1"]).values()
    assert again["state"] == ledger.DocumentState.DUPLICATE.value
    assert settled.state is OutboundState.ACCEPTED
    with gw.pipeline.factory.begin() as s:
        assert s.execute(select(OUTBOUND_DOCUMENTS.c.id)).all() == [(sent.id,)]

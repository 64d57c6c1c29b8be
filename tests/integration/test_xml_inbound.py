"""A partner whose profile says ``format = "xml"`` with the shipped cXML mapping has its
OrderRequests read by the daemon and published as PurchaseOrders (issue 22, first part); a
broken one is quarantined with a report naming the field and its XPath; on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from gateway import ledger
from tests.contract.test_formats import BROKEN_ORDER, CORPUS
from tests.integration.support import bound_queue, drop, in_process_gateway, run_once, take_all

ORDER = CORPUS / "officeluv__cxml__spec__fixtures__order_request.xml"
PROFILE = 'format = "xml"\n[xml]\nmappings = ["cxml-order-request", "cxml-ship-notice-request"]\n'


def test_a_cxml_order_request_is_published_and_a_broken_one_quarantined(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(PROFILE)
    gw = in_process_gateway(tmp_path, database_url)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "order.xml", ORDER.read_bytes())
        drop(tmp_path / "inbox", partner, "broken.xml", BROKEN_ORDER)
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
    order = json.loads(body)["data"]
    assert order["po_number"] == "3309" and order["po_date"] == "2020-03-31"
    assert order["envelope"]["format"] == "xml"
    assert order["envelope"]["interchange_reference"].startswith("1585687161.003309@")
    assert [line["quantity"] for line in order["lines"]] == ["1", "9"]
    assert [p["role"] for p in order["parties"]] == ["ST", "BT"]
    with gw.pipeline.factory.begin() as s:
        [published] = ledger.documents_by_id(s, properties.message_id)
        [quarantined] = ledger.files_in_state(s, [ledger.FileState.QUARANTINED])
    assert published.format == "xml" and published.business_key == "PurchaseOrder:3309"
    assert quarantined.name == "broken.xml"
    [report] = (tmp_path / "quarantine" / partner).glob("*broken.xml.error.json")
    assert "po_date (OrderRequestHeader/@orderDate)" in report.read_text()

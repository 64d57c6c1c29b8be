"""Partners whose profiles name a declarative format have their files read by the daemon
through its shipped mappings (issue 22, first parts): cXML OrderRequests published as
PurchaseOrders, CSV orders (one row per line) and Bots' fixed-width orders (HEA/LIN records) as
one PurchaseOrder per order; a broken file of each is quarantined with a report naming the field
and its XPath, column, or line and columns; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from adapters.formats.xml.safe import parse_xml
from gateway import ledger
from gateway.bus.topology import EVENTS_EXCHANGE
from tests.contract.test_formats import BROKEN_ORDER, CORPUS, CSV_ORDERS, FIXED_ORDERS
from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    in_process_gateway,
    run_once,
    take_all,
)


def profile(home: Path, partner: str, text: str) -> None:
    """The partner's profile in the home's mappings/partners/."""
    profiles = home / "mappings" / "partners"
    profiles.mkdir(parents=True, exist_ok=True)
    (profiles / f"{partner}.toml").write_text(text)


ORDER = CORPUS / "officeluv__cxml__spec__fixtures__order_request.xml"
PROFILE = 'format = "xml"\n[xml]\nmappings = ["cxml-order-request", "cxml-ship-notice-request"]\n'


def test_a_cxml_order_request_is_published_and_a_broken_one_quarantined(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profile(tmp_path, partner, PROFILE)
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


CSV_PROFILE = 'format = "csv"\n[csv]\nmapping = "example-orders"\n'


def test_csv_orders_are_published_one_per_order_and_a_broken_file_quarantined(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profile(tmp_path, partner, CSV_PROFILE)
    gw = in_process_gateway(tmp_path, database_url)
    broken = b'"O","SHOP","US","1","PO-9","yesterday",' + b'"",' * 23 + b'"1","EAN","","","1"\n'
    notices = bound_queue(f"edi.notice.quarantined.{partner}", EVENTS_EXCHANGE)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue), notices as (_, notice_queue):
        drop(tmp_path / "inbox", partner, "orders.csv", CSV_ORDERS.read_bytes())
        drop(tmp_path / "inbox", partner, "broken.csv", broken)
        run_once(gw)
        published = [json.loads(body)["data"] for _, body in take_all(channel, queue)]
        [(properties, body)] = take_all(channel, notice_queue)
    assert sorted(order["po_number"] for order in published) == [
        "1-4500094289",
        "1-4500094290",
        "1-4500094291",
        "BGMREF",
    ]
    assert {order["envelope"]["format"] for order in published} == {"csv"}
    [report] = (tmp_path / "quarantine" / partner).glob("*broken.csv.error.json")
    assert "po_date (6): expected a date (%Y%m%d), found 'yesterday'" in report.read_text()
    event = json.loads(body)  # the modern layer hears of it, once, with the reason
    assert event["type"] == "edi.in.notice.quarantined"
    assert properties.message_id == event["id"] == f"{event['data']['document_id']}:quarantined"
    detail = event["data"]["detail"]
    assert detail["file"] == "broken.csv" and detail["report"] == str(report)
    assert "po_date (6): expected a date" in detail["findings"][0]["message"]


def test_a_partner_sending_several_formats_has_each_file_read_by_its_own(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profile(
        tmp_path,
        partner,
        'format = "csv"\ninbound = ["csv", "x12", "xml"]\n[csv]\nmapping = "example-orders"\n'
        '[xml]\nmappings = ["cxml-order-request"]\n',
    )
    gw = in_process_gateway(tmp_path, database_url)
    x12_order = Path(__file__).parents[2] / "fixtures" / "x12" / "850-004010.edi"
    with bound_queue(f"edi.*.850.{partner}") as (channel, queue):  # the X12 one is a test
        drop(tmp_path / "inbox", partner, "orders.csv", CSV_ORDERS.read_bytes())
        drop(tmp_path / "inbox", partner, "order.edi", b"\r\n" + x12_order.read_bytes())
        drop(tmp_path / "inbox", partner, "order.xml", ORDER.read_bytes())
        run_once(gw)
        published = [json.loads(body)["data"] for _, body in take_all(channel, queue)]
    formats = sorted(order["envelope"]["format"] for order in published)
    assert formats == ["csv"] * 4 + ["x12", "xml"]
    with gw.pipeline.factory.begin() as s:
        assert ledger.files_in_state(s, [ledger.FileState.QUARANTINED]) == []


@pytest.mark.parametrize("large_file_size", [1024 * 1024, 0], ids=["read-whole", "streamed"])
def test_a_partner_asking_for_cxml_status_replies_gets_one_per_file(
    tmp_path: Path, database_url: str, partner: str, large_file_size: int
) -> None:
    """The same replies whether the files are read whole or, over ``large_file_size``, as
    streams (a refused or unreadable file gets its 400 either way)."""
    profile(tmp_path, partner, PROFILE + 'reply = "cxml-status"\n')
    gw = in_process_gateway(tmp_path, database_url, large_file_size=large_file_size)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "order.xml", ORDER.read_bytes())
        drop(tmp_path / "inbox", partner, "broken.xml", BROKEN_ORDER)
        drop(tmp_path / "inbox", partner, "garbage.xml", b"<not-closed")
        run_once(gw)
        assert len(take_all(channel, queue)) == 1
    replies = {p.name: p.read_bytes() for p in (tmp_path / "outbox" / partner).glob("*.xml")}
    statuses = {}
    for name, data in replies.items():
        root = parse_xml(data)  # safe to read back: its DOCTYPE is never fetched
        [status] = root.iter("Status")
        assert root.get("payloadID", "").endswith("@edi-gateway")
        statuses[name.split(".")[0]] = (status.get("code"), status.text or "")
    assert sorted(statuses) == ["broken", "garbage", "order"]
    assert statuses["order"] == ("200", "1 document(s) taken")
    code, text = statuses["broken"]
    assert code == "400" and "po_date (OrderRequestHeader/@orderDate)" in text
    code, text = statuses["garbage"]
    assert code == "400" and "garbage.xml: not well-formed" in text
    assert len({name.split(".")[1] for name in replies}) == 3  # each payloadID its own number


def test_a_csv_partner_asking_for_rejected_rows_gets_the_rows_not_taken(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profile(tmp_path, partner, CSV_PROFILE + 'reply = "rejected-rows"\n')
    gw = in_process_gateway(tmp_path, database_url)
    fixtures = Path(__file__).parents[2] / "fixtures" / "csv"
    good = (fixtures / "example-orders.csv").read_bytes()
    bad = (fixtures / "example-orders-bad.csv").read_bytes()
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "mixed.csv", good + bad)
        drop(tmp_path / "inbox", partner, "good.csv", good.replace(b"ORD-5", b"ORD-7"))
        run_once(gw)
        published = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert published == ["ORD-501", "ORD-502", "ORD-701", "ORD-702"]  # the good orders go on
    [reply] = (tmp_path / "outbox" / partner).glob("*.csv")  # none for the good file
    assert reply.name == "mixed.rejected.csv"
    rows = list(csv.reader(io.StringIO(reply.read_text())))
    assert [(row[0], row[6]) for row in rows] == [("4", "ORD-601"), ("5", "ORD-602")]
    assert "po_date (6): expected a date (%Y%m%d), found '20261305'" in rows[0][1]
    assert "quantity (30): expected a number, found 'three'" in rows[1][1]
    assert rows[0][2:] == next(csv.reader(io.StringIO(bad.decode())))  # the row as it came


def test_cxml_orders_sent_again_are_duplicates_by_payload_id_or_business_key(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profile(tmp_path, partner, PROFILE)
    gw = in_process_gateway(tmp_path, database_url)
    inbox = tmp_path / "inbox"
    order = ORDER.read_bytes()
    new_payload = order.replace(b'payloadID="1585687161', b'payloadID="1585687999')
    changed = new_payload.replace(b'quantity="9"', b'quantity="10"')
    assert changed != new_payload != order
    with (
        bound_queue(f"edi.in.850.{partner}") as (channel, queue),
        bound_queue(f"edi.notice.*.{partner}", EVENTS_EXCHANGE) as (notices, notice_queue),
    ):
        drop(inbox, partner, "order.xml", order)
        run_once(gw)
        [(first, _)] = take_all(channel, queue)
        drop(inbox, partner, "retry.xml", order)  # the buyer's retry: the same payloadID
        run_once(gw)
        assert take_all(channel, queue) == [] and take_all(notices, notice_queue) == []
        drop(inbox, partner, "again.xml", new_payload)  # the same order under a new payloadID
        run_once(gw)
        assert take_all(channel, queue) == []
        [(_, body)] = take_all(notices, notice_queue)
        assert json.loads(body)["data"]["code"] == "business_duplicate"
        drop(inbox, partner, "changed.xml", changed)
        run_once(gw)
        [(revision, _)] = take_all(channel, queue)
        assert revision.headers["revision_of"] == first.message_id


FIXED_PROFILE = 'format = "fixed"\n[fixed]\nmapping = "bots-orders"\n'


def test_fixed_width_orders_are_published_one_per_order_and_a_broken_file_quarantined(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    profile(tmp_path, partner, FIXED_PROFILE)
    gw = in_process_gateway(tmp_path, database_url)
    head, line = FIXED_ORDERS.read_bytes().split(b"\r\n")[:2]
    broken = head + b"\r\n" + line.replace(b"000000000001.000", b"000000000one.000") + b"\r\n"
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "orders.fix", FIXED_ORDERS.read_bytes())
        drop(tmp_path / "inbox", partner, "broken.fix", broken)
        run_once(gw)
        published = [json.loads(body)["data"] for _, body in take_all(channel, queue)]
    assert sorted(order["po_number"] for order in published) == [
        "T0000000001",
        "T0000000002-1",
        "T0000000004-1",
        "T0000000004-2",
        "T0000000004-3",
        "T0000000015",
    ]
    assert {order["envelope"]["format"] for order in published} == {"fixed"}
    assert {order["lines"][0]["quantity"] for order in published} == {"1.000"}
    with gw.pipeline.factory.begin() as s:
        [quarantined] = ledger.files_in_state(s, [ledger.FileState.QUARANTINED])
    assert quarantined.name == "broken.fix"
    [report] = (tmp_path / "quarantine" / partner).glob("*broken.fix.error.json")
    assert (
        "broken.fix, lines 1-2: quantity (LIN.BESTELDAANTAL at line 2, columns 76-91): "
        "expected a number, found '000000000one.000'"
    ) in report.read_text()


def test_csv_files_without_references_never_reuse_them_and_a_repeated_order_is_a_duplicate(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Flat-file orders carry no control numbers: a partner's second file is no reuse of the
    first's (no ``control_numbers_reused`` notice, as every file after the first had before),
    and an order sent again, word for word, in another file is a duplicate, not published."""
    profile(tmp_path, partner, CSV_PROFILE)
    gw = in_process_gateway(tmp_path, database_url)
    first, second, third = (
        (ROOT / "fixtures" / "csv" / "example-orders.csv").read_text().splitlines()[:3]
    )
    with (
        bound_queue(f"edi.in.850.{partner}") as (channel, queue),
        bound_queue(f"edi.notice.*.{partner}", EVENTS_EXCHANGE) as (_, notices),
    ):
        drop(tmp_path / "inbox", partner, "monday.csv", f"{first}\n{second}\n".encode())
        run_once(gw)
        drop(tmp_path / "inbox", partner, "tuesday.csv", f"{third}\n{first}\n{second}\n".encode())
        run_once(gw)
        orders = [json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)]
        said = [json.loads(body)["data"]["code"] for _, body in take_all(channel, notices)]
    assert orders == ["ORD-501", "ORD-502"]  # ORD-501 again, the same: a duplicate
    assert "control_numbers_reused" not in said, said

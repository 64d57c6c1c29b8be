"""Documents in the console, on a ledger the real daemon filled: a search by PO number (page,
API, and in headless Chromium), a document's page with its timeline, its original X12 one
segment per line beside its canonical JSON, the segment a finding points at highlighted, the
acknowledgement sent and the message published; an outbound 856 requested over RabbitMQ with
its request, rendered file, delivery and the partner's 997; HTML in a PO number shown as text;
nothing without a login; a phone's width."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from tests.integration.console.conftest import filled_home
from tests.integration.outbound.support import (
    outbound_bus,
    outbound_rows,
    outbound_settings,
    request,
    write_profile,
)
from tests.integration.outbound.test_reconcile import accepted_set, functional_ack_x12
from tests.integration.support import drop, running_daemon, small_850, wait_for
from tests.support.console import (
    Console,
    add_console,
    chromium,
    log_in,
    running_console,
    screenshot,
)

SCRIPT_PO = "<script>alert(1)</script>"
"""Longer than BEG03's 22 characters: its order is quarantined, the finding quoting it."""
SHORT_SCRIPT_PO = "<script>alert(2)"
"""Short enough: its order is published, its business key holds it."""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    """A console on a SQLite ledger the daemon filled: three orders, a broken one, and two
    whose PO numbers are HTML (their ISA16 is ``:``, so that ``>`` is plain text in them)."""
    home = tmp_path_factory.mktemp("documents")
    partner = f"p{home.name[-6:]}".replace("-", "")
    for control, po in ((30, SCRIPT_PO), (31, SHORT_SCRIPT_PO)):
        hostile = small_850(control, partner_po=po).replace(b"*P*>~", b"*P*:~", 1)
        drop(home / "inbox", partner, f"hostile-{control}.x12", hostile)
    config = filled_home(home, f"sqlite:///{home / 'ledger.sqlite3'}", partner)
    with running_console(config) as running:
        yield running, partner


def _document_of(console: Console, key: str) -> dict[str, object]:
    with console.logged_in("victor") as viewer:
        answer = viewer.get("/api/documents", params={"q": key})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["documents"]
    assert len(rows) == 1, rows
    row: dict[str, object] = rows[0]
    return row


def test_a_po_number_finds_its_document_in_the_api_and_the_page(
    console: tuple[Console, str],
) -> None:
    running, partner = console
    row = _document_of(running, "PO00000002")
    assert (row["partner"], row["kind"], row["direction"]) == (partner, "850", "inbound")
    assert row["business_key"] == "PurchaseOrder:PO00000002"
    assert _document_of(running, "PurchaseOrder:PO00000002") == row
    with running.logged_in("victor") as viewer:
        by_number = viewer.get("/api/documents", params={"q": "000000002"}).json()
        assert row in by_number["documents"]  # its ISA13 (and file number 2's document)
        page = viewer.get("/documents", params={"q": "PO00000002"})
        assert page.status_code == 200
        assert f'href="/documents/{row["document_id"]}"' in page.text
        every = viewer.get("/api/documents", params={"partner": partner}).json()
        assert every["count"] == 6 and not every["more"]
        failed = viewer.get("/api/documents", params={"partner": partner, "state": "failed"})
        refs = {d["interchange_ref"] for d in failed.json()["documents"]}
        assert refs == {"000000009", "000000030"}
        paged = viewer.get("/api/documents", params={"partner": partner, "limit": 2}).json()
        second = viewer.get(
            "/api/documents", params={"partner": partner, "limit": 2, "after": paged["next"]}
        ).json()
        ids = [d["id"] for d in paged["documents"] + second["documents"]]
        assert len(set(ids)) == 4
        assert viewer.get("/api/documents", params={"after": "nonsense"}).status_code == 400


def test_a_document_page_shows_its_timeline_original_canonical_ack_and_message(
    console: tuple[Console, str],
) -> None:
    running, partner = console
    row = _document_of(running, "PO00000001")
    with running.logged_in("victor") as viewer:
        page = viewer.get(f"/documents/{row['document_id']}").text
        data = viewer.get(f"/api/documents/{row['document_id']}").json()
        by_file = viewer.get(f"/documents/{row['file_id']}")
    assert by_file.status_code == 303
    assert by_file.headers["location"] == f"/documents/{row['document_id']}"
    for kind in ("received", "parsed", "enqueued", "archived"):
        assert f"<td>{kind}</td>" in page, kind
    assert str(row["correlation_id"]) in page
    assert '<span class="segment" id="segment-4">BEG*00*SA*PO00000001**20261123~</span>' in page
    assert "&#34;po_number&#34;: &#34;PO00000001&#34;" in page  # the canonical JSON, indented
    assert f"edi.in.850.{partner}" in page  # the routing key
    assert "AK1*PO*1~" in page  # the 997 sent for its file
    assert data["messages"][0]["routing_key"] == f"edi.in.850.{partner}"
    assert data["messages"][0]["body"].startswith("{")
    assert data["original"]["text"].startswith("ISA*00*")
    assert [a["name"][:4] for a in data["acks_sent"]] == ["997-"]


def test_the_segment_a_finding_points_at_is_highlighted(console: tuple[Console, str]) -> None:
    running, _ = console
    row = _document_of(running, "000000009")
    with running.logged_in("victor") as viewer:
        page = viewer.get(f"/documents/{row['document_id']}").text
    assert '<span class="segment flagged" id="segment-7">SE*9*0001~</span>' in page
    assert len(re.findall(r'class="segment flagged"', page)) == 1
    assert 'href="#segment-7"' in page
    assert "SE01 does not match the number of segments" in page
    assert "AK5*R*4~" in page  # the negative 997


def test_a_document_page_offers_an_operator_what_can_be_done_with_it(
    console: tuple[Console, str],
) -> None:
    """Replay for a published document; reprocess and dismiss for one whose file is in
    quarantine; nothing for a viewer (gateway/console/templates/actions_macros.html)."""
    running, _ = console
    published = _document_of(running, "PO00000001")["document_id"]
    quarantined = _document_of(running, "000000009")["document_id"]
    with running.logged_in("olga") as operator:
        page = operator.get(f"/documents/{published}").text
        assert 'action="/actions/replay"' in page and f'value="{published}"' in page
        assert 'action="/actions/reprocess"' not in page
        page = operator.get(f"/documents/{quarantined}").text
        assert 'action="/actions/reprocess"' in page and 'action="/actions/dismiss"' in page
        assert 'action="/actions/replay"' not in page  # nothing of it was published
    with running.logged_in("victor") as viewer:
        assert 'action="/actions/' not in viewer.get(f"/documents/{quarantined}").text


def test_html_in_a_po_number_is_shown_as_text(console: tuple[Console, str]) -> None:
    """In the list, the facts, the findings, the original file and the canonical JSON: the
    quarantined order's PO number (quoted by its finding) and the published one's."""
    running, _ = console
    published = _document_of(running, SHORT_SCRIPT_PO)
    assert published["business_key"] == f"PurchaseOrder:{SHORT_SCRIPT_PO}"
    quarantined = _document_of(running, "000000030")
    with running.logged_in("victor") as viewer:
        pages = [
            viewer.get("/documents", params={"q": SHORT_SCRIPT_PO}).text,
            viewer.get(f"/documents/{published['document_id']}").text,
            viewer.get(f"/documents/{quarantined['document_id']}").text,
        ]
    for page in pages:
        assert "<script" not in page
    assert "&lt;script&gt;alert(2)" in pages[0] and "&lt;script&gt;alert(2)" in pages[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2]
    with chromium() as driver:
        log_in(driver, running, "victor")
        for row in (published, quarantined):
            driver.get(f"{running.url}/documents/{row['document_id']}")
            time.sleep(0.3)
            with pytest.raises(NoAlertPresentException):
                driver.switch_to.alert.text  # noqa: B018 - reading it is the test
        original = driver.find_element(By.CSS_SELECTOR, "pre.original").text
        assert f"BEG*00*SA*{SCRIPT_PO}**20261123~" in original
        finding = driver.find_element(By.CSS_SELECTOR, ".findings li").text
        assert "BEG03" in finding and SCRIPT_PO in finding


def test_an_outbound_document_shows_its_request_file_delivery_and_the_partners_997(
    tmp_path: Path,
) -> None:
    """A ship notice requested over RabbitMQ, written for a folder partner, and accepted by
    the partner's 997 dropped in its inbox: all of it on the document's page, found by its
    request id."""
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    write_profile(home, partner)
    config = outbound_settings(home, partner)
    add_console(config)
    database_url = f"sqlite:///{home / 'var' / 'ledger.sqlite3'}"
    with outbound_bus(partner) as bus, running_daemon(config):
        bus.publish(request("req-console-1", partner), message_id="req-console-1")
        wait_for("the 856 sent", lambda: _states(database_url) == ["sent"])
        [row] = outbound_rows(database_url)
        answer = functional_ack_x12(
            901,
            int(row["group_ref"]),
            accepted_set(row["transaction_ref"]),
            sender=partner.upper()[:15],
        )
        drop(home / "inbox", partner, "997.x12", answer)
        wait_for("the 856 accepted", lambda: _states(database_url) == ["accepted"])
    with running_console(config) as running, running.logged_in("victor") as viewer:
        found = viewer.get("/api/documents", params={"q": "req-console-1"}).json()["documents"]
        assert [(d["direction"], d["kind"], d["state"]) for d in found] == [
            ("outbound", "856", "accepted")
        ]
        assert found[0]["document_id"] == row["document_id"]
        page = viewer.get("/documents/req-console-1")
        assert page.status_code == 200, page.text
        data = viewer.get(f"/api/documents/{row['document_id']}").json()
        with chromium() as driver:
            log_in(driver, running, "victor")
            driver.get(f"{running.url}/documents/req-console-1")
            assert "ISA*" in driver.find_element(By.CSS_SELECTOR, "pre.rendered").text
            screenshot(driver, "document-outbound")
    text = page.text
    assert "856 outbound" in text
    assert "<h2>Rendered file</h2>" in text and f"*{row['interchange_ref']}*" in text
    assert "&#34;shipment_id&#34;: &#34;ASN-req-console-1&#34;" in text  # the request
    assert f"Written to the outbox folder {row['file_name']}" in text
    assert "<td>applied</td>" in text and "<td>997</td>" in text
    assert data["direction"] == "outbound"
    assert data["outbound"]["request_id"] == "req-console-1"
    assert [a["outcome"] for a in data["partner_acks"]] == ["applied"]
    assert "outbound.accepted" in [e["kind"] for e in data["events"]]


def _states(database_url: str) -> list[str]:
    try:
        return [str(r["state"]) for r in outbound_rows(database_url)]
    except sa.exc.OperationalError:  # the daemon has not made the ledger yet
        return []


def test_nothing_without_a_login(console: tuple[Console, str]) -> None:
    running, _ = console
    with running.client() as anonymous:
        assert anonymous.get("/api/documents").status_code == 401
        assert anonymous.get("/api/documents/anything").status_code == 401
        for path in ("/documents", "/documents/anything?x=1"):
            answer = anonymous.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=/documents")


def test_an_unknown_document_is_a_404(console: tuple[Console, str]) -> None:
    running, _ = console
    with running.logged_in("victor") as viewer:
        assert viewer.get("/api/documents/no-such-thing").status_code == 404
        page = viewer.get("/documents/no-such-thing")
        assert page.status_code == 404 and "No such document" in page.text


def test_in_chromium_search_a_po_number_and_open_its_page(console: tuple[Console, str]) -> None:
    running, _ = console
    with chromium() as driver:
        driver.get(f"{running.url}/documents?q=PO00000003")  # not logged in: the login first
        _wait(lambda: "/login?next=" in driver.current_url)
        assert driver.find_elements(By.CSS_SELECTOR, "form.login")
        assert not driver.find_elements(By.CSS_SELECTOR, "table.documents")
        log_in(driver, running, "olga")
        driver.get(f"{running.url}/documents")
        box = driver.find_element(By.NAME, "q")
        box.send_keys("PO00000003")
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        _wait(lambda: "q=PO00000003" in driver.current_url)
        rows = driver.find_elements(By.CSS_SELECTOR, "table.documents tbody tr")
        assert len(rows) == 1 and "PurchaseOrder:PO00000003" in rows[0].text
        screenshot(driver, "documents")
        rows[0].find_element(By.CSS_SELECTOR, "td.id a").click()
        _wait(lambda: "/documents/" in driver.current_url and "?" not in driver.current_url)
        timeline = driver.find_element(By.CSS_SELECTOR, "table.timeline").text
        assert "received" in timeline and "archived" in timeline
        original = driver.find_element(By.CSS_SELECTOR, "pre.original")
        lines = original.find_elements(By.CSS_SELECTOR, ".segment")
        assert [line.text.split("*")[0] for line in lines][:4] == ["ISA", "GS", "ST", "BEG"]
        assert lines[0].location["y"] < lines[1].location["y"]  # one segment per line
        canonical = driver.find_element(By.CSS_SELECTOR, "pre.canonical").text
        assert '"po_number": "PO00000003"' in canonical
        screenshot(driver, "document")


def test_the_documents_page_fits_a_phone(console: tuple[Console, str]) -> None:
    """At 390 px nothing sticks out sideways but what scrolls in its own box (the table, the
    file's text)."""
    running, _ = console
    row = _document_of(running, "PO00000001")
    # a headless window is 500 px at least: the phone's width is emulated, in a browser of
    # each page's own (screenshot() resizes the window, which ends the emulation)
    phone = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    pages = {"documents-phone": "/documents", "document-phone": f"/documents/{row['document_id']}"}
    for name, path in pages.items():
        with chromium(390, 844) as driver:
            log_in(driver, running, "victor")  # (a new origin's page loses the emulation)
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
            driver.get(f"{running.url}{path}")
            assert driver.execute_script("return window.innerWidth") == 390
            wide = driver.execute_script(_OVERFLOWING)
            assert wide == [], (path, wide)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, path
            screenshot(driver, name)


_OVERFLOWING = """
const width = document.documentElement.clientWidth;
const out = [];
for (const element of document.querySelectorAll('body *')) {
  if (element.closest('.table-wrap, pre')) continue;
  const box = element.getBoundingClientRect();
  if (box.width > 0 && (box.right > width + 1 || box.left < -1)) {
    out.push(element.tagName + '.' + element.className + ' ' + Math.round(box.right));
  }
}
return out;
"""


def _wait(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the browser did not get there in time")
        time.sleep(0.05)

"""The console shows the cross-document checks on a document's page (behind login): a 945 matching
no 940 as unmatched, in the page and in the API; an 850 has none until an 856 names it (the
end-to-end test shows an order of each kind through the order command)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.support import ROOT, drop, gateway_command, write_settings
from tests.support.console import Console, add_console, running_console

FIXTURES = ROOT / "fixtures" / "x12"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str]]:
    """A console on a SQLite ledger the daemon filled with an 850 and a 945 of one partner."""
    home = tmp_path_factory.mktemp("orders")
    partner = f"p{home.name[-6:]}".replace("-", "")
    config = write_settings(home, f"sqlite:///{home / 'ledger.sqlite3'}")
    drop(home / "inbox", partner, "po.x12", (FIXTURES / "850-004010.edi").read_bytes())
    drop(home / "inbox", partner, "shipped.x12", (FIXTURES / "945-004010.edi").read_bytes())
    gateway_command(config, "run", "--once")
    add_console(config)
    with running_console(config) as running:
        yield running, partner


def _document_id(console: Console, partner: str, kind: str) -> str:
    with console.logged_in("victor") as viewer:
        answer = viewer.get("/api/documents", params={"partner": partner, "kind": kind})
        [row] = answer.json()["documents"]
    return str(row["document_id"])


def test_an_850s_page_shows_no_order_before_an_856_names_it(console: tuple[Console, str]) -> None:
    """An 850's lines are read when a ship notice first names its PO (gateway.fulfilment.asn)."""
    running, partner = console
    document_id = _document_id(running, partner, "850")
    with running.logged_in("victor") as viewer:
        data = viewer.get(f"/api/documents/{document_id}").json()
    assert data["orders"] == []


def test_a_945_for_no_940_sent_shows_unmatched(console: tuple[Console, str]) -> None:
    running, partner = console
    document_id = _document_id(running, partner, "945")
    with running.logged_in("victor") as viewer:
        page = viewer.get(f"/documents/{document_id}").text
        data = viewer.get(f"/api/documents/{document_id}").json()
    assert "<strong>Order SO-4711</strong> (940)" in page
    assert "unmatched" in page
    assert "<td>fulfilment_unmatched</td>" in page  # on its timeline
    [order] = data["orders"]
    assert order["outcome"] == "unmatched"
    assert [c["outcome"] for c in order["checks"]] == ["unmatched"]
    assert any(m["routing_key"].startswith("edi.fulfilment.unmatched.") for m in data["messages"])


def test_the_orders_are_behind_the_login(console: tuple[Console, str]) -> None:
    running, partner = console
    document_id = _document_id(running, partner, "945")
    answer = running.client().get(f"/api/documents/{document_id}")
    assert answer.status_code == 401

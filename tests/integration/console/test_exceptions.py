"""The console's exceptions and acknowledgements pages and their API (issue 24), on a ledger
the real daemon filled (one broken order quarantined): the quarantined file by partner and
cause with its report in plain words, the actions for operators only; screenshots."""

from __future__ import annotations

from tests.support.console import Console, chromium, log_in, screenshot


def test_a_quarantined_file_is_listed_by_partner_and_cause_with_its_report_in_plain_words(
    shared_console: tuple[Console, str],
) -> None:
    console, partner = shared_console
    with console.logged_in("victor") as viewer:
        api = viewer.get("/api/exceptions").json()
        page = viewer.get("/exceptions")
    assert api["count"] == 1 and api["paused"] == []
    [group] = api["groups"]
    assert group["partner"] == partner
    [item] = group["items"]
    assert item["kind"] == "file" and item["name"] == "broken.x12"
    assert group["cause"] == item["cause"] and group["heading"]
    assert item["why"]  # the report's own sentence
    assert page.status_code == 200
    for said in (partner, "broken.x12", group["heading"], f'href="/documents/{item["target"]}"'):
        assert said in page.text
    assert "/actions/" not in page.text  # a viewer is offered no action
    with console.logged_in("olga") as operator:
        offered = operator.get("/exceptions").text
    assert 'action="/actions/reprocess"' in offered and 'action="/actions/dismiss"' in offered
    assert 'action="/actions/pause"' in offered


def test_the_acknowledgements_page_says_none_is_awaited_when_none_is(
    shared_console: tuple[Console, str],
) -> None:
    console, _ = shared_console
    with console.logged_in("victor") as viewer:
        assert viewer.get("/api/acks").json() == {"awaiting": [], "unmatched": []}
        page = viewer.get("/acks")
    assert page.status_code == 200
    assert "Every document sent has its acknowledgement" in page.text
    with console.client() as anonymous:
        assert anonymous.get("/api/exceptions").status_code == 401
        assert anonymous.get("/exceptions").headers["location"].startswith("/login")


def test_the_exceptions_page_in_a_browser(shared_console: tuple[Console, str]) -> None:
    console, partner = shared_console
    with chromium() as driver:
        log_in(driver, console, "olga")
        driver.get(f"{console.url}/exceptions")
        assert partner in driver.page_source and "Reprocess" in driver.page_source
        screenshot(driver, "exceptions")
        driver.set_window_size(390, 844)  # a phone
        driver.get(f"{console.url}/exceptions")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page is {width} px wide on a phone"
        screenshot(driver, "exceptions-phone")

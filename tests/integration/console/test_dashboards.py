"""The console's business dashboards (/dashboards, /api/dashboards/...) on a ledger the real
daemon filled, through a real console process: the API's figures, and the page drawn by uPlot
in headless Chromium (a canvas per chart, no error in the browser's log) at 1366x768 and at a
phone's width, each chart within the page's width."""

from __future__ import annotations

import time
from typing import Any

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.support.console import Console, chromium, log_in, screenshot

CHARTS = ("documents", "latency", "ack-rate", "ack-cycle", "exceptions", "backlog")


def _total(chart: dict[str, Any], label: str) -> float:
    series = next(s for s in chart["series"] if s["label"] == label)
    return sum(v or 0 for v in series["values"])


def test_the_api_gives_each_chart_s_figures(shared_console: tuple[Console, str]) -> None:
    console, partner = shared_console
    with console.logged_in("victor") as client:
        documents = client.get("/api/dashboards/documents").json()
        latency = client.get("/api/dashboards/latency").json()
        exceptions = client.get("/api/dashboards/exceptions").json()
        backlog = client.get("/api/dashboards/backlog?hours=6").json()
        acks = client.get("/api/dashboards/acknowledgements").json()
        assert client.get("/api/dashboards/backlog?hours=0").status_code == 422
        assert client.get("/api/dashboards/backlog?hours=100000").status_code == 422
    assert documents["kind"] == "time" and len(documents["x"]) == 48
    assert _total(documents, f"{partner} 850") == 4  # three orders and the broken one
    assert sum(latency["published"]) == 3  # the three orders' messages, confirmed
    p50 = [v for v in latency["series"][0]["values"] if v is not None]
    assert p50 and all(0 < v < 60 for v in p50)
    assert dict(zip(exceptions["labels"], exceptions["series"][0]["values"], strict=True)) == {
        f"{partner}: envelope.se_count": 1
    }
    assert len(backlog["x"]) == 6 and backlog["series"][0]["values"][-1] == 0  # all published
    assert acks["partners"] == [] and acks["rate"]["labels"] == []  # nothing sent out


def test_the_dashboards_need_a_login(shared_console: tuple[Console, str]) -> None:
    console, _ = shared_console
    with console.client() as client:
        assert client.get("/api/dashboards/documents").status_code == 401
        assert client.get("/dashboards").status_code == 303


def _drawn(driver: WebDriver) -> list[Any]:
    """The charts' canvases, once uPlot drew one in each chart (at most 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        canvases = driver.find_elements(By.CSS_SELECTOR, ".chart canvas")
        if len(canvases) == len(CHARTS) or time.monotonic() > deadline:
            return canvases
        time.sleep(0.1)


def _errors(driver: WebDriver) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [entry for entry in log if entry["level"] == "SEVERE"]


def test_the_dashboards_page_draws_its_charts(shared_console: tuple[Console, str]) -> None:
    console, partner = shared_console
    with chromium() as driver:
        log_in(driver, console, "victor")
        _errors(driver)  # what the pages before said (a favicon asked for) is not ours
        driver.get(f"{console.url}/dashboards")
        canvases = _drawn(driver)
        assert len(canvases) == len(CHARTS), driver.page_source[:3000]
        for name in CHARTS:
            chart = driver.find_element(By.CSS_SELECTOR, f"#{name} .chart")
            assert chart.find_elements(By.CSS_SELECTOR, "canvas"), name
        legend = driver.find_element(By.CSS_SELECTOR, "#documents .u-legend").text
        assert f"{partner} 850" in legend
        assert all(c.size["width"] > 300 and c.size["height"] > 100 for c in canvases)
        screenshot(driver, "dashboards")
        assert _errors(driver) == []


def test_the_dashboards_fit_a_phone_s_width(shared_console: tuple[Console, str]) -> None:
    console, _ = shared_console
    with chromium(390, 844) as driver:
        log_in(driver, console, "victor")
        _errors(driver)
        driver.get(f"{console.url}/dashboards")
        canvases = _drawn(driver)
        assert len(canvases) == len(CHARTS)
        viewport = driver.execute_script("return document.documentElement.clientWidth")
        page = driver.execute_script("return document.documentElement.scrollWidth")
        assert page <= viewport, f"the page is {page} px wide on a {viewport} px screen"
        for canvas in canvases:
            right = canvas.location["x"] + canvas.size["width"]
            assert canvas.size["width"] >= 200 and right <= viewport
        screenshot(driver, "dashboards-phone")
        driver.set_window_size(1366, 768)  # turned to a wide screen: the charts follow
        deadline = time.monotonic() + 5
        while _drawn(driver)[0].size["width"] < 500:
            assert time.monotonic() < deadline, "the charts kept their phone width"
            time.sleep(0.1)
        assert _errors(driver) == []

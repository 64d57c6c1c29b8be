"""The console's partners (/partners, /partners/{name}, /api/partners): on a ledger the real
daemon filled, through a real console process over HTTP and in headless Chromium: the partner
listed with its counts, the breaker read from the running daemon's metrics (and "daemon not
reachable" without it), the profile shown to an admin with its secrets masked and refused to a
viewer, and "check now" running ``edi-gateway partner check`` for a folder partner and for an
SFTP partner whose server does not answer."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.console.partners import MASK, masked
from tests.integration.support import (
    broken_850,
    drop,
    gateway_command,
    running_daemon,
    small_850,
    write_settings,
)
from tests.support.console import (
    Console,
    add_console,
    chromium,
    log_in,
    running_console,
    screenshot,
)
from tests.support.ports import free_port

PASSWORD = "s3cret-pw-never-shown"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, Path, str]]:
    """A home the daemon filled (three orders of a folder partner published, a broken one
    quarantined), then given profiles: the folder partner's, an SFTP partner's whose server
    does not answer (a password in its profile) and a folder partner whose share is missing
    (paused after one failed run); the daemon's metrics on a port of their own."""
    home = tmp_path_factory.mktemp("partners")
    partner = f"p{home.name[-6:]}".replace("-", "")
    config = write_settings(
        home,
        f"sqlite:///{home / 'ledger.sqlite3'}",
        metrics_address=f"127.0.0.1:{free_port()}",
    )
    for control in (1, 2, 3):
        drop(home / "inbox", partner, f"order-{control}.x12", small_850(control))
    drop(home / "inbox", partner, "broken.x12", broken_850(9))
    gateway_command(config, "run", "--once")
    profiles = home / "mappings" / "partners"
    profiles.mkdir(parents=True)
    for folder in ("share-in", "share-out"):
        (home / folder).mkdir()
    (profiles / f"{partner}.toml").write_text(
        f'[folder]\npickup = "{home / "share-in"}"\ndrop = "{home / "share-out"}"\n'
        "schedule = { interval = 1 }\n"
    )
    port = free_port()  # nothing listens there
    (profiles / "remote.toml").write_text(
        '[sftp]\nhost = "127.0.0.1"\n'
        f'port = {port}\nuser = "edi"\npassword = "{PASSWORD}"\n'
        f'known_hosts = ["[127.0.0.1]:{port} {HOST_KEY}"]\nconnect_timeout = 2.0\n'
        "schedule = { interval = 3600 }\n"
    )
    (profiles / "unmounted.toml").write_text(
        f'[folder]\npickup = "{home / "not-mounted"}"\n'
        "schedule = { interval = 1 }\npause_after = 1\n"
    )
    add_console(config)
    with running_console(config) as console:
        yield console, config, partner


def _row(answer: httpx.Response, partner: str) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    return next(p for p in answer.json()["partners"] if p["partner"] == partner)


def test_partners_page_lists_the_partner_with_its_counts(home: tuple[Console, Path, str]) -> None:
    console, _, partner = home
    with console.logged_in("victor") as client:
        row = _row(client.get("/api/partners"), partner)
        page = client.get("/partners")
    assert (row["files"], row["quarantined"], row["documents"], row["failed"]) == (4, 1, 4, 1)
    assert row["error_rate"] == 0.25
    assert row["unfinished_files"] == 0 and row["awaiting_ack"] == 0
    assert row["last_received"] is not None and row["last_delivery"] is not None  # its 997s
    assert row["breaker"] == "daemon not reachable"
    assert page.status_code == 200
    assert f'href="/partners/{partner}"' in page.text and "25%" in page.text
    assert "daemon not reachable" in page.text
    assert {"remote", "unmounted"} <= {p["partner"] for p in client_partners(console)}


def client_partners(console: Console) -> list[dict[str, Any]]:
    with console.logged_in("victor") as client:
        partners: list[dict[str, Any]] = client.get("/api/partners").json()["partners"]
    return partners


def test_breakers_are_read_from_the_running_daemon(home: tuple[Console, Path, str]) -> None:
    console, config, partner = home
    with running_daemon(config), console.logged_in("victor") as client:
        deadline = time.monotonic() + 60
        while True:
            rows = {p["partner"]: p for p in client.get("/api/partners").json()["partners"]}
            breakers = {name: rows[name]["breaker"] for name in (partner, "unmounted")}
            ran = rows[partner]["channels"][0]["runs_succeeded"] if rows[partner]["channels"] else 0
            if breakers == {partner: "closed", "unmounted": "paused"} and ran >= 1:
                break  # (a loaded machine may show the breaker before the first run is counted)
            assert time.monotonic() < deadline, breakers
            time.sleep(0.5)
        (channel,) = rows[partner]["channels"]
        assert channel["kind"] == "folder" and channel["runs_succeeded"] >= 1
        assert rows["unmounted"]["channels"][0]["failures_in_a_row"] >= 1
        page = client.get("/partners/unmounted")
        assert "paused" in page.text and "failed run(s) in a row" in page.text
    with console.logged_in("victor") as client:
        assert _row(client.get("/api/partners"), partner)["breaker"] == "daemon not reachable"


def test_the_profile_is_shown_to_an_admin_with_secrets_masked(
    home: tuple[Console, Path, str],
) -> None:
    console, _, _ = home
    with console.logged_in("alice") as client:
        profile = client.get("/api/partners/remote/profile")
        page = client.get("/partners/remote")
    assert profile.status_code == 200
    sftp = profile.json()["channels"]["sftp"]
    assert sftp["password"] == MASK and sftp["host"] == "127.0.0.1" and sftp["user"] == "edi"
    assert PASSWORD not in profile.text
    assert page.status_code == 200 and "Profile as loaded" in page.text
    text = html.unescape(page.text)
    assert MASK in text and PASSWORD not in text and '"user": "edi"' in text


def test_the_profile_is_refused_to_a_viewer(home: tuple[Console, Path, str]) -> None:
    console, _, _ = home
    with console.logged_in("victor") as client:
        assert client.get("/api/partners/remote/profile").status_code == 403
        page = client.get("/partners/remote")
    assert page.status_code == 200 and "Only admins see profiles." in page.text
    assert MASK not in page.text and PASSWORD not in page.text
    assert "Run partner check" not in page.text


def test_secrets_are_masked_by_name_and_private_keys_by_content() -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----"
    profile = {
        "sftp": {"password": "pw", "key_file": "/etc/k", "api_token": "t", "host": "h"},
        "x": {"client_secret": "s", "key_passphrase_credential": None, "notes": [key, "plain"]},
    }
    assert masked(profile) == {
        "sftp": {"password": MASK, "key_file": MASK, "api_token": MASK, "host": "h"},
        "x": {"client_secret": MASK, "key_passphrase_credential": None, "notes": [MASK, "plain"]},
    }


def test_check_now_runs_partner_check_for_a_folder_partner(
    home: tuple[Console, Path, str],
) -> None:
    console, _, partner = home
    with console.logged_in("olga") as client:
        answer = client.post(f"/api/partners/{partner}/check")
        assert answer.status_code == 200, answer.text
        assert answer.json()["ok"] is True and answer.json()["exit_code"] == 0
        assert "all checks passed" in answer.json()["output"]
        page = client.post(f"/partners/{partner}/check", data={"csrftoken": "ignored"})
        assert page.status_code == 200 and "Check passed" in page.text
        del client.headers["x-csrftoken"]
        assert client.post(f"/api/partners/{partner}/check").status_code == 403  # no token
    with console.logged_in("victor") as client:
        assert client.post(f"/api/partners/{partner}/check").status_code == 403


def test_check_now_says_what_failed_for_an_unreachable_sftp_partner(
    home: tuple[Console, Path, str],
) -> None:
    console, _, _ = home
    with console.logged_in("olga") as client:
        answer = client.post("/api/partners/remote/check")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] is False and result["exit_code"] == 1
    assert "FAILED  connect" in result["output"] and "Connection refused" in result["output"]
    assert PASSWORD not in result["output"]


def test_an_operator_pauses_and_resumes_the_partner_from_its_page(
    home: tuple[Console, Path, str],
) -> None:
    console, _, partner = home
    with console.logged_in("olga") as operator:
        page = operator.get(f"/partners/{partner}")
        assert f'value="{partner}"' in page.text and f"Pause {partner}" in page.text
        done = operator.post(
            "/actions/pause",
            data={"target": partner, "confirm": "yes", "reason": "a test", "back": page.url.path},
        )
        assert done.status_code == 303 and done.headers["location"].startswith(page.url.path)
        paused = operator.get(done.headers["location"])
        assert "Paused by console:olga" in paused.text and ": a test" in paused.text
        assert f"Resume {partner}" in paused.text
        operator.post("/actions/resume", data={"target": partner, "confirm": "yes"})
        assert "Paused by" not in operator.get(f"/partners/{partner}").text
    with console.logged_in("victor") as viewer:  # a viewer sees no action
        assert f"Pause {partner}" not in viewer.get(f"/partners/{partner}").text


def test_an_unknown_partner_is_not_found(home: tuple[Console, Path, str]) -> None:
    console, _, _ = home
    with console.logged_in("alice") as client:
        assert client.get("/partners/nobody-here").status_code == 404
        assert client.get("/api/partners/..%2Fetc").status_code == 404
        assert client.post("/api/partners/nobody-here/check").status_code == 404


def test_partners_in_the_browser(home: tuple[Console, Path, str]) -> None:
    console, _, partner = home
    with chromium() as driver:
        log_in(driver, console, "alice")
        driver.get(f"{console.url}/partners")
        row = driver.find_element(By.CSS_SELECTOR, f'tr[data-partner="{partner}"]')
        assert "25%" in row.text and "daemon not reachable" in row.text
        screenshot(driver, "partners")
        row.find_element(By.LINK_TEXT, partner).click()
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.actions button"))
        driver.find_element(By.CSS_SELECTOR, "form.actions button").click()
        result = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".check-result"))
        assert "Check passed" in result.text and "all checks passed" in result.text
        assert "Profile as loaded" in driver.page_source
        screenshot(driver, "partner")
        errors = [
            e
            for e in driver.get_log("browser")  # type: ignore[no-untyped-call]
            if e["level"] == "SEVERE"
        ]
        assert not [e for e in errors if "favicon" not in e["message"]], errors

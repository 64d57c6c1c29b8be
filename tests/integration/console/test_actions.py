"""The operators' actions in the console (issue 24), on a running daemon, RabbitMQ, the ledger
and a console process, driven by headless Chromium: an operator reprocesses a file quarantined
for a wrong sender id once its profile is fixed, and it is published; an operator resends a
document from the acknowledgements page with new control numbers; a viewer is refused (403),
and so is an action without its CSRF token; a pause and a resume through the console reach
the daemon. Every action asks for confirmation first and is recorded with who did it."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from urllib.parse import unquote_plus

from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import BasicProperties
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By

from tests.integration.outbound.support import (
    X12_SECTION,
    asn_data,
    ledger_rows,
    outbound_bus,
    outbound_settings,
    request,
)
from tests.integration.outbound.test_reconcile import accepted_set, functional_ack_x12
from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    running_daemon,
    small_850,
    take_all,
    wait_for,
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


def profile(home: Path, partner: str, text: str) -> None:
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{partner}.toml").write_text(text)


def sender_profile(sender: str) -> str:
    return f'[x12]\nsender_id = "GATEWAY"\nreceiver_id = "{sender}"\n'


def wait_until_on(driver: WebDriver, path: str) -> None:
    wait_for(f"the browser on {path}", lambda: path in driver.current_url, timeout=15)


def click(driver: WebDriver, selector: str) -> None:
    driver.find_element(By.CSS_SELECTOR, selector).click()


def confirm(driver: WebDriver, back: str, name: str | None = None) -> str:
    """On the confirmation page: (screenshot it as ``name``), say yes; the notice it comes
    back with on ``back``."""
    wait_until_on(driver, "/actions/")
    assert "Yes, " in driver.page_source
    if name is not None:
        screenshot(driver, name)
    click(driver, "section.confirm button[type=submit]")
    wait_until_on(driver, f"{back}?")
    notice: str = driver.find_element(By.CSS_SELECTOR, "p.notice").text
    return notice


def test_an_operator_reprocesses_a_file_quarantined_for_a_wrong_sender_after_the_fix(
    tmp_path: Path, partner: str
) -> None:
    profile(tmp_path, partner, sender_profile("WRONG"))
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    add_console(config)
    routing = f"edi.in.850.{partner}"
    with bound_queue(routing) as (channel, queue), running_daemon(config):
        drop(tmp_path / "inbox", partner, "order.x12", small_850(71))
        wait_for("the ledger", lambda: "edi-gateway running" in daemon_output(config))
        with running_console(config) as console, chromium() as driver:
            with console.logged_in("olga") as http:
                wait_for("the quarantine", lambda: http.get("/api/exceptions").json()["count"])
                [group] = http.get("/api/exceptions").json()["groups"]
            [item] = group["items"]
            assert group["heading"] == "sent under ids its profile does not declare"
            profile(tmp_path, partner, sender_profile("ACME"))  # the fix
            wait_for("the reload", lambda: "partner profiles reloaded" in daemon_output(config))

            log_in(driver, console, "olga")
            driver.get(f"{console.url}/exceptions")
            assert "ZZ:WRONG" in driver.page_source
            click(driver, "form.action[action='/actions/reprocess'] button")
            notice = confirm(driver, "/exceptions", "confirm")
            screenshot(driver, "exceptions-notice")
            assert f"copied to {tmp_path / 'inbox' / partner / 'reprocess-'}" in notice
            published: list[tuple[BasicProperties, bytes]] = []
            wait_for(
                "the order published",
                lambda: arrived(channel, queue, published),
            )
            driver.get(f"{console.url}/exceptions")
            assert "Nothing waits" in driver.page_source  # its copy was taken, and archived
    shown = gateway_command(config, "show", item["target"])
    assert "by console:olga" in shown and "reprocessed" in shown
    assert json.loads(published_body(published))["data"]["po_number"] == "PO00000071"


def published_body(messages: list[tuple[BasicProperties, bytes]]) -> bytes:
    [(_, body)] = messages  # once
    return body


def arrived(
    channel: BlockingChannel, queue: str, into: list[tuple[BasicProperties, bytes]]
) -> bool:
    """Whether a message is in ``into``, after those waiting in ``queue`` are added."""
    into.extend(take_all(channel, queue))
    return bool(into)


def test_an_operator_resends_an_overdue_document_with_new_control_numbers(
    tmp_path: Path, partner: str
) -> None:
    home = tmp_path / "home"
    profile(
        home,
        partner,
        X12_SECTION.format(receiver=partner.upper()[:15]) + "ack_deadline_hours = 0.0003\n",
    )
    config = outbound_settings(home, partner)
    add_console(config)
    outbox = home / "outbox" / partner
    with outbound_bus(partner) as bus, running_daemon(config):
        bus.publish(request("r1", partner), message_id="r1")
        wait_for("the 856", lambda: bool(list(outbox.glob("856-*.x12"))))
        unfit = {**asn_data("ASN-UNFIT"), "carrier_scac": None}  # the profile requires it
        bus.publish(request("r2", partner, data=unfit), message_id="r2")
        stray = functional_ack_x12(77, 990, accepted_set(), sender=partner.upper()[:15])
        drop(home / "inbox", partner, "997-stray.x12", stray)  # answers for nothing we sent
        [row] = [r for r in ledger_rows(home) if r["request_id"] == "r1"]
        time.sleep(1.5)  # past its deadline: overdue
        with running_console(config) as console, chromium() as driver:
            with console.logged_in("victor") as viewer:
                wait_for("the stray 997", lambda: bool(viewer.get("/api/acks").json()["unmatched"]))
                acks = viewer.get("/api/acks").json()
            [awaiting], [unmatched] = acks["awaiting"], acks["unmatched"]
            assert awaiting["document_id"] == row["document_id"] and awaiting["overdue"]
            assert unmatched["partner"] == partner and unmatched["group"] == "990"
            log_in(driver, console, "olga")
            driver.get(f"{console.url}/acks")
            assert "1 overdue" in driver.page_source and partner in driver.page_source
            assert "matched nothing" in driver.page_source and "990" in driver.page_source
            screenshot(driver, "acks")
            click(
                driver,
                "form.action[action='/actions/resend'] input[name=new_control_numbers] ~ button",
            )
            wait_until_on(driver, "/actions/resend")
            assert "with new control numbers?" in driver.page_source
            notice = confirm(driver, "/acks")
            assert "re-rendered with new control numbers" in notice
            wait_for("the second 856", lambda: len(list(outbox.glob("856-*.x12"))) == 2)
            with console.logged_in("olga") as operator:  # the refused request, dismissed
                listed = operator.get("/api/exceptions").json
                wait_for("the refused request", lambda: listed()["count"] == 1)
                [group] = operator.get("/api/exceptions").json()["groups"]
                [refused] = group["items"]
                assert refused["kind"] == "request" and refused["target"] == "r2"
                assert "carrier_scac" in refused["why"]
                dismissed = operator.post(
                    "/actions/dismiss",
                    data={"target": "r2", "reason": "sent again corrected", "confirm": "yes"},
                )
                assert "notice_kind" not in dismissed.headers["location"]
                assert operator.get("/api/exceptions").json()["count"] == 0
    rows = {r["request_id"]: r for r in ledger_rows(home)}
    assert set(rows) == {"r1", "r2", "r1#resend-1"}
    assert rows["r1#resend-1"]["interchange_ref"] != rows["r1"]["interchange_ref"]
    shown = gateway_command(config, "show", row["document_id"])
    assert (
        "outbound.resent" in shown
        and "sent again with new control numbers, by console:olga" in shown
    )


def test_a_viewer_is_refused_an_action_and_so_is_a_post_without_its_csrf_token(
    shared_console: tuple[Console, str],
) -> None:
    console, partner = shared_console
    with console.logged_in("olga") as operator:
        [group] = operator.get("/api/exceptions").json()["groups"]
        target = group["items"][0]["target"]
        action = {"target": target, "reason": "not needed", "confirm": "yes"}
        token = operator.headers.pop("x-csrftoken")
        refused = operator.post("/actions/dismiss", data=action)
        assert refused.status_code == 403
        asked = operator.post("/actions/dismiss", data={"target": target, "csrftoken": token})
        assert asked.status_code == 200 and "Yes, dismiss" in asked.text  # it asks first
    with console.logged_in("victor") as viewer:
        assert viewer.post("/actions/dismiss", data=action).status_code == 403
        assert viewer.get(f"/actions/reprocess?target={target}").status_code == 403
        assert (
            viewer.post("/actions/pause", data={"target": partner, "confirm": "yes"}).status_code
            == 403
        )
    with chromium() as driver:
        log_in(driver, console, "victor")
        driver.get(f"{console.url}/exceptions")
        assert not driver.find_elements(By.CSS_SELECTOR, "form.action")
        driver.get(f"{console.url}/actions/reprocess?target={target}")
        assert "Not allowed" in driver.page_source and "victor is a viewer" in driver.page_source
    with console.logged_in("olga") as operator:
        assert operator.get("/api/exceptions").json()["count"] == 1  # nothing was done


def test_a_pause_and_a_resume_through_the_console_reach_the_daemon(
    tmp_path: Path, partner: str
) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    add_console(config)
    inbox = tmp_path / "inbox"
    with running_daemon(config):
        wait_for("the ledger", lambda: "edi-gateway running" in daemon_output(config))
        with running_console(config) as console, console.logged_in("olga") as operator:
            asked = operator.get(f"/actions/pause?target={partner}&back=/exceptions")
            assert asked.status_code == 200 and "Yes, pause" in asked.text
            done = operator.post(
                "/actions/pause",
                data={
                    "target": partner,
                    "reason": "maintenance",
                    "confirm": "yes",
                    "back": "/exceptions",
                },
            )
            assert done.status_code == 303 and "notice=" in done.headers["location"]
            wait_for(
                "the pause seen",
                lambda: f"partner {partner} PAUSED by console:olga" in daemon_output(config),
            )
            drop(inbox, partner, "waiting.x12", small_850(81))
            [paused] = operator.get("/api/exceptions").json()["paused"]
            assert paused == {
                **paused,
                "partner": partner,
                "by": "console:olga",
                "reason": "maintenance",
            }
            time.sleep(2)
            assert (inbox / partner / "waiting.x12").exists()
            again = operator.post("/actions/pause", data={"target": partner, "confirm": "yes"})
            assert "notice_kind=error" in again.headers["location"]  # already paused
            operator.post("/actions/resume", data={"target": partner, "confirm": "yes"})
            wait_for("the file taken", lambda: not (inbox / partner / "waiting.x12").exists())
    assert f"partner {partner} RESUMED" in daemon_output(config)


def test_an_operator_replays_a_published_order_under_its_message_id(
    shared_console: tuple[Console, str],
) -> None:
    console, partner = shared_console
    ledger = console.log.parent / "ledger.sqlite3"
    with sqlite3.connect(ledger) as db:
        [(document_id,)] = db.execute(
            "SELECT document_id FROM documents WHERE state = 'published' ORDER BY id LIMIT 1"
        ).fetchall()
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        with console.logged_in("olga") as operator:
            asked = operator.get(f"/actions/replay?target={document_id}&back=/exceptions")
            assert asked.status_code == 200 and "Yes, replay" in asked.text
            assert "PurchaseOrder:PO" in asked.text  # what it is, said before it is done
            done = operator.post(
                "/actions/replay",
                data={"target": document_id, "confirm": "yes", "back": "/exceptions"},
            )
            assert done.status_code == 303
            assert "republished" in unquote_plus(done.headers["location"])
        [(properties, _)] = take_all(channel, queue)
    assert properties.message_id == document_id
    shown = gateway_command(console.log.parent / "gateway.toml", "show", document_id)
    assert "republished under its message id, by console:olga" in shown

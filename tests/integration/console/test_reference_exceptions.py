"""The console and issue 25's partners: an 846 withheld for an SKU its partner's reference list
does not know is on the Exceptions page (API and HTML) by partner and cause, and an operator's
Reprocess is refused until the list knows the SKU, then publishes it; an 850 whose 6-digit
date its partner's validation policy downgraded shows the downgrade on its document page."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    gateway_command,
    small_850,
    take_all,
    write_settings,
)
from tests.support.console import add_console, running_console


def test_a_withheld_846_and_a_downgraded_850_in_the_console(tmp_path: Path, partner: str) -> None:
    lenient = f"{partner}l"
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text('reference_check = ["846"]\n')
    (profiles / f"{lenient}.toml").write_text(
        '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\n'
        '[x12.validation]\nwarn = ["syntax.date_six_digits"]\n'
    )
    known = tmp_path / "mappings" / "reference" / f"{partner}.toml"
    known.parent.mkdir(parents=True)
    known.write_text('items = ["SKU-1"]\n')
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    stock = (ROOT / "fixtures" / "x12" / "846-004010.edi").read_bytes()
    drop(tmp_path / "inbox", partner, "stock.edi", stock)
    drop(
        tmp_path / "inbox",
        lenient,
        "order.edi",
        small_850(9401).replace(b"*20261123~", b"*261123~"),
    )
    with (
        bound_queue(f"edi.in.846.{partner}") as (channel, queue),
        bound_queue(f"edi.in.850.{lenient}") as (orders, order_queue),
    ):
        gateway_command(config, "run", "--once")
        assert take_all(channel, queue) == []
        [(order, _)] = take_all(orders, order_queue)
        add_console(config)
        with running_console(config) as console, console.logged_in("olga") as operator:
            api = operator.get("/api/exceptions").json()
            [group] = api["groups"]
            assert (group["partner"], group["cause"]) == (partner, "reference.unknown_item")
            assert group["heading"] == "names items the reference data does not know"
            [item] = group["items"]
            assert item["kind"] == "document" and item["findings"] == ["line #2: item SKU-2"]
            target = item["target"]
            page = operator.get("/exceptions").text
            assert f'href="/documents/{target}">document {target}</a>' in page
            asked = operator.get("/actions/reprocess", params={"target": target}).text
            assert "Publish the withheld document" in asked

            action = {"target": target, "confirm": "yes"}
            refused = operator.post("/actions/reprocess", data=action)
            said = unquote(refused.headers["location"]).replace("+", " ")
            assert "notice_kind=error" in said and "still withheld" in said
            known.write_text('items = ["SKU-1", "SKU-2"]\n')
            released = operator.post("/actions/reprocess", data=action)
            assert "notice_kind" not in released.headers["location"]
            assert operator.get("/api/exceptions").json()["count"] == 0
            timeline = operator.get(f"/documents/{target}").text
            assert "released to be published, by console:olga" in timeline
            downgraded = operator.get(f"/documents/{order.message_id}").text
            assert "syntax.date_six_digits downgraded to a warning by partner" in downgraded
        gateway_command(config, "run", "--once")
        [(_, body)] = take_all(channel, queue)
    assert json.loads(body)["id"] == target

"""Partner profiles and mappings reloaded without a restart (issue 23): a profile fixed on disk
enables its partner again (its held files are taken), a profile broken on disk disables that
partner only (log, metric), SIGHUP reloads, a mapping edited on disk reads the next file, and
a request refused for an unknown partner goes through by its id once the profile is written,
all in one run of the daemon."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.contract.test_formats import CSV_ORDERS
from tests.integration.outbound.support import (
    ledger_rows,
    outbound_bus,
    outbound_settings,
    request,
    write_profile,
)
from tests.integration.support import (
    ROOT,
    bound_queue,
    daemon_output,
    drop,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)
from tests.support.ports import free_port


def test_profiles_and_mappings_are_reloaded_on_change_and_on_sighup(
    tmp_path: Path, partner: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", metrics_address=address
    )
    good, bad, flat = f"{partner}a", f"{partner}b", f"{partner}c"
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{good}.toml").write_text('format = "x12"\n')
    (profiles / f"{bad}.toml").write_text('format = "x12"\n[x12]\nsender_idd = "GW"\n')
    own = tmp_path / "mappings" / "csv"
    own.mkdir()
    mapping = (ROOT / "mappings" / "csv" / "example-orders.toml").read_text()
    assert 'value = "00"' in mapping  # the purpose code: a constant of the mapping
    (own / "orders.toml").write_text(mapping)
    (profiles / f"{flat}.toml").write_text('format = "csv"\n[csv]\nmapping = "orders"\n')
    inbox = tmp_path / "inbox"

    def metric(partner: str) -> bool:
        """Whether the metrics say ``partner`` is disabled (False before they are served)."""
        try:
            metrics = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read()
        except OSError:
            return False
        return f'edigw_partner_disabled{{partner="{partner}"}} 1.0'.encode() in metrics

    def scraped(name: str, **labels: str) -> float:
        """A sample of the metrics, 0 when absent."""
        text = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return float(sample.value)
        return 0.0

    def reloads() -> int:
        return daemon_output(config).count("partner profiles reloaded")

    with bound_queue("edi.in.850.*") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, bad, "held.edi", small_850(9801))
            wait_for("the bad partner disabled", lambda: metric(bad))
            (profiles / f"{bad}.toml").write_text('format = "x12"\n')  # fixed, no restart
            wait_for(
                "the held file taken once the profile is fixed",
                lambda: any((tmp_path / "archive" / bad).rglob("*held.edi")),
            )
            assert not metric(bad)
            (profiles / f"{good}.toml").write_text('format = "x12"\n[x12]\nusage = "T"\n')
            wait_for("the partner broken on disk disabled", lambda: metric(good))
            before = reloads()
            process.send_signal(signal.SIGHUP)
            wait_for("a reload on SIGHUP", lambda: reloads() > before)
            (own / "orders.toml").write_text(mapping.replace('value = "00"', 'value = "05"', 1))
            wait_for("the mapping change seen", lambda: reloads() > before + 1)
            drop(inbox, flat, "orders.csv", CSV_ORDERS.read_bytes())
            wait_for(
                "the CSV orders read", lambda: any((tmp_path / "archive" / flat).rglob("*.csv"))
            )
            assert scraped("edigw_reloads_total", outcome="succeeded") >= 4
            assert scraped("edigw_config_errors_total", partner=bad) == 1  # found at the start
            assert scraped("edigw_config_errors_total", partner=good) == 1  # found by a reload
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
        published = [json.loads(body)["data"] for _, body in take_all(channel, queue)]
    log = daemon_output(config)
    assert f"partner {bad} enabled again" in log
    assert f"partner {good} DISABLED" in log and "usage" in log
    assert {order["po_number"] for order in published} >= {"PO00009801"}
    orders = [order for order in published if order["envelope"]["partner"] == flat]
    assert orders and {order["purpose_code"] for order in orders} == {"05"}


def test_a_refused_request_goes_through_once_the_profile_is_written_without_a_restart(
    tmp_path: Path, partner: str
) -> None:
    config = outbound_settings(tmp_path, partner)
    with outbound_bus(partner) as bus:
        dead: list[bytes] = []

        def dead_lettered() -> bool:
            dead.extend(body for _, body in bus.take(bus.dead_letters))
            return len(dead) == 1

        process = gateway_process(config, "run")
        try:
            bus.publish(request("REQ-RELOAD-1", partner))  # no profile yet: refused
            wait_for("the request refused", dead_lettered)
            write_profile(tmp_path, partner)  # the cause fixed, the daemon not restarted
            wait_for(
                "the profile reloaded",
                lambda: "partner profiles reloaded" in daemon_output(config),
            )
            bus.publish(request("REQ-RELOAD-1", partner))  # the request sent again
            wait_for(
                "the request rendered and written",
                lambda: [r["state"] for r in ledger_rows(tmp_path)] in (["written"], ["sent"]),
            )
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
    [row] = ledger_rows(tmp_path)
    assert row["request_id"] == "REQ-RELOAD-1"
    assert (tmp_path / "outbox" / partner / str(row["file_name"])).exists()

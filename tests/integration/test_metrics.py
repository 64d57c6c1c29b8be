"""The daemon's operations endpoint (issue 23): Prometheus metrics scraped over HTTP and parsed
with prometheus_client's own parser, /livez and /readyz; no label with unbounded values; the
latencies, exceptions, channel bytes, partners' acknowledgements and configuration errors."""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from adapters.formats.x12.report import scan
from tests.integration.outbound.support import (
    outbound_bus,
    request,
    request_queue,
    write_profile,
)
from tests.integration.support import (
    bound_queue,
    broken_850,
    daemon_output,
    drop,
    gateway_process,
    running_daemon,
    small_850,
    take_all,
    wait_for,
    write_settings,
)
from tests.support.ports import free_port


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parsed(text: str) -> Samples:
    """(sample name, its labels sorted) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(address: str) -> Samples:
    status, text = get(f"http://{address}/metrics")
    return parsed(text) if status == 200 else {}


def labelled(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))


def test_metrics_and_probes_over_http(tmp_path: Path, database_url: str, partner: str) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        tmp_path, database_url, metrics_address=address, metrics_ledger_every=2.0
    )
    base = f"http://{address}"
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            wait_for("the daemon to be ready", lambda: get(f"{base}/readyz") == (200, "ok\n"))
            assert get(f"{base}/livez") == (200, "ok\n")
            drop(tmp_path / "inbox", partner, "order.edi", small_850(9501))
            wait_for("the order to be published", lambda: len(take_all(channel, queue)) == 1)
            settled = (
                "edigw_relay_published_total 1.0",
                f'edigw_documents{{partner="{partner}",state="published"}} 1.0',
                f'edigw_files{{partner="{partner}",state="archived"}} 1.0',
            )
            wait_for(  # the ledger's figures are read again after metrics_ledger_every
                "the confirm counted, the document and file settled in the ledger's figures",
                lambda: all(line in get(f"{base}/metrics")[1] for line in settled),
                timeout=45,
            )
            timed = (
                "edigw_end_to_end_latency_seconds_count",
                labelled(kind="850", partner=partner),
            )
            wait_for("the file's way to the broker timed", lambda: scrape(address).get(timed) == 1)
            status, text = get(f"{base}/metrics")
            assert status == 200 and process.poll() is None, daemon_output(config)
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
    samples = parsed(text)
    assert samples[("edigw_broker_connected", ())] == 1.0
    assert samples[("edigw_documents", (("partner", partner), ("state", "published")))] == 1.0
    assert samples[("edigw_files", (("partner", partner), ("state", "archived")))] == 1.0
    assert samples[("edigw_outbox_oldest_pending_age_seconds", ())] == 0.0
    assert ("process_cpu_seconds_total", ()) in samples
    # the file's parse and its way to the broker, timed once each; its document counted
    parses = ("edigw_parse_latency_seconds_count", labelled(kind="x12", partner=partner))
    assert samples[parses] == 1.0
    order = labelled(kind="850", partner=partner)
    assert samples[("edigw_end_to_end_latency_seconds_count", order)] == 1.0
    assert 0 < samples[("edigw_end_to_end_latency_seconds_sum", order)] < 45
    bucket = labelled(kind="850", le="+Inf", partner=partner)
    assert samples[("edigw_end_to_end_latency_seconds_bucket", bucket)] == 1.0
    accepted = labelled(kind="850", outcome="accepted", partner=partner)
    assert samples[("edigw_documents_processed_total", accepted)] == 1.0
    assert not any(name.endswith("_created") for name, _ in samples)
    labels = {value for _, pairs in samples for _, value in pairs}
    assert not any(len(value) == 36 and value.count("-") == 4 for value in labels)  # no ids


def test_channel_metrics_count_runs_and_files_per_partner(tmp_path: Path, partner: str) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", metrics_address=address
    )
    share = tmp_path / "share"
    (share / "out").mkdir(parents=True)
    (share / "in").mkdir()
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(
        'format = "x12"\n[folder]\n'
        f'pickup = "{share / "out"}"\ndrop = "{share / "in"}"\nmin_age = 0.0\n'
        'after = "delete"\nschedule = { interval = 1 }\n'
    )
    (share / "out" / "order.edi").write_bytes(small_850(9601))
    process = gateway_process(config, "run")
    metric = f'edigw_channel_files_total{{channel="folder",direction="taken",partner="{partner}"}}'
    try:
        wait_for(
            "the file taken, counted",
            lambda: f"{metric} 1.0" in get(f"http://{address}/metrics")[1],
        )
        text = get(f"http://{address}/metrics")[1]
        delivered = labelled(channel="folder", direction="sent", partner=partner)
        wait_for(
            "its 997 delivered, counted",
            lambda: scrape(address).get(("edigw_channel_files_total", delivered)) == 1.0,
        )
        last = scrape(address)
    finally:
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, daemon_output(config)
    runs = f'edigw_channel_runs_total{{channel="folder",outcome="succeeded",partner="{partner}"}}'
    assert any(line.startswith(runs) and float(line.split()[-1]) >= 1 for line in text.splitlines())
    assert f'edigw_channel_paused{{channel="folder",partner="{partner}"}} 0.0' in text
    assert f'edigw_channel_failures_in_a_row{{channel="folder",partner="{partner}"}} 0.0' in text
    taken = labelled(channel="folder", direction="taken", partner=partner)
    assert parsed(text)[("edigw_channel_bytes_total", taken)] == len(small_850(9601))
    # its 997, written to outbox/<partner>/, delivered to the partner's drop folder
    sent = labelled(channel="folder", direction="sent", partner=partner)
    assert [path.stat().st_size for path in (share / "in").iterdir()] == [
        last[("edigw_channel_bytes_total", sent)]
    ]


def test_exceptions_and_configuration_errors_are_counted_per_partner_and_kind(
    tmp_path: Path, partner: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", metrics_address=address
    )
    bad = f"{partner}x"
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{bad}.toml").write_text('format = "no-such-format"\n')
    inbox = tmp_path / "inbox"
    with running_daemon(config):
        wait_for("the endpoint", lambda: bool(scrape(address)))
        drop(inbox, partner, "broken.edi", broken_850(9701))
        drop(inbox, partner, "order.edi", small_850(9702))
        drop(inbox, partner, "noise.edi", b"neither X12 nor anything else\n")
        refused = ("edigw_exceptions_total", labelled(kind="850", partner=partner))
        unread = ("edigw_exceptions_total", labelled(kind="file", partner=partner))
        wait_for(
            "the refused document and the unread file counted",
            lambda: all(scrape(address).get(key) == 1.0 for key in (refused, unread)),
        )
        samples = scrape(address)
    documents = "edigw_documents_processed_total"
    for outcome in ("accepted", "refused"):
        assert samples[(documents, labelled(kind="850", outcome=outcome, partner=partner))] == 1
    parses = ("edigw_parse_latency_seconds_count", labelled(kind="x12", partner=partner))
    assert samples[parses] == 3.0
    assert samples[("edigw_config_errors_total", labelled(partner=bad))] == 1.0
    assert samples[("edigw_partner_disabled", labelled(partner=bad))] == 1.0


def test_partners_acknowledgements_show_as_rate_and_cycle_time(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    home = tmp_path / "home"
    write_profile(home, partner)  # [x12] only: the partner collects outbox/<partner>/ itself
    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
        metrics_address=address,
        metrics_ledger_every=2.0,
    )
    outbox = home / "outbox" / partner
    asn = labelled(kind="856", partner=partner)
    accepted = (
        "edigw_outbound_acknowledged_total",
        labelled(kind="856", partner=partner, state="accepted"),
    )
    with outbound_bus(partner) as bus, running_daemon(config):
        bus.publish(request("m-1", partner), message_id="m-1")
        wait_for(
            "the 856 sent", lambda: scrape(address).get(("edigw_outbound_sent_total", asn)) == 1
        )
        assert scrape(address).get(accepted, 0.0) == 0.0
        [sent] = outbox.glob("856-*.x12")
        [answer] = scan(sent.read_bytes(), file_name=sent.name).acknowledgements
        drop(home / "inbox", partner, "997-from-partner.x12", answer.text.encode())
        wait_for(  # partners' acknowledgements are read with the ledger's figures
            "the acknowledgement counted", lambda: scrape(address).get(accepted) == 1.0, timeout=45
        )
        samples = scrape(address)
    assert samples[("edigw_outbound_sent_total", asn)] == 1.0
    assert samples[("edigw_outbound_ack_cycle_seconds_count", asn)] == 1.0
    assert 0 <= samples[("edigw_outbound_ack_cycle_seconds_sum", asn)] < 60
    within = (
        "edigw_outbound_ack_cycle_seconds_bucket",
        labelled(kind="856", le="60.0", partner=partner),
    )
    assert samples[within] == 1.0

"""One bad partner profile disables that partner only (issue 23): the daemon starts, says so
loudly (log, STATUS, metric), holds the partner's files in its inbox folder, and the other
partners' files flow; once the profile is fixed and the daemon restarted, the held files are
taken."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.integration.support import (
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


def test_a_bad_profile_holds_its_partner_and_the_others_flow(tmp_path: Path, partner: str) -> None:
    import urllib.request

    address = f"127.0.0.1:{free_port()}"
    config = write_settings(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", metrics_address=address
    )
    good, bad = f"{partner}a", f"{partner}b"
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{good}.toml").write_text('format = "x12"\n')
    (profiles / f"{bad}.toml").write_text('format = "x12"\n[x12]\nsender_idd = "GW"\n')
    inbox = tmp_path / "inbox"
    with bound_queue("edi.in.850.*") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, bad, "held.edi", small_850(9701))
            drop(inbox, good, "order.edi", small_850(9702))
            wait_for(
                "the good partner's order", lambda: any((tmp_path / "archive").rglob("*order.edi"))
            )
            metrics = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read()
            assert f'edigw_partner_disabled{{partner="{bad}"}} 1.0'.encode() in metrics
            assert (inbox / bad / "held.edi").exists()  # held, neither taken nor quarantined
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
        log = daemon_output(config)
        assert f"partner {bad} DISABLED" in log and "sender_idd" in log
        (profiles / f"{bad}.toml").write_text('format = "x12"\n')  # fixed
        process = gateway_process(config, "run")
        try:
            wait_for("the held file taken", lambda: not (inbox / bad / "held.edi").exists())
            wait_for(
                "the held file archived",
                lambda: any((tmp_path / "archive" / bad).rglob("*held.edi")),
            )
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
        published = {json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)}
    assert published == {"PO00009701", "PO00009702"}
    assert not list((tmp_path / "quarantine").rglob("*.edi"))

"""Broker down is normal: the connection to RabbitMQ is cut for 30 s mid-run (through a loopback
TCP proxy the test controls). Files keep being accepted, outbox rows accumulate durably, and
publishing resumes when the broker is back: nothing lost, first arrivals in order per partner."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

from tests.integration.support import (
    bound_queue,
    drop,
    gateway_process,
    small_850,
    take_all,
    write_settings,
)
from tests.integration.test_crash import backlog
from tests.support.broker import url_via
from tests.support.tcp_proxy import TcpProxy

OUTAGE = 30.0
FILES_BEFORE, FILES_DURING, FILES_AFTER = 50, 150, 50


def test_a_30_second_broker_outage_loses_nothing(tmp_path: Path) -> None:
    partner = f"out{uuid.uuid4().hex[:8]}"
    inbox = tmp_path / "inbox"
    with TcpProxy(("127.0.0.1", 5672)) as proxy, bound_queue(f"edi.in.*.{partner}") as (ch, q):
        url = url_via(proxy.port)
        config = write_settings(tmp_path, "sqlite:///var/ledger.sqlite3", amqp_url=url)
        process = gateway_process(config, "run")
        try:
            n = 0
            for _ in range(FILES_BEFORE):
                n += 1
                drop(inbox, partner, f"o{n:05d}.edi", small_850(n))
            time.sleep(3)
            proxy.cut()
            started = time.monotonic()
            for _ in range(FILES_DURING):  # spread over the outage
                n += 1
                drop(inbox, partner, f"o{n:05d}.edi", small_850(n))
                time.sleep(OUTAGE / 2 / FILES_DURING)
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - started) - 1))
            # still cut: everything was accepted and recorded, the backlog waits
            assert list((inbox / partner).iterdir()) == []
            assert backlog(tmp_path) > 0
            proxy.restore()
            for _ in range(FILES_AFTER):
                n += 1
                drop(inbox, partner, f"o{n:05d}.edi", small_850(n))
            deadline = time.monotonic() + 90
            while backlog(tmp_path) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert backlog(tmp_path) == 0, "the backlog did not drain after the broker came back"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        messages = take_all(ch, q)
    numbers = [int(json.loads(body)["data"]["po_number"][2:]) for _, body in messages]
    first_arrivals = list(dict.fromkeys(numbers))
    assert sorted(first_arrivals) == list(range(1, n + 1))  # nothing lost
    assert first_arrivals == sorted(first_arrivals)  # in order for the partner

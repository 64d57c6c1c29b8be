"""A request refused for a cause that can be fixed (issue 23): once the cause is fixed (the
partner's profile written) and the daemon restarted, the same request, arriving again under the
same id, is rendered and written, not refused again with the stale reason; arriving again while
the cause stays, it is refused for the reason of now."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.integration.outbound.support import (
    ledger_rows,
    outbound_bus,
    outbound_settings,
    request,
    write_profile,
)
from tests.integration.support import daemon_output, gateway_process, wait_for


def run_until(home: Path, what: str, done: object) -> None:
    config = home / "gateway.toml"
    process = gateway_process(config, "run")
    try:
        wait_for(what, done, timeout=60)  # type: ignore[arg-type]
    finally:
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, daemon_output(config)


def test_a_refused_request_goes_through_by_its_id_once_its_cause_is_fixed(
    tmp_path: Path, partner: str
) -> None:
    outbound_settings(tmp_path, partner)
    with outbound_bus(partner) as bus:
        dead: list[bytes] = []

        def dead_lettered(count: int) -> bool:
            dead.extend(body for _, body in bus.take(bus.dead_letters))
            return len(dead) == count

        bus.publish(request("REQ-RETRY-1", partner))  # no profile yet: refused
        bus.publish(request("REQ-RETRY-1", partner))  # again, the cause not fixed: again
        run_until(tmp_path, "both deliveries refused", lambda: dead_lettered(2))
        [refused] = ledger_rows(tmp_path)
        assert refused["state"] == "invalid" and "unknown partner" in str(refused["detail"])
        write_profile(tmp_path, partner)  # the cause fixed, the daemon started again ...
        bus.publish(request("REQ-RETRY-1", partner))  # ... and the request sent again
        run_until(
            tmp_path,
            "the request rendered and written",
            lambda: [r["state"] for r in ledger_rows(tmp_path)] in (["written"], ["sent"]),
        )
        [row] = ledger_rows(tmp_path)
        assert row["request_id"] == "REQ-RETRY-1" and row["id"] == refused["id"]
        assert (tmp_path / "outbox" / partner / str(row["file_name"])).exists()
        assert len(dead) == 2  # not dead-lettered the third time

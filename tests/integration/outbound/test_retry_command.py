"""``edi-gateway retry`` (issue 23): refused requests sent again by their id once the cause is
fixed, without their system having to publish them again (those of a partner, but for the
ones an operator dismissed); a progress bar on a terminal, none when not on one; exit 1 for an
id that names no refused request."""

from __future__ import annotations

from pathlib import Path

from gateway.exit_codes import EXIT_INVALID
from tests.integration.outbound.support import (
    ledger_rows,
    outbound_bus,
    outbound_settings,
    request,
    write_profile,
)
from tests.integration.outbound.test_request_retry import run_until
from tests.integration.support import gateway_command, gateway_outcome
from tests.support.terminal import on_a_terminal


def test_refused_requests_are_sent_again_by_id_once_the_cause_is_fixed(
    tmp_path: Path, partner: str
) -> None:
    config = outbound_settings(tmp_path, partner)
    with outbound_bus(partner) as bus:
        dead: list[bytes] = []

        def dead_lettered(count: int) -> bool:
            dead.extend(body for _, body in bus.take(bus.dead_letters))
            return len(dead) == count

        bus.publish(request("REQ-AGAIN-1", partner))  # no profile yet: both refused
        bus.publish(request("REQ-AGAIN-2", partner))
        run_until(tmp_path, "both requests refused", lambda: dead_lettered(2))
        assert {r["state"] for r in ledger_rows(tmp_path)} == {"invalid"}

        listed = gateway_command(config, "retry", "--partner", partner, "--dry-run")
        assert "REQ-AGAIN-1" in listed and f"unknown partner '{partner}'" in listed
        assert listed.splitlines()[-1] == "2 request(s) would be sent again"
        gateway_command(config, "dismiss", "REQ-AGAIN-2", "--reason", "sent by mistake")
        listed = gateway_command(config, "retry", "--partner", partner, "--dry-run")
        assert "REQ-AGAIN-2" not in listed  # dismissed: sent again only when named
        assert listed.splitlines()[-1] == "1 request(s) would be sent again"

        write_profile(tmp_path, partner)  # the cause fixed; the daemon is not running
        status, printed, shown = on_a_terminal(config, "retry", "REQ-AGAIN-1")
        assert status == 0 and printed.splitlines()[-1] == "1 message(s) sent again", shown
        assert "sent again:" in shown and "1/1" in shown  # the progress bar
        quiet = gateway_outcome(config, "retry", "REQ-AGAIN-2")  # not a terminal: no bar
        assert quiet.returncode == 0 and "sent again:" not in quiet.stderr, quiet.stderr
        assert "━" not in quiet.stderr and "\x1b[" not in quiet.stderr  # no bar, no escapes
        assert quiet.stdout.splitlines()[-1] == "1 message(s) sent again"

        run_until(
            tmp_path,
            "both requests rendered and written",
            lambda: {r["state"] for r in ledger_rows(tmp_path)} <= {"written", "sent"},
        )
        assert dead_lettered(2)  # still the two: neither was refused again
    rows = ledger_rows(tmp_path)
    assert [r["request_id"] for r in rows] == ["REQ-AGAIN-1", "REQ-AGAIN-2"]
    assert all((tmp_path / "outbox" / partner / str(r["file_name"])).exists() for r in rows)

    again = gateway_outcome(config, "retry", "REQ-AGAIN-1")  # written: nothing to retry
    assert again.returncode == EXIT_INVALID
    assert "no refused request REQ-AGAIN-1" in again.stderr

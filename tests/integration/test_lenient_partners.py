"""A partner's validation policy through the daemon, on both ledgers and the real broker: the
same 850 with a 6-digit date (BEG05 ``261123``) is published for a partner whose profile
downgrades ``syntax.date_six_digits`` (its 997 says accepted, errors noted; its timeline says
which finding the policy downgraded), and rejected for a partner without the policy (997 ``R``,
quarantined, nothing published)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.integration.support import (
    bound_queue,
    drop,
    gateway_command,
    gateway_process,
    small_850,
    take_all,
    write_settings,
)

PROFILE = '[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\n'
POLICY = '[x12.validation.sets."850"]\nwarn = ["syntax.date_six_digits"]\n'


def six_digit_date_850(control: int) -> bytes:
    return small_850(control).replace(b"**20261123~", b"**261123~")


def test_a_6_digit_date_is_published_for_the_partner_whose_policy_allows_it_only(
    tmp_path: Path, database_url: str
) -> None:
    lenient, strict = (f"p{uuid.uuid4().hex[:10]}" for _ in range(2))
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{lenient}.toml").write_text(PROFILE + POLICY)
    (profiles / f"{strict}.toml").write_text(PROFILE)
    config = write_settings(tmp_path, database_url)
    assert "ok" in gateway_command(config, "check-config")
    drop(tmp_path / "inbox", lenient, "order.edi", six_digit_date_850(9301))
    drop(tmp_path / "inbox", strict, "order.edi", six_digit_date_850(9302))
    with (
        bound_queue(f"edi.in.850.{lenient}") as (channel, queue),
        bound_queue(f"edi.in.850.{strict}") as (strict_channel, strict_queue),
    ):
        assert gateway_process(config, "run", "--once").wait(timeout=120) == 0
        [(properties, body)] = take_all(channel, queue)
        assert take_all(strict_channel, strict_queue) == []
    order = json.loads(body)["data"]
    assert (order["po_number"], order["po_date"]) == ("PO00009301", "2026-11-23")

    [noted] = (tmp_path / "outbox" / lenient).glob("997-*.x12")
    assert "AK3*BEG*2**8~\nAK4*5*373*4*261123~\nAK5*E*5~\nAK9*E*1*1*1~" in noted.read_text()
    [rejected] = (tmp_path / "outbox" / strict).glob("997-*.x12")
    assert "AK4*5*373*4*261123~\nAK5*R*5~\nAK9*R*1*1*0~" in rejected.read_text()
    assert len(list((tmp_path / "quarantine" / strict).glob("*.error.json"))) == 1
    assert not (tmp_path / "quarantine" / lenient).exists()

    shown = gateway_command(config, "show", str(properties.message_id)).splitlines()
    kinds = [line.split()[1] for line in shown]
    assert kinds.index("parsed") < kinds.index("downgraded") < kinds.index("published")
    [line] = [line for line in shown if line.split()[1] == "downgraded"]
    assert (
        f"syntax.date_six_digits downgraded to a warning by partner {lenient}'s profile "
        "(x12.validation.sets.850.warn): "
    ) in line
    assert "BEG05 (Date) is a date in 6 digits (YYMMDD): '261123'" in line

    status = json.loads(gateway_command(config, "status", "--json"))
    assert status["documents"][lenient] == {"published": 1}
    assert status["documents"][strict] == {"failed": 1}

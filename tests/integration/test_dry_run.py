"""``edi-gateway dry-run FILE --partner P`` (issue 23): what the daemon would do with a file,
changing nothing: its format, each document's id and routing key, a duplicate of what the
ledger has, the acknowledgement, or why the file would be quarantined."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.support import (
    broken_850,
    gateway_command,
    gateway_outcome,
    small_850,
    write_settings,
)


def test_a_dry_run_says_what_would_happen_and_changes_nothing(tmp_path: Path, partner: str) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    (tmp_path / "mappings" / "partners").mkdir(parents=True)
    (tmp_path / "mappings" / "partners" / f"{partner}.toml").write_text('format = "x12"\n')
    order, broken = tmp_path / "order.edi", tmp_path / "broken.edi"
    order.write_bytes(small_850(9401))
    broken.write_bytes(broken_850(9402))
    gateway_command(config, "run", "--once")  # the ledger is made, empty
    before = json.loads(gateway_command(config, "status", "--json"))

    fresh = gateway_command(config, "dry-run", str(order), "--partner", partner)
    assert "order.edi: read as x12, 1 document(s)" in fresh
    assert f"(PurchaseOrder:PO00009401): would be published as edi.in.850.{partner}" in fresh
    assert f"would write 997-GATEWAY-ACME-000000001.x12 to outbox/{partner}/" in fresh

    refused = gateway_outcome(config, "dry-run", str(broken), "--partner", partner)
    assert refused.returncode == 1
    assert ": refused: " in refused.stdout and "would be quarantined" in refused.stdout
    after = json.loads(gateway_command(config, "status", "--json"))
    assert {**after, "at": None} == {**before, "at": None}  # nothing recorded
    assert order.read_bytes() == small_850(9401)

    inbox = tmp_path / "inbox" / partner
    inbox.mkdir(parents=True)
    (inbox / "order.edi").write_bytes(small_850(9401))
    gateway_command(config, "run", "--once")  # now the ledger has it
    again = gateway_command(config, "dry-run", str(order), "--partner", partner)
    assert "a duplicate of one recorded before (now published): recorded, not published again" in (
        again
    )

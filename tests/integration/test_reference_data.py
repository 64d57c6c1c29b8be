"""Reference data end to end, on the real broker and both ledgers: an 846 naming a SKU its
partner's reference list does not know is acknowledged (997 accepting it: the exception is a
business one), not published, announced on ``edi.events`` and listed by ``edi-gateway
exceptions``; ``reprocess`` refuses it while the SKU is still unknown and publishes it, exactly
once, once the reference data knows it; ``dismiss`` closes another for good."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.bus.topology import EVENTS_EXCHANGE
from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    gateway_command,
    gateway_outcome,
    in_process_gateway,
    run_once,
    take_all,
    write_settings,
)

FIXTURE = ROOT / "fixtures" / "x12" / "846-004010.edi"
"""Line 1: SKU-1 (U.P.C. 012345678905) at DC-EAST, aisle A4; line 2: SKU-2 at DC-EAST."""
KNOWN = 'items = ["SKU-1"]\nlocations = ["DC-EAST", "A4"]\n'


def stock(isa13: int) -> bytes:
    """The fixture's 846 under interchange ``isa13`` (another document each time)."""
    return FIXTURE.read_bytes().replace(b"000000846", f"{isa13:09d}".encode())


def home_for(tmp_path: Path, database_url: str, partner: str) -> Path:
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text('reference_check = ["846"]\n')
    references = tmp_path / "mappings" / "reference"
    references.mkdir(parents=True)
    (references / f"{partner}.toml").write_text(KNOWN)
    return write_settings(tmp_path, database_url)


def exceptions(config: Path, partner: str) -> list[dict[str, object]]:
    listed = json.loads(gateway_command(config, "exceptions", "--partner", partner, "--json"))
    return [item for item in listed if item["kind"] == "document"]


def test_an_846_naming_an_unknown_sku_waits_in_the_exceptions_until_the_list_knows_it(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home_for(tmp_path, database_url, partner)
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "stock.edi", stock(846))
    with (
        bound_queue(f"edi.in.846.{partner}") as (channel, queue),
        bound_queue(f"edi.notice.*.{partner}", EVENTS_EXCHANGE) as (events, notices),
    ):
        run_once(gw)
        assert take_all(channel, queue) == []  # not published
        [(_, body)] = take_all(events, notices)
        notice = json.loads(body)["data"]
        assert notice["code"] == "unknown_reference"
        assert notice["detail"]["lines"] == [
            {"line": "line #2", "item": ["SKU-2"], "locations": []}
        ]
        [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
        assert "AK5*A~\nAK9*A*1*1*1~" in ack.read_text()  # the X12 itself was right

        [item] = exceptions(config, partner)
        document_id = str(item["target"])
        assert document_id == notice["document_id"]
        assert item["cause"] == "reference.unknown_item"
        assert "line #2: item SKU-2" in str(item["why"])
        shown = gateway_command(config, "show", document_id)
        assert "withheld, not published: 846 names what the reference data" in shown

        refused = gateway_outcome(config, "reprocess", document_id)
        assert refused.returncode == 1 and "still withheld" in refused.stderr
        run_once(gw)
        assert take_all(channel, queue) == []

        (tmp_path / "mappings" / "reference" / f"{partner}.toml").write_text(
            'items = ["SKU-1", "SKU-2"]\nlocations = ["DC-EAST", "A4"]\n'
        )
        said = gateway_command(config, "reprocess", document_id)
        assert "released: it will be published" in said
        again = gateway_outcome(config, "reprocess", document_id)
        assert again.returncode == 1  # released once: nothing withheld any more
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
        assert properties.message_id == document_id
        assert json.loads(body)["data"]["reference"] == "INV-7"
        run_once(gw)
        assert take_all(channel, queue) == []  # exactly once
    assert exceptions(config, partner) == []
    status = json.loads(gateway_command(config, "status", "--json"))
    assert status["documents"][partner] == {"published": 1}
    kinds = [line.split()[1] for line in gateway_command(config, "show", document_id).splitlines()]
    assert kinds.index("withheld") < kinds.index("released")
    assert "published" in kinds[kinds.index("released") :]  # (the notice was published before)


def test_a_withheld_document_dismissed_is_never_published(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home_for(tmp_path, database_url, partner)
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "stock.edi", stock(847))
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        run_once(gw)
        [item] = exceptions(config, partner)
        document_id = str(item["target"])
        said = gateway_command(config, "dismiss", document_id, "--reason", "a test advice")
        assert said.endswith("dismissed: a test advice\n")
        assert exceptions(config, partner) == []
        (tmp_path / "mappings" / "reference" / f"{partner}.toml").write_text('items = ["SKU-2"]\n')
        refused = gateway_outcome(config, "reprocess", document_id)
        assert refused.returncode == 1 and "dismissed already" in refused.stderr
        gateway_outcome(config, "replay", document_id)  # a replay leaves it withheld too
        run_once(gw)
        assert take_all(channel, queue) == []

"""Reference data end to end, on the real broker and both ledgers: an 846 naming a SKU its
partner's reference list does not know is acknowledged (997 accepting it: the exception is a
business one), not published, announced on ``edi.events`` and listed by ``edi-gateway
exceptions``; ``reprocess`` refuses it while the SKU is still unknown and publishes it, exactly
once, once the reference data knows it (a file in ``mappings/reference/``, or a list the modern
layer publishes on ``edi.ref``, taken by the running daemon, the newest winning); ``dismiss``
closes another for good."""

from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path

import pika
from prometheus_client import CollectorRegistry

from gateway.bus.topology import EVENTS_EXCHANGE
from gateway.ledger import create_engine_for, session_factory
from gateway.ledger.reference_lists import list_versions
from gateway.references.published import REFERENCE_EXCHANGE
from tests.integration.support import (
    ROOT,
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_outcome,
    gateway_process,
    in_process_gateway,
    run_once,
    running_daemon,
    take_all,
    wait_for,
    write_settings,
)
from tests.support.broker import AMQP_URL

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
        counted = CollectorRegistry()
        counted.register(gw.measures)
        withheld = {"partner": partner, "kind": "withheld"}
        assert counted.get_sample_value("edigw_exceptions_total", withheld) == 1

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


def publish_list(scope: str, list_id: str, time: str, items: list[str]) -> None:
    """A reference list as the modern layer publishes it."""
    body = {
        "specversion": "1.0",
        "id": list_id,
        "type": "edi.ref.items",
        "source": "erp",
        "time": time,
        "data": {"items": items, "locations": ["DC-EAST", "A4"]},
    }
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        connection.channel().basic_publish(
            REFERENCE_EXCHANGE, f"edi.ref.items.{scope}", json.dumps(body).encode()
        )
    finally:
        connection.close()


def queue_exists(name: str) -> bool:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        connection.channel().queue_declare(name, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        if connection.is_open:
            connection.close()


def kept_list(database_url: str, scope: str) -> str | None:
    """The id of the list the ledger keeps for ``scope``."""
    engine = create_engine_for(database_url)
    try:
        with session_factory(engine)() as s:
            versions = list_versions(s, [scope])
    finally:
        engine.dispose()
    return versions[0].list_id if versions else None


def test_a_list_the_modern_layer_publishes_is_taken_by_the_running_daemon_newest_first(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    instance = f"i{uuid.uuid4().hex[:10]}"
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text('reference_check = ["846"]\n')
    config = write_settings(tmp_path, database_url, instance=instance)
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue), running_daemon(config):
        wait_for("the reference lists' queue", lambda: queue_exists(f"edi.ref.lists.{instance}"))
        publish_list(partner, "L1", "2026-12-05T10:00:00Z", ["SKU-1"])
        wait_for("L1 in the ledger", lambda: kept_list(database_url, partner) == "L1")
        drop(tmp_path / "inbox", partner, "stock.edi", stock(848))
        wait_for("the withheld 846", lambda: bool(exceptions(config, partner)), timeout=60)
        [item] = exceptions(config, partner)
        assert f"list L1 published for {partner}" in str(item["why"])
        document_id = str(item["target"])

        publish_list(partner, "L0", "2026-12-05T09:00:00Z", ["SKU-1", "SKU-2"])  # older
        publish_list("all", "S1", "2026-12-05T09:00:00Z", ["SKU-9"])
        refusals: list[str] = []

        def refused_knowing_s1() -> bool:
            refused = gateway_outcome(config, "reprocess", document_id)
            refusals.append(refused.stderr)
            return refused.returncode == 1 and "list S1 published for all" in refused.stderr

        wait_for("a reprocess refused with the shared list taken", refused_knowing_s1)
        assert "item SKU-2" in refusals[-1]  # L0, older than L1, was left out

        publish_list(partner, "L2", "2026-12-05T11:00:00Z", ["SKU-1", "SKU-2"])
        wait_for(
            "the reprocess once L2 is taken",
            lambda: gateway_outcome(config, "reprocess", document_id).returncode == 0,
        )
        got: list[bytes] = []

        def published() -> bool:
            got.extend(body for _, body in take_all(channel, queue))
            return bool(got)

        wait_for("the 846", published)
        assert json.loads(got[0])["id"] == document_id
        assert gateway_outcome(config, "reprocess", document_id).returncode == 1
        assert take_all(channel, queue) == [] and len(got) == 1  # exactly once
    assert exceptions(config, partner) == []


def test_a_csv_inventory_read_as_a_stream_has_its_unknown_advice_withheld_and_the_other_published(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """The streamed lane's documents are held until the file is read whole, then released: a
    withheld one stays withheld. The shared list (all.toml) applies to every partner."""
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(
        'format = "csv"\nreference_check = ["846"]\n[csv]\nmapping = "example-inventory"\n'
    )
    shared = tmp_path / "mappings" / "reference" / "all.toml"
    shared.parent.mkdir(parents=True)
    shared.write_text('items = ["WID-1"]\n')  # not GAD-9, on line 3 of ADV-501
    config = write_settings(tmp_path, database_url, large_file_size=64)
    data = (ROOT / "fixtures" / "csv" / "inventory.csv").read_bytes()
    drop(tmp_path / "inbox", partner, "stock.csv", data)
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        run = gateway_outcome(config, "run", "--once")
        assert run.returncode == 0 and "read as a stream" in run.stderr, run.stderr[-3000:]
        references = [json.loads(b)["data"]["reference"] for _, b in take_all(channel, queue)]
        assert references == ["ADV-502"]
        [item] = exceptions(config, partner)
        assert "line 3: item GAD-9" in str(item["why"])
        shared.write_text('items = ["WID-1", "GAD-9"]\n')
        gateway_command(config, "reprocess", str(item["target"]))
        gateway_command(config, "run", "--once")
        [(_, body)] = take_all(channel, queue)
        assert json.loads(body)["data"]["reference"] == "ADV-501"


def test_a_list_kept_by_a_daemon_killed_before_its_ack_is_delivered_again_and_kept_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    instance = f"i{uuid.uuid4().hex[:10]}"
    config = write_settings(tmp_path, database_url, instance=instance)
    crashing = gateway_process(config, "run", env={"EDIGW_CRASH_AT": "reference_list_after_commit"})
    try:
        wait_for("the reference lists' queue", lambda: queue_exists(f"edi.ref.lists.{instance}"))
        publish_list(partner, "L1", "2026-12-05T10:00:00Z", ["SKU-1"])
        assert crashing.wait(timeout=60) == -signal.SIGKILL
    finally:
        if crashing.poll() is None:
            crashing.kill()
    assert kept_list(database_url, partner) == "L1"
    with running_daemon(config):  # the broker delivers it again: the same list, left out
        said = f"reference list L1 for {partner} (issued 2026-12-05T10:00:00+00:00) left out"
        wait_for("the list delivered again", lambda: said in daemon_output(config))
    assert kept_list(database_url, partner) == "L1"

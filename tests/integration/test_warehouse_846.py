"""846 Inventory Advice end to end, on the real RabbitMQ and both ledgers (SQLite, PostgreSQL):
an X12 846 and a CSV inventory file dropped in a 3PL's inbox arrive as InventoryAdvice messages
on ``edi.in.846.<partner>`` (the X12 one acknowledged by a 997 accepting it), and an
``edi.out.846`` request from the modern layer becomes one valid 846 in the retailer's outbox."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import translate
from gateway.messages import InventoryAdvice
from tests.integration.outbound.support import outbound_bus, request, request_queue, write_profile
from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    gateway_process,
    in_process_gateway,
    run_once,
    take_all,
    wait_for,
    write_settings,
)

FIXTURE = ROOT / "fixtures" / "x12" / "846-004010.edi"
CSV_FIXTURE = ROOT / "fixtures" / "csv" / "inventory.csv"


def test_an_x12_846_is_published_as_an_inventory_advice_and_accepted_by_a_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "stock.edi", FIXTURE.read_bytes())
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        run_once(gw)
        [(properties, body)] = take_all(channel, queue)
    event = json.loads(body)
    assert event["type"].endswith("846") or event["data"]["message_type"] == "InventoryAdvice"
    advice = event["data"]
    assert (advice["message_type"], advice["reference"], advice["semantics"]) == (
        "InventoryAdvice",
        "INV-7",
        "delta",
    )
    assert advice["facility"]["id"] == "DC-EAST"
    first = advice["lines"][0]
    assert [(q["state"], q["quantity"]) for q in first["quantities"]] == [
        ("on_hand", "120"),
        ("available", "100"),
        ("quarantined", "5"),
    ]
    assert first["quantities"][1]["lots"][0] == {"number": "L-1", "expiry_date": "2027-06-30"}
    assert properties.message_id == event["id"] == advice["document_id"]
    [ack] = (tmp_path / "outbox" / partner).glob("997-*.x12")
    text = ack.read_text()
    assert "AK1*IB*846~" in text and "AK2*846*0001~" in text and "AK9*A*1*1*1~" in text


def test_a_csv_inventory_file_is_published_one_advice_per_advice_id(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    folder = tmp_path / "mappings" / "partners"
    folder.mkdir(parents=True)
    (folder / f"{partner}.toml").write_text(
        'format = "csv"\n[csv]\nmapping = "example-inventory"\npartner_ids = ["3PL-WEST"]\n'
    )
    gw = in_process_gateway(tmp_path, database_url)
    drop(tmp_path / "inbox", partner, "stock.csv", CSV_FIXTURE.read_bytes())
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        run_once(gw)
        bodies = [json.loads(body)["data"] for _, body in take_all(channel, queue)]
    assert [(a["reference"], a["semantics"], len(a["lines"])) for a in bodies] == [
        ("ADV-501", "snapshot", 3),
        ("ADV-502", "delta", 1),
    ]
    assert bodies[1]["lines"][0]["quantities"][0]["state"] == "reserved"
    assert bodies[1]["lines"][0]["quantities"][0]["qualifier"] == "XU"


def request_data(fixture: Path) -> dict[str, Any]:
    """A message as the modern layer sends it: the fixture's, without its envelope."""
    [tx] = list(transactions_in(fixture.read_bytes()))
    data = translate(tx).model_dump(mode="json")
    del data["envelope"], data["document_id"]
    return data


def rendered_for_request(
    tmp_path: Path, database_url: str, kind: str, data: dict[str, Any]
) -> TransactionSet:
    """The transaction set the daemon writes in a partner's outbox for an ``edi.out.<kind>``
    request holding ``data``, once it announced it ``sent``."""
    partner = f"r{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    write_profile(home, partner)
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )
    with outbound_bus(partner) as bus:
        daemon = gateway_process(config, "run")
        try:
            bus.publish(request(f"{kind}-1", partner, data=data, kind=kind), kind=kind)

            def written() -> list[Path]:
                return list((home / "outbox" / partner).glob(f"{kind}-*.x12"))

            wait_for(f"the {kind} in the outbox", lambda: bool(written()))
            events: list[dict[str, Any]] = []

            def sent() -> bool:
                events.extend(json.loads(b) for _, b in bus.take(bus.events))
                return any(e["data"]["state"] == "sent" for e in events)

            wait_for("the sent status event", sent)
        finally:
            daemon.terminate()
            daemon.wait(30)
    [file] = written()
    [tx] = list(transactions_in(file.read_bytes()))
    assert tx.findings == []
    assert tx.interchange.usage_indicator == "T"  # the profile's, not the request's
    return tx


def test_an_846_request_becomes_one_valid_846_in_the_outbox(
    tmp_path: Path, database_url: str
) -> None:
    data = request_data(FIXTURE)
    advice = translate(rendered_for_request(tmp_path, database_url, "846", data))
    assert isinstance(advice, InventoryAdvice)
    again = advice.model_dump(mode="json")
    del again["envelope"], again["document_id"]
    assert again == data


def test_a_retailer_on_csv_gets_its_846_request_as_a_csv_inventory_file(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    from adapters.formats.delimited.format import CsvConfig, CsvFormat
    from tests.integration.outbound.test_outbound_mapped import read_back, requested, run

    section = {
        "mapping": "example-inventory",
        "render": {"846": "example-inventory"},
        "sender_id": "GATEWAY",
        "receiver_id": "RETAILER-9",
    }
    config = CsvConfig.model_validate(section)
    snapshot, _delta = requested(CsvFormat(), config, CSV_FIXTURE)
    outbox, [row] = run(
        tmp_path, database_url, partner, "csv", section, [("inv-1", "846", snapshot)]
    )
    assert (row["state"], row["format"], row["kind"]) == ("sent", "csv", "846")
    data = (outbox / row["file_name"]).read_bytes()
    assert data.startswith(b"file_reference,sender,receiver,advice_id,")
    assert len(data.splitlines()) == 1 + 5  # the header, a row per item, location and state
    document_id, content = read_back(CsvFormat(), config, data)
    assert (document_id, content) == (row["document_id"], snapshot)

"""A document too large for one message is published as its parts, through the daemon, on the real
RabbitMQ and both ledgers: a CSV inventory advice of 10,050 lines (a catalog; CSV has no limit
like the 846's 10,000 LIN loops) arrives as a header and two parts that put back together equal
the advice; the same file again publishes nothing; killed after its first part was published, a
restarted daemon publishes the rest, each part under its own message id."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from gateway.messages import InventoryAdvice
from gateway.messages.parts import PART_ITEMS, reassemble
from tests.integration.support import (
    bound_queue,
    drop,
    gateway_process,
    in_process_gateway,
    run_once,
    run_to_crash_point,
    take_all,
    wait_for,
    write_settings,
)

LINES = PART_ITEMS + 50
HEADER = (
    "file_reference,sender,receiver,advice_id,as_of_date,as_of_time,semantics,warehouse,line,sku,"
    "upc,description,location,state,quantity,unit\n"
)


def catalog(lines: int = LINES, advice: str = "ADV-CATALOG") -> bytes:
    rows = [
        f"INV-1,3PL-WEST,GATEWAY,{advice},20261205,0600,snapshot,DC-WEST,{n},SKU-{n:06d},,,"
        f"A-{n % 40:02d},on_hand,{n % 300 + 1},EA\n"
        for n in range(1, lines + 1)
    ]
    return (HEADER + "".join(rows)).encode()


def write_profile(home: Path, partner: str) -> None:
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{partner}.toml").write_text(
        'format = "csv"\n[csv]\nmapping = "example-inventory"\npartner_ids = ["3PL-WEST"]\n'
    )


def events(channel: Any, queue: str) -> list[tuple[Any, dict[str, Any]]]:
    return [(properties, json.loads(body)) for properties, body in take_all(channel, queue)]


def test_a_large_advice_is_published_as_parts_that_make_it_whole(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    write_profile(tmp_path, partner)
    gw = in_process_gateway(tmp_path, database_url)
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "catalog.csv", catalog())
        run_once(gw)
        published = events(channel, queue)
        drop(tmp_path / "inbox", partner, "again.csv", catalog())
        run_once(gw)
        assert take_all(channel, queue) == []  # the same advice: a duplicate
    assert [event["data"]["part"] for _, event in published] == [1, 2, 3]
    document_id = published[0][1]["documentid"]
    for properties, event in published:
        assert event["type"] == "edi.in.846"
        assert event["dataschema"].endswith("/DocumentPart.json")
        assert properties.message_id == event["id"] == f"{document_id}/{event['part']}"
        assert properties.headers["document_id"] == document_id
        assert properties.headers["parts"] == "3"
    sizes = [
        sum(len(e["items"]) for e in event["data"].get("entries", [])) for _, event in published
    ]
    assert sizes == [0, PART_ITEMS, 50]
    whole = reassemble([event["data"] for _, event in published])
    assert len(whole["lines"]) == LINES and whole["document_id"] == document_id
    advice = InventoryAdvice.model_validate({k: v for k, v in whole.items() if k != "document_id"})
    assert advice.document_id == document_id
    assert advice.envelope.correlation_id == published[0][1]["correlationid"]


def test_parts_are_each_published_once_across_a_kill(tmp_path: Path) -> None:
    """Killed right after the broker confirmed the first part: the restarted daemon publishes
    the parts left (a part may reach the broker again only across the kill, under its id)."""
    partner = f"p{uuid.uuid4().hex[:10]}"
    write_profile(tmp_path, partner)
    config = write_settings(tmp_path, "sqlite:///var/ledger.sqlite3")
    with bound_queue(f"edi.in.846.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "catalog.csv", catalog())
        run_to_crash_point(config, "after_publish")
        received = events(channel, queue)
        assert received, "the first part reached the broker before the kill"
        process = gateway_process(config, "run")
        try:

            def all_parts() -> bool:
                received.extend(events(channel, queue))
                return {e["data"]["part"] for _, e in received} == {1, 2, 3}

            wait_for("every part", all_parts)
        finally:
            process.terminate()
            process.wait(timeout=60)
        received.extend(events(channel, queue))
    ids = [properties.message_id for properties, _ in received]
    assert len(set(ids)) == 3 and len(ids) <= 4  # again only what the kill left unconfirmed
    by_part = {event["data"]["part"]: event["data"] for _, event in received}
    assert len(reassemble(by_part.values())["lines"]) == LINES

"""Helpers for the outbound tests: requests, partner profiles, private queues, the ledger."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
import sqlalchemy as sa
from pika.adapters.blocking_connection import BlockingChannel

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.translation import translate
from gateway.bus.topology import (
    DEAD_LETTER_EXCHANGE,
    DEFAULT_TOPOLOGY,
    EVENTS_EXCHANGE,
    REQUEST_EXCHANGE,
    declare,
)
from gateway.ledger import create_engine_for
from tests.integration.support import ROOT, write_settings
from tests.support.broker import AMQP_URL


def asn_data(shipment_id: str = "ASN-2026-555") -> dict[str, Any]:
    """A ShipNotice as the modern layer sends it: the fixture 856, without its envelope."""
    tx = next(transactions_in(ROOT / "fixtures" / "x12" / "856-004010.edi"))
    data = translate(tx).model_dump(mode="json")
    del data["envelope"], data["document_id"]
    data["shipment_id"] = shipment_id
    return data


def request(
    request_id: str, partner: str, *, data: dict[str, Any] | None = None, kind: str = "856"
) -> bytes:
    event = {
        "specversion": "1.0",
        "id": request_id,
        "type": f"edi.out.{kind}",
        "source": "tests/wms",
        "partner": partner,
        "correlationid": f"corr-{request_id}",
        "data": data if data is not None else asn_data(f"ASN-{request_id}"[:30]),
    }
    return json.dumps(event).encode()


X12_SECTION = """
[x12]
sender_id = "GATEWAY"
receiver_id = "{receiver}"
usage_indicator = "T"
required = {{ "856" = ["carrier_scac", "orders.packs.sscc"] }}
"""


def write_profile(home: Path, partner: str, extra: str = "") -> None:
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    text = extra + X12_SECTION.format(receiver=partner.upper()[:15])
    (folder / f"{partner}.toml").write_text(text)


def outbound_settings(home: Path, partner: str, **extra: object) -> Path:
    values: dict[str, Any] = {
        "outbound_queue": request_queue(partner),
        "outbound_bindings": [f"edi.out.*.{partner}"],
        **extra,
    }
    return write_settings(home, f"sqlite:///{home / 'var' / 'ledger.sqlite3'}", **values)


def request_queue(partner: str) -> str:
    return f"test.out.{partner}"


@dataclass
class Bus:
    channel: BlockingChannel
    partner: str
    dead_letters: str
    events: str

    def publish(self, body: bytes, *, kind: str = "856", **properties: Any) -> None:
        self.channel.basic_publish(
            REQUEST_EXCHANGE,
            f"edi.out.{kind}.{self.partner}",
            body,
            pika.BasicProperties(
                content_type="application/cloudevents+json", delivery_mode=2, **properties
            ),
        )

    def take(self, queue: str) -> list[tuple[pika.spec.BasicProperties, bytes]]:
        got: list[tuple[pika.spec.BasicProperties, bytes]] = []
        while True:
            method, properties, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return got
            got.append((properties, body))


@contextmanager
def outbound_bus(partner: str) -> Iterator[Bus]:
    """The request queue the daemon will consume (declared now, so nothing published before the
    daemon is up is lost), and private queues on the dead-letter and events exchanges."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    topology = DEFAULT_TOPOLOGY.with_request_queue(
        request_queue(partner), (f"edi.out.*.{partner}",)
    )
    declare(channel, topology=topology)
    suffix = uuid.uuid4().hex[:8]
    dead, events = f"test.dl.{suffix}", f"test.ev.{suffix}"
    for queue, exchange, key in (
        (dead, DEAD_LETTER_EXCHANGE, f"edi.out.*.{partner}"),
        (events, EVENTS_EXCHANGE, f"edi.status.*.{partner}"),
    ):
        channel.queue_declare(queue, durable=False)
        channel.queue_bind(queue, exchange, key)
    try:
        yield Bus(channel, partner, dead, events)
    finally:
        for queue in (dead, events, request_queue(partner)):
            channel.queue_delete(queue)
        connection.close()


def ledger_rows(home: Path, where: str = "1=1") -> list[dict[str, Any]]:
    engine = sa.create_engine(f"sqlite:///{home / 'var' / 'ledger.sqlite3'}")
    try:
        with engine.connect() as connection:
            result = connection.execute(
                sa.text(f"select * from outbound_documents where {where} order by id")
            )
            return [dict(row) for row in result.mappings()]
    except sa.exc.OperationalError:
        return []
    finally:
        engine.dispose()


def request_event(request_id: object, partner: str, **attributes: Any) -> bytes:
    """A ship notice request with ``attributes`` changed (None: left out)."""
    values = {
        "specversion": "1.0",
        "id": request_id,
        "type": "edi.out.856",
        "source": "tests/wms",
        "partner": partner,
        "data": asn_data(f"ASN-{str(request_id)[:20]}"),
        **attributes,
    }
    return json.dumps({k: v for k, v in values.items() if v is not None}).encode()


def outbound_rows(database_url: str) -> list[dict[str, Any]]:
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            result = connection.execute(sa.text("select * from outbound_documents order by id"))
            return [dict(row) for row in result.mappings()]
    finally:
        engine.dispose()


def hostile_bodies(partner: str) -> dict[str, tuple[bytes, str]]:
    """Requests no reader should choke on, by name: (body, what its refusal says)."""
    good = request_event("shape", partner).decode()
    data_start = good.index('"data": ') + len('"data": ')

    def with_data(text: str) -> bytes:
        return (good[:data_start] + text + "}").encode()

    zeros = ",".join(["0"] * 210_000)
    return {
        "deep": (with_data("[" * 1000 + "]" * 1000), "nested deeper than 32 levels"),
        "deeper": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32 levels"),
        "too large": (b'{"pad": "' + b"x" * (8 * 1024 * 1024) + b'"}', "at most 8,388,608"),
        "many values": (with_data(f'{{"orders": [{zeros}]}}'), "more than 200,000 JSON values"),
        "not utf-8": (good.replace("ASN-", "\udcff").encode("utf-8", "surrogateescape"), "0xff"),
        "nan": (with_data('{"shipment_id": NaN}'), "NaN is not a JSON number"),
        "infinite": (with_data('{"weight": 1e999}'), "too large for a float"),
        "surrogate": (with_data('{"shipment_id": "\\ud800"}'), "unpaired surrogate"),
        "nul": (with_data('{"shipment_id": "A\\u0000B"}'), "unpaired surrogate"),
        "control id": (request_event("a\u0001b", partner), "control character"),
        "id a number": (request_event(12, partner), "id must be a string"),
        "huge integer": (with_data('{"n": ' + "9" * 5000 + "}"), "not JSON"),
        "not an object": (b"[1, 2, 3]", "must be a CloudEvent JSON object"),
        "empty": (b"", "not JSON"),
    }

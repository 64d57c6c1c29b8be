"""Multi-warehouse inventory and order synchronisation, the whole story through one daemon on the
real RabbitMQ and both ledgers (SQLite, PostgreSQL), as the modern layer sees it (issue 25).

A retailer orders PO-2026-88 (an X12 850). Two 3PLs advise their stock of overlapping SKUs: the
east warehouse as an X12 846, the west one as a CSV inventory file, which also names SKU-999,
an item the reference data does not know. The modern layer asks the east warehouse to ship the
order (an ``edi.out.940``); the 3PL's 945 comes back short (10 of the 12 cases of SKU-1); the
modern layer turns it into an ASN for the retailer (an ``edi.out.856``), which the gateway
checks against the retailer's 850 and renders.

What the modern layer receives tells that story, each event under the correlation id of what
caused it: the 850 and the east 846 published, the west 846 withheld as an exception
(``edi.notice.unknown_reference``, and ``edi-gateway exceptions`` lists it) and not published,
the 940 sent, the 945 published and announced short against the 940 under the 940 request's
correlation id, the 856 sent under its own request's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.bus.topology import EVENTS_EXCHANGE, INBOUND_EXCHANGE, REQUEST_EXCHANGE
from tests.integration.outbound.support import Bus, asn_data, outbound_bus, request, request_queue
from tests.integration.support import (
    ROOT,
    drop,
    gateway_command,
    gateway_process,
    wait_for,
    write_settings,
)
from tests.integration.test_warehouse_846 import request_data

FIXTURES = ROOT / "fixtures" / "x12"

ORDER = (
    "ISA*00*          *00*          *ZZ*RETAIL         *ZZ*GATEWAY        *261205*0600*U*00401*"
    "000000850*0*P*>~\nGS*PO*RETAIL*GATEWAY*20261205*0600*850*X*004010~\nST*850*0001~\n"
    "BEG*00*SA*PO-2026-88**20261204~\nPO1*1*12*CA*18**VN*SKU-1*UP*012345678905~\n"
    "PO1*2*4*EA*3.25**VN*SKU-2~\nCTT*2~\nSE*6*0001~\nGE*1*850~\nIEA*1*000000850~\n"
)
"""The retailer's order for what the 940 fixture asks the east warehouse to ship."""

WEST_STOCK = (
    "file_reference,sender,receiver,advice_id,as_of_date,as_of_time,semantics,warehouse,line,"
    "sku,upc,description,location,state,quantity,unit\n"
    "INV-W-1,3PL-WEST,GATEWAY,ADV-W-1,20261205,0600,snapshot,DC-WEST,1,SKU-1,,,A-01,on_hand,40,CA\n"
    "INV-W-1,3PL-WEST,GATEWAY,ADV-W-1,20261205,0600,snapshot,DC-WEST,2,SKU-999,,,A-01,on_hand,7,EA\n"
)
"""The west warehouse's stock: SKU-1 (the east one has it too) and SKU-999, unknown."""

REFERENCE = (
    'items = ["SKU-1", "SKU-2", "012345678905"]\nlocations = ["DC-EAST", "A4", "DC-WEST", "A-01"]\n'
)


def write_partners(home: Path, retail: str, east: str, west: str) -> None:
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True)
    (folder / f"{retail}.toml").write_text(
        'asn_check = "warn"\n\n[x12]\nsender_id = "GATEWAY"\nreceiver_id = "RETAIL"\n'
    )
    (folder / f"{east}.toml").write_text(
        'reference_check = ["846", "945"]\n\n[x12]\nsender_id = "GATEWAY"\nreceiver_id = "ACME"\n'
    )
    (folder / f"{west}.toml").write_text(
        'format = "csv"\nreference_check = ["846"]\n\n'
        '[csv]\nmapping = "example-inventory"\npartner_ids = ["3PL-WEST"]\n'
    )
    references = home / "mappings" / "reference"
    references.mkdir(parents=True)
    (references / "all.toml").write_text(REFERENCE)


def ship_notice_from(advice: dict[str, Any]) -> dict[str, Any]:
    """The ASN the modern layer makes of the 3PL's shipping advice (its 945, as published)."""
    data = asn_data(advice["shipment_id"])
    shipped = [
        {
            "line_number": str(number),
            "item": {
                "vendor_item_number": line["item"]["vendor_item_number"],
                "upc": line["item"].get("upc"),
            },
            "quantity_shipped": line["quantity_shipped"],
            "unit_of_measure": line["unit_of_measure"],
        }
        for number, line in enumerate(advice["lines"], start=1)
    ]
    data["orders"] = [
        {
            "po_number": advice["po_number"],
            "packs": [{"sscc": "00106141411234567897", "items": shipped}],
        }
    ]
    return data


def test_two_warehouses_an_order_a_short_shipment_and_its_asn_tell_one_story(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    retail, east, west = f"{partner}r", f"{partner}e", f"{partner}w"
    home = tmp_path / "home"
    write_partners(home, retail, east, west)
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{east}", f"edi.out.*.{retail}"],
    )
    story: list[tuple[str, dict[str, Any]]] = []  # (routing key, CloudEvent), as received

    def told(routing_key: str) -> list[dict[str, Any]]:
        return [event for key, event in story if key == routing_key]

    with outbound_bus(partner) as bus, gateway_process(config, "run") as daemon:
        channel = bus.channel
        inbound = channel.queue_declare("", exclusive=True).method.queue
        for name in (retail, east, west):
            channel.queue_bind(inbound, INBOUND_EXCHANGE, f"edi.*.*.{name}")
            for key in ("edi.status.*", "edi.notice.*", "edi.fulfilment.*"):
                channel.queue_bind(bus.events, EVENTS_EXCHANGE, f"{key}.{name}")
            channel.queue_bind(request_queue(partner), REQUEST_EXCHANGE, f"edi.out.*.{name}")

        def heard(routing_key: str) -> list[dict[str, Any]]:
            for queue in (inbound, bus.events):
                while True:
                    method, _, body = channel.basic_get(queue, auto_ack=True)
                    if method is None:
                        break
                    story.append((method.routing_key, json.loads(body)))
            return told(routing_key)

        try:
            drop(home / "inbox", retail, "po.x12", ORDER.encode())
            drop(home / "inbox", east, "stock.x12", (FIXTURES / "846-004010.edi").read_bytes())
            drop(home / "inbox", west, "stock.csv", WEST_STOCK.encode())
            wait_for("the order", lambda: bool(heard(f"edi.in.850.{retail}")))
            wait_for("the east stock", lambda: bool(heard(f"edi.in.846.{east}")))
            wait_for(
                "the west stock withheld",
                lambda: bool(heard(f"edi.notice.unknown_reference.{west}")),
            )

            order = request_data(FIXTURES / "940-004010.edi")
            Bus(channel, east, bus.dead_letters, bus.events).publish(
                request("ship-so-4711", east, data=order, kind="940"), kind="940"
            )
            wait_for("the 940 sent", lambda: bool(heard(f"edi.status.sent.{east}")))
            assert list((home / "outbox" / east).glob("940-*.x12"))

            drop(home / "inbox", east, "shipped.x12", (FIXTURES / "945-004010.edi").read_bytes())
            wait_for("the 945", lambda: bool(heard(f"edi.in.945.{east}")))
            wait_for("the short event", lambda: bool(heard(f"edi.fulfilment.short.{east}")))

            [advice] = heard(f"edi.in.945.{east}")
            asn = ship_notice_from(advice["data"])
            Bus(channel, retail, bus.dead_letters, bus.events).publish(
                request("asn-shp-900", retail, data=asn, kind="856"), kind="856"
            )
            wait_for("the 856 sent", lambda: bool(heard(f"edi.status.sent.{retail}")))
            assert list((home / "outbox" / retail).glob("856-*.x12"))
        finally:
            daemon.terminate()
            daemon.wait(30)
        heard("")  # the rest

    keys = [key for key, _ in story]
    # the west advice is never published: it waits in the exceptions
    assert f"edi.in.846.{west}" not in keys
    exceptions = gateway_command(config, "exceptions", "--partner", west)
    assert "SKU-999" in exceptions and "names items the reference data does not know" in exceptions

    [po] = told(f"edi.in.850.{retail}")
    [east_stock] = told(f"edi.in.846.{east}")
    [withheld] = told(f"edi.notice.unknown_reference.{west}")
    [sent_940] = told(f"edi.status.sent.{east}")
    [short] = told(f"edi.fulfilment.short.{east}")
    [sent_856] = told(f"edi.status.sent.{retail}")
    # each under the correlation id of what caused it
    assert sent_940["correlationid"] == "corr-ship-so-4711"
    assert short["correlationid"] == "corr-ship-so-4711"  # the order the 945 answers
    assert short["data"]["order"] == {"kind": "940", "number": "SO-4711"}
    assert short["data"]["document_id"] == advice["data"]["document_id"]
    [item] = [i for i in short["data"]["detail"]["items"] if i["shipped"] != i["ordered"]]
    assert (item["ordered"], item["shipped"]) == ("12", "10")
    assert sent_856["correlationid"] == "corr-asn-shp-900"
    assert advice["data"]["po_number"] == po["data"]["po_number"] == "PO-2026-88"
    assert {line["item"]["vendor_item_number"] for line in east_stock["data"]["lines"]} == {
        "SKU-1",
        "SKU-2",
    }
    assert "SKU-999" in json.dumps(withheld["data"])
    # every inbound message and event carries the correlation id of its file or request
    assert all(event.get("correlationid") for _, event in story)
    # the 856 was checked against the retailer's 850: short of SKU-1, SKU-2 complete
    view = gateway_command(config, "order", "PO-2026-88", "--partner", retail).splitlines()
    assert view[0] == f"order PO-2026-88 (850) of {retail}: short"
    assert f"ordered by {po['data']['document_id']}" in view[1]
    rows = {line.split()[0]: line.split()[1:5] for line in view[4:] if line.strip()}
    assert rows == {
        "UP:012345678905": ["12", "10", "CA", "short"],
        "VN:SKU-2": ["4", "4", "EA", "complete"],
    }

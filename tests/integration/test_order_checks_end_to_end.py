"""The cross-document checks end to end, through the daemon on the real RabbitMQ and both ledgers
(SQLite, PostgreSQL).

945 against 940: an ``edi.out.940`` request goes out to the 3PL; its short 945 comes back and
``edi.fulfilment.short.<partner>`` is announced with the 940 request's correlation id and the
945's document id, and ``edi-gateway order`` shows the order short; a second 945 shipping the
rest completes it (``edi.fulfilment.complete``), and the order view shows both 945s.

856 against 850: the partner's 850 is received; an ``edi.out.856`` request shipping more than it
ordered is refused for a partner with ``asn_check = "refuse"`` (an exception, with the reason),
and sent with an ``edi.fulfilment.over`` event for a partner with ``asn_check = "warn"``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.translation import render_message, translate
from gateway.bus.topology import EVENTS_EXCHANGE, REQUEST_EXCHANGE
from gateway.control_numbers import InMemoryCounter
from gateway.ledger import create_engine_for
from gateway.messages import WarehouseShippingAdvice
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


def write_profile(
    home: Path, partner: str, asn_check: str = "warn", ids: tuple[str, str] = ("GATEWAY", "ACME")
) -> None:
    """A partner known by the ids its fixtures are under: ours, then its (the 940 and 945:
    GATEWAY and ACME; the 850: WIDGETCO and ACMERETAIL)."""
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    ours, its = ids
    (folder / f"{partner}.toml").write_text(
        f'asn_check = "{asn_check}"\n\n[x12]\nsender_id = "{ours}"\nreceiver_id = "{its}"\n'
    )


def settings(home: Path, database_url: str, partner: str) -> Path:
    return write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )


def events_of(bus: Bus, seen: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    """The events taken so far (into ``seen``) of type ``event_type``."""
    seen.extend(json.loads(body) for _, body in bus.take(bus.events))
    return [e for e in seen if e["type"] == event_type]


def purchase_orders_taken(database_url: str) -> int:
    """How many 850s the ledger recorded taken (parsed: the fixture's is a test interchange,
    unroutable here; or published)."""
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            statement = (
                "select count(*) from documents"
                " where kind = '850' and state in ('parsed', 'published')"
            )
            return int(connection.execute(sa.text(statement)).scalar_one())
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no ledger made yet
        return 0
    finally:
        engine.dispose()


def second_945() -> bytes:
    """The 3PL's second 945 for SO-4711: the 2 cases of SKU-1 the first one left short, under
    control numbers of its own, written by the gateway's own renderer."""
    [tx] = list(transactions_in((FIXTURES / "945-004010.edi").read_bytes()))
    first = translate(tx)
    assert isinstance(first, WarehouseShippingAdvice)
    assert first.envelope.x12 is not None
    x12 = first.envelope.x12.model_copy(
        update={"interchange_control_number": "000000946", "group_control_number": "946"}
    )
    line = first.lines[0].model_copy(
        update={"status": "CL", "quantity_shipped": Decimal(2), "quantity_difference": None}
    )
    rest = first.model_copy(
        update={
            "envelope": first.envelope.model_copy(update={"x12": x12}),
            "shipment_id": "SHP-901",
            "lines": [line],
            "total_quantity": Decimal(2),
            "total_weight": None,
        }
    )
    return render_message(rest, InMemoryCounter(), keep_control_numbers=True).encode()


def test_a_short_945_is_announced_and_a_second_one_completes_the_order(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    home = tmp_path / "home"
    write_profile(home, partner)
    config = settings(home, database_url, partner)
    with outbound_bus(partner) as bus, gateway_process(config, "run") as daemon:
        bus.channel.queue_bind(bus.events, EVENTS_EXCHANGE, f"edi.fulfilment.*.{partner}")
        try:
            order = request_data(FIXTURES / "940-004010.edi")
            bus.publish(request("order-1", partner, data=order, kind="940"), kind="940")
            wait_for(
                "the 940 in the outbox",
                lambda: bool(list((home / "outbox" / partner).glob("940-*.x12"))),
            )
            drop(home / "inbox", partner, "945-1.x12", (FIXTURES / "945-004010.edi").read_bytes())
            seen: list[dict[str, Any]] = []
            wait_for("the short event", lambda: bool(events_of(bus, seen, "edi.fulfilment.short")))
            [short] = events_of(bus, seen, "edi.fulfilment.short")
            assert short["correlationid"] == "corr-order-1"
            assert short["data"]["order"] == {"kind": "940", "number": "SO-4711"}
            [item] = short["data"]["detail"]["items"]
            assert (item["ordered"], item["shipped"]) == ("12", "10")
            first_945 = short["data"]["document_id"]
            view = gateway_command(config, "order", "SO-4711", "--partner", partner)
            assert f"order SO-4711 (940) of {partner}: short" in view
            assert f"shipped by #1 {first_945}" in view

            drop(home / "inbox", partner, "945-2.x12", second_945())
            wait_for(
                "the complete event", lambda: bool(events_of(bus, seen, "edi.fulfilment.complete"))
            )
            [complete] = events_of(bus, seen, "edi.fulfilment.complete")
            assert complete["correlationid"] == "corr-order-1"
            assert complete["data"]["detail"]["after_short"] is True
        finally:
            daemon.terminate()
            daemon.wait(30)
    view = gateway_command(config, "order", "SO-4711")
    assert f"order SO-4711 (940) of {partner}: complete" in view
    [upc] = [line for line in view.splitlines() if "UP:012345678905" in line]
    assert upc.split()[1:5] == ["12", "12", "CA", "complete"]


def over_shipping_856(request_id: str, partner: str) -> bytes:
    """An ASN for PO-2026-1001 (the fixture 850 orders 24 of UPC 012345678905) shipping 38."""
    data = asn_data(f"ASN-{request_id}")
    data["orders"][0]["packs"][0]["items"][0]["quantity_shipped"] = "30"
    return request(request_id, partner, data=data)


def test_an_856_over_shipping_a_received_850_is_refused_or_sent_with_a_warning(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    strict, lenient = f"{partner}s", f"{partner}w"
    home = tmp_path / "home"
    write_profile(home, strict, "refuse", ("WIDGETCO", "ACMERETAIL"))
    write_profile(home, lenient, "warn", ("WIDGETCO", "ACMERETAIL"))
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{strict}", f"edi.out.*.{lenient}"],
    )
    with outbound_bus(partner) as bus, gateway_process(config, "run") as daemon:
        for name in (strict, lenient):
            bus.channel.queue_bind(bus.events, EVENTS_EXCHANGE, f"edi.status.*.{name}")
            bus.channel.queue_bind(bus.events, EVENTS_EXCHANGE, f"edi.fulfilment.*.{name}")
        try:
            for name in (strict, lenient):
                drop(home / "inbox", name, "po.x12", (FIXTURES / "850-004010.edi").read_bytes())
            wait_for("both 850s taken", lambda: purchase_orders_taken(database_url) == 2)
            seen: list[dict[str, Any]] = []
            for name in (strict, lenient):
                bus.channel.queue_bind(
                    request_queue(partner), REQUEST_EXCHANGE, f"edi.out.*.{name}"
                )
                as_partner = Bus(bus.channel, name, bus.dead_letters, bus.events)
                as_partner.publish(over_shipping_856(f"asn-{name}", name))
            wait_for(
                "the refusal and the warning",
                lambda: (
                    bool(events_of(bus, seen, "edi.out.status.invalid"))
                    and bool(events_of(bus, seen, "edi.fulfilment.over"))
                ),
            )
        finally:
            daemon.terminate()
            daemon.wait(30)
    [invalid] = [e for e in seen if e["type"] == "edi.out.status.invalid"]
    assert invalid["data"]["partner"] == strict
    assert 'asn_check = "refuse"' in invalid["data"]["detail"]["reason"]
    assert "UP:012345678905 ordered 24, shipped 38" in invalid["data"]["detail"]["reason"]
    [over] = [e for e in seen if e["type"] == "edi.fulfilment.over"]
    assert (over["data"]["partner"], over["correlationid"]) == (lenient, f"corr-asn-{lenient}")
    assert list((home / "outbox" / lenient).glob("856-*.x12"))
    assert not list((home / "outbox" / strict).glob("856-*.x12"))
    assert f"asn-{strict}" in gateway_command(config, "exceptions")
    view = gateway_command(config, "order", "PO-2026-1001", "--partner", lenient)
    assert f"order PO-2026-1001 (850) of {lenient}: short+over" in view  # 0 of 12, 38 of 24
    [upc] = [line for line in view.splitlines() if "UP:012345678905" in line]
    assert upc.split()[1:5] == ["24", "38", "EA", "over"]
    refused = gateway_command(config, "order", "PO-2026-1001", "--partner", strict)
    assert f"856 asn-{strict}: refused" in refused

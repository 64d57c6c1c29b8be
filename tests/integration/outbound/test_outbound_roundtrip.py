"""The whole outbound loop on the real broker, on both ledgers: a ShipNotice request becomes an
856 in the partner's outbox folder; the 997 the partner answers with, dropped into its inbox,
settles the document as accepted, and the modern layer hears ``sent`` then ``accepted``, both
correlated to its request."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.formats.x12.report import scan
from gateway.ledger import create_engine_for
from tests.integration.outbound.support import outbound_bus, request, request_queue, write_profile
from tests.integration.support import drop, gateway_process, wait_for, write_settings


def test_a_request_is_sent_then_accepted_by_the_partners_997(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    home = tmp_path / "home"
    write_profile(home, partner)  # [x12] only: the partner collects outbox/<partner>/ itself
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )
    outbox = home / "outbox" / partner
    events: list[dict[str, Any]] = []

    def states() -> list[str]:
        events.extend(json.loads(body) for _, body in bus.take(bus.events))
        return [event["data"]["state"] for event in events]

    with outbound_bus(partner) as bus:
        daemon = gateway_process(config, "run")
        try:
            bus.publish(request("rt-1", partner), message_id="rt-1")
            wait_for(
                "the 856 in the outbox",
                lambda: bool(list(outbox.glob("856-*.x12"))),
                timeout=60.0,
            )
            [asn] = outbox.glob("856-*.x12")
            wait_for("the sent event", lambda: "sent" in states(), timeout=60.0)
            # the partner's answer: the 997 a conforming receiver writes for this 856
            [answer] = scan(asn.read_bytes(), file_name=asn.name).acknowledgements
            assert "AK5*A~" in answer.text.replace("\n", "")
            drop(home / "inbox", partner, "997-from-partner.x12", answer.text.encode())
            wait_for("the accepted event", lambda: "accepted" in states(), timeout=60.0)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        assert states() == ["sent", "accepted"]
    assert {event["correlationid"] for event in events} == {"corr-rt-1"}
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            state, ack = connection.execute(
                sa.text("select state, ack from outbound_documents where request_id = 'rt-1'")
            ).one()
    finally:
        engine.dispose()
    assert state == "accepted"
    assert (json.loads(ack) if isinstance(ack, str) else ack)["kind"] == "997"

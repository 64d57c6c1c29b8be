"""A huge document's parts, megabytes each, in the relay's hands: read ahead and in flight
together within :data:`~gateway.bus.reading.READ_AHEAD_BYTES` (one row over at most), not each
within a bound of its own (issue 26: five or six parts held at once, with pika's frames)."""

from __future__ import annotations

from gateway.bus.reading import READ_AHEAD_BYTES
from tests.integration.bus.helpers import Broker, Ledger, Names


def test_parts_read_ahead_and_in_flight_are_held_within_one_bound(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    size = 3 << 20
    added = ledger.add(names, "acme", 12)
    for each in added:
        ledger.inflate(each, size)
    relay = ledger.relay(names, window=256, batch=500)
    assert relay.drain_once(timeout=120) == 12
    stats = relay.stats
    assert size <= stats.max_held_bytes <= READ_AHEAD_BYTES + size, stats
    received = broker.take(names.all_queue, 12, timeout=60)
    assert [str(r.properties.message_id) for r in received] == [a.message_id for a in added]

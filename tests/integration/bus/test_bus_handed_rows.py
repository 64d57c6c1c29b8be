"""Rows handed to the relay by their committer (issue 26, trickle efficiency): published
without a read of the outbox when nothing unseen can come before them, read as before when
something could (a gap in the ids: a row of another committer)."""

from __future__ import annotations

from gateway.ledger import OutboxState
from tests.integration.bus.helpers import Broker, Ledger, Names, wait_until


def test_rows_handed_over_are_published_without_a_read_unless_a_row_could_come_before(
    ledger: Ledger, broker: Broker, names: Names
) -> None:
    relay = ledger.relay(names, idle_poll=30.0)
    relay.start()
    try:
        wait_until(lambda: relay.connected and relay.stats.reads >= 1, 10, "the first read")
        reads = relay.stats.reads
        first = ledger.add(names, "acme", 2)
        relay.notify(ledger.rows(first))
        wait_until(lambda: relay.stats.published == 2, 10, "the rows handed over published")
        assert relay.stats.reads == reads  # no read: nothing unseen before them

        other, mine = ledger.add(names, "acme", 1), ledger.add(names, "acme", 1)
        relay.notify(ledger.rows(mine))  # the row before it is another committer's
        wait_until(lambda: relay.stats.published == 4, 10, "both rows published")
        assert relay.stats.reads > reads
    finally:
        relay.stop(timeout=10)
    assert ledger.states(first + other + mine) == [OutboxState.PUBLISHED] * 4
    received = broker.take(names.all_queue, 4)
    assert [r.properties.message_id for r in received] == [
        a.message_id for a in first + other + mine
    ]

"""The relay's holds: a routing key the broker nacked a message of is held, so that a full
queue holds back only what it refuses.

A nack (the broker could not take a message: a queue it routes to is full and rejects publishes,
an internal error) keeps the connection and *holds* the message's routing key (:class:`Hold`):
the nacked row stays pending with the reason (``nacked`` on its timeline), the key's pending rows
are left out of the reads, and they are sent one at a time, oldest first, each once the one
before is confirmed; a nacked one is sent again alone after a backoff (doubling, capped, with
jitter). When none of the key's rows is left pending, the key flows as before. The rows of every
other routing key keep flowing meanwhile. Holds belong to a session: after a reconnect the held
rows are read like the others, and at most a window of them is nacked again. (Why a routing key,
and what that means for order and copies: :mod:`gateway.bus.relay`.)
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import ledger as repository
from ..ledger import OutboxRow
from .connection import backoff_delay, describe
from .outcomes import MARK_RETRY_DELAY, Outcome
from .reading import InFlight, OutboxReading, RelaySession

HELD_READ = 50
"""Pending rows of a held routing key read at once (they are then sent one at a time)..."""
HELD_BYTES = 8 << 20
"""... as far as their bodies come to this (at least one): a huge document's parts are
megabytes each."""


def hold_key(row: OutboxRow) -> tuple[str, str]:
    """What a hold is on: the row's exchange (as recorded) and routing key."""
    return row.exchange, row.routing_key


@dataclass(eq=False)
class Hold:
    """A routing key the broker nacked a message of. Its pending rows are left out of the
    reads; they are sent one at a time, oldest first, each once the one before is confirmed,
    and a nacked one again after a backoff. Released when none is left pending."""

    key: tuple[str, str]
    nacks: int = 0
    """Nacks of its probes in a row: the backoff before the next."""
    rows: deque[OutboxRow] = field(default_factory=deque)
    """Its pending rows in hand, oldest first; the first is the one sent next (or in flight)."""
    timer: Any = None
    reading: bool = False
    sending: bool = False
    """Its first row is in flight."""
    queued: bool = False
    """In the session's ``probes``: its first row is ready to send."""
    stale: bool = False
    """Another of its rows was nacked since its rows were read: read them again (the oldest
    goes first)."""


class HeldKeys(OutboxReading):
    """The relay's layer that holds routing keys after a nack (see the module docstring)."""

    def _on_nacked(self, session: RelaySession, entries: list[InFlight]) -> None:
        """The broker refused these messages: hold their routing keys (see :class:`Hold`);
        a probe refused again is sent again after a longer backoff."""
        noted: list[OutboxRow] = []
        for entry in entries:
            key = hold_key(entry.row)
            hold = session.holds.get(key)
            if entry.probe and hold is not None:
                hold.sending = False
                hold.nacks += 1
                self._wait_then_send_held(session, hold)
                continue
            noted.append(entry.row)
            if hold is None:
                hold = session.holds[key] = Hold(key)
                self._wait_then_send_held(session, hold)
            else:
                hold.stale = True  # in flight before the hold began: it goes first
        if not noted:
            self._log.info("outbox relay: the broker nacked a held message again; sent again later")
            return
        first = noted[0]
        reason = (
            f"the broker nacked it: a queue its routing key {first.routing_key!r} leads to is "
            "full and rejects publishes (x-overflow reject-publish), or the broker could not "
            "take it; held with the messages of that routing key behind it, sent again one at "
            "a time with backoff"
        )
        summary = f"the broker nacked {len(noted)} message(s) from outbox id {first.id}"
        self._record_error(f"{summary}: {reason}")
        self._log.warning("outbox relay: %s: %s", summary, reason)
        now = dt.datetime.now(dt.UTC)
        for row in noted:
            self._to_mark.setdefault(row.id, Outcome(None, now, nacked=reason))
        self._schedule_marks()

    def _wait_then_send_held(self, session: RelaySession, hold: Hold) -> None:
        """Send the hold's next row after its backoff."""
        assert self._ioloop is not None
        delay = backoff_delay(hold.nacks, self._backoff_initial, self._backoff_max)

        def fire() -> None:
            hold.timer = None
            if session is not self._session or session.closing or self._stopping:
                return
            self._next_held(session, hold)
            self._publish(session)

        hold.timer = self._ioloop.call_later(delay, self._guarded(fire))

    def _next_held(self, session: RelaySession, hold: Hold) -> None:
        """Make the hold's next row ready to send (the caller publishes), reading its pending
        rows when none is in hand."""
        if hold.sending or hold.reading or hold.queued or hold.timer is not None:
            return
        if hold.stale:
            hold.rows.clear()
            hold.stale = False
        if hold.rows:
            hold.queued = True
            session.probes.append(hold)
            return
        hold.reading = True
        exchange, routing_key = hold.key
        self._submit(
            partial(self._read_held, exchange, routing_key),
            partial(self._on_held_read, session, hold),
        )

    def _read_held(self, exchange: str, routing_key: str) -> list[OutboxRow]:
        self._bump(reads=1)
        with self._reads() as s:
            return repository.pending_outbox_of(
                s, exchange, routing_key, limit=HELD_READ, max_bytes=HELD_BYTES
            )

    def _on_held_read(
        self, session: RelaySession, hold: Hold, future: Future[list[OutboxRow]]
    ) -> None:
        hold.reading = False
        if session is not self._session or session.closing or self._stopping:
            return
        error = future.exception()
        if error is not None:
            self._record_error(f"ledger: cannot read the outbox: {describe(error)}")
            self._log.warning("cannot read the outbox (%s); retrying", describe(error))
            assert self._ioloop is not None
            hold.timer = self._ioloop.call_later(
                MARK_RETRY_DELAY, self._guarded(partial(self._retry_held, session, hold))
            )
            return
        if hold.stale:
            self._next_held(session, hold)  # read again: a row in flight then was nacked since
            return
        taken = {entry.row.id for entry in session.in_flight.values()}
        taken.update(i for i, outcome in self._to_mark.items() if outcome.final)
        taken.update(i for i, outcome in self._marking.items() if outcome.final)
        rows = [row for row in future.result() if row.id not in taken]
        if rows:
            hold.rows.extend(rows)
            self._next_held(session, hold)
        else:  # none left: the routing key flows again
            del session.holds[hold.key]
            self._log.info("outbox relay: routing key %r flows again", hold.key[1])
            self._maybe_fetch(session)
        self._publish(session)
        self._check_drained(session)

    def _retry_held(self, session: RelaySession, hold: Hold) -> None:
        hold.timer = None
        if session is self._session and not session.closing and not self._stopping:
            self._next_held(session, hold)

"""The relay's reading of the outbox: pending rows into a session's buffer, in id order.

Rows are read a batch at a time past a cursor; when the relay has caught up it scans again from
the start, so rows that become pending again (requeued unroutable rows, replays, rows committed
late with a lower id) are picked up too. A commit in this process wakes the reader
(:meth:`OutboxReading._on_notify`); the idle poll finds rows other processes commit. The rows of
held routing keys (:mod:`gateway.bus.holds`) are left out: their holds read them. Reads run on
the database worker, never on the IO loop.

What a session has in hand is here too (:class:`RelaySession`, :class:`InFlight`): reading is
the first thing every other part of the relay changes.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from .. import ledger as repository
from ..ledger import OutboxRow
from .connection import describe
from .outcomes import MARK_RETRY_DELAY, OutcomeRecording
from .session import BrokerSession

if TYPE_CHECKING:
    from .holds import Hold


READ_AHEAD_BYTES = 8 << 20
"""Bytes of message bodies the relay holds at most, read ahead and in flight together, past
which it reads no more (one row at least): its pages are counted in rows too, and a huge
document's parts are megabytes each (PART_BYTES). Counted apart, the bytes read ahead and
those in flight (:data:`WINDOW_BYTES`) let a huge document's parts be held five or six at once
(two read ahead, one being read, three in flight with pika's frames of those not written yet:
issue 26)."""
WINDOW_BYTES = 8 << 20
"""Bytes of message bodies in flight (published, not confirmed yet) at most (one at least):
each is held as its row and again as pika's frames until the socket takes them."""


@dataclass(frozen=True)
class RelayStats:
    """Counters since the relay was created (a snapshot)."""

    published: int = 0
    """Rows recorded PUBLISHED (confirmed by the broker)."""
    unroutable: int = 0
    """Rows recorded UNROUTABLE (returned, or their exchange does not exist)."""
    returned: int = 0
    nacked: int = 0
    acks: int = 0
    multiple_acks: int = 0
    """Confirms that covered several messages at once."""
    sessions: int = 0
    """Connections that reached the ready state (topology declared, confirms on)."""
    connection_failures: int = 0
    max_in_flight: int = 0
    reads: int = 0
    """Reads of pending rows from the ledger."""
    max_held_bytes: int = 0
    """The most bytes of message bodies held at once, read ahead and in flight together (see
    :data:`READ_AHEAD_BYTES`)."""
    recordings: int = 0
    """Transactions that recorded publish outcomes."""


@dataclass(slots=True)
class InFlight:
    row: OutboxRow
    returned: str | None = None
    probe: bool = False
    """Sent alone for its held routing key (:class:`~gateway.bus.holds.Hold`)."""


@dataclass(eq=False)
class RelaySession(BrokerSession):
    """What the relay has in hand in one session (the IO loop thread's, as the session is)."""

    holds: dict[tuple[str, str], Hold] = field(default_factory=dict)
    """Routing keys held after a nack (see :class:`~gateway.bus.holds.Hold`)."""
    probes: deque[Hold] = field(default_factory=deque)
    """Holds whose next row is ready to send: sent before the buffer."""
    in_flight: dict[int, InFlight] = field(default_factory=dict)
    """delivery tag -> message, in publish (tag) order"""
    next_tag: int = 0
    in_flight_bytes: int = 0
    """The bodies' bytes in :attr:`in_flight`."""
    buffer: deque[OutboxRow] = field(default_factory=deque)
    cursor: int = 0
    fetching: bool = False
    idle: bool = False
    """The last scan from the start found nothing new to publish."""
    idle_timer: Any = None
    poked: bool = False
    """New rows were committed while a read was under way: read again before idling."""
    seen: int = 0
    """The highest outbox id read or handed over in this session: a row just committed whose id
    follows it can be published as handed over (:meth:`~gateway.bus.relay.OutboxRelay.notify`),
    none unseen lies between."""
    exchanges_ok: set[str] = field(default_factory=set)
    exchanges_missing: dict[str, str] = field(default_factory=dict)
    exchange_checks: set[str] = field(default_factory=set)

    @property
    def held_bytes(self) -> int:
        """The bodies' bytes in hand: read ahead (:attr:`buffer`) and in flight, which
        :data:`READ_AHEAD_BYTES` bounds together."""
        return self.in_flight_bytes + sum(len(row.body) for row in self.buffer)


class OutboxReading(OutcomeRecording[RelaySession, RelayStats]):
    """The relay's layer that reads the outbox (see the module docstring)."""

    _reads: sessionmaker[Session]
    """Sessions for reads (autocommit: a read holds no transaction open)."""
    _idle_poll: float
    _drain: bool
    """This run stops once everything pending is published and recorded (``drain_once``)."""

    @abstractmethod
    def _publish(self, session: RelaySession) -> None:
        """Send what is ready, up to the window."""

    @abstractmethod
    def _begin_stop(self) -> None:
        """Stop publishing, let the confirms in flight come (briefly), end the loop."""

    def _anything_pending(self) -> bool:
        try:
            with self._factory.begin() as s:
                return bool(repository.pending_outbox(s, limit=1))
        except Exception as exc:
            self._log.warning("cannot read the outbox: %s", describe(exc))
            self._record_error(f"ledger: {describe(exc)}")
            return True

    def _maybe_fetch(self, session: RelaySession) -> None:
        if (
            session is not self._session
            or not session.ready
            or session.closing
            or session.fetching
            or self._stopping
            or session.idle_timer is not None
            or len(session.buffer) >= max(1, self._batch // 2)
        ):
            return
        room = READ_AHEAD_BYTES - session.held_bytes
        if room <= READ_AHEAD_BYTES // 2:
            return  # read once confirms make room (each publishes, then reads ahead)
        session.fetching = True
        session.poked = False
        after = session.cursor
        self._submit(
            partial(self._read_pending, after, self._batch, tuple(session.holds), room),
            partial(self._on_fetched, session, after),
        )

    def _on_notify(self) -> None:
        session = self._session
        if session is None:
            return
        session.poked = True
        if session.idle_timer is not None and self._ioloop is not None:
            self._ioloop.remove_timeout(session.idle_timer)
            session.idle_timer = None
        self._maybe_fetch(session)

    def _read_pending(
        self, after: int, limit: int, held: tuple[tuple[str, str], ...], room: int
    ) -> tuple[list[OutboxRow], bool]:
        """A page past ``after``: ``limit`` rows, ``room`` bytes at most; True when rows were
        left for the bytes."""
        self._bump(reads=1)
        with self._reads() as s:
            return repository.pending_page(
                s, limit=limit, max_bytes=room, after_id=after, except_keys=held
            )

    def _on_fetched(
        self, session: RelaySession, after: int, future: Future[tuple[list[OutboxRow], bool]]
    ) -> None:
        session.fetching = False
        if session is not self._session or session.closing or self._stopping:
            return
        error = future.exception()
        if error is not None:
            self._record_error(f"ledger: cannot read the outbox: {describe(error)}")
            self._log.warning("cannot read the outbox (%s); retrying", describe(error))
            self._wait_then_fetch(session, max(self._idle_poll, MARK_RETRY_DELAY))
            return
        rows, cut = future.result()
        if rows:
            session.seen = max(session.seen, rows[-1].id)
        full = len(rows) == self._batch or cut
        session.cursor = rows[-1].id if full else 0
        exclude = {entry.row.id for entry in session.in_flight.values()}
        exclude.update(row.id for row in session.buffer)
        exclude.update(self._to_mark)
        exclude.update(self._marking)
        new = [row for row in rows if row.id not in exclude]
        if new:
            session.idle = False
            session.buffer.extend(new)
            self._note_held(session)
            self._publish(session)
        elif full or after > 0 or session.poked:
            self._maybe_fetch(session)  # keep reading (past the cursor, from the start, or anew)
        else:
            session.idle = True
            if not self._check_drained(session):
                self._wait_then_fetch(session, self._idle_poll)

    def _note_held(self, session: RelaySession) -> None:
        """Rows came into the buffer (read or handed over): the bytes held now, read ahead and
        in flight, for :attr:`RelayStats.max_held_bytes` (publishing moves rows from the one
        to the other, confirms take them away: this is when the sum grows)."""
        held = session.held_bytes
        with self._stats_lock:
            if held > self._stats.max_held_bytes:
                self._stats = replace(self._stats, max_held_bytes=held)

    def _wait_then_fetch(self, session: RelaySession, delay: float) -> None:
        if session.idle_timer is not None or self._ioloop is None:
            return

        def fire() -> None:
            session.idle_timer = None
            self._maybe_fetch(session)

        session.idle_timer = self._ioloop.call_later(delay, self._guarded(fire))

    def _cancel_idle(self, session: RelaySession) -> None:
        """Cancel the session's timers: the idle poll and the holds' backoffs."""
        holds = session.holds.values()
        if self._ioloop is not None:
            for timer in (session.idle_timer, *(hold.timer for hold in holds)):
                if timer is not None:
                    self._ioloop.remove_timeout(timer)
        session.idle_timer = None
        for hold in holds:
            hold.timer = None

    def _check_drained(self, session: RelaySession) -> bool:
        """In drain mode: stop once a scan from the start found nothing new and every outcome is
        recorded."""
        if not self._drain or self._stopping:
            return False
        if (
            session.idle
            and not session.holds
            and not session.fetching
            and not session.buffer
            and not session.in_flight
            and not self._to_mark
            and not self._marking
        ):
            self._log.info("outbox drained")
            self._begin_stop()
            return True
        return False

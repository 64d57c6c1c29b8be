"""The outbox relay: drains the ledger's outbox to RabbitMQ with windowed publisher confirms.

Two threads, neither blocking the other:

- the **relay thread** runs a pika :class:`~pika.adapters.select_connection.IOLoop` and owns the
  connection and channel (pika is not thread-safe). It never waits on the database, so
  heartbeats keep flowing whatever the ledger is doing;
- a **database worker** (one thread) reads pending rows and records outcomes. Its results come
  back to the IO loop with ``add_callback_threadsafe``. One worker means database jobs run in the
  order they were submitted.

A row becomes PUBLISHED only after its confirm. A lost connection or a channel error ends the
session: the relay reconnects with capped exponential backoff and jitter, declares the topology
again, and resends from the oldest row still pending, in id order. A message can thus reach the
broker twice across a failure (consumers deduplicate on the message id); none is lost. A nack
keeps the connection and holds the message's routing key instead.

Order, the choice made: a routing key is one kind of document of one partner
(``edi.in.<kind>.<partner>``), and its messages keep their order, except that messages confirmed
after a nacked one in the same window (in flight before the nack came) are ahead of it in the
queue that nacked it. A partner's messages of another kind may overtake a held one: holding them
too would hold everything a consumer's full queue is bound to see, and more. Copies: a nacked
message reached the queues that had room, and reaches them again when it is taken: twice in all
(a few times more for the one that probes for room while the queue stays full), never a copy per
nack of the others (before, every pending message was sent again after each nack: 1,941 copies
of 200 documents in ``edi.in.all``).

The relay is one class, :class:`OutboxRelay`, in layers, one concern a module, each the state of
the one IO loop that the others change in their callbacks:

- :mod:`gateway.bus.session`: the broker session (connect, channel, confirms, topology,
  reconnect with backoff), shared with the request consumer;
- :mod:`gateway.bus.outcomes`: recording what the broker said of each message in the ledger;
- :mod:`gateway.bus.reading`: reading pending rows, in id order, and what a session has in hand;
- :mod:`gateway.bus.holds`: routing keys held after a nack, their rows sent one at a time;
- :mod:`gateway.bus.publishing`: the window of messages in flight, returns, confirms, messages
  the broker cannot take;
- here: starting, stopping, draining once, and what a session does once ready.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from pika.adapters.select_connection import IOLoop, SelectConnection
from pika.channel import Channel
from sqlalchemy.orm import Session, sessionmaker

from ..ledger import OutboxRow, autocommit_factory
from ..runtime import heap
from .connection import describe
from .outcomes import MARK_GATHER
from .publishing import OutboxPublishing
from .reading import READ_AHEAD_BYTES, RelaySession, RelayStats
from .topology import (
    DEAD_LETTER_EXCHANGE,
    DEFAULT_QUEUES,
    INBOUND_EXCHANGE,
    QueueSpec,
    Topology,
)

if TYPE_CHECKING:
    from ..runtime.measures import Measures

__all__ = ["OutboxRelay", "RelayStats"]

log = logging.getLogger(__name__)

STOP_GRACE = 5.0
"""At most this long (seconds) a stop waits for the confirms of messages in flight."""
BEAT = 1.0
"""Seconds between the beats of the relay's loop (:meth:`OutboxRelay._beat`)."""
GIVE_BACK_AFTER = 16 << 20
"""Bytes of bodies confirmed after which the heap's free pages are given back
(:class:`~gateway.runtime.heap.GiveBack`): pika frames a body in pieces of 128 kB, which the
heap's arenas keep, in holes, once written (a huge document's parts, some 4 MiB each: a 256 MB
856's parts through the daemon left 10-21 MB free in its arenas, given back every 64 MiB)."""


class OutboxRelay(OutboxPublishing):
    """Drains the ledger outbox to RabbitMQ with windowed publisher confirms. Runs in its own thread
    with its own pika connection (pika connections are not thread-safe). Survives broker outages:
    reconnects with exponential backoff (capped), keeps order (id order), never marks a row
    published before its confirm. mandatory=True: a basic.return marks the row UNROUTABLE (not
    lost, reported).

    Rows are published to their own ``exchange`` (the one recorded in the ledger) or, when that is
    empty, to ``exchange``. A row whose exchange does not exist on the broker is recorded
    UNROUTABLE instead of blocking the rows behind it.
    """

    role = "outbox relay"
    error_label = "relay error"

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        amqp_url: str,
        window: int = 256,
        batch: int = 500,
        idle_poll: float = 0.2,
        exchange: str = INBOUND_EXCHANGE,
        dead_letter_exchange: str = DEAD_LETTER_EXCHANGE,
        queues: Sequence[QueueSpec] = DEFAULT_QUEUES,
        topology: Topology | None = None,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
        heartbeat: int | None = None,
        connection_name: str = "edi-gateway outbox relay",
        mark_gather: float = MARK_GATHER,
        measures: Measures | None = None,
    ) -> None:
        if window < 1 or batch < 1:
            raise ValueError("window and batch must be at least 1")
        super().__init__(
            amqp_url=amqp_url,
            connection_name=connection_name,
            topology=topology or Topology(exchange, dead_letter_exchange, tuple(queues)),
            stats=RelayStats(),
            log=log,
            worker_name="outbox-relay-db",
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            heartbeat=heartbeat,
        )
        self._factory = factory
        self._reads = autocommit_factory(factory)
        self._window = window
        self._batch = batch
        self._idle_poll = idle_poll
        self.beat: float | None = None
        """When the relay's loop last beat (``time.monotonic``); None before it runs."""
        self._mark_gather = mark_gather
        self.measures = measures
        self._max_body = None
        self._confirmed = heap.GiveBack(GIVE_BACK_AFTER)

        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()

        # IO loop state (reset by each run)
        self._drain = False
        self._deadline: float | None = None
        """Seconds this run may last (``drain_once``)."""
        self._reset_outcomes()

    # -- public API --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start the relay thread (once)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("the outbox relay is already running")
            self._stop_requested.clear()
            self._thread = threading.Thread(
                target=self._thread_main, name="outbox-relay", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop publishing, wait (briefly) for the confirms of messages in flight, record them,
        close the connection and end the thread. Unconfirmed rows stay pending."""
        self._stop_requested.set()
        self._post(self._begin_stop)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("the outbox relay did not stop within %.1f s", timeout)

    def notify(self, queued: Sequence[OutboxRow] = ()) -> None:
        """New rows are committed: publish them (``queued``: those rows, as committed) or read
        the outbox now rather than at the next idle poll (from any thread; the pipeline calls
        it after each commit).

        Rows handed over are published without a read when nothing unseen can come before
        them: their ids follow, without a gap, the highest id this session read or was handed
        (a gap is a row of another committer, or one not committed yet, which a read finds), and
        no read is under way. Otherwise the outbox is read, as for a notification without rows.
        A trickle of files then costs the relay no read per file; the idle poll still reads
        from the start every ``idle_poll`` seconds (rows that other processes committed)."""
        self._post(partial(self._on_committed, tuple(queued)))

    def _on_committed(self, queued: tuple[OutboxRow, ...]) -> None:
        session = self._session
        if not (queued and session is not None and self._take_handed(session, queued)):
            self._on_notify()

    def _take_handed(self, session: RelaySession, rows: tuple[OutboxRow, ...]) -> bool:
        """Publish ``rows`` (committed, in id order) as handed over, when nothing unseen can
        come before them (see :meth:`notify`); False: they are to be read."""
        if (
            session is not self._session
            or not session.ready
            or session.closing
            or session.fetching
            or session.cursor
            or self._stopping
            or self._drain
        ):
            return False
        ids = [row.id for row in rows]
        if ids != list(range(session.seen + 1, session.seen + 1 + len(ids))):
            return False
        held = session.held_bytes + sum(len(row.body) for row in rows)
        if held > READ_AHEAD_BYTES and (session.buffer or session.in_flight):  # read later
            return False
        session.seen = ids[-1]
        session.idle = False
        session.buffer.extend(rows)
        self._note_held(session)
        self._publish(session)
        return True

    def drain_once(self, timeout: float) -> int:
        """Publish what is pending now and wait for the confirms, for at most ``timeout`` seconds,
        in the calling thread; returns how many rows were confirmed (recorded PUBLISHED).

        For a relay that is not started (tests, ``replay``, a one-shot run). Rows added while it
        runs are published too. Returns early when nothing is pending.
        """
        if self.running:
            raise RuntimeError("drain_once is for a relay that is not started")
        if not self._anything_pending():
            return 0
        self._stop_requested.clear()
        return self._run(drain=True, timeout=timeout)

    # -- thread and run ----------------------------------------------------------------------

    def _thread_main(self) -> None:
        while not self._stop_requested.is_set():
            try:
                self._run(drain=False, timeout=None)
            except Exception as exc:
                self._record_error(f"relay loop failed: {describe(exc)}")
                log.exception("the outbox relay loop failed; restarting it in 1 s")
                self._stop_requested.wait(1.0)
        log.info("outbox relay stopped")

    def _run(self, *, drain: bool, timeout: float | None) -> int:
        self._drain = drain
        self._deadline = timeout
        self._reset_outcomes()
        self._run_loop()
        return self._run_published

    def _on_loop_start(self, ioloop: IOLoop) -> None:
        self._beat(ioloop)
        if self._deadline is not None:
            ioloop.call_later(self._deadline, self._guarded(self._on_deadline))
        if self._stop_requested.is_set():
            ioloop.add_callback_threadsafe(self._guarded(self._begin_stop))

    def _beat(self, ioloop: IOLoop) -> None:
        """The loop's pulse, each :data:`BEAT` seconds while it runs (the systemd watchdog pings
        only while it is fresh: :class:`gateway.runtime.notify.Watchdog`)."""
        self.beat = time.monotonic()
        ioloop.call_later(BEAT, self._guarded(partial(self._beat, ioloop)))

    def _after_loop(self) -> None:
        self._flush_marks()

    # -- the session (see :class:`~gateway.bus.session.BrokerClient`) ------------------------

    def _new_session(self, number: int) -> RelaySession:
        return RelaySession(number)

    def _watch_connection(self, session: RelaySession, connection: SelectConnection) -> None:
        connection.add_on_connection_blocked_callback(
            self._guarded(partial(self._on_blocked, session))
        )
        connection.add_on_connection_unblocked_callback(
            self._guarded(partial(self._on_unblocked, session))
        )

    def _on_blocked(self, session: RelaySession, _connection: object, frame: Any) -> None:
        reason = getattr(getattr(frame, "method", None), "reason", "")
        self._record_error(f"the broker blocked publishing: {reason}")
        log.warning("the broker blocked publishing (%s); waiting", reason)

    def _on_unblocked(self, session: RelaySession, _connection: object, _frame: Any) -> None:
        log.info("the broker unblocked publishing")
        if session.ready:
            self._last_error = None

    def _watch_channel(self, session: RelaySession, channel: Channel) -> None:
        channel.add_on_return_callback(self._guarded(partial(self._on_return, session)))

    def _session_ready(self, session: RelaySession) -> None:
        session.exchanges_ok.update(self._topology.exchanges)
        log.info(
            "outbox relay connected to %s (window %d), topology declared",
            self._masked_url,
            self._window,
        )
        if self._stopping:
            self._close_session(session)
            return
        self._maybe_fetch(session)

    def _session_closing(self, session: RelaySession) -> None:
        self._cancel_idle(session)

    def _forget(self, session: RelaySession) -> str:
        """Everything in flight is forgotten: those rows are still pending and will be resent."""
        self._cancel_idle(session)
        lost = len(session.in_flight)
        session.in_flight.clear()
        session.in_flight_bytes = 0
        session.buffer.clear()
        return f" {lost} unconfirmed message(s) will be resent;" if lost else ""

    # -- stopping ------------------------------------------------------------------------------

    def _on_deadline(self) -> None:
        if not self._stopping:
            log.info("outbox drain: time is up")
        self._begin_stop()

    def _begin_stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        assert self._ioloop is not None
        ioloop = self._ioloop
        if self._reconnect_timer is not None:
            ioloop.remove_timeout(self._reconnect_timer)
            self._reconnect_timer = None
        session = self._session
        if session is None:
            ioloop.stop()
            return
        self._cancel_idle(session)
        session.buffer.clear()
        if session.ready and session.in_flight:
            # wait a little for the confirms of what is in flight, then close anyway
            ioloop.call_later(STOP_GRACE, self._guarded(partial(self._close_after_stop, session)))
        else:
            self._close_after_stop(session)
        # whatever happens, the loop ends
        ioloop.call_later(STOP_GRACE + 3.0, ioloop.stop)

    def _close_after_stop(self, session: RelaySession) -> None:
        if session is not self._session:
            return
        self._close_session(session)

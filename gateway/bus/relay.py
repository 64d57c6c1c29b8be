"""The outbox relay: drains the ledger's outbox to RabbitMQ with windowed publisher confirms.

Two threads, neither blocking the other:

- the **relay thread** runs a pika :class:`~pika.adapters.select_connection.IOLoop` and owns the
  connection and channel (pika is not thread-safe). It never waits on the database, so
  heartbeats keep flowing whatever the ledger is doing;
- a **database worker** (one thread) reads pending rows and records outcomes. Its results come
  back to the IO loop with ``add_callback_threadsafe``. One worker means database jobs run in the
  order they were submitted.

Publishing: up to ``window`` messages are in flight (published, not yet confirmed) at once.
Confirms may cover several messages (``multiple``); a message the broker returns (mandatory
publishing, no queue bound) is recorded UNROUTABLE when its confirm arrives, never PUBLISHED. A
row becomes PUBLISHED only after its confirm. A lost connection or a channel error ends the
session: the relay reconnects with capped exponential backoff and jitter, declares the topology
again, and resends from the oldest row still pending, in id order. A message can thus reach the
broker twice across a failure (consumers deduplicate on the message id); none is lost.

A nack (the broker could not take a message: a queue it routes to is full and rejects publishes,
an internal error) keeps the connection and *holds* the message's routing key (:class:`_Hold`):
the nacked row stays pending with the reason (``nacked`` on its timeline), the key's pending rows
are left out of the reads, and they are sent one at a time, oldest first, each once the one
before is confirmed; a nacked one is sent again alone after a backoff (doubling, capped, with
jitter). When none of the key's rows is left pending, the key flows as before. The rows of every
other routing key keep flowing meanwhile: a full queue holds back only what it refuses.

Order, the choice made: a routing key is one kind of document of one partner
(``edi.in.<kind>.<partner>``), and its messages keep their order, except that messages confirmed
after a nacked one in the same window (in flight before the nack came) are ahead of it in the
queue that nacked it. A partner's messages of another kind may overtake a held one: holding them
too would hold everything a consumer's full queue is bound to see, and more. Copies: a nacked
message reached the queues that had room, and reaches them again when it is taken: twice in all
(a few times more for the one that probes for room while the queue stays full), never a copy per
nack of the others (before, every pending message was sent again after each nack: 1,941 copies
of 200 documents in ``edi.in.all``). Holds belong to a session: after a reconnect the held rows
are read like the others, and at most a window of them is nacked again.

A message that cannot be encoded as it is (a message id, correlation id or routing key over the
255 bytes of an AMQP short string, a header pika cannot encode) is recorded UNROUTABLE with the
part at fault (:func:`~gateway.bus.limits.publish_problem`), unsent: pika encodes a publish
before writing it, so the channel is untouched and the rows behind it go on.

A message larger than the broker takes (its ``max_message_size``) closes the channel: the relay
records that message UNROUTABLE with the sizes (a ``replay`` sends it once the broker takes it),
remembers the limit, and from then on sets aside any larger message without sending it, so one
big document never holds the others back.

Rows are read in id order (the per-partner order), with a cursor; when the relay has caught up it
scans again from the start, so rows that become pending again (requeued unroutable rows,
replays, rows committed late with a lower id) are picked up too.

One module, over the usual size: every part of it (sessions, the window, holds, reads, the
recording of outcomes) is state of the one IO loop that the others change in their callbacks.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from pika.adapters.select_connection import IOLoop, SelectConnection
from pika.channel import Channel
from pika.frame import Method
from pika.spec import Basic, BasicProperties
from sqlalchemy.orm import Session, sessionmaker

from .. import ledger as repository
from ..ledger import OutboxRow, autocommit_factory
from ..runtime.crashpoints import crash_point
from .cloudevents import CONTENT_TYPE
from .connection import APP_ID, backoff_delay, connection_parameters, describe, mask_url
from .limits import publish_problem
from .topology import (
    DEAD_LETTER_EXCHANGE,
    DEFAULT_QUEUES,
    INBOUND_EXCHANGE,
    QueueSpec,
    Topology,
    declare,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

STABLE_AFTER = 5.0
"""A session that lasted this long (seconds) resets the reconnect backoff."""
MARK_RETRY_DELAY = 1.0
MARK_GATHER = 0.05
"""At most this long (seconds) the broker's confirms wait to be recorded, so that they are
recorded a batch at a time: the confirms of a burst in one transaction rather than one per
confirm frame, and under a steady trickle of files those of several files rather than one
transaction per file (each row keeps the moment of its own confirm)."""
TOO_LARGE = re.compile(r"message size (\d+) is larger than configured max size (\d+)")
"""RabbitMQ's reason for closing a channel on a message over its ``max_message_size``."""
STOP_GRACE = 5.0
"""At most this long (seconds) a stop waits for the confirms of messages in flight."""
HELD_READ = 50
"""Pending rows of a held routing key read at once (they are then sent one at a time)."""


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
    recordings: int = 0
    """Transactions that recorded publish outcomes."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the broker said of a message: confirmed (``unroutable`` None), returned, or nacked
    (it stays pending, the reason noted), and when its confirm arrived."""

    unroutable: str | None
    at: dt.datetime
    nacked: str | None = None

    @property
    def final(self) -> bool:
        """Confirmed or returned: the row is pending no more once this is recorded."""
        return self.nacked is None


@dataclass(slots=True)
class _InFlight:
    row: OutboxRow
    returned: str | None = None
    probe: bool = False
    """Sent alone for its held routing key (:class:`_Hold`)."""


def _key(row: OutboxRow) -> tuple[str, str]:
    """What a hold is on: the row's exchange (as recorded) and routing key."""
    return row.exchange, row.routing_key


@dataclass(eq=False)
class _Hold:
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


@dataclass(eq=False)
class _Session:
    """One connection and its channel; everything here belongs to the IO loop thread."""

    number: int
    connection: SelectConnection | None = None
    channel: Channel | None = None
    ready: bool = False
    ready_at: float | None = None
    closing: bool = False
    failure: str | None = None
    """Why the relay ended this session on purpose (a channel error, our own error)."""
    holds: dict[tuple[str, str], _Hold] = field(default_factory=dict)
    """Routing keys held after a nack (see :class:`_Hold`)."""
    probes: deque[_Hold] = field(default_factory=deque)
    """Holds whose next row is ready to send: sent before the buffer."""
    in_flight: dict[int, _InFlight] = field(default_factory=dict)
    """delivery tag -> message, in publish (tag) order"""
    next_tag: int = 0
    buffer: deque[OutboxRow] = field(default_factory=deque)
    cursor: int = 0
    fetching: bool = False
    idle: bool = False
    """The last scan from the start found nothing new to publish."""
    idle_timer: Any = None
    poked: bool = False
    """New rows were committed while a read was under way: read again before idling."""
    exchanges_ok: set[str] = field(default_factory=set)
    exchanges_missing: dict[str, str] = field(default_factory=dict)
    exchange_checks: set[str] = field(default_factory=set)


class OutboxRelay:
    """Drains the ledger outbox to RabbitMQ with windowed publisher confirms. Runs in its own thread
    with its own pika connection (pika connections are not thread-safe). Survives broker outages:
    reconnects with exponential backoff (capped), keeps order (id order), never marks a row
    published before its confirm. mandatory=True: a basic.return marks the row UNROUTABLE (not
    lost, reported).

    Rows are published to their own ``exchange`` (the one recorded in the ledger) or, when that is
    empty, to ``exchange``. A row whose exchange does not exist on the broker is recorded
    UNROUTABLE instead of blocking the rows behind it.
    """

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
    ) -> None:
        if window < 1 or batch < 1:
            raise ValueError("window and batch must be at least 1")
        self._factory = factory
        self._reads = autocommit_factory(factory)
        self._url = amqp_url
        self._masked_url = mask_url(amqp_url)
        self._window = window
        self._batch = batch
        self._idle_poll = idle_poll
        self._topology = topology or Topology(exchange, dead_letter_exchange, tuple(queues))
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._heartbeat = heartbeat
        self._connection_name = connection_name
        self._mark_gather = mark_gather

        self._connected = False
        self._max_body: int | None = None
        """The broker's largest message, once a larger one closed a channel."""
        self._last_error: str | None = None
        self._stats = RelayStats()
        self._stats_lock = threading.Lock()

        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._ioloop: IOLoop | None = None

        # IO loop state (reset by each run)
        self._executor: ThreadPoolExecutor | None = None
        self._session: _Session | None = None
        self._sessions = 0
        self._attempt = 0
        self._stopping = False
        self._drain = False
        self._reconnect_timer: Any = None
        self._to_mark: dict[int, _Outcome] = {}
        """outbox id -> what the broker said of it; not yet recorded"""
        self._marking: dict[int, _Outcome] = {}
        """the same, being recorded by the database worker now"""
        self._mark_future: Future[int] | None = None
        self._mark_retry_timer: Any = None
        self._gather_timer: Any = None
        self._run_published = 0

    # -- public API --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a connection is up with the topology declared and confirms on."""
        return self._connected

    @property
    def last_error(self) -> str | None:
        """The most recent problem (connection, channel, database); None once reconnected."""
        return self._last_error

    @property
    def stats(self) -> RelayStats:
        with self._stats_lock:
            return self._stats

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

    def notify(self) -> None:
        """New rows are committed: read the outbox now rather than at the next idle poll
        (from any thread; the pipeline calls it after each commit)."""
        self._post(self._on_notify)

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
        ioloop = IOLoop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-relay-db")
        self._session = None
        self._stopping = False
        self._drain = drain
        self._attempt = 0
        self._reconnect_timer = None
        self._mark_retry_timer = None
        self._gather_timer = None
        self._mark_future = None
        self._run_published = 0
        with self._lock:
            self._ioloop = ioloop
        ioloop.add_callback_threadsafe(self._guarded(self._connect))
        if timeout is not None:
            ioloop.call_later(timeout, self._guarded(self._on_deadline))
        if self._stop_requested.is_set():
            ioloop.add_callback_threadsafe(self._guarded(self._begin_stop))
        try:
            ioloop.start()
        finally:
            self._stopping = True
            self._connected = False
            self._abandon_session(ioloop)
            with self._lock:
                self._ioloop = None
            self._executor.shutdown(wait=True)
            self._executor = None
            self._flush_marks()
            ioloop.close()
        return self._run_published

    def _post(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the IO loop thread (from any thread); dropped when not running."""
        with self._lock:
            ioloop = self._ioloop
            if ioloop is None:
                return
            try:
                ioloop.add_callback_threadsafe(self._guarded(callback))
            except Exception:  # the loop is closing: nothing left to tell it
                log.debug("IO loop gone; callback dropped", exc_info=True)

    def _guarded(self, callback: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                callback()
            except Exception as exc:
                self._on_bug(exc)

        return run

    def _on_bug(self, exc: BaseException) -> None:
        log.exception("outbox relay error; restarting the broker session")
        self._record_error(f"relay error: {describe(exc)}")
        session = self._session
        if session is not None:
            self._fail_session(session, f"relay error: {describe(exc)}")

    def _record_error(self, message: str) -> None:
        self._last_error = message

    def _bump(self, **counts: int) -> None:
        with self._stats_lock:
            values = {name: getattr(self._stats, name) + n for name, n in counts.items()}
            self._stats = replace(self._stats, **values)

    def _note_in_flight(self, count: int) -> None:
        with self._stats_lock:
            if count > self._stats.max_in_flight:
                self._stats = replace(self._stats, max_in_flight=count)

    # -- connection lifecycle (IO loop thread) -------------------------------------------------

    def _connect(self) -> None:
        self._reconnect_timer = None
        if self._stopping:
            return
        self._sessions += 1
        session = _Session(number=self._sessions)
        self._session = session
        assert self._ioloop is not None
        try:
            session.connection = SelectConnection(
                connection_parameters(self._url, self._connection_name, heartbeat=self._heartbeat),
                on_open_callback=self._callback(partial(self._on_open, session)),
                on_open_error_callback=self._callback(partial(self._on_open_error, session)),
                on_close_callback=self._callback(partial(self._on_closed, session)),
                custom_ioloop=self._ioloop,
            )
        except Exception as exc:
            self._session_ended(session, exc)

    def _callback(self, function: Callable[..., object]) -> Callable[..., None]:
        """Wrap a pika callback: an exception in our code must not unwind pika's IO loop."""

        def run(*args: Any) -> None:
            try:
                function(*args)
            except Exception as exc:
                self._on_bug(exc)

        return run

    def _on_open(self, session: _Session, connection: SelectConnection) -> None:
        connection.add_on_connection_blocked_callback(
            self._callback(partial(self._on_blocked, session))
        )
        connection.add_on_connection_unblocked_callback(
            self._callback(partial(self._on_unblocked, session))
        )
        connection.channel(on_open_callback=self._callback(partial(self._on_channel_open, session)))

    def _on_blocked(self, session: _Session, _connection: object, frame: Any) -> None:
        reason = getattr(getattr(frame, "method", None), "reason", "")
        self._record_error(f"the broker blocked publishing: {reason}")
        log.warning("the broker blocked publishing (%s); waiting", reason)

    def _on_unblocked(self, session: _Session, _connection: object, _frame: Any) -> None:
        log.info("the broker unblocked publishing")
        if session.ready:
            self._last_error = None

    def _on_channel_open(self, session: _Session, channel: Channel) -> None:
        if session is not self._session or session.closing:
            return
        session.channel = channel
        channel.add_on_close_callback(self._callback(partial(self._on_channel_closed, session)))
        channel.add_on_return_callback(self._callback(partial(self._on_return, session)))
        channel.confirm_delivery(
            self._callback(partial(self._on_confirm, session)),
            callback=self._callback(partial(self._on_confirm_mode, session)),
        )

    def _on_confirm_mode(self, session: _Session, _frame: object) -> None:
        if session.channel is None or session is not self._session:
            return
        declare(
            session.channel,
            topology=self._topology,
            on_done=self._callback(partial(self._on_ready, session)),
        )

    def _on_ready(self, session: _Session) -> None:
        if session is not self._session or session.closing:
            return
        session.ready = True
        session.ready_at = time.monotonic()
        session.exchanges_ok.update(self._topology.exchanges)
        self._connected = True
        self._last_error = None
        self._bump(sessions=1)
        log.info(
            "outbox relay connected to %s (window %d), topology declared",
            self._masked_url,
            self._window,
        )
        if self._stopping:
            self._close_session(session)
            return
        self._maybe_fetch(session)

    def _on_open_error(self, session: _Session, _connection: object, error: BaseException) -> None:
        self._session_ended(session, error)

    def _on_closed(self, session: _Session, _connection: object, reason: BaseException) -> None:
        self._session_ended(session, reason)

    def _on_channel_closed(self, session: _Session, _channel: Channel, reason: Exception) -> None:
        if session is not self._session or session.closing:
            return
        connection = session.connection
        if connection is not None and (connection.is_closing or connection.is_closed):
            return  # the connection is going: its close callback reports why
        too_large = TOO_LARGE.search(str(reason))
        if too_large is not None:
            self._max_body = int(too_large[2])
            self._settle(
                (entry.row.id, self._too_large(entry.row))
                for entry in session.in_flight.values()
                if len(entry.row.body) > self._max_body
            )
        self._fail_session(session, f"channel closed: {describe(reason)}")

    def _too_large(self, row: OutboxRow) -> str:
        reason = (
            f"not sent: the message is {len(row.body):,} bytes and the broker takes at most "
            f"{self._max_body:,} (its max_message_size); raise that, then replay the document"
        )
        log.error("outbox id %d (%s): %s", row.id, row.message_id, reason)
        return reason

    @staticmethod
    def _unencodable(row: OutboxRow, problem: str) -> str:
        reason = f"not sent: {problem}"
        log.error("outbox id %d (document %.80s): %s", row.id, row.document_id, reason)
        return reason

    def _fail_session(self, session: _Session, reason: str) -> None:
        """End a session on purpose (nack, channel error, our own error): close the connection;
        its close callback schedules the reconnect."""
        if session is not self._session or session.closing:
            return
        session.failure = reason
        self._record_error(reason)
        self._close_session(session)
        connection = session.connection
        if connection is None or connection.is_closed:
            self._session_ended(session, reason)

    def _close_session(self, session: _Session) -> None:
        session.closing = True
        session.ready = False
        self._cancel_idle(session)
        connection = session.connection
        if connection is not None and not (connection.is_closing or connection.is_closed):
            try:
                connection.close()
            except Exception:
                log.debug("closing the broker connection failed", exc_info=True)
                self._session_ended(session, "connection close failed")

    def _session_ended(self, session: _Session, reason: BaseException | str) -> None:
        """The connection is gone (or never came): everything in flight is forgotten (those rows
        are still pending and will be resent); reconnect after a backoff, or finish."""
        if session is not self._session:
            return
        if not self._stopping:
            # the error first: whoever sees ``connected`` turn False finds the reason set
            if session.failure is not None:
                self._record_error(session.failure)
            elif session.ready_at is None:
                self._record_error(f"cannot connect to {self._masked_url}: {describe(reason)}")
            else:
                self._record_error(f"connection to {self._masked_url} lost: {describe(reason)}")
        self._session = None
        self._connected = False
        self._cancel_idle(session)
        lost = len(session.in_flight)
        session.in_flight.clear()
        session.buffer.clear()
        if self._stopping:
            assert self._ioloop is not None
            self._ioloop.stop()
            return
        self._bump(connection_failures=1)
        delay = self._next_backoff(session)
        log.warning(
            "outbox relay: %s;%s reconnecting in %.2f s",
            self._last_error,
            f" {lost} unconfirmed message(s) will be resent;" if lost else "",
            delay,
        )
        assert self._ioloop is not None
        self._reconnect_timer = self._ioloop.call_later(delay, self._guarded(self._connect))

    def _next_backoff(self, session: _Session) -> float:
        if session.ready_at is not None and time.monotonic() - session.ready_at >= STABLE_AFTER:
            self._attempt = 0
        delay = backoff_delay(self._attempt, self._backoff_initial, self._backoff_max)
        self._attempt += 1
        return delay

    def _abandon_session(self, ioloop: IOLoop) -> None:
        """After the loop stopped: close a connection still open, for a moment of loop time."""
        session = self._session
        self._session = None
        if session is None or session.connection is None:
            return
        connection = session.connection
        if connection.is_closed:
            return
        try:
            if not connection.is_closing:
                connection.close()
            deadline = time.monotonic() + 2.0
            while not connection.is_closed and time.monotonic() < deadline:
                ioloop.call_later(0.05, ioloop.stop)
                ioloop.start()
        except Exception:
            log.debug("closing the abandoned broker connection failed", exc_info=True)

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

    def _close_after_stop(self, session: _Session) -> None:
        if session is not self._session:
            return
        self._close_session(session)

    # -- reading the outbox --------------------------------------------------------------------

    def _anything_pending(self) -> bool:
        try:
            with self._factory.begin() as s:
                return bool(repository.pending_outbox(s, limit=1))
        except Exception as exc:
            log.warning("cannot read the outbox: %s", describe(exc))
            self._record_error(f"ledger: {describe(exc)}")
            return True

    def _submit(self, job: Callable[[], T], done: Callable[[Future[T]], None]) -> None:
        executor = self._executor
        assert executor is not None
        future = executor.submit(job)
        future.add_done_callback(lambda f: self._post(partial(done, f)))

    def _maybe_fetch(self, session: _Session) -> None:
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
        session.fetching = True
        session.poked = False
        after = session.cursor
        self._submit(
            partial(self._read_pending, after, self._batch, tuple(session.holds)),
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
        self, after: int, limit: int, held: tuple[tuple[str, str], ...]
    ) -> list[OutboxRow]:
        self._bump(reads=1)
        with self._reads() as s:
            return repository.pending_outbox(s, limit=limit, after_id=after, except_keys=held)

    def _on_fetched(self, session: _Session, after: int, future: Future[list[OutboxRow]]) -> None:
        session.fetching = False
        if session is not self._session or session.closing or self._stopping:
            return
        error = future.exception()
        if error is not None:
            self._record_error(f"ledger: cannot read the outbox: {describe(error)}")
            log.warning("cannot read the outbox (%s); retrying", describe(error))
            self._wait_then_fetch(session, max(self._idle_poll, MARK_RETRY_DELAY))
            return
        rows = future.result()
        full = len(rows) == self._batch
        session.cursor = rows[-1].id if full else 0
        exclude = {entry.row.id for entry in session.in_flight.values()}
        exclude.update(row.id for row in session.buffer)
        exclude.update(self._to_mark)
        exclude.update(self._marking)
        new = [row for row in rows if row.id not in exclude]
        if new:
            session.idle = False
            session.buffer.extend(new)
            self._publish(session)
        elif full or after > 0 or session.poked:
            self._maybe_fetch(session)  # keep reading (past the cursor, from the start, or anew)
        else:
            session.idle = True
            if not self._check_drained(session):
                self._wait_then_fetch(session, self._idle_poll)

    def _wait_then_fetch(self, session: _Session, delay: float) -> None:
        if session.idle_timer is not None or self._ioloop is None:
            return

        def fire() -> None:
            session.idle_timer = None
            self._maybe_fetch(session)

        session.idle_timer = self._ioloop.call_later(delay, self._guarded(fire))

    def _cancel_idle(self, session: _Session) -> None:
        """Cancel the session's timers: the idle poll and the holds' backoffs."""
        holds = session.holds.values()
        if self._ioloop is not None:
            for timer in (session.idle_timer, *(hold.timer for hold in holds)):
                if timer is not None:
                    self._ioloop.remove_timeout(timer)
        session.idle_timer = None
        for hold in holds:
            hold.timer = None

    def _check_drained(self, session: _Session) -> bool:
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
            log.info("outbox drained")
            self._begin_stop()
            return True
        return False

    # -- publishing ----------------------------------------------------------------------------

    def _publish(self, session: _Session) -> None:
        """Send what is ready, up to the window: the held routing keys' next rows first, then
        the buffer (in id order) but for the rows of a held key, which their hold sends."""
        channel = session.channel
        while (
            len(session.in_flight) < self._window
            and session.ready
            and not session.closing
            and not self._stopping
            and channel is not None
        ):
            if session.probes:
                hold = session.probes.popleft()
                hold.queued = False
                if hold.stale:  # another of its rows was nacked: the oldest goes first
                    self._next_held(session, hold)
                elif self._send(session, channel, hold.rows[0], probe=True):
                    hold.sending = True
                else:  # set aside unsent: its next row
                    hold.rows.popleft()
                    self._next_held(session, hold)
                continue
            if not session.buffer:
                break
            row = session.buffer[0]
            if session.holds and _key(row) in session.holds:
                session.buffer.popleft()  # stays pending: its hold sends it, in order
                continue
            exchange = row.exchange or self._topology.exchange
            if exchange not in session.exchanges_ok:
                missing = session.exchanges_missing.get(exchange)
                if missing is None:
                    self._check_exchange(session, exchange)
                    return  # resumes when the broker answers (order is kept)
                session.buffer.popleft()
                self._settle([(row.id, missing)])
                continue
            session.buffer.popleft()
            self._send(session, channel, row)
        self._note_in_flight(len(session.in_flight))
        if session.cursor or session.poked or self._drain:
            self._maybe_fetch(session)  # read ahead: more rows wait, or were committed since
        else:
            # Everything committed before the last read is read; a commit in this process
            # notifies, and the idle poll finds rows that other processes commit.
            self._wait_then_fetch(session, self._idle_poll)

    def _send(
        self, session: _Session, channel: Channel, row: OutboxRow, *, probe: bool = False
    ) -> bool:
        """Publish ``row``; False when it is set aside unsent (larger than the broker takes, or
        properties AMQP cannot carry), its outcome recorded."""
        if self._max_body is not None and len(row.body) > self._max_body:
            self._settle([(row.id, self._too_large(row))])
            return False
        exchange = row.exchange or self._topology.exchange
        properties = self._properties(row)
        try:
            channel.basic_publish(exchange, row.routing_key, row.body, properties, mandatory=True)
        except Exception:
            problem = publish_problem(exchange, row.routing_key, properties)
            if problem is None:
                raise
            self._settle([(row.id, self._unencodable(row, problem))])
            return False  # nothing was sent: pika encodes a publish before it writes it
        session.next_tag += 1
        session.in_flight[session.next_tag] = _InFlight(row, probe=probe)
        return True

    @staticmethod
    def _properties(row: OutboxRow) -> BasicProperties:
        headers = dict(row.headers)
        event_type = headers.get("event_type")
        return BasicProperties(
            content_type=CONTENT_TYPE,
            delivery_mode=2,
            message_id=row.message_id,
            correlation_id=row.correlation_id,
            headers=headers,
            type=event_type if isinstance(event_type, str) else None,
            timestamp=int(time.time()),
            app_id=APP_ID,
        )

    def _check_exchange(self, session: _Session, exchange: str) -> None:
        """Does ``exchange`` exist? Asked on a channel of its own (a passive declare of a missing
        exchange closes the channel it is asked on)."""
        if exchange in session.exchange_checks or session.connection is None:
            return
        session.exchange_checks.add(exchange)
        answered = False

        def on_ok(channel: Channel, _frame: object) -> None:
            nonlocal answered
            answered = True
            session.exchange_checks.discard(exchange)
            session.exchanges_ok.add(exchange)
            if channel.is_open:
                channel.close()
            self._publish(session)

        def on_closed(_channel: Channel, reason: Exception) -> None:
            if answered or session is not self._session or session.closing:
                return
            connection = session.connection
            if connection is not None and (connection.is_closing or connection.is_closed):
                return  # the connection is going: its close callback reports why
            session.exchange_checks.discard(exchange)
            code = getattr(reason, "reply_code", None)
            if code == 404:
                text = f"exchange {exchange!r} does not exist: {describe(reason)}"
                log.warning("outbox: %s; its messages are recorded unroutable", text)
                session.exchanges_missing[exchange] = text
                self._publish(session)
            else:
                self._fail_session(session, f"checking exchange {exchange!r}: {describe(reason)}")

        def on_open(channel: Channel) -> None:
            channel.add_on_close_callback(self._callback(on_closed))
            channel.exchange_declare(
                exchange, passive=True, callback=self._callback(partial(on_ok, channel))
            )

        session.connection.channel(on_open_callback=self._callback(on_open))

    def _on_return(
        self,
        session: _Session,
        _channel: Channel,
        method: Basic.Return,
        properties: BasicProperties,
        _body: bytes,
    ) -> None:
        """basic.return comes before the confirm of the same message: flag it, the confirm
        records it UNROUTABLE."""
        if session is not self._session:
            return
        self._bump(returned=1)
        reason = (
            f"returned by the broker: {method.reply_code} {method.reply_text} "
            f"(exchange {method.exchange!r}, routing key {method.routing_key!r})"
        )
        for entry in session.in_flight.values():
            if entry.returned is None and entry.row.message_id == properties.message_id:
                entry.returned = reason
                return
        log.warning("return of an unknown message %s: %s", properties.message_id, reason)

    def _on_confirm(self, session: _Session, frame: Method[Basic.Ack | Basic.Nack]) -> None:
        if session is not self._session:
            return
        method = frame.method
        tag = method.delivery_tag
        if method.multiple:
            tags = []
            for candidate in session.in_flight:
                if candidate > tag:
                    break
                tags.append(candidate)
        else:
            tags = [tag] if tag in session.in_flight else []
        entries = [session.in_flight.pop(t) for t in tags]
        if isinstance(method, Basic.Nack):
            self._bump(nacked=len(entries))
            self._on_nacked(session, entries)
        else:
            self._bump(acks=1, multiple_acks=1 if len(entries) > 1 else 0)
            self._settle([(entry.row.id, entry.returned) for entry in entries])
            for entry in entries:
                hold = session.holds.get(_key(entry.row)) if entry.probe else None
                if hold is not None:  # taken: the hold's next row
                    hold.sending = False
                    hold.nacks = 0
                    if hold.rows and hold.rows[0].id == entry.row.id:
                        hold.rows.popleft()
                    self._next_held(session, hold)
        if self._stopping:
            if not session.in_flight:
                self._close_after_stop(session)
            return
        self._publish(session)
        self._check_drained(session)

    # -- held routing keys (after a nack) ------------------------------------------------------

    def _on_nacked(self, session: _Session, entries: list[_InFlight]) -> None:
        """The broker refused these messages: hold their routing keys (see :class:`_Hold`);
        a probe refused again is sent again after a longer backoff."""
        noted: list[OutboxRow] = []
        for entry in entries:
            key = _key(entry.row)
            hold = session.holds.get(key)
            if entry.probe and hold is not None:
                hold.sending = False
                hold.nacks += 1
                self._wait_then_send_held(session, hold)
                continue
            noted.append(entry.row)
            if hold is None:
                hold = session.holds[key] = _Hold(key)
                self._wait_then_send_held(session, hold)
            else:
                hold.stale = True  # in flight before the hold began: it goes first
        if not noted:
            log.info("outbox relay: the broker nacked a held message again; sent again later")
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
        log.warning("outbox relay: %s: %s", summary, reason)
        now = dt.datetime.now(dt.UTC)
        for row in noted:
            self._to_mark.setdefault(row.id, _Outcome(None, now, nacked=reason))
        self._schedule_marks()

    def _wait_then_send_held(self, session: _Session, hold: _Hold) -> None:
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

    def _next_held(self, session: _Session, hold: _Hold) -> None:
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
            return repository.pending_outbox_of(s, exchange, routing_key, limit=HELD_READ)

    def _on_held_read(
        self, session: _Session, hold: _Hold, future: Future[list[OutboxRow]]
    ) -> None:
        hold.reading = False
        if session is not self._session or session.closing or self._stopping:
            return
        error = future.exception()
        if error is not None:
            self._record_error(f"ledger: cannot read the outbox: {describe(error)}")
            log.warning("cannot read the outbox (%s); retrying", describe(error))
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
            log.info("outbox relay: routing key %r flows again", hold.key[1])
            self._maybe_fetch(session)
        self._publish(session)
        self._check_drained(session)

    def _retry_held(self, session: _Session, hold: _Hold) -> None:
        hold.timer = None
        if session is self._session and not session.closing and not self._stopping:
            self._next_held(session, hold)

    # -- recording outcomes --------------------------------------------------------------------

    def _settle(self, outcomes: Iterable[tuple[int, str | None]]) -> None:
        """The broker's word on these outbox rows (None: confirmed; else why it returned them)."""
        now = dt.datetime.now(dt.UTC)
        for outbox_id, unroutable in outcomes:
            self._to_mark[outbox_id] = _Outcome(unroutable, now)
        self._schedule_marks()

    def _schedule_marks(self) -> None:
        """Record the outcomes gathered so far once a batch of them is here, a stop begins, or
        :data:`MARK_GATHER` after the first of them."""
        if self._marking or not self._to_mark or self._mark_retry_timer is not None:
            return
        if len(self._to_mark) < self._batch and not self._stopping and self._ioloop is not None:
            if self._gather_timer is None:
                self._gather_timer = self._ioloop.call_later(
                    self._mark_gather, self._guarded(self._gathered)
                )
            return
        self._start_marks()

    def _gathered(self) -> None:
        self._gather_timer = None
        if not self._marking and self._mark_retry_timer is None:
            self._start_marks()

    def _start_marks(self) -> None:
        if self._executor is None or not self._to_mark:
            return
        if self._gather_timer is not None and self._ioloop is not None:
            self._ioloop.remove_timeout(self._gather_timer)
            self._gather_timer = None
        batch, self._to_mark = self._to_mark, {}
        self._marking = batch
        executor = self._executor
        future = executor.submit(self._record_outcomes, batch)
        self._mark_future = future
        future.add_done_callback(lambda f: self._post(partial(self._on_marked, f)))

    def _record_outcomes(self, batch: dict[int, _Outcome]) -> int:
        """Database worker: one transaction for a batch of outcomes; returns rows published,
        each at the moment its confirm arrived."""
        confirmed = {i: o.at for i, o in batch.items() if o.final and o.unroutable is None}
        unroutable = [(i, o.unroutable) for i, o in batch.items() if o.unroutable is not None]
        nacked: dict[str, list[int]] = {}
        for outbox_id, outcome in batch.items():
            if outcome.nacked is not None:
                nacked.setdefault(outcome.nacked, []).append(outbox_id)
        published = list(confirmed)
        if published:
            crash_point("after_publish")
        with self._factory.begin() as s:
            if published:
                repository.mark_published(s, published, at=confirmed)
            for outbox_id, reason in unroutable:
                repository.mark_unroutable(s, outbox_id, reason)
            for reason, outbox_ids in nacked.items():
                repository.note_nacked(s, outbox_ids, reason)
        self._bump(published=len(published), unroutable=len(unroutable), recordings=1)
        return len(published)

    def _on_marked(self, future: Future[int]) -> None:
        if future is not self._mark_future:
            return
        self._mark_future = None
        batch, self._marking = self._marking, {}
        error = future.exception()
        if error is not None:
            # Keep the outcomes (the confirms are real) and try again.
            batch.update(self._to_mark)
            self._to_mark = batch
            self._record_error(f"ledger: cannot record publish outcomes: {describe(error)}")
            log.warning(
                "cannot record %d publish outcome(s) (%s); retrying in %.1f s",
                len(batch),
                describe(error),
                MARK_RETRY_DELAY,
            )
            if self._ioloop is not None:
                self._mark_retry_timer = self._ioloop.call_later(
                    MARK_RETRY_DELAY, self._guarded(self._retry_marks)
                )
            return
        self._run_published += future.result()
        self._schedule_marks()
        session = self._session
        if session is not None:
            self._check_drained(session)

    def _retry_marks(self) -> None:
        self._mark_retry_timer = None
        self._schedule_marks()

    def _flush_marks(self) -> None:
        """After the loop (the database worker has finished): record the outcomes still
        unrecorded, in this thread."""
        future, self._mark_future = self._mark_future, None
        if future is not None and future.exception() is None:
            self._run_published += future.result()  # done, but the loop never heard of it
            self._marking = {}
        batch = {**self._marking, **self._to_mark}
        self._marking, self._to_mark = {}, {}
        if not batch:
            return
        try:
            self._run_published += self._record_outcomes(batch)
        except Exception as exc:
            self._record_error(f"ledger: cannot record publish outcomes: {describe(exc)}")
            log.error(
                "could not record %d publish outcome(s) (%s): those rows stay pending and will "
                "be published again",
                len(batch),
                describe(exc),
            )

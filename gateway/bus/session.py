"""The broker session state machine that the relay and the request consumer share.

Each of them is a :class:`BrokerClient`: one thread runs a pika
:class:`~pika.adapters.select_connection.IOLoop` and owns the connection and its channel (pika
is not thread-safe), and one database worker thread runs the jobs that may wait on the ledger
(:meth:`BrokerClient._submit`), their results handed back by ``add_callback_threadsafe``.
A session is one connection: connect, open a channel, turn publisher confirms on,
declare the topology, prepare the channel (the consumer's ``basic.qos``), ready. A lost
connection, a channel error or a bug in a callback ends the session; the client connects again
after a backoff (doubling, capped, with jitter), reset once a session lasted
:attr:`~BrokerClient.stable_after` seconds. A stop ends the last session and the loop.

What a client does with a ready session (publish the outbox, consume requests) it adds through
the hooks; what the state machine reports (``connected``, ``last_error``, the ``sessions`` and
``connection_failures`` counters, the warning before each reconnect) is the same for both.

(Just over 400 lines: the session's steps are one state machine, its callbacks chained in
order; splitting them apart would scatter the order that is its correctness.)
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pika.adapters.select_connection import IOLoop, SelectConnection
from pika.channel import Channel
from pika.frame import Method
from pika.spec import Basic

from .connection import backoff_delay, connection_parameters, describe, mask_url
from .existing import ExistingQueues
from .topology import Topology, declare

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")

STABLE_AFTER = 5.0
"""A session that lasted this long (seconds) resets the reconnect backoff."""


@dataclass(eq=False)
class BrokerSession:
    """One connection and its channel; everything here belongs to the IO loop thread."""

    number: int
    """Sessions started by this client, this one included."""
    connection: SelectConnection | None = None
    channel: Channel | None = None
    ready: bool = False
    ready_at: float | None = None
    closing: bool = False
    failure: str | None = None
    """Why the client ended this session on purpose (a channel error, its own error)."""


S = TypeVar("S", bound=BrokerSession)
St = TypeVar("St", bound="DataclassInstance")


class BrokerClient(ABC, Generic[S, St]):
    """A client with its own IO loop thread and one broker session at a time (see the module
    docstring). ``St`` is its frozen dataclass of counters, with ``sessions`` and
    ``connection_failures`` among them."""

    role: ClassVar[str]
    """Who this is in the logs ("outbox relay")."""
    error_label: ClassVar[str]
    """How a bug in one of its callbacks is named in ``last_error`` ("relay error")."""
    stable_after: ClassVar[float] = STABLE_AFTER

    def __init__(
        self,
        *,
        amqp_url: str,
        connection_name: str,
        topology: Topology,
        stats: St,
        log: logging.Logger,
        worker_name: str,
        backoff_initial: float,
        backoff_max: float,
        heartbeat: int | None = None,
    ) -> None:
        self._url = amqp_url
        self._masked_url = mask_url(amqp_url)
        self._connection_name = connection_name
        self._topology = topology
        self._existing = ExistingQueues(topology, log)
        self._log = log
        """The client's module logger: its records keep the name they always had."""
        self._worker_name = worker_name
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._heartbeat = heartbeat

        self._connected = False
        self._last_error: str | None = None
        self._stats = stats
        self._stats_lock = threading.Lock()
        self._loop_lock = threading.Lock()
        self._ioloop: IOLoop | None = None
        self._sessions = 0

        # IO loop state (reset by each run)
        self._executor: ThreadPoolExecutor | None = None
        self._session: S | None = None
        self._stopping = False
        self._attempt = 0
        self._reconnect_timer: Any = None

    @property
    def connected(self) -> bool:
        """Whether a connection is up with the topology declared and confirms on."""
        return self._connected

    @property
    def last_error(self) -> str | None:
        """The most recent problem (connection, channel, database); None once reconnected."""
        return self._last_error

    @property
    def stats(self) -> St:
        with self._stats_lock:
            return self._stats

    # -- what a client adds --------------------------------------------------------------------

    @abstractmethod
    def _new_session(self, number: int) -> S: ...

    @abstractmethod
    def _on_confirm(self, session: S, frame: Method[Basic.Ack | Basic.Nack]) -> None:
        """The broker confirmed (or nacked) messages published on the session's channel."""

    @abstractmethod
    def _session_ready(self, session: S) -> None:
        """The session is ready (counted, ``connected``): start its work."""

    def _watch_connection(self, session: S, connection: SelectConnection) -> None:
        """The connection is open: add callbacks to it before its channel opens."""

    def _watch_channel(self, session: S, channel: Channel) -> None:
        """The channel is open: add callbacks to it before confirms are turned on."""

    def _prepare(self, session: S, channel: Channel, ready: Callable[[], None]) -> None:
        """The topology is declared: set the channel up, then call ``ready``."""
        ready()

    def _channel_lost(self, session: S, reason: Exception) -> None:
        """The broker closed the channel (the connection stays): what it says of our messages,
        before the session ends."""

    def _session_closing(self, session: S) -> None:
        """The session is being closed: cancel its timers."""

    def _forget(self, session: S) -> str:
        """The session ended: drop what it had in hand; returns what the reconnect warning says
        of it (a leading space), or nothing."""
        return ""

    def _connection_error(self, session: S, reason: BaseException | str) -> str:
        """``last_error`` when the connection went (or never came) without our ending it."""
        if session.ready_at is None:
            return f"cannot connect to {self._masked_url}: {describe(reason)}"
        return f"connection to {self._masked_url} lost: {describe(reason)}"

    def _on_loop_start(self, ioloop: IOLoop) -> None:
        """The loop is about to start (its first callback connects)."""

    def _after_loop(self) -> None:
        """The loop has ended and the database worker has finished its jobs."""

    # -- the IO loop and the hand-over to it ---------------------------------------------------

    def _run_loop(self) -> None:
        """Run an IO loop in this thread, connected (and reconnecting) until a stop ends it."""
        ioloop = IOLoop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._worker_name)
        self._session = None
        self._stopping = False
        self._attempt = 0
        self._reconnect_timer = None
        with self._loop_lock:
            self._ioloop = ioloop
        ioloop.add_callback_threadsafe(self._guarded(self._connect))
        self._on_loop_start(ioloop)
        try:
            ioloop.start()
        finally:
            self._stopping = True
            self._connected = False
            self._abandon_session(ioloop)
            with self._loop_lock:
                self._ioloop = None
            self._executor.shutdown(wait=True)
            self._executor = None
            self._after_loop()
            ioloop.close()

    def _post(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the IO loop thread (from any thread); dropped when not running."""
        with self._loop_lock:
            ioloop = self._ioloop
            if ioloop is None:
                return
            try:
                ioloop.add_callback_threadsafe(self._guarded(callback))
            except Exception:  # the loop is closing: nothing left to tell it
                self._log.debug("IO loop gone; callback dropped", exc_info=True)

    def _guarded(self, callback: Callable[..., object]) -> Callable[..., None]:
        """Wrap a callback of the IO loop (pika's or ours): an exception in our code must not
        unwind pika's IO loop; it ends the session instead."""

        def run(*args: Any) -> None:
            try:
                callback(*args)
            except Exception as exc:
                self._on_bug(exc)

        return run

    def _submit(self, job: Callable[[], T], done: Callable[[Future[T]], None]) -> None:
        """Run ``job`` on the database worker; ``done`` gets its future on the IO loop."""
        executor = self._executor
        assert executor is not None
        future = executor.submit(job)
        future.add_done_callback(lambda f: self._post(partial(done, f)))

    def _on_bug(self, exc: BaseException) -> None:
        self._log.exception("%s error; restarting the broker session", self.role)
        reason = f"{self.error_label}: {describe(exc)}"
        self._record_error(reason)
        session = self._session
        if session is not None:
            self._fail_session(session, reason)

    def _record_error(self, message: str) -> None:
        self._last_error = message

    def _bump(self, **counts: int) -> None:
        with self._stats_lock:
            values = {name: getattr(self._stats, name) + n for name, n in counts.items()}
            self._stats = replace(self._stats, **values)

    # -- the session (IO loop thread) ----------------------------------------------------------

    def _connect(self) -> None:
        self._reconnect_timer = None
        if self._stopping:
            return
        self._sessions += 1
        session = self._new_session(self._sessions)
        self._session = session
        assert self._ioloop is not None
        try:
            session.connection = SelectConnection(
                connection_parameters(self._url, self._connection_name, heartbeat=self._heartbeat),
                on_open_callback=self._guarded(partial(self._on_open, session)),
                on_open_error_callback=self._guarded(partial(self._on_open_error, session)),
                on_close_callback=self._guarded(partial(self._on_closed, session)),
                custom_ioloop=self._ioloop,
            )
        except Exception as exc:
            self._session_ended(session, exc)

    def _on_open(self, session: S, connection: SelectConnection) -> None:
        self._watch_connection(session, connection)
        connection.channel(on_open_callback=self._guarded(partial(self._on_channel_open, session)))

    def _on_channel_open(self, session: S, channel: Channel) -> None:
        if session is not self._session or session.closing:
            return
        session.channel = channel
        channel.add_on_close_callback(self._guarded(partial(self._on_channel_closed, session)))
        self._watch_channel(session, channel)
        channel.confirm_delivery(
            self._guarded(partial(self._on_confirm, session)),
            callback=self._guarded(partial(self._on_confirm_mode, session)),
        )

    def _on_confirm_mode(self, session: S, _frame: object) -> None:
        if session.channel is None or session is not self._session:
            return
        declare(
            session.channel,
            topology=self._topology,
            as_they_are=frozenset(self._existing.as_they_are),
            on_done=self._guarded(partial(self._on_declared, session)),
        )

    def _on_declared(self, session: S) -> None:
        if session.channel is None or session is not self._session:
            return
        self._prepare(session, session.channel, self._guarded(partial(self._on_ready, session)))

    def _on_ready(self, session: S) -> None:
        if session is not self._session or session.closing:
            return
        session.ready = True
        session.ready_at = time.monotonic()
        self._connected = True
        self._last_error = None
        self._bump(sessions=1)
        self._session_ready(session)

    def _on_open_error(self, session: S, _connection: object, error: BaseException) -> None:
        self._session_ended(session, error)

    def _on_closed(self, session: S, _connection: object, reason: BaseException) -> None:
        self._session_ended(session, reason)

    def _on_channel_closed(self, session: S, _channel: Channel, reason: Exception) -> None:
        if session is not self._session or session.closing:
            return
        connection = session.connection
        if connection is not None and (connection.is_closing or connection.is_closed):
            return  # the connection is going: its close callback reports why
        self._channel_lost(session, reason)
        self._fail_session(session, self._closed_because(reason))

    def _closed_because(self, reason: Exception) -> str:
        """What a session failure says of a channel the broker closed (a queue refused?)."""
        return self._existing.channel_closed(reason) or f"channel closed: {describe(reason)}"

    def _fail_session(self, session: S, reason: str) -> None:
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

    def _close_session(self, session: S) -> None:
        session.closing = True
        session.ready = False
        self._session_closing(session)
        connection = session.connection
        if connection is not None and not (connection.is_closing or connection.is_closed):
            try:
                connection.close()
            except Exception:
                self._log.debug("closing the broker connection failed", exc_info=True)
                self._session_ended(session, "connection close failed")

    def _session_ended(self, session: S, reason: BaseException | str) -> None:
        """The connection is gone (or never came): what the session had in hand is forgotten;
        reconnect after a backoff, or, stopping, end the loop."""
        if session is not self._session:
            return
        if not self._stopping:
            # the error first: whoever sees ``connected`` turn False finds the reason set
            if session.failure is not None:
                self._record_error(session.failure)
            else:
                self._record_error(self._connection_error(session, reason))
        self._session = None
        self._connected = False
        forgotten = self._forget(session)
        assert self._ioloop is not None
        if self._stopping:
            self._ioloop.stop()
            return
        self._bump(connection_failures=1)
        delay = self._next_backoff(session)
        self._log.warning(
            "%s: %s;%s reconnecting in %.2f s", self.role, self._last_error, forgotten, delay
        )
        self._reconnect_timer = self._ioloop.call_later(delay, self._guarded(self._connect))

    def _next_backoff(self, session: S) -> float:
        ready_at = session.ready_at
        if ready_at is not None and time.monotonic() - ready_at >= self.stable_after:
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
            self._log.debug("closing the abandoned broker connection failed", exc_info=True)

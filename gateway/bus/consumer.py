"""The request consumer: outbound requests from RabbitMQ -> :class:`~gateway.outbound.pipeline.
OutboundPipeline`, acked only after the ledger commit.

Two threads, as in the relay (:mod:`gateway.bus.relay`), and the same broker sessions
(:mod:`gateway.bus.session`: connect, confirms, reconnect with backoff):

- the **consumer thread** runs a pika :class:`~pika.adapters.select_connection.IOLoop` and owns
  the connection and channel (pika is not thread-safe). It consumes the request queue with
  manual acks and ``basic.qos`` prefetch, gathers deliveries, and never touches the database;
- a **database worker** (one thread) completes one batch at a time (everything delivered while
  the previous batch was in hand, at most ``batch``): record, write files. Its result comes back
  to the IO loop by ``add_callback_threadsafe``. Each batch is prepared (rendered and validated,
  in the worker processes) from the moment it is taken: a full batch waiting while another is
  in hand is taken at once, so that it renders while the other is recorded.

When a batch is done, the refused requests are published to the dead-letter exchange (routing key
kept, headers ``x-edi-error`` = the reason and ``x-edi-request-id``) with publisher confirms, and
once the broker confirmed every dead letter the whole batch is acked at once (``multiple`` on the
highest delivery tag); a dead letter whose ids or headers the broker would not carry as they
are goes under a safe message id instead (:meth:`RequestConsumer._dead_letter`). A lost
connection leaves the batch unacked: the broker delivers it again, and the ledger recognises
every request already recorded. Every ``sweep_interval`` seconds the worker also marks ``sent``
what partners' channels delivered.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial

from pika.adapters.select_connection import IOLoop
from pika.channel import Channel
from pika.frame import Method
from pika.spec import Basic, BasicProperties

from ..outbound.pipeline import BatchResult, DeadLetter, OutboundPipeline
from ..outbound.preparing import Delivery, Preparing
from .connection import APP_ID, describe
from .limits import digest_id, publish_problem
from .session import BrokerClient, BrokerSession
from .topology import Topology

log = logging.getLogger(__name__)

ERROR_HEADER = "x-edi-error"
"""Dead letters carry the reason their request was refused in this header."""
REQUEST_ID_HEADER = "x-edi-request-id"
MAX_HEADER_TEXT = 4000
"""A reason longer than this is cut in the header (the ledger keeps it whole)."""


@dataclass(frozen=True)
class ConsumerStats:
    delivered: int = 0
    batches: int = 0
    rendered: int = 0
    refused: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    sessions: int = 0
    connection_failures: int = 0


@dataclass(eq=False)
class _Session(BrokerSession):
    consumer_tag: str | None = None
    buffer: deque[Delivery] = field(default_factory=deque)
    busy: bool = False
    """A batch is with the database worker, or its dead letters wait for confirms."""
    ahead: tuple[list[Delivery], Preparing] | None = None
    """The next batch, being prepared (nothing of it is recorded until it is dispatched)."""
    publish_tag: int = 0
    confirms_due: set[int] = field(default_factory=set)
    ack_tag: int | None = None
    """Highest delivery tag of the batch to ack once ``confirms_due`` is empty."""


class RequestConsumer(BrokerClient[_Session, ConsumerStats]):
    """Consumes the request queue into ``pipeline`` (see the module docstring)."""

    role = "request consumer"
    error_label = "consumer error"
    stable_after = 0.0
    """A session that got as far as consuming resets the reconnect backoff."""

    def __init__(
        self,
        pipeline: OutboundPipeline,
        *,
        amqp_url: str,
        topology: Topology,
        queue: str,
        prefetch: int = 1000,
        batch: int = 500,
        sweep_interval: float = 1.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
        connection_name: str = "edi-gateway request consumer",
    ) -> None:
        if prefetch < 1 or batch < 1:
            raise ValueError("prefetch and batch must be at least 1")
        super().__init__(
            amqp_url=amqp_url,
            connection_name=connection_name,
            topology=topology,
            stats=ConsumerStats(),
            log=log,
            worker_name="request-db",
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
        )
        self._pipeline = pipeline
        self._queue = queue
        self._prefetch = prefetch
        self._batch = batch
        self._sweep_interval = sweep_interval
        self._thread: threading.Thread | None = None
        self._sweeping = False

    # -- public API --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the request consumer is already running")
        self._stopping = False
        self._thread = threading.Thread(target=self._main, name="request-consumer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop consuming, let the batch in hand finish (and be acked), close, end the thread.
        Deliveries not yet processed go back to the queue."""
        self._post(self._begin_stop)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("the request consumer did not stop within %.1f s", timeout)

    # -- the session (see :class:`~gateway.bus.session.BrokerClient`) ------------------------

    def _main(self) -> None:
        self._run_loop()

    def _on_loop_start(self, ioloop: IOLoop) -> None:
        ioloop.call_later(self._sweep_interval, self._guarded(self._sweep))

    def _after_loop(self) -> None:
        log.info("request consumer stopped")

    def _new_session(self, number: int) -> _Session:
        return _Session(number)

    def _prepare(self, session: _Session, channel: Channel, ready: Callable[[], None]) -> None:
        channel.basic_qos(
            prefetch_count=self._prefetch, callback=self._guarded(lambda _frame: ready())
        )

    def _session_ready(self, session: _Session) -> None:
        assert session.channel is not None
        session.consumer_tag = session.channel.basic_consume(
            self._queue, self._guarded(partial(self._on_message, session)), auto_ack=False
        )
        log.info(
            "request consumer connected to %s, consuming %r (prefetch %d)",
            self._masked_url,
            self._queue,
            self._prefetch,
        )

    def _on_channel_closed(self, session: _Session, _channel: Channel, reason: Exception) -> None:
        """A closed channel ends the session at once, the connection going or not: the consumer
        reports a lost connection by its channel (pika closes the channels first)."""
        if session is not self._session or session.closing:
            return
        self._fail_session(session, self._closed_because(reason))

    def _connection_error(self, session: _Session, reason: BaseException | str) -> str:
        return f"connection to {self._masked_url}: {describe(str(reason))}"

    # -- deliveries ----------------------------------------------------------------------------

    def _on_message(
        self,
        session: _Session,
        _channel: Channel,
        method: Basic.Deliver,
        properties: BasicProperties,
        body: bytes,
    ) -> None:
        if session is not self._session:
            return
        session.buffer.append(
            Delivery(
                tag=int(method.delivery_tag or 0),
                body=body,
                routing_key=str(method.routing_key or ""),
                headers=dict(properties.headers or {}),
                message_id=properties.message_id,
                correlation_id=properties.correlation_id,
            )
        )
        self._bump(delivered=1)
        self._dispatch(session)

    def _dispatch(self, session: _Session) -> None:
        """Hand the next batch to the database worker when it is free; meanwhile, once a full
        batch is waiting, start preparing it (rendered in the worker processes while the batch
        in hand is recorded)."""
        if session.closing or self._executor is None:
            return
        if not session.busy and (session.ahead is not None or session.buffer):
            ahead, session.ahead = session.ahead, None
            batch, preparing = ahead or self._begin_batch(session)
            session.busy = True
            self._submit(
                partial(self._pipeline.complete, preparing),
                partial(self._on_processed, session, batch),
            )
        if session.busy and session.ahead is None and len(session.buffer) >= self._batch:
            session.ahead = self._begin_batch(session)

    def _begin_batch(self, session: _Session) -> tuple[list[Delivery], Preparing]:
        batch = [session.buffer.popleft() for _ in range(min(self._batch, len(session.buffer)))]
        return batch, self._pipeline.begin(batch)

    def _on_processed(
        self, session: _Session, batch: list[Delivery], future: Future[BatchResult]
    ) -> None:
        if session is not self._session or session.closing:
            self._maybe_finish()
            return
        error = future.exception()
        if error is not None:
            log.error(
                "request consumer: a batch of %d failed (%s); it will be delivered again",
                len(batch),
                describe(error),
            )
            # the broker requeues everything unacked
            self._fail_session(session, f"processing a batch failed: {describe(error)}")
            return
        result = future.result()
        self._bump(
            batches=1,
            rendered=result.rendered,
            refused=result.refused,
            duplicates=result.duplicates,
        )
        session.ack_tag = max(d.tag for d in batch)
        channel = session.channel
        assert channel is not None
        for letter in result.dead_letters:
            self._dead_letter(channel, letter)
            session.publish_tag += 1
            session.confirms_due.add(session.publish_tag)
        self._bump(dead_lettered=len(result.dead_letters))
        self._ack_if_confirmed(session)

    def _dead_letter(self, channel: Channel, letter: DeadLetter) -> None:
        """Publish a refused request to the dead-letter exchange: its body, headers and ids as
        they came, with the reason. Should those not go back to the broker as they are (an id
        or header it would not carry), the body goes under a safe message id (a digest of the
        request id) with the reason and the request id alone."""
        original = letter.delivery
        exchange = self._topology.dead_letter_exchange
        properties = BasicProperties(
            content_type="application/cloudevents+json",
            delivery_mode=2,
            message_id=original.message_id or letter.request_id,
            correlation_id=original.correlation_id,
            headers={
                **original.headers,
                ERROR_HEADER: letter.reason[:MAX_HEADER_TEXT],
                REQUEST_ID_HEADER: letter.request_id,
            },
            app_id=APP_ID,
        )
        try:
            channel.basic_publish(exchange, original.routing_key, original.body, properties)
            return
        except Exception:
            problem = publish_problem(exchange, original.routing_key, properties)
            if problem is None:
                raise
        log.warning("request consumer: dead letter of %.80s: %s", letter.request_id, problem)
        reason = f"{letter.reason}; its dead letter is sent with a safe message id: {problem}"
        channel.basic_publish(
            exchange,
            original.routing_key,
            original.body,
            BasicProperties(
                content_type="application/cloudevents+json",
                delivery_mode=2,
                message_id=digest_id(letter.request_id),
                headers={
                    ERROR_HEADER: reason[:MAX_HEADER_TEXT],
                    REQUEST_ID_HEADER: letter.request_id,
                },
                app_id=APP_ID,
            ),
        )

    def _on_confirm(self, session: _Session, frame: Method[Basic.Ack | Basic.Nack]) -> None:
        if session is not self._session:
            return
        method = frame.method
        tag = int(method.delivery_tag)
        tags = {t for t in session.confirms_due if t <= tag} if method.multiple else {tag}
        if isinstance(method, Basic.Nack):
            reason = "the broker nacked a dead letter; the batch will be redelivered"
            log.warning("request consumer: %s", reason)
            self._fail_session(session, reason)
            return
        session.confirms_due -= tags
        self._ack_if_confirmed(session)

    def _ack_if_confirmed(self, session: _Session) -> None:
        if session.confirms_due or session.ack_tag is None or session.channel is None:
            return
        session.channel.basic_ack(session.ack_tag, multiple=True)
        session.ack_tag = None
        session.busy = False
        if self._stopping:
            self._maybe_finish()
        else:
            self._dispatch(session)

    # -- the delivered sweep -------------------------------------------------------------------

    def _sweep(self) -> None:
        if self._stopping or self._ioloop is None:
            return
        if not self._sweeping and self._executor is not None:
            self._sweeping = True

            def done(f: Future[int]) -> None:
                self._sweeping = False
                if f.exception() is not None:
                    log.warning("outbound sweep failed: %s", describe(f.exception() or ""))

            self._submit(self._pipeline.sweep_delivered, done)
        self._ioloop.call_later(self._sweep_interval, self._guarded(self._sweep))

    # -- stopping ------------------------------------------------------------------------------

    def _begin_stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        session = self._session
        if session is None:
            self._finish()
            return
        session.buffer.clear()  # never processed: the broker delivers them again
        session.ahead = None
        if session.channel is not None and session.consumer_tag is not None and session.ready:
            session.channel.basic_cancel(session.consumer_tag)
        assert self._ioloop is not None
        self._ioloop.call_later(10.0, self._guarded(partial(self._close_session, session)))
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        if not self._stopping:
            return
        session = self._session
        if session is None:
            self._finish()
        elif not session.busy:
            self._close_session(session)

    def _finish(self) -> None:
        if self._ioloop is not None:
            self._ioloop.stop()

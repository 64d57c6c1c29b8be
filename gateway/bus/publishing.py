"""The relay's publishing: rows from the buffer (and the holds' next rows) to the broker, up to
a window of messages in flight, and what the broker says of them.

Up to ``window`` messages are in flight (published, not yet confirmed) at once. Confirms may
cover several messages (``multiple``); a message the broker returns (mandatory publishing, no
queue bound) is recorded UNROUTABLE when its confirm arrives, never PUBLISHED; a nack holds its
routing key (:mod:`gateway.bus.holds`). A row whose exchange does not exist on the broker is
recorded UNROUTABLE instead of blocking the rows behind it (asked once a session, on a channel
of its own).

A message that cannot be encoded as it is (a message id, correlation id or routing key over the
255 bytes of an AMQP short string, a header pika cannot encode) is recorded UNROUTABLE with the
part at fault (:func:`~gateway.bus.limits.publish_problem`), unsent: pika encodes a publish
before writing it, so the channel is untouched and the rows behind it go on. A message larger
than the broker takes (its ``max_message_size``) closes the channel: it is recorded UNROUTABLE
with the sizes, the limit is remembered, and from then on a larger message is set aside unsent.
"""

from __future__ import annotations

import re
import time
from abc import abstractmethod
from dataclasses import replace
from functools import partial

from pika.channel import Channel
from pika.frame import Method
from pika.spec import Basic, BasicProperties

from ..ledger import OutboxRow
from ..runtime import heap
from .cloudevents import CONTENT_TYPE
from .connection import APP_ID, describe
from .holds import HeldKeys, hold_key
from .limits import publish_problem
from .reading import WINDOW_BYTES, InFlight, RelaySession

TOO_LARGE = re.compile(r"message size (\d+) is larger than configured max size (\d+)")
"""RabbitMQ's reason for closing a channel on a message over its ``max_message_size``."""


class OutboxPublishing(HeldKeys):
    """The relay's layer that publishes (see the module docstring)."""

    _window: int
    _confirmed: heap.GiveBack
    """Bodies confirmed: the heap's free pages are given back every so many MiB of them (a huge
    document's parts, framed by pika a frame at a time, leave the arenas in pieces)."""
    _max_body: int | None
    """The broker's largest message, once a larger one closed a channel."""

    @abstractmethod
    def _close_after_stop(self, session: RelaySession) -> None:
        """Stopping: close the session now that the confirms in flight came (or time is up)."""

    def _channel_lost(self, session: RelaySession, reason: Exception) -> None:
        """A message over the broker's ``max_message_size`` closed the channel: those in flight
        that are as large are recorded UNROUTABLE, and larger ones are set aside from now on."""
        too_large = TOO_LARGE.search(str(reason))
        if too_large is not None:
            self._max_body = int(too_large[2])
            self._settle(
                (entry.row.id, self._too_large(entry.row))
                for entry in session.in_flight.values()
                if len(entry.row.body) > self._max_body
            )

    def _note_in_flight(self, count: int) -> None:
        with self._stats_lock:
            if count > self._stats.max_in_flight:
                self._stats = replace(self._stats, max_in_flight=count)

    def _too_large(self, row: OutboxRow) -> str:
        reason = (
            f"not sent: the message is {len(row.body):,} bytes and the broker takes at most "
            f"{self._max_body:,} (its max_message_size); raise that, then replay the document"
        )
        self._log.error("outbox id %d (%s): %s", row.id, row.message_id, reason)
        return reason

    def _unencodable(self, row: OutboxRow, problem: str) -> str:
        reason = f"not sent: {problem}"
        self._log.error("outbox id %d (document %.80s): %s", row.id, row.document_id, reason)
        return reason

    def _publish(self, session: RelaySession) -> None:
        """Send what is ready, up to the window: the held routing keys' next rows first, then
        the buffer (in id order) but for the rows of a held key, which their hold sends."""
        channel = session.channel
        while (
            len(session.in_flight) < self._window
            and (not session.in_flight or session.in_flight_bytes < WINDOW_BYTES)
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
            if session.holds and hold_key(row) in session.holds:
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
        self, session: RelaySession, channel: Channel, row: OutboxRow, *, probe: bool = False
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
        session.in_flight[session.next_tag] = InFlight(row, probe=probe)
        session.in_flight_bytes += len(row.body)
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

    def _check_exchange(self, session: RelaySession, exchange: str) -> None:
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
                self._log.warning("outbox: %s; its messages are recorded unroutable", text)
                session.exchanges_missing[exchange] = text
                self._publish(session)
            else:
                self._fail_session(session, f"checking exchange {exchange!r}: {describe(reason)}")

        def on_open(channel: Channel) -> None:
            channel.add_on_close_callback(self._guarded(on_closed))
            channel.exchange_declare(
                exchange, passive=True, callback=self._guarded(partial(on_ok, channel))
            )

        session.connection.channel(on_open_callback=self._guarded(on_open))

    def _on_return(
        self,
        session: RelaySession,
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
        self._log.warning("return of an unknown message %s: %s", properties.message_id, reason)

    def _on_confirm(self, session: RelaySession, frame: Method[Basic.Ack | Basic.Nack]) -> None:
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
        confirmed = sum(len(entry.row.body) for entry in entries)
        session.in_flight_bytes -= confirmed
        if isinstance(method, Basic.Nack):
            self._bump(nacked=len(entries))
            self._on_nacked(session, entries)
        else:
            self._bump(acks=1, multiple_acks=1 if len(entries) > 1 else 0)
            self._settle([(entry.row.id, entry.returned) for entry in entries])
            for entry in entries:
                hold = session.holds.get(hold_key(entry.row)) if entry.probe else None
                if hold is not None:  # taken: the hold's next row
                    hold.sending = False
                    hold.nacks = 0
                    if hold.rows and hold.rows[0].id == entry.row.id:
                        hold.rows.popleft()
                    self._next_held(session, hold)
        self._confirmed.add(confirmed)
        if self._stopping:
            if not session.in_flight:
                self._close_after_stop(session)
            return
        self._publish(session)
        self._check_drained(session)

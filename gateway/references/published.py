"""Reference lists the modern layer publishes: taken from RabbitMQ into the ledger, the newest
winning, and read back for the check, without a restart.

The modern layer publishes a list to the durable topic exchange ``edi.ref`` under the routing
key ``edi.ref.items.<partner>`` (the partner's routing word) or ``edi.ref.items.all`` (every
partner), as a CloudEvent (structured JSON, ``type`` ``edi.ref.items``)::

    {"specversion": "1.0", "id": "items-2026-12-05-1", "type": "edi.ref.items",
     "source": "erp", "time": "2026-12-05T10:00:00Z",
     "data": {"items": ["SKU-1", "SKU-2"], "locations": ["DC-EAST"]}}

Each gateway instance takes them from a durable queue of its own, ``edi.ref.lists.<instance>``
(bound ``edi.ref.items.#``, dead-lettered to ``edi.dlx``), in a thread of the daemon
(:class:`ReferenceListener`; ``run --once`` takes those waiting when it starts). A list is
stored (:func:`gateway.ledger.reference_lists.store_list`) and committed before it is acked: a
kill at any instant loses none, and one delivered again changes nothing. A list issued before
the one kept for its scope (``time``; without one, when it arrived) is left out; a message that
is no list (not JSON, no ``id``, ``data`` without ``items`` or ``locations`` as lists of texts)
is rejected to the dead-letter exchange, the reason logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Final

import pika
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from sqlalchemy.orm import Session, sessionmaker

from ..bus.topology import DEAD_LETTER_EXCHANGE, routing_word
from ..ledger.reference_lists import ListVersion, list_content, list_versions, store_list
from ..runtime.crashpoints import crash_point
from .lists import SHARED, ReferenceData, parse_list

log = logging.getLogger(__name__)

REFERENCE_EXCHANGE: Final = "edi.ref"
"""Topic exchange, durable: the reference lists the modern layer publishes."""
REFERENCE_ROUTING_KEY: Final = "edi.ref.items.{scope}"
"""Routing key of a list: ``edi.ref.items.<partner>`` or ``edi.ref.items.all``."""
REFERENCE_QUEUE: Final = "edi.ref.lists.{instance}"
"""The queue each gateway instance takes the lists from."""
EVENT_TYPE: Final = "edi.ref.items"


@dataclass(frozen=True, slots=True)
class PublishedList:
    """A list as published: its scope (from the routing key), id, issue time and content."""

    scope: str
    list_id: str
    issued_at: dt.datetime
    content: dict[str, Any]


def read_published(
    body: bytes, routing_key: str, message_id: str | None, *, now: dt.datetime
) -> PublishedList:
    """The list in a message; :class:`ValueError` saying why it is none."""
    prefix = REFERENCE_ROUTING_KEY.format(scope="")
    scope = routing_key.removeprefix(prefix)
    if not routing_key.startswith(prefix) or not scope or "." in scope:
        raise ValueError(f"routing key {routing_key!r} is not {prefix}<partner|all>")
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(event, dict):
        raise ValueError("not a CloudEvent (a JSON object)")
    list_id = event.get("id") or message_id
    if not isinstance(list_id, str) or not list_id.strip():
        raise ValueError("no id (the CloudEvent's id, or the AMQP message id)")
    data = parse_list(event.get("data"), f"list {list_id}")
    if data.items is None and data.locations is None:
        raise ValueError("data has neither items nor locations")
    issued_at = now
    if "time" in event:
        try:
            issued_at = dt.datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"time {event['time']!r} is not an RFC 3339 time") from None
        if issued_at.tzinfo is None:
            raise ValueError(f"time {event['time']!r} has no time zone")
    content = {
        "items": None if data.items is None else sorted(data.items),
        "locations": None if data.locations is None else sorted(data.locations),
    }
    return PublishedList(scope, list_id.strip(), issued_at.astimezone(dt.UTC), content)


@dataclass
class PublishedLists:
    """The lists published for a partner and for all, from the ledger: a callable of
    :class:`~.book.ReferenceBook`. A list's content is read once per version (thread-safe)."""

    _cache: dict[str, tuple[ListVersion, ReferenceData]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, s: Session, partner: str) -> list[ReferenceData]:
        found = []
        for version in list_versions(s, [SHARED, routing_word(partner)]):
            with self._lock:
                cached = self._cache.get(version.scope)
            if cached is not None and cached[0] == version:
                found.append(cached[1])
                continue
            content = list_content(s, version)
            if content is None:
                continue
            source = f"list {version.list_id} published for {version.scope}"
            data = parse_list(content, source)
            with self._lock:
                self._cache[version.scope] = (version, data)
            found.append(data)
        return found


class ReferenceListener:
    """Takes the published lists into the ledger: :meth:`take_waiting` once, or a thread that
    does so every ``poll`` seconds over a connection it keeps (:meth:`start`, :meth:`stop`)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        amqp_url: str,
        queue: str,
        poll: float = 1.0,
        exchange: str = REFERENCE_EXCHANGE,
        dead_letter_exchange: str = DEAD_LETTER_EXCHANGE,
    ) -> None:
        self.factory = factory
        self.amqp_url = amqp_url
        self.queue = queue
        self.poll = poll
        self.exchange = exchange
        self.dead_letter_exchange = dead_letter_exchange
        self._connection: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="reference-lists", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (it closes its connection), or close the connection of
        :meth:`take_waiting` called without one."""
        if self._thread is None:
            self._close()
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def take_waiting(self) -> int:
        """Store every list waiting in the queue; how many were kept (newer than the one kept).
        A broker that cannot be reached raises (:mod:`pika`'s errors)."""
        channel = self._ready_channel()
        kept = 0
        while not self._stop.is_set():
            method, properties, body = channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                break
            tag = method.delivery_tag
            try:
                found = read_published(
                    body,
                    str(method.routing_key),
                    properties.message_id,
                    now=dt.datetime.now(dt.UTC),
                )
            except ValueError as error:
                log.error("reference list on %s refused: %s", method.routing_key, error)
                channel.basic_nack(tag, requeue=False)  # to the dead-letter exchange
                continue
            with self.factory.begin() as s:
                stored = store_list(
                    s,
                    scope=found.scope,
                    list_id=found.list_id,
                    issued_at=found.issued_at,
                    content=found.content,
                )
            crash_point("reference_list_after_commit")
            channel.basic_ack(tag)  # only once committed
            kept += stored
            log.info(
                "reference list %s for %s (issued %s) %s",
                found.list_id,
                found.scope,
                found.issued_at.isoformat(),
                "kept" if stored else "left out: the one kept is as new or newer",
            )
        return kept

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.take_waiting()
            except Exception as error:  # the broker away: tried again at the next poll
                log.warning("taking reference lists failed (%s); trying again", error)
                self._close()
            self._stop.wait(self.poll)
        self._close()  # pika's connection is this thread's alone

    def _ready_channel(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._close()
        parameters = pika.URLParameters(self.amqp_url)
        parameters.client_properties = {"connection_name": "edi-gateway reference lists"}
        self._connection = pika.BlockingConnection(parameters)
        channel = self._connection.channel()
        for exchange in (self.exchange, self.dead_letter_exchange):
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.queue_declare(
            self.queue,
            durable=True,
            arguments={"x-dead-letter-exchange": self.dead_letter_exchange},
        )
        channel.queue_bind(self.queue, self.exchange, REFERENCE_ROUTING_KEY.format(scope="#"))
        self._channel = channel
        return channel

    def _close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # closing a broken connection: nothing more to do
                log.debug("closing the reference lists' connection failed", exc_info=True)

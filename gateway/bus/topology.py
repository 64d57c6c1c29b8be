"""The exchanges and queues the gateway declares on RabbitMQ.

One durable topic exchange receives every inbound canonical message under the routing key
``edi.in.<kind>.<partner>`` (kind = the X12 transaction set id, or ``ta1``). A durable queue
``edi.in.all`` takes everything and dead-letters what its consumers reject to the dead-letter
exchange, whose queue ``edi.dlq`` keeps it. Consumers may bind queues of their own to the exchange;
the gateway publishes with ``mandatory`` set, so a message no queue takes is reported, never lost.

This module is also the source of the AsyncAPI document (:func:`asyncapi_document`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pika.adapters.blocking_connection import BlockingChannel

if TYPE_CHECKING:
    from pika.channel import Channel

INBOUND_EXCHANGE = "edi.in"
"""Topic exchange, durable: every inbound canonical message."""
DEAD_LETTER_EXCHANGE = "edi.dlx"
"""Topic exchange, durable: messages the gateway's queues dead-letter (routing key kept)."""
ROUTING_KEY = "edi.in.{kind}.{partner}"
"""Routing key of an inbound message, e.g. ``edi.in.850.acme``; kind = ST01 or ``ta1``."""
ALL_QUEUE = "edi.in.all"
DEAD_LETTER_QUEUE = "edi.dlq"

KIND_MESSAGES: Mapping[str, str] = {
    "850": "PurchaseOrder",
    "855": "PurchaseOrderAck",
    "856": "ShipNotice",
    "997": "FunctionalAck",
    "999": "FunctionalAck",
    "ta1": "InterchangeAck",
}
"""Each routing-key kind and the canonical message (:mod:`gateway.messages`) it carries."""

_UNSAFE_WORD = re.compile(r"[^A-Za-z0-9_-]")


def routing_word(value: str) -> str:
    """``value`` as exactly one word of a topic routing key: characters other than letters,
    digits, ``_`` and ``-`` become ``_`` (``acme.eu`` -> ``acme_eu``)."""
    return _UNSAFE_WORD.sub("_", value) or "_"


def routing_key(kind: str, partner: str) -> str:
    """The routing key of a message: ``edi.in.<kind>.<partner>``.

    A topic routing key is a list of dot-separated words, and ``*``/``#`` are wildcards in
    bindings: any character of the kind or partner other than letters, digits, ``_`` and ``-`` is
    replaced by ``_`` so that each stays exactly one word (``acme.eu`` -> ``acme_eu``).
    """
    return ROUTING_KEY.format(kind=routing_word(kind.lower()), partner=routing_word(partner))


ExchangeRole = Literal["inbound", "dead_letter"]


@dataclass(frozen=True)
class QueueSpec:
    """A queue the gateway declares, and what binds it.

    ``source`` names the exchange it binds to by role, so the same specs serve any exchange
    names (tests use unique ones). ``dead_lettered`` queues get ``x-dead-letter-exchange`` = the
    dead-letter exchange: a message rejected without requeue, or expired, goes there.
    """

    name: str
    bindings: tuple[str, ...]
    source: ExchangeRole = "inbound"
    dead_lettered: bool = True
    queue_type: Literal["classic", "quorum"] = "classic"
    arguments: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def queue_arguments(self, dead_letter_exchange: str) -> dict[str, Any]:
        """The ``x-`` arguments the queue is declared with."""
        args: dict[str, Any] = {}
        if self.queue_type == "quorum":
            args["x-queue-type"] = "quorum"
        if self.dead_lettered:
            args["x-dead-letter-exchange"] = dead_letter_exchange
        args.update(self.arguments)
        return args


DEFAULT_QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        ALL_QUEUE,
        ("edi.in.#",),
        description="Every inbound canonical message; rejected messages are dead-lettered.",
    ),
    QueueSpec(
        DEAD_LETTER_QUEUE,
        ("#",),
        source="dead_letter",
        dead_lettered=False,
        description="Messages dead-lettered by the gateway's queues, with their x-death history.",
    ),
)


@dataclass(frozen=True)
class Topology:
    """Exchange names plus queue specs: what :func:`declare` creates."""

    exchange: str = INBOUND_EXCHANGE
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE
    queues: tuple[QueueSpec, ...] = DEFAULT_QUEUES

    def exchange_for(self, role: ExchangeRole) -> str:
        return self.exchange if role == "inbound" else self.dead_letter_exchange

    @property
    def exchanges(self) -> tuple[str, str]:
        return (self.exchange, self.dead_letter_exchange)


DEFAULT_TOPOLOGY = Topology()


def declare(
    channel: BlockingChannel | Channel,
    *,
    queues: Sequence[QueueSpec] = DEFAULT_QUEUES,
    exchange: str = INBOUND_EXCHANGE,
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE,
    on_done: Callable[[], object] | None = None,
) -> None:
    """Declare the exchanges, queues and bindings (idempotent: safe on every (re)connect).

    With a :class:`~pika.adapters.blocking_connection.BlockingChannel` every declaration is done
    when this returns. With an asynchronous :class:`~pika.channel.Channel` the declarations are
    queued in order (pika sends one synchronous method at a time) and ``on_done`` is called once
    the broker has answered the last one; a failure closes the channel instead (406
    PRECONDITION_FAILED when an existing queue has other arguments).
    """
    topology = Topology(exchange, dead_letter_exchange, tuple(queues))
    steps: list[tuple[str, dict[str, Any]]] = []
    for name in topology.exchanges:
        steps.append(
            (
                "exchange_declare",
                {"exchange": name, "exchange_type": "topic", "durable": True},
            )
        )
    for queue in topology.queues:
        steps.append(
            (
                "queue_declare",
                {
                    "queue": queue.name,
                    "durable": True,
                    "arguments": queue.queue_arguments(topology.dead_letter_exchange),
                },
            )
        )
        for key in queue.bindings:
            steps.append(
                (
                    "queue_bind",
                    {
                        "queue": queue.name,
                        "exchange": topology.exchange_for(queue.source),
                        "routing_key": key,
                    },
                )
            )

    if isinstance(channel, BlockingChannel):
        for method, kwargs in steps:
            getattr(channel, method)(**kwargs)
        if on_done is not None:
            on_done()
        return

    # Every step waits for its -Ok (no nowait), so a failure is reported by the step that caused it.
    def ignore(_frame: object) -> None:
        return None

    def finish(_frame: object) -> None:
        if on_done is not None:
            on_done()

    for index, (method, kwargs) in enumerate(steps):
        last = index == len(steps) - 1
        getattr(channel, method)(**kwargs, callback=finish if last else ignore)


def asyncapi_document(
    *,
    exchange: str = INBOUND_EXCHANGE,
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE,
    queues: Sequence[QueueSpec] = DEFAULT_QUEUES,
    server_url: str = "localhost:5672",
) -> dict[str, Any]:
    """The AsyncAPI 2.6.0 document of this topology (see :mod:`gateway.bus.asyncapi`)."""
    from .asyncapi import asyncapi_document as build

    return build(
        Topology(exchange, dead_letter_exchange, tuple(queues)),
        server_url=server_url,
    )

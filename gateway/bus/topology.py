"""The exchanges and queues the gateway declares on RabbitMQ.

One durable topic exchange receives every inbound canonical message under the routing key
``edi.in.<kind>.<partner>`` (kind = the X12 transaction set id, or ``ta1``). A durable queue
``edi.in.all`` takes everything and dead-letters what its consumers reject to the dead-letter
exchange, whose queue ``edi.dlq`` keeps it. Consumers may bind queues of their own to the exchange;
the gateway publishes with ``mandatory`` set, so a message no queue takes is reported, never lost.

Outbound, the other way: the modern layer publishes requests (ship notices, PO
acknowledgements to send to a partner) to the durable topic exchange ``edi.out`` under
``edi.out.<kind>.<partner>``; the gateway consumes them from the durable queue
``edi.out.requests`` (bound ``edi.out.#``, dead-lettered to ``edi.dlx``) and announces what became
of each on the topic exchange ``edi.events`` (``edi.status.<state>.<partner>``), where the queue
``edi.events.all`` takes every status event.

Each exchange has a role (:data:`ExchangeRole`); queues name the exchange they bind to by role.

The AsyncAPI document of this topology is :func:`gateway.bus.asyncapi.asyncapi_document`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
TEST_ROUTING_KEY = "edi.test.{kind}.{partner}"
"""Routing key of an inbound test document (X12 ISA15 ``T``/``I``), e.g. ``edi.test.850.acme``:
bindings on ``edi.in.#`` (production consumers) never see it."""
ALL_QUEUE = "edi.in.all"
DEAD_LETTER_QUEUE = "edi.dlq"
REQUEST_EXCHANGE = "edi.out"
"""Topic exchange, durable: outbound requests from the modern layer."""
REQUEST_ROUTING_KEY = "edi.out.{kind}.{partner}"
"""Routing key of an outbound request, e.g. ``edi.out.856.acme``; kind = 856 or 855."""
REQUEST_QUEUE = "edi.out.requests"
EVENTS_EXCHANGE = "edi.events"
"""Topic exchange, durable: status events of outbound documents (``edi.status.<state>.<p>``)."""
EVENTS_QUEUE = "edi.events.all"

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


def routing_key(kind: str, partner: str, *, test: bool = False) -> str:
    """The routing key of a message: ``edi.in.<kind>.<partner>``, or ``edi.test.<kind>.<partner>``
    for a test document.

    A topic routing key is a list of dot-separated words, and ``*``/``#`` are wildcards in
    bindings: any character of the kind or partner other than letters, digits, ``_`` and ``-`` is
    replaced by ``_`` so that each stays exactly one word (``acme.eu`` -> ``acme_eu``).
    """
    template = TEST_ROUTING_KEY if test else ROUTING_KEY
    return template.format(kind=routing_word(kind.lower()), partner=routing_word(partner))


def request_routing_key(kind: str, partner: str) -> str:
    """The routing key of an outbound request: ``edi.out.<kind>.<partner>``."""
    return REQUEST_ROUTING_KEY.format(
        kind=routing_word(kind.lower()), partner=routing_word(partner)
    )


ExchangeRole = Literal["inbound", "dead_letter", "requests", "events"]
"""inbound: canonical messages the gateway publishes; dead_letter: what queues dead-letter;
requests: outbound requests the gateway consumes; events: status events the gateway publishes."""


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
    QueueSpec(
        REQUEST_QUEUE,
        ("edi.out.#",),
        source="requests",
        description="Outbound requests the gateway consumes (manual acks, bounded prefetch); "
        "an invalid one is dead-lettered with the reason in its x-edi-error header.",
    ),
    QueueSpec(
        EVENTS_QUEUE,
        ("#",),
        source="events",
        description="Every status event of outbound documents (sent, invalid, accepted, ...).",
    ),
)


@dataclass(frozen=True)
class Topology:
    """Exchange names (one per role) plus queue specs: what :func:`declare` creates."""

    exchange: str = INBOUND_EXCHANGE
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE
    queues: tuple[QueueSpec, ...] = DEFAULT_QUEUES
    request_exchange: str = REQUEST_EXCHANGE
    events_exchange: str = EVENTS_EXCHANGE

    def exchange_for(self, role: ExchangeRole) -> str:
        return {
            "inbound": self.exchange,
            "dead_letter": self.dead_letter_exchange,
            "requests": self.request_exchange,
            "events": self.events_exchange,
        }[role]

    @property
    def exchanges(self) -> tuple[str, ...]:
        """Every exchange, by role (inbound, dead letter, requests, events), each once."""
        names = (
            self.exchange,
            self.dead_letter_exchange,
            self.request_exchange,
            self.events_exchange,
        )
        return tuple(dict.fromkeys(names))

    def with_request_queue(self, name: str, bindings: tuple[str, ...]) -> Topology:
        """This topology with its request queue named ``name`` and bound with ``bindings``."""
        spec = self.queue_for("requests") or QueueSpec(name, bindings, source="requests")
        queues = tuple(q for q in self.queues if q.source != "requests")
        return replace(self, queues=(*queues, replace(spec, name=name, bindings=bindings)))

    def queue_for(self, role: ExchangeRole) -> QueueSpec | None:
        """The first queue bound to the exchange of ``role`` (the request queue for
        ``requests``)."""
        return next((q for q in self.queues if q.source == role), None)


DEFAULT_TOPOLOGY = Topology()


def declare(
    channel: BlockingChannel | Channel,
    *,
    queues: Sequence[QueueSpec] = DEFAULT_QUEUES,
    exchange: str = INBOUND_EXCHANGE,
    dead_letter_exchange: str = DEAD_LETTER_EXCHANGE,
    on_done: Callable[[], object] | None = None,
    topology: Topology | None = None,
) -> None:
    """Declare the exchanges, queues and bindings (idempotent: safe on every (re)connect).

    ``topology``, when given, says it all (``queues``, ``exchange`` and ``dead_letter_exchange``
    are then ignored); otherwise the request and events exchanges get their default names.

    With a :class:`~pika.adapters.blocking_connection.BlockingChannel` every declaration is done
    when this returns. With an asynchronous :class:`~pika.channel.Channel` the declarations are
    queued in order (pika sends one synchronous method at a time) and ``on_done`` is called once
    the broker has answered the last one; a failure closes the channel instead (406
    PRECONDITION_FAILED when an existing queue has other arguments).
    """
    if topology is None:
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

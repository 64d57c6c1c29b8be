"""The exchanges and queues the gateway declares on RabbitMQ.

One durable topic exchange receives every inbound canonical message under the routing key
``edi.in.<kind>.<partner>`` (kind = the X12 transaction set id, or ``ta1``). Consumers bind queues
of their own to the exchange; the gateway publishes with ``mandatory`` set, so a message no queue
takes is reported, never lost. The catch-all queue ``edi.in.all`` takes everything, for looking:
it is bounded (:data:`CATCH_ALL_MAX_LENGTH` messages, the oldest dropped beyond, so a full one
never refuses a publish) and not dead-lettered, so that what it drops does not fill the
dead-letter queue ``edi.dlq``, which keeps (bounded too) what the dead-letter exchange
``edi.dlx`` receives.

Outbound, the other way: the modern layer publishes requests (ship notices, PO
acknowledgements to send to a partner) to the durable topic exchange ``edi.out`` under
``edi.out.<kind>.<partner>``; each gateway instance consumes them from a durable queue of its own
(``edi.out.requests.<instance>`` by default, bound ``edi.out.#``, dead-lettered to ``edi.dlx``)
and announces what became of each on the topic exchange ``edi.events``
(``edi.status.<state>.<partner>``), where the catch-all ``edi.events.all`` (bounded, not
dead-lettered) takes every status event.

Each exchange has a role (:data:`ExchangeRole`); queues name the exchange they bind to by role.
The bounds come from the settings (:meth:`Topology.with_bounds`); a queue the broker already has
with other arguments is taken as it is (:mod:`.existing`).

The AsyncAPI document of this topology is :func:`gateway.bus.asyncapi.asyncapi_document`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
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
CATCH_ALL_MAX_LENGTH = 10_000
"""Messages each catch-all queue (``edi.in.all``, ``edi.events.all``) keeps by default; the
oldest are dropped beyond (setting ``catch_all_max_length``)."""
DEAD_LETTER_MAX_LENGTH = 100_000
"""Messages the dead-letter queue keeps by default; the oldest are dropped beyond (setting
``dead_letter_max_length``)."""
REQUEST_EXCHANGE = "edi.out"
"""Topic exchange, durable: outbound requests from the modern layer."""
REQUEST_ROUTING_KEY = "edi.out.{kind}.{partner}"
"""Routing key of an outbound request, e.g. ``edi.out.856.acme``; kind = 856, 855, 846, 940, 810
or 943."""
REQUEST_QUEUE = "edi.out.requests"
"""The request queue's name before it was one per instance; the settings name it
(``outbound_queue``, ``edi.out.requests.{instance}`` by default)."""
EVENTS_EXCHANGE = "edi.events"
"""Topic exchange, durable: status events of outbound documents (``edi.status.<state>.<p>``)."""
EVENTS_QUEUE = "edi.events.all"

KIND_MESSAGES: Mapping[str, str] = {
    "850": "PurchaseOrder",
    "855": "PurchaseOrderAck",
    "856": "ShipNotice",
    "846": "InventoryAdvice",
    "940": "WarehouseShippingOrder",
    "945": "WarehouseShippingAdvice",
    "810": "Invoice",
    "943": "StockTransferShipment",
    "944": "StockTransferReceipt",
    "947": "InventoryAdjustment",
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


def bounded(max_length: int) -> dict[str, Any]:
    """The arguments of a queue that keeps at most ``max_length`` messages: beyond, the oldest
    is dropped (``drop-head``; dead-lettered when the queue is), so a publish is never refused
    (``reject-publish`` would nack it, and the relay would hold its routing key)."""
    return {"x-max-length": max_length, "x-overflow": "drop-head"}


ExchangeRole = Literal["inbound", "dead_letter", "requests", "events"]
"""inbound: canonical messages the gateway publishes; dead_letter: what queues dead-letter;
requests: outbound requests the gateway consumes; events: status events the gateway publishes."""


@dataclass(frozen=True)
class QueueSpec:
    """A queue the gateway declares, and what binds it.

    ``source`` names the exchange it binds to by role, so the same specs serve any exchange
    names (tests use unique ones). ``dead_lettered`` queues get ``x-dead-letter-exchange`` = the
    dead-letter exchange: a message rejected without requeue, expired, or dropped by a bound,
    goes there. A ``catch_all`` queue takes everything of its exchange for looking at, bounded
    (:meth:`Topology.with_bounds`).
    """

    name: str
    bindings: tuple[str, ...]
    source: ExchangeRole = "inbound"
    dead_lettered: bool = True
    queue_type: Literal["classic", "quorum"] = "classic"
    arguments: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    catch_all: bool = False

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
        dead_lettered=False,
        arguments=bounded(CATCH_ALL_MAX_LENGTH),
        description="Every inbound canonical message, for looking: the latest ones only (the "
        "oldest dropped beyond its bound), not dead-lettered; consume from a queue of your own.",
        catch_all=True,
    ),
    QueueSpec(
        DEAD_LETTER_QUEUE,
        ("#",),
        source="dead_letter",
        dead_lettered=False,
        arguments=bounded(DEAD_LETTER_MAX_LENGTH),
        description="Messages dead-lettered by the gateway's queues, with their x-death history "
        "(the oldest dropped beyond its bound).",
    ),
    QueueSpec(
        REQUEST_QUEUE,
        ("edi.out.#",),
        source="requests",
        description="Outbound requests the gateway consumes (manual acks, bounded prefetch); "
        "an invalid one is dead-lettered with the reason in its x-edi-error header. Each "
        "instance has its own, named by its setting outbound_queue "
        "(edi.out.requests.<instance> by default).",
    ),
    QueueSpec(
        EVENTS_QUEUE,
        ("#",),
        source="events",
        dead_lettered=False,
        arguments=bounded(CATCH_ALL_MAX_LENGTH),
        description="Every status event of outbound documents (sent, invalid, accepted, ...), "
        "for looking: the latest ones only, not dead-lettered.",
        catch_all=True,
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

    def with_bounds(self, catch_all: int, dead_letters: int) -> Topology:
        """This topology with each catch-all queue keeping at most ``catch_all`` messages (none
        declared when 0) and the dead-letter queue at most ``dead_letters``."""
        queues = []
        for spec in self.queues:
            if spec.catch_all and catch_all == 0:
                continue
            if spec.catch_all or spec.source == "dead_letter":
                limit = catch_all if spec.catch_all else dead_letters
                spec = replace(spec, arguments={**spec.arguments, **bounded(limit)})
            queues.append(spec)
        return replace(self, queues=tuple(queues))

    def spec(self, queue: str) -> QueueSpec | None:
        """The spec of the queue named ``queue``, if the topology declares it."""
        return next((q for q in self.queues if q.name == queue), None)

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
    as_they_are: Collection[str] = (),
) -> None:
    """Declare the exchanges, queues and bindings (idempotent: safe on every (re)connect).

    ``topology``, when given, says it all (``queues``, ``exchange`` and ``dead_letter_exchange``
    are then ignored); otherwise the request and events exchanges get their default names.
    The queues named in ``as_they_are`` are declared passively: used with the arguments the
    broker has for them (404 NOT_FOUND when there is no such queue), and bound.

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
        if queue.name in as_they_are:
            steps.append(("queue_declare", {"queue": queue.name, "passive": True}))
        else:
            arguments = queue.queue_arguments(topology.dead_letter_exchange)
            steps.append(
                ("queue_declare", {"queue": queue.name, "durable": True, "arguments": arguments})
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

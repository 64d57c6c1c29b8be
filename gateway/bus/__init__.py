"""The RabbitMQ side: topology (exchanges, queues, AsyncAPI), CloudEvents envelopes, and the relay
that drains the ledger's outbox with publisher confirms.

Only the relay talks to the broker, from its own thread; the pipeline writes outbox rows and never
touches pika.
"""

from .cloudevents import CONTENT_TYPE, cloud_event
from .topology import (
    DEAD_LETTER_EXCHANGE,
    DEFAULT_QUEUES,
    INBOUND_EXCHANGE,
    ROUTING_KEY,
    QueueSpec,
    Topology,
    asyncapi_document,
    declare,
    routing_key,
)

__all__ = [
    "CONTENT_TYPE",
    "DEAD_LETTER_EXCHANGE",
    "DEFAULT_QUEUES",
    "INBOUND_EXCHANGE",
    "ROUTING_KEY",
    "QueueSpec",
    "Topology",
    "asyncapi_document",
    "cloud_event",
    "declare",
    "routing_key",
]

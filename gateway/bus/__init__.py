"""The RabbitMQ side: topology (exchanges, queues; its AsyncAPI document: :mod:`.asyncapi`,
imported on its own, as it describes every module that publishes), CloudEvents envelopes, the relay
that drains the ledger's outbox with publisher confirms, and the consumer of outbound requests.

Only the relay and the consumer talk to the broker, each from its own thread over its own
connection (:mod:`.connection`), both on one session state machine (:mod:`.session`: connect,
channel, confirms, declare, backoff); the pipelines write the ledger and never touch pika. The
relay (:mod:`.relay`) is built of layers, one module each: what became of each publish
(:mod:`.outcomes`), reading the outbox (:mod:`.reading`), partners held by the broker's nacks
(:mod:`.holds`) and the publish window (:mod:`.publishing`).
"""

from .cloudevents import CONTENT_TYPE, cloud_event
from .topology import (
    DEAD_LETTER_EXCHANGE,
    DEFAULT_QUEUES,
    INBOUND_EXCHANGE,
    ROUTING_KEY,
    QueueSpec,
    Topology,
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
    "cloud_event",
    "declare",
    "routing_key",
]

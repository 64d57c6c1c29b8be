"""The ports: what the core asks of a format (:mod:`.formats`) and of a channel
(:mod:`.channels`). Adapters implement them; ``adapters/__init__.py`` registers them."""

from ..errors import ChannelError, DocumentRefused
from .channels import (
    Channel,
    ChannelConfig,
    CollectReport,
    CronSchedule,
    DeliveryReport,
    IntervalSchedule,
    Pickup,
    Spool,
)
from .formats import (
    DocumentHook,
    Draft,
    Format,
    FormatConfig,
    InboundPolicy,
    ParsedDocument,
    Parser,
    ParseResult,
    RenderedDocument,
    Reply,
    StreamingParser,
    collect,
)

__all__ = [
    "Channel",
    "ChannelConfig",
    "ChannelError",
    "CollectReport",
    "CronSchedule",
    "DeliveryReport",
    "DocumentHook",
    "DocumentRefused",
    "Draft",
    "Format",
    "FormatConfig",
    "InboundPolicy",
    "IntervalSchedule",
    "ParseResult",
    "ParsedDocument",
    "Parser",
    "Pickup",
    "RenderedDocument",
    "Reply",
    "Spool",
    "StreamingParser",
    "collect",
]

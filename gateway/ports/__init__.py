"""The ports: what the core asks of a format (:mod:`.formats`) and of a channel
(:mod:`.channels`). Adapters implement them; ``adapters/__init__.py`` registers them."""

from ..errors import DocumentRefused
from .channels import Channel, ChannelConfig, Service
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
)

__all__ = [
    "Channel",
    "ChannelConfig",
    "DocumentHook",
    "DocumentRefused",
    "Draft",
    "Format",
    "FormatConfig",
    "InboundPolicy",
    "ParseResult",
    "ParsedDocument",
    "Parser",
    "RenderedDocument",
    "Reply",
    "Service",
]

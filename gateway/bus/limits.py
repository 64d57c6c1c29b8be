"""What an AMQP 0-9-1 publish can carry, and ids that always fit.

Short strings hold at most :data:`SHORT_STRING` bytes of UTF-8: a publish's exchange and routing
key, the message properties that are text (message id, correlation id, type, app id...) and
every name in a headers table (values are long strings: no such limit). pika encodes a whole
publish before it writes any of it, so a publish that cannot be encoded raises
(``ShortStringTooLong``, ``UnsupportedAMQPFieldException``, ``UnicodeEncodeError``...) and leaves
the channel as it was: :func:`publish_problem` then says which part is at fault, so that the
message can be set aside with that reason while the others go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pika import frame
from pika.spec import Basic, BasicProperties

from .connection import describe

SHORT_STRING = 255
"""Bytes an AMQP short string holds."""
SHORT_PROPERTIES = (
    "content_type",
    "content_encoding",
    "message_id",
    "correlation_id",
    "reply_to",
    "expiration",
    "type",
    "user_id",
    "app_id",
    "cluster_id",
)
"""The message properties that are short strings."""


def digest_id(value: str | bytes) -> str:
    """``sha256:<64 hex digits>`` of ``value``: a stable id of 71 ASCII characters for a value
    that cannot serve as one as it is (too long, control characters, not UTF-8)."""
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def publish_problem(exchange: str, routing_key: str, properties: BasicProperties) -> str | None:
    """Why a publish of ``properties`` to ``exchange`` with ``routing_key`` cannot be encoded,
    naming the part at fault; None when it can."""
    texts: dict[str, Any] = {"exchange": exchange, "routing key": routing_key}
    texts.update((name.replace("_", " "), getattr(properties, name)) for name in SHORT_PROPERTIES)
    for name, value in texts.items():
        problem = _short_string_problem(value)
        if problem is not None:
            return f"its {name} {problem}"
    headers = properties.headers
    if isinstance(headers, Mapping):
        problem = _header_names_problem(headers, "")
        if problem is not None:
            return problem
    try:
        frame.Method(1, Basic.Publish(exchange=exchange, routing_key=routing_key)).marshal()
        properties.encode()
    except Exception as error:
        return f"its properties cannot be encoded: {describe(error)}"
    return None


def _short_string_problem(value: object) -> str | None:
    if value is None:
        return None
    try:
        size = len(value if isinstance(value, bytes) else str(value).encode("utf-8"))
    except UnicodeEncodeError as error:
        return f"is not UTF-8 ({describe(error)})"
    if size > SHORT_STRING:
        return f"is {size:,} bytes long: AMQP short strings hold at most {SHORT_STRING}"
    return None


def _header_names_problem(table: Mapping[Any, Any], where: str) -> str | None:
    for name, value in table.items():
        problem = _short_string_problem(name)
        if problem is not None:
            shown = str(name)[:40]
            return f"its header name {where}{shown!r}... {problem}"
        if isinstance(value, Mapping):
            problem = _header_names_problem(value, f"{where}{name}.")
            if problem is not None:
                return problem
    return None

"""What the relay and the request consumer share about their broker connections: how they
connect, how long they wait before connecting again, and how they name a problem in the logs."""

from __future__ import annotations

import random
from urllib.parse import urlsplit, urlunsplit

import pika

APP_ID = "edi-gateway"
"""The AMQP ``app_id`` of every message the gateway publishes."""


def connection_parameters(
    url: str, connection_name: str, *, heartbeat: int | None = None
) -> pika.URLParameters:
    """Parameters for one attempt to connect (the caller schedules the next one, see
    :func:`backoff_delay`), named so that the broker's management UI shows who is connected."""
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.retry_delay = 0
    params.socket_timeout = 5
    params.stack_timeout = 15
    if heartbeat is not None:
        params.heartbeat = heartbeat
    params.client_properties = {"connection_name": connection_name}
    return params


def backoff_delay(attempt: int, initial: float, maximum: float) -> float:
    """Seconds to wait before connecting again after ``attempt`` failures in a row: doubling
    from ``initial``, capped at ``maximum``, with jitter (a random point in the upper half, so
    that clients reconnecting together do not stampede)."""
    ceiling = min(maximum, initial * (2.0 ** min(attempt, 30)))
    return ceiling * random.uniform(0.5, 1.0)


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (safe to log)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        userinfo, _, host = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    except ValueError:
        return "<unparsable AMQP URL>"


def describe(error: BaseException | str) -> str:
    """A one-line description of an error, with its type (pika nests its causes)."""
    if isinstance(error, str):
        return error
    name = type(error).__name__
    text = str(error)
    if text:
        return f"{name}: {text}"
    if error.args and isinstance(error.args[-1], BaseException):
        return f"{name}: {describe(error.args[-1])}"
    text = repr(error)
    return text if text.startswith(name) else f"{name}: {text}"

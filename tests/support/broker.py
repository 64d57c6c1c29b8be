"""The test session's own RabbitMQ virtual host on the real broker (127.0.0.1:5672).

Every test talks to the broker through :data:`AMQP_URL`, whose virtual host is made for this test
session (``rabbitmqctl add_vhost``) and deleted when it ends, with every exchange, queue and
message in it. So a gateway daemon left running elsewhere on the machine, or another test
session, can never take this session's messages, and nothing is left behind on the broker.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterable, Iterator
from urllib.parse import quote

HOST = "127.0.0.1"
PORT = 5672
VHOST = f"edigw-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
AMQP_URL = f"amqp://guest:guest@{HOST}:{PORT}/{quote(VHOST, safe='')}"

HOW_TO_START = (
    f"These tests need the real RabbitMQ on {HOST}:{PORT} (user guest, password guest) and its "
    "rabbitmqctl, run as root. Start it with `rabbitmq-server -detached` (install it first with "
    "`apt-get install -y rabbitmq-server` if the command is missing), wait until "
    "`rabbitmqctl await_startup` returns, then run the tests again (scripts/test does all that)."
)


class BrokerUnavailable(RuntimeError):
    """rabbitmqctl could not make or remove the session's virtual host."""


def rabbitmqctl(*args: str) -> str:
    """Run ``rabbitmqctl ARGS`` beside the broker; returns what it printed."""
    try:
        done = subprocess.run(
            ["rabbitmqctl", *args], capture_output=True, text=True, timeout=120, check=False
        )
    except FileNotFoundError as error:
        raise BrokerUnavailable(f"rabbitmqctl is missing. {HOW_TO_START}") from error
    if done.returncode != 0:
        raise BrokerUnavailable(
            f"rabbitmqctl {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}. "
            f"{HOW_TO_START}"
        )
    return done.stdout.strip()


def create_vhost() -> None:
    """Make the session's virtual host and let ``guest`` use all of it."""
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")


def delete_vhost() -> None:
    rabbitmqctl("delete_vhost", VHOST)


def url_via(port: int) -> str:
    """:data:`AMQP_URL` through another loopback port (a proxy in front of the broker)."""
    return f"amqp://guest:guest@{HOST}:{port}/{quote(VHOST, safe='')}"


@contextlib.contextmanager
def own_vhost() -> Iterator[str]:
    """The session's virtual host for the block (benchmarks: a daemon running elsewhere on the
    machine must not take their messages), deleted with all it holds afterwards."""
    create_vhost()
    try:
        yield VHOST
    finally:
        delete_vhost()


def empty_queues(names: Iterable[str]) -> None:
    """Empty these queues of the session's virtual host (those not declared yet are skipped)."""
    import pika  # here: the fixtures above need no client library

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        for name in names:
            try:
                channel.queue_purge(name)
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nothing to empty
                channel = connection.channel()
    finally:
        connection.close()

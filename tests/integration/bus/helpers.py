"""Test-side helpers for the bus tests: a ledger on SQLite with real outbox rows, and a blocking
pika connection to look at (and clean up) what the relay declared and published.

Every test gets names of its own (``edigw-test.<random>.*``), so runs never collide and the
broker is left as it was found.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pytest
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import BasicProperties
from sqlalchemy import Engine, update

from gateway import ledger as repository
from gateway.bus.cloudevents import cloud_event
from gateway.bus.connection import describe
from gateway.bus.relay import OutboxRelay
from gateway.bus.topology import QueueSpec, declare, routing_key
from gateway.ledger import (
    DocumentState,
    OutboxRow,
    OutboxState,
    create_engine_for,
    migrate,
    session_factory,
)
from gateway.ledger.models import OUTBOX
from gateway.messages import Envelope, PurchaseOrder, PurchaseOrderLine, X12Envelope
from tests.integration.support import wait_for
from tests.support import broker_wide
from tests.support.broker import AMQP_URL, HOW_TO_START
from tests.support.broker import HOST as RABBITMQ_HOST
from tests.support.broker import PORT as RABBITMQ_PORT


def require_rabbitmq(url: str = AMQP_URL) -> None:
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = 3
    try:
        connection = pika.BlockingConnection(params)
    except Exception as exc:
        pytest.fail(
            f"RabbitMQ is not reachable at {RABBITMQ_HOST}:{RABBITMQ_PORT} "
            f"({describe(exc)}). {HOW_TO_START}",
            pytrace=False,
        )
    connection.close()


@contextlib.contextmanager
def broker_max_message_size(limit: int) -> Iterator[None]:
    """The local broker takes messages of at most ``limit`` bytes (on channels opened meanwhile),
    set with ``rabbitmqctl`` (as root, beside the broker); its own limit is restored after."""

    def rabbit(expression: str) -> str:
        try:
            done = subprocess.run(
                ["rabbitmqctl", "eval", expression], capture_output=True, text=True, timeout=60
            )
        except FileNotFoundError:
            pytest.fail(f"rabbitmqctl is missing. {HOW_TO_START}", pytrace=False)
        if done.returncode != 0:
            pytest.fail(f"rabbitmqctl eval failed: {done.stderr or done.stdout}", pytrace=False)
        return done.stdout.strip()

    with broker_wide.alone():  # every test publishing meanwhile would have the limit too
        before = rabbit("application:get_env(rabbit, max_message_size).")  # {ok,134217728}
        rabbit(f"application:set_env(rabbit, max_message_size, {limit}).")
        try:
            yield
        finally:
            if before.startswith("{ok,"):
                rabbit(f"application:set_env(rabbit, max_message_size, {before[4:-1]}).")
            else:
                rabbit("application:unset_env(rabbit, max_message_size).")


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.02) -> None:
    """:func:`~tests.integration.support.wait_for`, polling more often (the relay tests time
    confirms and reconnects)."""
    wait_for(what, condition, timeout, interval)


@dataclass(frozen=True)
class Names:
    """Unique exchange and queue names for one test."""

    prefix: str

    @classmethod
    def fresh(cls) -> Names:
        return cls(f"edigw-test.{uuid.uuid4().hex[:12]}")

    @property
    def exchange(self) -> str:
        return f"{self.prefix}.in"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dlx"

    @property
    def all_queue(self) -> str:
        return f"{self.prefix}.all"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}.dlq"

    def queue(self, suffix: str) -> str:
        return f"{self.prefix}.{suffix}"

    @property
    def queues(self) -> tuple[QueueSpec, ...]:
        """The gateway's default queues, under this test's names."""
        return (
            QueueSpec(self.all_queue, ("edi.in.#",)),
            QueueSpec(self.dead_letter_queue, ("#",), source="dead_letter", dead_lettered=False),
        )


@dataclass(frozen=True)
class Received:
    routing_key: str
    properties: BasicProperties
    body: bytes
    redelivered: bool


class Broker:
    """A blocking connection for the test thread: declare, inspect, consume, clean up."""

    def __init__(self, names: Names, url: str = AMQP_URL) -> None:
        self.names = names
        self.url = url
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel: BlockingChannel = self.connection.channel()
        self.queues: set[str] = {names.all_queue, names.dead_letter_queue}
        self.exchanges: set[str] = {names.exchange, names.dead_letter_exchange}

    def declare(self, queues: Sequence[QueueSpec] | None = None) -> None:
        specs = self.names.queues if queues is None else tuple(queues)
        self.queues.update(spec.name for spec in specs)
        declare(
            self.channel,
            queues=specs,
            exchange=self.names.exchange,
            dead_letter_exchange=self.names.dead_letter_exchange,
        )

    def bind(self, queue: str, key: str, *, arguments: dict[str, Any] | None = None) -> None:
        self.queues.add(queue)
        self.channel.queue_declare(queue, durable=True, arguments=arguments)
        self.channel.queue_bind(queue, self.names.exchange, key)

    def depth(self, queue: str) -> int:
        """Messages ready in ``queue`` (0 while it does not exist yet)."""
        try:
            return int(self.channel.queue_declare(queue, passive=True).method.message_count)
        except pika.exceptions.ChannelClosedByBroker:
            self.channel = self.connection.channel()
            return 0

    def exchange_exists(self, name: str) -> bool:
        try:
            self.channel.exchange_declare(name, passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            self.channel = self.connection.channel()
            return False
        return True

    def take(self, queue: str, count: int, timeout: float = 10.0) -> list[Received]:
        """Consume (and ack) exactly ``count`` messages, or fail after ``timeout``. Each is
        acked as it is taken, not on delivery: the broker may push more to the consumer than
        ``count`` (a relay publishing meanwhile), and those, not taken, are requeued when it is
        cancelled, where with ``auto_ack`` they were dropped with it."""
        got: list[Received] = []
        deadline = time.monotonic() + timeout
        if count:
            for method, properties, body in self.channel.consume(
                queue, auto_ack=False, inactivity_timeout=0.2
            ):
                if method is not None:
                    assert properties is not None and body is not None
                    self.channel.basic_ack(method.delivery_tag)
                    got.append(
                        Received(
                            str(method.routing_key), properties, body, bool(method.redelivered)
                        )
                    )
                if len(got) >= count or time.monotonic() > deadline:
                    break
            self.channel.cancel()
        assert len(got) == count, f"{queue}: expected {count} message(s), got {len(got)}"
        return got

    def take_all(self, queue: str, quiet: float = 0.5, timeout: float = 30.0) -> list[Received]:
        """Consume until ``queue`` stays empty for ``quiet`` seconds."""
        got: list[Received] = []
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        for method, properties, body in self.channel.consume(
            queue, auto_ack=True, inactivity_timeout=0.1
        ):
            now = time.monotonic()
            if method is not None:
                assert properties is not None and body is not None
                got.append(
                    Received(str(method.routing_key), properties, body, bool(method.redelivered))
                )
                last = now
            elif now - last >= quiet or now > deadline:
                break
        self.channel.cancel()
        return got

    def cleanup(self) -> None:
        try:
            if not self.connection.is_open:
                self.connection = pika.BlockingConnection(pika.URLParameters(self.url))
            channel = self.connection.channel()
            for queue in sorted(self.queues):
                channel.queue_delete(queue)
            for exchange in sorted(self.exchanges):
                channel.exchange_delete(exchange)
        finally:
            if self.connection.is_open:
                self.connection.close()


@dataclass(frozen=True)
class Added:
    outbox_id: int
    message_id: str
    partner: str
    correlation_id: str
    routing_key: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Ledger:
    """A SQLite ledger in a temporary folder, with real documents and outbox rows."""

    path: Path
    engine: Engine = field(init=False)
    _numbers: Iterator[int] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine_for(f"sqlite:///{self.path}")
        migrate(self.engine)
        self.factory = session_factory(self.engine)
        self._numbers = itertools.count(1)

    def relay(self, names: Names, url: str = AMQP_URL, **options: Any) -> OutboxRelay:
        options.setdefault("idle_poll", 0.05)
        return OutboxRelay(
            self.factory,
            amqp_url=url,
            exchange=names.exchange,
            dead_letter_exchange=names.dead_letter_exchange,
            queues=options.pop("queues", names.queues),
            **options,
        )

    def add(
        self,
        names: Names,
        partner: str = "acme",
        count: int = 1,
        *,
        key: str | None = None,
        exchange: str | None = None,
    ) -> list[Added]:
        """``count`` purchase orders from ``partner``: file, document and outbox row each, in one
        transaction (as the pipeline writes them)."""
        added: list[Added] = []
        with self.factory.begin() as s:
            for _ in range(count):
                number = next(self._numbers)
                message = purchase_order(partner, number)
                correlation_id = str(uuid.uuid4())
                body, headers = cloud_event(
                    message, correlation_id=correlation_id, partner=partner, kind="850"
                )
                file_id = repository.record_file(
                    s,
                    partner=partner,
                    name=f"po-{number}.edi",
                    sha256=uuid.uuid4().hex * 2,
                    size=100,
                    work_path=f"/work/{partner}/po-{number}.edi",
                    correlation_id=correlation_id,
                )
                envelope = message.envelope
                repository.record_document(
                    s,
                    document_id=message.document_id,
                    file_id=file_id,
                    partner=partner,
                    kind="850",
                    interchange_ref=envelope.interchange_reference,
                    group_ref=envelope.group_reference,
                    transaction_ref=envelope.transaction_reference,
                    state=DocumentState.PARSED,
                    correlation_id=correlation_id,
                )
                rk = key if key is not None else routing_key("850", partner)
                outbox_id = repository.enqueue(
                    s,
                    message_id=message.document_id,
                    document_id=message.document_id,
                    partner=partner,
                    exchange=exchange if exchange is not None else names.exchange,
                    routing_key=rk,
                    body=body,
                    headers=headers,
                    correlation_id=correlation_id,
                )
                added.append(
                    Added(
                        outbox_id, message.document_id, partner, correlation_id, rk, body, headers
                    )
                )
        return added

    def inflate(self, added: Added, size: int) -> None:
        """Make ``added``'s message body ``size`` bytes long (JSON still)."""
        padding = size - len(b'{"padding": ""}')
        body = json.dumps({"padding": "x" * padding}).encode()
        with self.factory.begin() as s:
            s.execute(update(OUTBOX).where(OUTBOX.c.id == added.outbox_id).values(body=body))

    def rows(self, added: Iterable[Added]) -> list[OutboxRow]:
        with self.factory.begin() as s:
            found = [repository.outbox_by_id(s, a.outbox_id) for a in added]
        assert all(row is not None for row in found)
        return [row for row in found if row is not None]

    def states(self, added: Iterable[Added]) -> list[OutboxState]:
        return [row.state for row in self.rows(added)]

    def pending(self) -> int:
        with self.factory.begin() as s:
            report = repository.status(s, dt.datetime.now(dt.UTC))
        return report.outbox_pending

    def status(self) -> repository.StatusReport:
        with self.factory.begin() as s:
            return repository.status(s, dt.datetime.now(dt.UTC))


def purchase_order(partner: str, number: int) -> PurchaseOrder:
    return PurchaseOrder(
        envelope=Envelope.of_x12(
            X12Envelope(
                sender_qualifier="ZZ",
                sender_id=partner.upper(),
                receiver_qualifier="ZZ",
                receiver_id="GATEWAY",
                interchange_control_number=f"{number:09d}",
                interchange_version="00401",
                application_sender=partner.upper(),
                application_receiver="GATEWAY",
                group_control_number=str(number),
                version="004010",
                transaction_control_number=f"{number:04d}",
            )
        ),
        purpose_code="00",
        order_type_code="SA",
        po_number=f"PO-{partner}-{number}",
        po_date=dt.date(2026, 11, 23),
        lines=[PurchaseOrderLine(quantity=12, unit_of_measure="EA")],
    )

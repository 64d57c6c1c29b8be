"""Outbound: requests/s from the request queue to files on disk, beside the raw consume rate.

In one run, on the real RabbitMQ and a SQLite ledger in a temporary folder:
  raw       --count requests are published to a fresh queue, then consumed with a plain pika
            consumer (same prefetch, one multiple-ack per batch): the ceiling of this broker;
  gateway   --count requests (ship notices) are published to the same queue again, then the
            gateway's request consumer takes them: parse, validate, render for the partner,
            read back and validate against the 856 map (half of each batch in the worker
            processes, as in the daemon), draw control numbers, record, write and fsync the
            files, ack. Timed from the consumer's start to the last file's ``written`` commit.

Run:  .venv/bin/python bench/outbound.py [--count 5000] [--database-url URL] [--workers N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pika

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters import REGISTRY  # noqa: E402
from gateway.bus.consumer import RequestConsumer  # noqa: E402
from gateway.bus.topology import DEFAULT_TOPOLOGY, REQUEST_EXCHANGE, declare  # noqa: E402
from gateway.config import Settings  # noqa: E402
from gateway.ledger import create_engine_for, migrate, session_factory  # noqa: E402
from gateway.ledger import outbound as ledger  # noqa: E402
from gateway.outbound.pipeline import OutboundPipeline  # noqa: E402
from gateway.partner_formats import PartnerFormats  # noqa: E402
from gateway.partners import parse_profile  # noqa: E402
from gateway.runtime.workers import WorkerPool  # noqa: E402
from tests.integration.outbound.support import request  # noqa: E402
from tests.support.broker import AMQP_URL, own_vhost  # noqa: E402

PREFETCH = 1000
BATCH = 500


def publish(
    channel: pika.adapters.blocking_connection.BlockingChannel, bodies: list[bytes], partner: str
) -> None:
    for body in bodies:
        channel.basic_publish(
            REQUEST_EXCHANGE,
            f"edi.out.856.{partner}",
            body,
            pika.BasicProperties(delivery_mode=2),
        )


def raw_rate(
    channel: pika.adapters.blocking_connection.BlockingChannel, queue: str, count: int
) -> float:
    channel.basic_qos(prefetch_count=PREFETCH)
    got = 0
    started = time.perf_counter()
    for method, _properties, _body in channel.consume(queue, inactivity_timeout=5):
        if method is None:
            break
        got += 1
        if got % BATCH == 0 or got == count:
            channel.basic_ack(method.delivery_tag, multiple=True)
        if got == count:
            break
    elapsed = time.perf_counter() - started
    channel.cancel()
    assert got == count, f"raw consumer got {got} of {count}"
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--workers",
        type=int,
        default=Settings().parse_workers,
        help="worker processes rendering beside the consumer (the daemon's parse_workers)",
    )
    args = parser.parse_args()
    with own_vhost():  # a daemon running elsewhere on the machine must not take its requests
        run(args)


def run(args: argparse.Namespace) -> None:
    partner = f"bench{uuid.uuid4().hex[:6]}"
    queue = f"bench.out.{partner}"
    topology = DEFAULT_TOPOLOGY.with_request_queue(queue, (f"edi.out.*.{partner}",))
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.confirm_delivery()
    declare(channel, topology=topology)
    bodies = [request(f"b{n:06d}", partner) for n in range(args.count)]
    try:
        publish(channel, bodies, partner)
        raw = raw_rate(channel, queue, args.count)
        publish(channel, bodies, partner)
        with tempfile.TemporaryDirectory() as temp:
            home = Path(temp)
            url = args.database_url or f"sqlite:///{home / 'ledger.sqlite3'}"
            engine = create_engine_for(url)
            migrate(engine)
            factory = session_factory(engine)
            profile = parse_profile(
                partner, {"x12": {"sender_id": "GATEWAY", "receiver_id": "BENCH"}}, REGISTRY
            )
            formats = PartnerFormats.of(REGISTRY, {partner: profile})
            workers = WorkerPool(args.workers, warm_up=formats.warm_up) if args.workers else None
            if workers is not None:
                workers.start()
            pipeline = OutboundPipeline(
                factory, home / "outbox", {partner: profile}, formats, workers=workers
            )
            consumer = RequestConsumer(
                pipeline,
                amqp_url=AMQP_URL,
                topology=topology,
                queue=queue,
                prefetch=PREFETCH,
                batch=BATCH,
            )
            started = time.perf_counter()
            consumer.start()
            while consumer.stats.rendered < args.count:
                time.sleep(0.01)
                if time.perf_counter() - started > 300:
                    raise SystemExit(f"only {consumer.stats.rendered} rendered in 300 s")
            while True:
                with factory.begin() as s:
                    left = ledger.outbound_in_state(s, ledger.OutboundState.RENDERED, limit=1)
                if not left:
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            consumer.stop()
            if workers is not None:
                workers.close()
            files = len(list((home / "outbox" / partner).glob("856-*.x12")))
            assert files == args.count, f"{files} files for {args.count} requests"
            engine.dispose()
    finally:
        channel.queue_delete(queue)
        connection.close()
    ledger_name = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"outbound requests: {args.count} ship notices, ledger {ledger_name}, "
        f"{args.workers} worker process(es)"
    )
    print(f"  raw consume (same queue, prefetch {PREFETCH}):   {raw:10,.0f} messages/s")
    print(
        f"  gateway, queue -> 856 file on disk (fsynced):     {args.count / elapsed:10,.0f} ASNs/s"
    )
    print(f"  ({elapsed:.2f} s; {consumer.stats.batches} batches)")


if __name__ == "__main__":
    main()

"""Each daemon consumes a request queue of its own (issue 23, the broker topology): two
instances started with default settings on one broker and virtual host, in the homes
``production`` and ``test``, each consume ``edi.out.requests.<instance>``, one consumer each,
instead of taking turns at one shared queue. A request queue the broker has with other arguments
is consumed as it is."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pika
import pytest

from adapters import REGISTRY
from gateway.config import load_settings
from gateway.runtime.daemon import Gateway
from tests.integration.support import wait_for, write_settings
from tests.support.broker import AMQP_URL, VHOST


def daemon_in(home: Path, monkeypatch: pytest.MonkeyPatch, instance: str = "") -> Gateway:
    """A daemon on ``home`` with the default broker settings (but ``instance``, when given),
    as ``run`` builds it."""
    home.mkdir()
    url = f"sqlite:///{home / 'ledger.sqlite3'}"
    named = {"instance": instance} if instance else {}
    config = write_settings(home, url, parse_workers=0, **named)
    monkeypatch.setenv("EDIGW_CONFIG", str(config))
    return Gateway.from_settings(load_settings(), REGISTRY)


def test_two_instances_with_default_settings_consume_a_queue_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemons = [daemon_in(tmp_path / name, monkeypatch) for name in ("production", "test")]
    queues = [gw.settings.request_queue for gw in daemons]
    assert queues == ["edi.out.requests.production", "edi.out.requests.test"]
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        for gw in daemons:
            assert gw.consumer is not None
            gw.consumer.start()
        wait_for(
            "both request consumers connected",
            lambda: all(gw.consumer is not None and gw.consumer.connected for gw in daemons),
            15,
        )
        channel = connection.channel()
        for queue in queues:
            declared = channel.queue_declare(queue, passive=True).method
            assert declared.consumer_count == 1, queue  # its own daemon's, and no other
    finally:
        for gw in daemons:
            if gw.consumer is not None:
                gw.consumer.stop()
        channel = connection.channel()
        for queue in queues:
            channel.queue_delete(queue)
        connection.close()


def test_a_request_queue_with_other_arguments_is_consumed_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    instance = f"t{uuid.uuid4().hex[:10]}"
    queue = f"edi.out.requests.{instance}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    connection.channel().queue_declare(queue, durable=True)  # not dead-lettered: refused (406)
    gw = daemon_in(tmp_path / "home", monkeypatch, instance=instance)
    consumer = gw.consumer
    assert consumer is not None
    try:
        consumer.start()
        wait_for("the request consumer connected", lambda: consumer.connected, 15)
        declared = connection.channel().queue_declare(queue, passive=True).method
        assert declared.consumer_count == 1
    finally:
        consumer.stop()
        connection.channel().queue_delete(queue)
        connection.close()
    assert consumer.stats.connection_failures == 1
    (error,) = [r.message for r in caplog.records if r.levelno == logging.ERROR]
    assert f"queue {queue!r} exists on the broker with other arguments" in error
    assert f"let it empty, delete it (rabbitmqctl delete_queue -p {VHOST} {queue})" in error

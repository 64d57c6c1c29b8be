"""The loopback TCP proxy the outage tests use: forwards, cuts, refuses, restores, stops."""

from __future__ import annotations

import socket
import threading

import pika
import pika.exceptions
import pytest

from tests.support.broker import url_via
from tests.support.tcp_proxy import TcpProxy


def parameters(port: int) -> pika.URLParameters:
    params = pika.URLParameters(url_via(port))
    params.connection_attempts = 1
    params.socket_timeout = 2
    return params


def test_the_proxy_forwards_cuts_and_restores(rabbitmq: str) -> None:
    with TcpProxy(("127.0.0.1", 5672)) as proxy:
        port = proxy.port
        connection = pika.BlockingConnection(parameters(port))
        channel = connection.channel()
        channel.queue_declare("", exclusive=True)
        assert proxy.connections == 1

        proxy.cut()
        with pytest.raises(pika.exceptions.AMQPError):
            channel.queue_declare("", exclusive=True)
        assert proxy.connections == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        with pytest.raises(pika.exceptions.AMQPConnectionError):
            pika.BlockingConnection(parameters(port))

        proxy.restore()
        assert proxy.port == port
        again = pika.BlockingConnection(parameters(port))
        again.channel().queue_declare("", exclusive=True)
        again.close()
        assert proxy.accepted == 2
    assert not any(t.name == "tcp-proxy" and t.is_alive() for t in threading.enumerate())


def test_the_proxy_only_touches_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        TcpProxy(("10.0.0.1", 5672))
    with pytest.raises(ValueError, match="loopback"):
        TcpProxy(("127.0.0.1", 5672), host="0.0.0.0")

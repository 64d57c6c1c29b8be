"""How the relay and the request consumer connect to the broker, and when they try again."""

from __future__ import annotations

import pytest

from gateway.bus.connection import backoff_delay, connection_parameters

URL = "amqp://guest:secret@127.0.0.1:5672/%2F"


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(0, 0.2), (1, 0.4), (3, 1.6), (6, 10.0), (99, 10.0)]
)
def test_the_backoff_doubles_up_to_its_cap_with_jitter_in_the_upper_half(
    attempt: int, ceiling: float
) -> None:
    delays = [backoff_delay(attempt, 0.2, 10.0) for _ in range(200)]
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1  # jittered: clients failing together do not retry together


def test_one_connection_attempt_named_for_the_broker_with_a_heartbeat_only_when_given() -> None:
    params = connection_parameters(URL, "edi-gateway outbox relay")
    assert params.connection_attempts == 1
    assert params.client_properties == {"connection_name": "edi-gateway outbox relay"}
    assert params.host == "127.0.0.1"
    default_heartbeat = params.heartbeat
    assert connection_parameters(URL, "x", heartbeat=7).heartbeat == 7
    assert connection_parameters(URL, "x").heartbeat == default_heartbeat

"""Crash safety of outbound requests: the daemon is killed with SIGKILL at random moments and at
every named outbound crash point while it consumes 1,000 requests (some published twice) and
answers inbound 850s from the same partner with 997s; after the last restart each request
yielded exactly one file, no ISA13 is used twice across every file written to the partner
(856s and 997s), and the ledger agrees."""

from __future__ import annotations

import collections
import random
import signal
import time
import uuid
from pathlib import Path

from tests.integration.outbound.support import (
    ledger_rows,
    outbound_bus,
    outbound_settings,
    request,
    request_queue,
    write_profile,
)
from tests.integration.support import (
    daemon_output,
    drop,
    gateway_process,
    run_to_crash_point,
    small_850,
)

REQUESTS = 1_000
RANDOM_KILLS = 12
CRASH_POINTS = ("outbound_after_commit", "outbound_after_write", "outbound_after_written")
INBOUND_PER_RUN = 4
DEADLINE = 150.0


def isa13(path: Path) -> str:
    text = path.read_text()
    return text[: text.index("~")].split("*")[13]


def test_each_request_yields_one_file_and_no_control_number_twice_across_kills(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    partner = f"c{uuid.uuid4().hex[:8]}"
    home = tmp_path / "home"
    write_profile(home, partner)
    config = outbound_settings(home, partner, outbound_batch=100)
    rng = random.Random(20261130)
    ids = [f"r{n:05d}" for n in range(REQUESTS)]
    runs = len(CRASH_POINTS) + RANDOM_KILLS
    chunks = [ids[i::runs] for i in range(runs)]
    published: list[str] = []
    inbound = 0

    with outbound_bus(partner) as bus:
        bus.channel.confirm_delivery()

        def publish(chunk: list[str]) -> None:
            again = rng.sample(published, min(5, len(published)))
            for request_id in chunk + again:
                bus.publish(request(request_id, partner), message_id=request_id)
            published.extend(chunk)

        def drop_850s() -> None:
            nonlocal inbound
            for _ in range(INBOUND_PER_RUN):
                inbound += 1
                data = small_850(9000 + inbound, sender=partner.upper())
                drop(home / "inbox", partner, f"po-{inbound:04d}.edi", data)

        kills = 0
        for point in CRASH_POINTS:
            publish(chunks[kills])
            run_to_crash_point(config, point)
            kills += 1
        for _ in range(RANDOM_KILLS):
            process = gateway_process(config, "run")
            publish(chunks[kills])
            drop_850s()
            time.sleep(rng.uniform(0.3, 1.6))
            process.kill()
            process.wait(timeout=30)
            kills += 1
        assert sorted(published) == sorted(ids)

        process = gateway_process(config, "run")
        try:
            while time.monotonic() - started < DEADLINE:
                rows = ledger_rows(home)
                depth = bus.channel.queue_declare(request_queue(partner), passive=True)
                inbox_left = list((home / "inbox" / partner).glob("*"))
                if (
                    len(rows) == REQUESTS
                    and all(row["state"] == "sent" for row in rows)
                    and depth.method.message_count == 0
                    and not inbox_left
                    and len(list((home / "outbox" / partner).glob("997-*.x12"))) == inbound
                ):
                    break
                assert process.poll() is None, daemon_output(config)
                time.sleep(0.3)
            else:
                raise AssertionError(f"not settled in time: {len(ledger_rows(home))} rows")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        left = bus.channel.queue_declare(request_queue(partner), passive=True)
        assert left.method.message_count == 0  # nothing left, nothing unacked requeued

    outbox = home / "outbox" / partner
    asns = sorted(outbox.glob("856-*.x12"))
    acks = sorted(outbox.glob("997-*.x12"))
    rows = ledger_rows(home)
    # one row and one file per request
    assert sorted(row["request_id"] for row in rows) == sorted(ids)
    assert sorted(row["file_name"] for row in rows) == [p.name for p in asns]
    assert len(asns) == REQUESTS
    shipments = collections.Counter(
        p.read_text().split("BSN*00*", 1)[1].split("*", 1)[0] for p in asns
    )
    assert sorted(shipments) == sorted(f"ASN-{i}" for i in ids) and max(shipments.values()) == 1
    # no control number used twice, 856s and 997s together; the files match the ledger
    numbers = collections.Counter(isa13(p) for p in asns + acks)
    assert max(numbers.values()) == 1, [n for n, c in numbers.items() if c > 1]
    assert len(acks) == inbound
    by_name = {row["file_name"]: row for row in rows}
    for path in asns:
        row = by_name[path.name]
        assert row["content"] == path.read_text() and row["interchange_ref"] == isa13(path)
    assert len({row["group_ref"] for row in rows}) == REQUESTS
    print(
        f"\noutbound crash harness: {kills} kills, {REQUESTS} requests (+duplicates), "
        f"{len(acks)} 997s, {time.monotonic() - started:.1f} s"
    )

"""The daemon under systemd's notification protocol (issue 23), with a NOTIFY_SOCKET the test
listens on as systemd would: READY=1 once it runs, WATCHDOG=1 while its main loop and relay
move, none once its main loop hangs (so systemd would restart it), STOPPING=1 on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


@contextmanager
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket in the abstract namespace, as systemd's: (it, its NOTIFY_SOCKET)."""
    name = f"edigw-notify-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind("\0" + name)
    listener.settimeout(0.5)
    try:
        yield listener, "@" + name
    finally:
        listener.close()


def received(
    listener: socket.socket, seconds: float, enough: Callable[[list[str]], bool] | None = None
) -> list[str]:
    """The notification lines received within ``seconds``, or until they are ``enough``."""
    lines: list[str] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (enough is not None and enough(lines)):
        try:
            lines += listener.recv(4096).decode().splitlines()
        except TimeoutError:
            continue
    return lines


def ready_and_pinging(lines: list[str]) -> bool:
    return "READY=1" in lines and lines[lines.index("READY=1") :].count("WATCHDOG=1") >= 2


def test_ready_watchdog_from_real_progress_and_stopping(tmp_path: Path, partner: str) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    with notify_socket() as (listener, address):
        env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000"}
        process = gateway_process(config, "run", env=env)
        try:
            first = received(listener, 30, ready_and_pinging)
            assert "READY=1" in first, daemon_output(config)
            ready = first.index("READY=1")
            assert first[ready + 1].startswith("STATUS=0 file(s) taken since the start; ")
            assert "message(s) to publish; broker" in first[ready + 1]
            assert first[ready + 1 :].count("WATCHDOG=1") >= 2  # every second (2 s watchdog)
            drop(tmp_path / "inbox", partner, "order.edi", small_850(9101))
            archive = tmp_path / "archive" / partner
            wait_for("the order to be archived", lambda: any(archive.rglob("*order.edi")))
            pings = received(listener, 5, lambda lines: lines.count("WATCHDOG=1") >= 2)
            assert pings.count("WATCHDOG=1") >= 2
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
        assert "STOPPING=1" in received(listener, 1, lambda lines: "STOPPING=1" in lines)


def test_a_hung_main_loop_stops_the_watchdog_pings_and_a_restart_finishes_its_work(
    tmp_path: Path, partner: str
) -> None:
    """As systemd does when the pings stop: SIGABRT (``WatchdogSignal``'s default), then a new
    start; the order that came while it hung is taken, and each order is published once."""
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    archive = tmp_path / "archive" / partner
    env = {"NOTIFY_SOCKET": "", "WATCHDOG_USEC": "2000000"}
    with notify_socket() as (listener, address), bound_queue(f"edi.in.850.{partner}") as bound:
        env["NOTIFY_SOCKET"] = address
        hung = {**env, "EDIGW_CRASH_AT": "hang:after_commit"}
        process = gateway_process(config, "run", env=hung)
        try:
            started = received(listener, 30, lambda lines: "READY=1" in lines)
            assert "READY=1" in started, daemon_output(config)
            drop(tmp_path / "inbox", partner, "order.edi", small_850(9102))
            # taken and committed (its message published by the relay meanwhile): the main loop
            # stops at after_commit; the pings it sent before are read and set aside
            wait_for("the order committed", lambda: "published:" in daemon_output(config))
            received(listener, 1.5)
            assert process.poll() is None
            assert "WATCHDOG=1" not in received(listener, 4), daemon_output(config)
            drop(tmp_path / "inbox", partner, "next.edi", small_850(9103))
            time.sleep(2)
            assert (tmp_path / "inbox" / partner / "next.edi").exists()  # nobody takes it
        finally:
            process.send_signal(signal.SIGABRT)  # the watchdog's signal
            process.wait(timeout=30)
        process = gateway_process(config, "run", env=env)  # and systemd starts it again
        try:
            assert ready_and_pinging(received(listener, 30, ready_and_pinging))
            wait_for("the next order archived", lambda: any(archive.rglob("*next.edi")))
            time.sleep(1)  # its message confirmed, had the first daemon not published it
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, daemon_output(config)
        published = take_all(*bound)
    assert sorted(json.loads(body)["data"]["po_number"] for _, body in published) == [
        "PO00009102",
        "PO00009103",
    ]

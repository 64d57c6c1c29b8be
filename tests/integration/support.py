"""Helpers for the end-to-end tests: a gateway home in a temp folder, files to drop, a queue."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pika

from adapters.formats.x12.inbound import X12Parser
from gateway.ports import ParseResult, Reply
from tests.support.broker import AMQP_URL

if TYPE_CHECKING:
    from gateway.runtime.daemon import Gateway

ROOT = Path(__file__).resolve().parents[2]


def small_850(
    control: int,
    *,
    sender: str = "ACME",
    partner_po: str | None = None,
    receiver: str = "GATEWAY",
    usage: str = "P",
) -> bytes:
    """A valid one-line 850 in its own interchange, unique by ``control``."""
    po = partner_po or f"PO{control:08d}"
    segments = [
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*261123*1200*U*00401*"
        f"{control:09d}*0*{usage}*>",
        f"GS*PO*{sender}*{receiver}*20261123*1200*{control}*X*004010",
        "ST*850*0001",
        f"BEG*00*SA*{po}**20261123",
        "PO1*1*12*EA*1.25**UP*012345678905",
        "CTT*1",
        "SE*5*0001",
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def broken_850(control: int) -> bytes:
    """An 850 whose SE01 is wrong: rejected, quarantined, answered with a negative 997."""
    return small_850(control).replace(b"SE*5*", b"SE*9*")


def write_settings(
    home: Path, database_url: str, *, amqp_url: str = AMQP_URL, **extra: object
) -> Path:
    """A gateway.toml in ``home``: fast polling for tests, ``extra`` keys override."""
    values: dict[str, object] = {
        "database_url": database_url,
        "amqp_url": amqp_url,
        "min_age": 0.0,
        "rescan_interval": 0.2,
        "metrics_address": "127.0.0.1:0",  # a free port of its own (tests run daemons at once)
        **extra,
    }
    config = home / "gateway.toml"
    config.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items()))
    return config


def drop(inbox: Path, partner: str, name: str, data: bytes) -> Path:
    """Drop a file the way a well-behaved partner does: write under a temp name, then rename."""
    folder = inbox / partner
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{name}.part"
    temp.write_bytes(data)
    final = folder / name
    os.rename(temp, final)
    return final


def gateway_process(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The daemon (``args``: its command line) on ``config``, logging to :func:`daemon_log`.
    Its temporary folders (the worker processes' ``pymp-*``, which a SIGKILL leaves behind) go
    in a folder of the test process's own, removed when it ends (:func:`_daemon_temp`)."""
    with daemon_log(config).open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", *args],
            cwd=config.parent,
            env=_gateway_environment(config, env),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def run_once_process(config: Path, env: dict[str, str] | None = None) -> int:
    """``edi-gateway run --once`` on ``config`` as a process of its own (:func:`gateway_process`,
    ``env`` besides), run to its end: its exit status (-9 when it killed itself)."""
    process = gateway_process(config, "run", "--once", env=env)
    try:
        return process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def gateway_command(config: Path, *args: str) -> str:
    """``edi-gateway ARGS`` on ``config``, run to its end; returns what it printed (a non-zero
    exit fails the test, with what the command said on stderr)."""
    done = gateway_outcome(config, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def gateway_outcome(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``edi-gateway ARGS`` on ``config``, run to its end, whatever its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=config.parent,
        env=_gateway_environment(config),
        capture_output=True,
        text=True,
        timeout=120,
    )


@functools.cache
def _daemon_temp() -> Path:
    """The temporary folders of the daemons this test process starts, removed when it ends (a
    SIGKILL leaves multiprocessing's pymp-* folders behind). Short: the forkserver's socket is
    made in it, and a socket's path has at most 107 bytes (a test's own folder under
    pytest-xdist's /tmp/pytest-of-root/pytest-N/popen-gwN/ was too long)."""
    folder = Path(tempfile.mkdtemp(prefix="edigw-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _gateway_environment(config: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The gateway's environment for ``config``, its temporary folders its own."""
    temp = tempfile.mkdtemp(dir=_daemon_temp())
    return {
        **os.environ,
        "TMPDIR": temp,
        "EDIGW_CONFIG": str(config),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **(env or {}),
    }


@contextmanager
def running_daemon(config: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The daemon runs on ``config`` for the block; then SIGTERM, and it must exit 0."""
    process = gateway_process(config, "run")
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # killed: left running, it would take later tests' work
            process.kill()
            process.wait(timeout=60)
            raise AssertionError(
                f"the daemon did not stop within 60 s of SIGTERM\n{daemon_output(config)}"
            ) from None
        assert code == 0, daemon_output(config)


def daemon_log(config: Path) -> Path:
    """Where the daemons run with ``config`` write their log (a file: a pipe nobody reads
    would stop a daemon that logs more than the pipe holds)."""
    return config.parent / "daemon.log"


def daemon_output(config: Path) -> str:
    """What the daemons run with ``config`` logged (for assertion messages)."""
    path = daemon_log(config)
    return path.read_text(errors="replace")[-20_000:] if path.exists() else ""


def wait_for(
    what: str, check: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1
) -> None:
    """Wait until ``check()`` is true; fail, naming ``what``, after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def run_to_crash_point(config: Path, point: str) -> None:
    """Run the daemon with ``EDIGW_CRASH_AT=point``; it must kill itself there within 60 s."""
    process = gateway_process(config, "run", env={"EDIGW_CRASH_AT": point})
    try:
        code = process.wait(timeout=60)
    except Exception:
        process.kill()
        raise
    assert code == -signal.SIGKILL, f"crash point {point} was never reached"


@contextmanager
def bound_queue(
    routing_key: str, exchange: str | None = None
) -> Iterator[tuple[pika.adapters.blocking_connection.BlockingChannel, str]]:
    """A private queue bound to ``exchange`` (by default the inbound exchange) with
    ``routing_key``; deleted afterwards."""
    from gateway.bus.topology import INBOUND_EXCHANGE, declare

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    declare(channel)
    queue = f"test.{uuid.uuid4().hex[:12]}"
    channel.queue_declare(queue, durable=False, auto_delete=False, exclusive=False)
    channel.queue_bind(queue, exchange or INBOUND_EXCHANGE, routing_key)
    try:
        yield channel, queue
    finally:
        channel.queue_delete(queue)
        connection.close()


def take_all(
    channel: pika.adapters.blocking_connection.BlockingChannel, queue: str
) -> list[tuple[pika.spec.BasicProperties, bytes]]:
    messages: list[tuple[pika.spec.BasicProperties, bytes]] = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return messages
        messages.append((properties, body))


class CrashingParser(X12Parser):
    """The X12 parser, except that it kills its own process on a file holding ``CRASH``: a
    stand-in for a library crash on hostile input (importable, so that parse workers can run it)."""

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        if b"CRASH" in data:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().parse(data, file_name=file_name, partner=partner, refuse=refuse)


class UnstorableReplyParser(X12Parser):
    """The X12 parser, except that a file holding ``UNSTORABLE`` gets a reply no ledger can store
    (a lone surrogate, as a separator byte that is not UTF-8 once gave): a stand-in for any
    failure that is the file's own, in the commit."""

    def parse(self, data: bytes, **options: Any) -> ParseResult:
        result = super().parse(data, **options)
        if b"UNSTORABLE" in data:
            result.replies.append(Reply("997-unstorable.x12", "ISA*\udcff~"))
        return result


def in_process_gateway(home: Path, database_url: str, **extra: object) -> Gateway:
    """A gateway on ``home`` (fast polling), in this process; ``extra`` settings override."""
    from adapters import REGISTRY
    from gateway.config import Settings
    from gateway.runtime.daemon import Gateway

    settings = Settings(
        home=home,
        database_url=database_url,
        amqp_url=AMQP_URL,
        min_age=0,
        rescan_interval=0.1,
        metrics_address="127.0.0.1:0",
        **extra,  # type: ignore[arg-type]
    )
    return Gateway.from_settings(settings, REGISTRY)


def run_once(gw: Gateway) -> None:
    """``edi-gateway run --once``: process what is there, drain the outbox, return."""
    gw.run(threading.Event(), once=True, drain=30)


PAUSING_WRITER = """
import sys, time
path, pause = sys.argv[1], float(sys.argv[2])
first, second = sys.stdin.buffer.read().split(b"\\0")
with open(path, "wb") as out:  # one descriptor, held open through the pause
    out.write(first)
    out.flush()
    print("paused", flush=True)
    time.sleep(pause)
    out.write(second)
    out.flush()
"""
"""A writer that pauses with its file open: ``python -c PAUSING_WRITER PATH SECONDS``, the two
parts on stdin separated by a NUL byte; it prints ``paused`` after the first."""

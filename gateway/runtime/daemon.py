"""``edi-gateway run``: watch the inbox, process files, keep the outbox relay draining.

Threads: the main thread takes and processes files one at a time (the ledger is the only shared
state); watchdog's observer thread only notes paths; the relay thread owns the pika connection.
SIGTERM or SIGINT stops taking new files, finishes the current one and stops the relay.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from dataclasses import dataclass

from adapters.formats.x12.inbound import parse_x12
from adapters.transport.folder import FolderSource

from ..bus.relay import OutboxRelay
from ..config import Settings
from ..ledger import LedgerCounter, create_engine_for, migrate, session_factory
from ..pipeline import Folders, Pipeline

log = logging.getLogger(__name__)

IDLE_SLEEP = 0.05
RETRY_INTERVAL = 30.0
"""Seconds between retries of files left in the work folder by a failure (database down...)."""


@dataclass
class Gateway:
    """Everything the daemon runs, wired from settings (also used by tests and benchmarks)."""

    settings: Settings
    source: FolderSource
    pipeline: Pipeline
    relay: OutboxRelay

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        engine = create_engine_for(settings.resolved_database_url)
        migrate(engine)
        factory = session_factory(engine)
        folders = Folders(
            outbox=settings.path(settings.outbox),
            archive=settings.path(settings.archive),
            quarantine=settings.path(settings.quarantine),
        )
        pipeline = Pipeline(
            factory,
            parse_x12,
            LedgerCounter(factory),
            folders,
            duplicate_window=dt.timedelta(days=settings.duplicate_window_days),
        )
        source = FolderSource(
            settings.path(settings.inbox),
            settings.path(settings.work),
            min_age=settings.min_age,
            done_marker=settings.done_marker,
            ignore=settings.ignore,
            rescan_interval=settings.rescan_interval,
        )
        relay = OutboxRelay(factory, amqp_url=settings.amqp_url, window=settings.publish_window)
        return cls(settings, source, pipeline, relay)

    def process_ready(self) -> int:
        """Take and process every file ready now; returns how many."""
        count = 0
        for path in self.source.ready():
            claimed = self.source.claim(path)
            if claimed is None:
                continue
            try:
                self.pipeline.process(claimed)
            except Exception:
                # The file stays in work/ and its ledger row says where it stopped; the next
                # start-up (or recover()) retries it. The daemon carries on with other files.
                log.exception("processing %s failed; it will be retried", claimed.path)
            count += 1
        return count

    def retry_leftovers(self) -> None:
        """Process again what a failure left in the work folder; never stops the daemon."""
        try:
            self.pipeline.recover(self.source.leftovers())
        except Exception:
            log.exception("retrying files left in the work folder failed; trying again later")

    def run(self, stop: threading.Event, *, once: bool = False, drain: float = 30.0) -> None:
        """Run until ``stop`` is set; with ``once``, until nothing is ready, then drain the
        outbox for at most ``drain`` seconds."""
        self.source.start()
        if not once:
            self.relay.start()
        try:
            self.pipeline.recover(self.source.leftovers())
            retried = time.monotonic()
            while not stop.is_set():
                took = self.process_ready()
                if once and not took:
                    break
                if time.monotonic() - retried >= RETRY_INTERVAL:
                    retried = time.monotonic()
                    self.retry_leftovers()
                if not took:
                    stop.wait(IDLE_SLEEP)
        finally:
            self.source.stop()
            if once:
                self.relay.drain_once(drain)
            else:
                self.relay.stop()


def run(settings: Settings, *, once: bool = False) -> None:
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the current file, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    gateway = Gateway.from_settings(settings)
    log.info(
        "edi-gateway running: inbox %s, ledger %s",
        settings.path(settings.inbox),
        settings.resolved_database_url.split("@")[-1],
    )
    gateway.run(stop, once=once)

"""``edi-gateway run``: watch the inbox, process files, keep the outbox relay draining.

Threads: the main thread takes, records and parses files, a batch at a time (the ledger is the
only shared state); watchdog's observer thread only notes paths and wakes the main thread; after
each commit the main thread wakes the relay thread (which owns the pika connection) and the
finisher (which writes acknowledgements and archives originals, so that its fsyncs overlap the
next batch). SIGTERM or SIGINT stops taking new files, finishes the current batch and stops the
relay.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from dataclasses import dataclass

from adapters.formats.x12.inbound import parse_x12
from adapters.transport.folder import Claimed, FolderSource
from adapters.transport.sftp_schedule import SftpSchedule

from ..bus.relay import OutboxRelay
from ..config import Settings
from ..ledger import create_engine_for, migrate, session_factory
from ..pipeline import Folders, Pipeline
from .finisher import Finisher

log = logging.getLogger(__name__)

IDLE_WAIT = 0.2
"""Seconds the main thread waits for the watcher when nothing was ready (files waiting for
``min_age`` are looked at again after this)."""
RETRY_INTERVAL = 30.0
"""Seconds between retries of files left in the work folder by a failure (database down...)."""


@dataclass
class Gateway:
    """Everything the daemon runs, wired from settings (also used by tests and benchmarks)."""

    settings: Settings
    source: FolderSource
    pipeline: Pipeline
    relay: OutboxRelay
    finisher: Finisher
    channels: SftpSchedule
    """Partners' SFTP channels (``mappings/partners/*.toml``): polled into the inbox, and their
    outbox folders delivered, each on its own schedule."""

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
        relay = OutboxRelay(factory, amqp_url=settings.amqp_url, window=settings.publish_window)
        pipeline = Pipeline(
            factory,
            parse_x12,
            folders,
            duplicate_window=dt.timedelta(days=settings.duplicate_window_days),
        )
        finisher = Finisher(pipeline)

        def committed() -> None:
            relay.notify()
            finisher.notify()

        pipeline.on_commit = committed
        source = FolderSource(
            settings.path(settings.inbox),
            settings.path(settings.work),
            min_age=settings.min_age,
            done_marker=settings.done_marker,
            ignore=settings.ignore,
            rescan_interval=settings.rescan_interval,
        )
        channels = SftpSchedule(settings, factory)
        return cls(settings, source, pipeline, relay, finisher, channels)

    def process_ready(self) -> int:
        """Take and process every file ready now, ``batch_size`` at a time; returns how many."""
        ready = self.source.ready()
        size = self.settings.batch_size
        count = 0
        for start in range(0, len(ready), size):
            batch = self.source.claim(ready[start : start + size])
            self._process(batch)
            count += len(batch)
        return count

    def _process(self, batch: list[Claimed]) -> None:
        """Process a batch; when it fails, each file alone, so that one file cannot hold back the
        others. A file that fails stays in work/ (its ledger row says where it stopped) and is
        retried later; the daemon carries on."""
        try:
            self.pipeline.process(batch)
            return
        except Exception:
            if len(batch) == 1:
                log.exception("processing %s failed; it will be retried", batch[0].path)
                return
            log.exception("processing %d files failed; trying them one at a time", len(batch))
        for claimed in batch:
            try:
                self.pipeline.process([claimed])
            except Exception:
                log.exception("processing %s failed; it will be retried", claimed.path)

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
        self.finisher.start()
        if not once:
            self.relay.start()
            self.channels.start()
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
                    self.source.wait(IDLE_WAIT)
        finally:
            if not once:
                self.channels.stop()
            self.source.stop()
            self.finisher.stop()
            if once:
                self.relay.drain_once(drain)
            else:
                self.relay.stop()


def run(settings: Settings, *, once: bool = False) -> None:
    stop = threading.Event()
    gateway = Gateway.from_settings(settings)

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the current batch, then stopping", signum)
        stop.set()
        gateway.source.wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "edi-gateway running: inbox %s, ledger %s",
        settings.path(settings.inbox),
        settings.resolved_database_url.split("@")[-1],
    )
    gateway.run(stop, once=once)

"""Every partner's SFTP channel on its schedule: :class:`SftpSchedule` (``start()`` / ``stop()``).

apscheduler's ``BackgroundScheduler`` runs one job per partner (interval or cron, from the
profile's ``[sftp] schedule``) with ``max_instances=1`` (one run at a time per partner),
``coalesce=True`` (runs missed while one was busy or the process slept become one) and
``misfire_grace_time`` = the profile's ``grace_time``. Partners run on a thread pool, one thread
per partner (up to 32), so a slow or failing partner never holds up another.

A run (:class:`PartnerExchange`) opens ONE connection: the source settles and polls, then the sink
delivers. A run that fails (server down, host key, login, connection lost) counts against the
partner's :class:`~.breaker.Breaker`: retried with exponential backoff, paused after
``pause_after`` failures in a row (logged as an error, and in :meth:`SftpSchedule.status`).

Wiring into the daemon::

    channels = SftpSchedule(settings, session_factory(engine), {"acme": acme_sftp_settings})
    channels.start()
    ...
    channels.stop()
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Settings
from gateway.runtime.breaker import Breaker, BreakerState

from .config import CronSchedule, SftpChannel
from .connect import SftpError, connect
from .sink import DeliveryReport, SftpSink
from .source import PollReport, SftpSource

log = logging.getLogger(__name__)

MAX_THREADS = 32


@dataclass(frozen=True, slots=True)
class RunReport:
    partner: str
    poll: PollReport | None = None
    delivery: DeliveryReport | None = None
    error: str | None = None
    skipped: str | None = None
    """Why the run did not connect (backing off, paused, another run busy)."""


class PartnerExchange:
    """One partner's runs: settle, poll and deliver over one connection, behind a breaker."""

    def __init__(
        self,
        partner: str,
        channel: SftpChannel,
        *,
        inbox: Path,
        outbox: Path,
        ledger: sessionmaker[Session],
        clock: Callable[[], float] = time.monotonic,
        max_file_size: int | None = None,
    ) -> None:
        self.partner = partner
        self.channel = channel
        self.source = (
            SftpSource(
                partner,
                channel,
                inbox=inbox,
                ledger=ledger,
                clock=clock,
                max_file_size=max_file_size,
            )
            if channel.inbound
            else None
        )
        self.sink = (
            SftpSink(partner, channel, outbox=outbox, ledger=ledger, clock=clock)
            if channel.outbound
            else None
        )
        self.breaker = Breaker(
            initial=channel.retry_initial,
            maximum=channel.retry_max,
            pause_after=channel.pause_after,
            pause_for=channel.pause_for,
            clock=clock,
        )
        self._busy = threading.Lock()

    def run(self) -> RunReport:
        if not self._busy.acquire(blocking=False):
            return RunReport(self.partner, skipped="another run of this partner is busy")
        try:
            if not self.breaker.ready():
                state = self.breaker.state()
                why = "paused" if state.paused else "backing off"
                return RunReport(self.partner, skipped=f"{why} for {state.retry_in:.0f} s")
            return self._run()
        finally:
            self._busy.release()

    def _run(self) -> RunReport:
        if self.source is not None:
            self.source.settle_local()  # needs no connection: done even when the server is down
        poll: PollReport | None = None
        delivery: DeliveryReport | None = None
        try:
            with connect(self.partner, self.channel) as session:
                if self.source is not None:
                    poll = self.source.poll(session)
                if self.sink is not None:
                    delivery = self.sink.deliver(session)
        except SftpError as error:
            return self._failed(str(error), poll, delivery)
        except Exception as error:  # a bug or the ledger: report it, keep the schedule alive
            log.exception("partner %s: the SFTP run failed", self.partner)
            return self._failed(f"{type(error).__name__}: {error}", poll, delivery)
        self.breaker.succeeded()
        return RunReport(self.partner, poll, delivery)

    def _failed(
        self, error: str, poll: PollReport | None, delivery: DeliveryReport | None
    ) -> RunReport:
        delay = self.breaker.failed(error)
        if self.breaker.paused:
            log.error(
                "partner %s: PAUSED for %.0f s after %d failed runs in a row: %s",
                self.partner,
                delay,
                self.breaker.failures,
                error,
            )
        else:
            log.warning("partner %s: run failed (retry in %.0f s): %s", self.partner, delay, error)
        return RunReport(self.partner, poll, delivery, error=error)


class SftpSchedule:
    """Runs every partner with an ``[sftp]`` channel on its schedule."""

    def __init__(
        self,
        settings: Settings,
        ledger: sessionmaker[Session],
        channels: Mapping[str, SftpChannel],
    ) -> None:
        inbox, outbox = settings.path(settings.inbox), settings.path(settings.outbox)
        self.exchanges = {
            name: PartnerExchange(
                name,
                channel,
                inbox=inbox,
                outbox=outbox,
                ledger=ledger,
                max_file_size=settings.max_file_size,
            )
            for name, channel in channels.items()
        }
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        threads = max(1, min(MAX_THREADS, len(self.exchanges)))
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=threads)}, timezone=dt.UTC
        )
        for name, exchange in self.exchanges.items():
            channel = exchange.channel
            schedule = channel.schedule
            if isinstance(schedule, CronSchedule):
                trigger = CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)
                first = None  # the first matching time
            else:
                trigger = IntervalTrigger(seconds=schedule.interval, timezone=dt.UTC)
                first = dt.datetime.now(dt.UTC)  # at once, then every interval
            scheduler.add_job(
                exchange.run,
                trigger,
                id=f"sftp:{name}",
                name=f"SFTP exchange with {name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(channel.grace_time)),
                **({"next_run_time": first} if first is not None else {}),
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("SFTP schedule started for %d partner(s)", len(self.exchanges))

    def stop(self, *, wait: bool = True) -> None:
        """Stop scheduling; with ``wait``, let running exchanges finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None

    def run_now(self, partner: str) -> RunReport:
        """One run of ``partner``, in this thread (tests, ``--once``)."""
        return self.exchanges[partner].run()

    def status(self) -> dict[str, BreakerState]:
        """Each partner's breaker: failures in a row, paused or not, last error."""
        return {name: exchange.breaker.state() for name, exchange in self.exchanges.items()}

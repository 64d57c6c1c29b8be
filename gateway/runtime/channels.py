"""Every partner's channels on their schedules: :class:`ChannelSchedule` (``start()`` /
``stop()``), the same for every kind of channel (:mod:`gateway.ports.channels`).

apscheduler's ``BackgroundScheduler`` runs one job per (partner, channel), interval or cron from
the profile's ``schedule``, with ``max_instances=1`` (one run at a time), ``coalesce=True``
(runs missed while one was busy or the process slept become one) and ``misfire_grace_time`` =
the profile's ``grace_time``. Jobs run on a thread pool, one thread per job (up to
:data:`MAX_THREADS`), so a slow or failing partner never holds up another.

A run (:class:`ChannelRuns`): :meth:`~gateway.ports.Channel.settle` (needs no partner, done even
when it is down), then in one :meth:`~gateway.ports.Channel.session` (SFTP: one connection)
collect, then deliver. A run that fails (a :class:`~gateway.ports.ChannelError`: server down,
host key, login, folder gone; or a bug) counts against the partner's channel's
:class:`~.breaker.Breaker`: retried with exponential backoff, paused after ``pause_after``
failures in a row (logged as an error, and in :meth:`ChannelSchedule.status`).

Wiring into the daemon::

    channels = ChannelSchedule.of(registry, settings, ledger, profiles)
    channels.start()
    ...
    channels.stop()
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..partners import PartnerProfile
from ..ports import Channel, ChannelError, CollectReport, CronSchedule, DeliveryReport, Spool
from ..ports.channels import crontab_trigger
from ..registry import Registry
from .breaker import Breaker, BreakerState

if TYPE_CHECKING:
    from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
        BackgroundScheduler,
    )

log = logging.getLogger(__name__)

MAX_THREADS = 32


@dataclass(frozen=True, slots=True)
class RunReport:
    partner: str
    kind: str
    collected: CollectReport | None = None
    delivered: DeliveryReport | None = None
    error: str | None = None
    skipped: str | None = None
    """Why the run did not start (backing off, paused, another run busy)."""


class ChannelRuns:
    """One partner's channel: its runs, one at a time, behind its breaker."""

    def __init__(self, channel: Channel, *, clock: Callable[[], float] | None = None) -> None:
        self.channel = channel
        config = channel.config
        self.breaker = Breaker(
            initial=config.retry_initial,
            maximum=config.retry_max,
            pause_after=config.pause_after,
            pause_for=config.pause_for,
            clock=clock or channel.spool.clock,
        )
        self._busy = threading.Lock()
        self.paused = False
        """Its partner is paused by an operator (:meth:`ChannelSchedule.hold`): runs skipped."""
        self.counts: Counter[str] = Counter()
        """Since the start: runs ``succeeded`` and ``failed``, files ``taken`` from the
        partner and ``sent`` to it, and their bytes (``bytes_taken``, ``bytes_sent``); the
        metrics read them."""

    @property
    def partner(self) -> str:
        return self.channel.partner

    @property
    def kind(self) -> str:
        return self.channel.kind

    def run(self) -> RunReport:
        if self.paused:
            return self._report(skipped="the partner is paused")
        if not self._busy.acquire(blocking=False):
            return self._report(skipped="another run of this partner is busy")
        try:
            if not self.breaker.ready():
                state = self.breaker.state()
                why = "paused" if state.paused else "backing off"
                return self._report(skipped=f"{why} for {state.retry_in:.0f} s")
            return self._run()
        finally:
            self._busy.release()

    def _run(self) -> RunReport:
        collected: CollectReport | None = None
        delivered: DeliveryReport | None = None
        try:
            self.channel.settle()
            with self.channel.session():
                collected = self.channel.collect()
                delivered = self.channel.deliver()
        except ChannelError as error:
            return self._failed(str(error), collected, delivered)
        except Exception as error:  # a bug or the ledger: report it, keep the schedule alive
            log.exception("partner %s: the %s run failed", self.partner, self.kind)
            return self._failed(f"{type(error).__name__}: {error}", collected, delivered)
        self.breaker.succeeded()
        return self._report(collected=collected, delivered=delivered)

    def _failed(
        self, error: str, collected: CollectReport | None, delivered: DeliveryReport | None
    ) -> RunReport:
        delay = self.breaker.failed(error)
        if self.breaker.paused:
            log.error(
                "partner %s: %s PAUSED for %.0f s after %d failed runs in a row: %s",
                self.partner,
                self.kind,
                delay,
                self.breaker.failures,
                error,
            )
        else:
            log.warning(
                "partner %s: %s run failed (retry in %.0f s): %s",
                self.partner,
                self.kind,
                delay,
                error,
            )
        return self._report(collected=collected, delivered=delivered, error=error)

    def _report(
        self,
        *,
        collected: CollectReport | None = None,
        delivered: DeliveryReport | None = None,
        error: str | None = None,
        skipped: str | None = None,
    ) -> RunReport:
        if skipped is None:
            self.counts["failed" if error is not None else "succeeded"] += 1
            if collected is not None:
                self.counts["taken"] += len(collected.taken)
                self.counts["bytes_taken"] += sum(pickup.size for pickup in collected.taken)
            if delivered is not None:
                self.counts["sent"] += len(delivered.sent)
                self.counts["bytes_sent"] += delivered.bytes_sent
        return RunReport(self.partner, self.kind, collected, delivered, error, skipped)


class ChannelSchedule:
    """Runs every partner's channels on their schedules."""

    def __init__(self, channels: Iterable[Channel]) -> None:
        self.runs = {(c.partner, c.kind): ChannelRuns(c) for c in channels}
        self._scheduler: BackgroundScheduler | None = None

    @classmethod
    def of(
        cls,
        registry: Registry,
        settings: Settings,
        ledger: sessionmaker[Session],
        profiles: Mapping[str, PartnerProfile],
    ) -> ChannelSchedule:
        """A channel of the registry's kind for each ``[<kind>]`` channel section of each
        partner's profile."""
        spool = Spool(
            inbox=settings.path(settings.inbox),
            outbox=settings.path(settings.outbox),
            ledger=ledger,
            max_file_size=settings.max_file_size,
        )
        return cls(
            registry.channel(kind)(name, config, spool)
            for name, profile in profiles.items()
            for kind, config in profile.channels.items()
        )

    def settings(self) -> dict[tuple[str, str], object]:
        """Each channel's settings, by partner and kind (a reload restarts the schedule only
        when they changed)."""
        return {key: runs.channel.config for key, runs in self.runs.items()}

    def start(self) -> None:
        """Schedule every channel's runs. No channel: no scheduler at all (apscheduler is
        imported here, by the first schedule with a channel: a daemon without one never loads
        it)."""
        if not self.runs:
            log.info("channel schedule started: 0 partner channel(s)")
            return
        from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

        threads = max(1, min(MAX_THREADS, len(self.runs)))
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=threads)}, timezone=dt.UTC
        )
        for (partner, kind), runs in self.runs.items():
            config = runs.channel.config
            schedule = config.schedule
            if isinstance(schedule, CronSchedule):
                trigger = crontab_trigger(schedule)
                first = None  # the first matching time
            else:
                trigger = IntervalTrigger(seconds=schedule.interval, timezone=dt.UTC)
                first = dt.datetime.now(dt.UTC)  # at once, then every interval
            scheduler.add_job(
                runs.run,
                trigger,
                id=f"{kind}:{partner}",
                name=f"{kind} run of {partner}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(config.grace_time)),
                **({"next_run_time": first} if first is not None else {}),
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("channel schedule started: %d partner channel(s)", len(self.runs))

    def stop(self, *, wait: bool = True) -> None:
        """Stop scheduling; with ``wait``, let running runs finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None

    def hold(self, paused: frozenset[str]) -> None:
        """Skip the runs of the ``paused`` partners' channels (a run under way finishes), and
        run the others again."""
        for runs in self.runs.values():
            runs.paused = runs.partner in paused

    def run_now(self, partner: str, kind: str) -> RunReport:
        """One run of ``partner``'s ``kind`` channel, in this thread (tests, ``--once``)."""
        return self.runs[(partner, kind)].run()

    def status(self) -> dict[str, dict[str, BreakerState]]:
        """Each partner's channels' breakers (partner -> kind -> state): failures in a row,
        paused or not, last error."""
        found: dict[str, dict[str, BreakerState]] = {}
        for (partner, kind), runs in self.runs.items():
            found.setdefault(partner, {})[kind] = runs.breaker.state()
        return found

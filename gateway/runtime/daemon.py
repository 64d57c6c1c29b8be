"""``edi-gateway run``: watch the inbox, process files, keep the outbox relay draining.

Threads: the main thread takes, records and parses files, a batch at a time (the ledger is the
only shared state); watchdog's observer thread only notes paths and wakes the main thread; after
each commit the main thread wakes the relay thread (which owns the pika connection) and the
finisher (which writes acknowledgements and archives originals, so that its fsyncs overlap the
next batch). SIGTERM or SIGINT stops taking new files, finishes the current batch and stops the
relay.

(Over 400 lines: it is where the daemon's parts are wired and its main loop turns; each part's
work is in its own module: lanes, channels, reload, pauses, the relay, the finisher.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import ledger as repository
from ..bus.consumer import RequestConsumer
from ..bus.relay import OutboxRelay
from ..bus.topology import DEFAULT_TOPOLOGY
from ..config import Settings
from ..fulfilment.hooks import with_order_checks
from ..ledger import create_engine_for, migrate, session_factory
from ..operations.pauses import Pause, PauseWatch
from ..operations.pauses import folder as pauses_folder
from ..outbound.overdue import OverdueSweep
from ..outbound.pipeline import OutboundPipeline
from ..partner_formats import PartnerFormats
from ..partners import PARTNERS_DIR, load_partners_apart
from ..pipeline import Folders, Parsing, Pipeline
from ..references import ReferenceBook
from ..references.published import REFERENCE_QUEUE, ReferenceListener
from ..registry import Registry
from ..spool import Claim, Claimed, ClaimedFileChanged, FolderSource
from . import heap
from .channels import ChannelSchedule
from .finisher import Finisher
from .home_lock import home_lock
from .lanes import LargeFileLane
from .measures import Measures
from .metrics import Health, start_endpoint
from .migration import migrate_apart
from .notify import Notifier, StatusLine, Watchdog
from .recovery import recover_leftovers
from .reload import ProfileWatch, reload_partners, say_disabled
from .retries import RETRY_FIRST, RETRY_INTERVAL, RetrySchedule
from .signals import route_signals
from .workers import WorkerPool, settle_heap

log = logging.getLogger(__name__)

IDLE_WAIT = 0.2
"""Seconds the main thread waits for the watcher when nothing was ready (files waiting for
``min_age`` are looked at again after this)."""
TRICKLE = 8
"""Files ready at most for a trickle: with no other batch to overlap, their small files are read
in the main thread and recorded in the commit's transaction (:meth:`Pipeline.begin`'s
``here``) rather than handed to the parse workers; more files (a burst) are parsed in the
workers while the main thread records and commits."""


@dataclass
class Gateway:
    """Everything the daemon runs, wired from settings (also used by tests and benchmarks)."""

    settings: Settings
    source: FolderSource
    pipeline: Pipeline
    relay: OutboxRelay
    finisher: Finisher
    channels: ChannelSchedule
    """Partners' channels (``mappings/partners/*.toml``): files brought into the inbox, and
    their outbox folders delivered, each on its own schedule."""
    overdue: OverdueSweep
    """Marks outbound documents whose partner's acknowledgement is overdue, every
    ``overdue_check_interval`` seconds (partners' acknowledgements are reconciled by their
    format's document hook, :meth:`gateway.ports.Format.on_document`)."""
    outbound: OutboundPipeline | None = None
    """Outbound requests -> rendered, recorded, written to ``outbox/<partner>/``."""
    consumer: RequestConsumer | None = None
    """Consumes the request queue into ``outbound`` (not in ``--once`` mode, where only the
    files of requests rendered before a crash are written)."""
    retries: RetrySchedule = field(default_factory=RetrySchedule)
    """When :meth:`run` next retries what failures left in the work folder."""
    lane: LargeFileLane | None = None
    """Parses files over ``large_file_size`` beside the others (:mod:`.lanes`)."""
    notifier: Notifier = field(default_factory=Notifier)
    """What systemd is told: ready, status, watchdog, stopping (:mod:`.notify`)."""
    formats: PartnerFormats | None = None
    """Each partner's format (what the pipelines read and write with)."""
    disabled: dict[str, str] = field(default_factory=dict)
    """Partners whose profile is bad, and why: their files stay in the inbox, their requests
    are refused (as for an unknown partner: retried when sent again once it is fixed)."""
    measures: Measures = field(default_factory=Measures)
    """The metrics observed as things happen (:mod:`.measures`): a reload says how it went
    with :meth:`~.measures.Measures.record_reload`."""
    registry: Registry | None = None
    """The formats and channels the profiles are read with (again, at a reload)."""
    reloads: ProfileWatch | None = None
    """When the profiles are read again (:mod:`.reload`; not in ``--once`` mode)."""
    pauses: PauseWatch | None = None
    """The partners an operator paused (:mod:`gateway.operations.pauses`): their files held in
    the inbox, their channels' runs skipped, until resumed."""
    reference_lists: ReferenceListener | None = None
    """Takes the reference lists the modern layer publishes into the ledger (a thread; in
    ``--once`` mode, those waiting when it starts): :mod:`gateway.references.published`."""

    @property
    def paused(self) -> dict[str, Pause]:
        return self.pauses.now if self.pauses is not None else {}

    def hold(self) -> None:
        """Hold the files of the partners disabled or paused, and the channels of those
        paused (at the start, and whenever either changes)."""
        self.source.held = frozenset(self.disabled) | frozenset(self.paused)
        self.channels.hold(frozenset(self.paused))
        self.source.wake()

    def look_at_pauses(self) -> None:
        """Take the pauses and resumes since the last look (each said in the log)."""
        if self.pauses is not None and self.pauses.look():
            self.hold()

    @classmethod
    def from_settings(cls, settings: Settings, registry: Registry) -> Gateway:
        """The daemon's parts, with the formats and channels of ``registry``."""
        measures = Measures()
        engine = create_engine_for(settings.resolved_database_url)
        migrate(engine)
        factory = session_factory(engine)
        folders = Folders(
            outbox=settings.path(settings.outbox),
            archive=settings.path(settings.archive),
            quarantine=settings.path(settings.quarantine),
        )
        topology = DEFAULT_TOPOLOGY.with_bounds(
            settings.catch_all_max_length, settings.dead_letter_max_length
        ).with_request_queue(settings.request_queue, tuple(settings.outbound_bindings))
        relay = OutboxRelay(
            factory,
            amqp_url=settings.amqp_url,
            window=settings.publish_window,
            topology=topology,
            measures=measures,
        )
        profiles, disabled = load_partners_apart(settings.path(PARTNERS_DIR), registry)
        measures.record_config_errors(disabled)
        for partner, why in disabled.items():
            say_disabled(partner, why)
        formats = PartnerFormats.of(registry, profiles)
        workers = settings.parse_workers
        pipeline = Pipeline(
            factory,
            formats,
            folders,
            duplicate_window=dt.timedelta(days=settings.duplicate_window_days),
            on_document=with_order_checks(formats.on_document),
            workers=(
                WorkerPool(workers, warm_up=formats.warm_up, preload=formats.modules)
                if workers
                else None
            ),
            max_file_size=settings.max_file_size,
            policies={name: profile.inbound_policy for name, profile in profiles.items()},
            measures=measures,
            references=ReferenceBook.of(settings),
        )
        finisher = Finisher(pipeline, gathered=settings.gather_window)

        def committed(queued: Sequence[repository.OutboxRow] = ()) -> None:
            relay.notify(queued)
            finisher.notify()

        pipeline.on_commit = committed
        source = FolderSource(
            settings.path(settings.inbox),
            settings.path(settings.work),
            min_age=settings.min_age,
            done_marker=settings.done_marker,
            ignore=settings.ignore,
            rescan_interval=settings.rescan_interval,
            held=disabled,
        )
        channels = ChannelSchedule.of(registry, settings, factory, profiles)
        outbound = OutboundPipeline(
            factory,
            folders.outbox,
            profiles,
            formats,
            workers=pipeline.workers,
            on_commit=lambda: relay.notify(),
            measures=measures,
        )
        consumer = RequestConsumer(
            outbound,
            amqp_url=settings.amqp_url,
            topology=topology,
            queue=settings.request_queue,
            prefetch=settings.outbound_prefetch,
            batch=settings.outbound_batch,
        )
        overdue = OverdueSweep(factory, interval=settings.overdue_check_interval)
        retries = RetrySchedule()
        lane = LargeFileLane(
            pipeline,
            threshold=settings.large_file_size,
            slots=settings.large_file_workers,
            on_failure=retries.failed,
            on_done=source.wake,
            warm_up=formats.warm_up,
            preload=formats.modules,
        )
        return cls(
            settings,
            source,
            pipeline,
            relay,
            finisher,
            channels,
            overdue=overdue,
            outbound=outbound,
            consumer=consumer,
            retries=retries,
            lane=lane,
            formats=formats,
            disabled=disabled,
            measures=measures,
            registry=registry,
            reloads=ProfileWatch(settings.path(PARTNERS_DIR).parent),
            pauses=PauseWatch(pauses_folder(settings)),
            reference_lists=ReferenceListener(
                factory,
                amqp_url=settings.amqp_url,
                queue=REFERENCE_QUEUE.format(instance=settings.instance_name),
            ),
        )

    def _take_reference_lists(self, once: bool) -> None:
        """Start taking the published reference lists; with ``once``, take those waiting now
        (the broker away: said, and the files are checked against the lists kept)."""
        listener = self.reference_lists
        assert listener is not None
        if not once:
            listener.start()
            return
        try:
            listener.take_waiting()
        except Exception as error:
            log.warning("reference lists not taken: %s", error)
        finally:
            listener.stop()

    def status_text(self, files: int) -> str:
        """What the daemon is doing, for systemd: ``files`` taken, the backlog, the broker."""
        try:
            with self.pipeline.factory() as s:
                backlog = f"{repository.outbox_pending(s):,} message(s) to publish"
        except Exception as error:  # the ledger is away: said, never the end of the loop
            backlog = f"outbox unknown ({type(error).__name__})"
        broker = "connected" if self.relay.connected else "not connected (buffering)"
        held = f"; {len(self.disabled)} partner(s) DISABLED (bad profile)" if self.disabled else ""
        if self.paused:
            held += f"; {len(self.paused)} partner(s) PAUSED ({', '.join(sorted(self.paused))})"
        return f"{files:,} file(s) taken since the start; {backlog}; broker {broker}{held}"

    def process_ready(self) -> int:
        """Take and process every file ready now, ``batch_size`` at a time; returns how many.

        When more than one batch is ready, each batch is recorded and its parse started before
        the batch taken before it is committed: the parse of one (in the worker processes)
        overlaps the ledger work of the other. The files of a batch that fails are then tried
        one at a time, so that one file cannot hold back the others; a file that fails alone
        stays in work/ (its ledger row says where it stopped) and is retried later."""
        ready = self._gathered(self.source.ready())
        if self.lane is not None:  # large files: claimed here, parsed beside the batches
            ready = self.lane.take(ready, self.source.claim)
        size = self.settings.batch_size
        count = 0
        failed: list[Claimed] = []
        in_flight: Parsing | None = None
        here = len(ready) <= min(size, TRICKLE)
        for start in range(0, len(ready), size):
            claim = self.source.claim(ready[start : start + size])
            count += len(claim.files)
            begun = self._begin(claim, failed, here=here)
            if in_flight is not None:
                self._complete(in_flight, failed)
            in_flight = begun
        if in_flight is not None:
            self._complete(in_flight, failed)
        if len(failed) == 1:
            self.retries.failed()
        self._one_at_a_time(failed if len(failed) > 1 else ())
        return count

    def _gathered(self, ready: list[Path]) -> list[Path]:
        """``ready``, and the files that become ready within ``gather_window`` seconds while
        fewer than :data:`TRICKLE` are (a burst is taken at once, and nothing waits when the
        window is 0): a steady trickle's files then come a few to a batch, sharing its commit,
        its hand-overs and its publishing, each up to the window later."""
        window = self.settings.gather_window
        if not ready or window <= 0 or len(ready) >= TRICKLE:
            return ready
        deadline = time.monotonic() + window
        while len(ready) < TRICKLE and (left := deadline - time.monotonic()) > 0:
            self.source.wait(left)
            ready = self.source.ready()
        return ready

    def _one_at_a_time(self, files: Sequence[Claimed]) -> None:
        for claimed in files:
            try:  # not fresh any more: the failed attempt may have recorded it
                self.pipeline.process([dataclasses.replace(claimed, fresh=False)])
            except Exception:
                log.exception("processing %s failed; it will be retried", claimed.path)
                self.retries.failed()

    def _begin(self, claim: Claim, failed: list[Claimed], *, here: bool) -> Parsing | None:
        try:
            return self.pipeline.begin(claim.files, claim.durable, here=here)
        except Exception:
            _log_failure(claim.files)
            with contextlib.suppress(OSError):  # their retry records them: not before the sync
                claim.durable()
            failed.extend(claim.files)
            return None

    def _complete(self, parsing: Parsing, failed: list[Claimed]) -> None:
        try:
            self.pipeline.complete(parsing)
        except ClaimedFileChanged as change:  # nothing committed: each read again, whole
            log.warning("%s; the files of its batch are read again, one at a time", change)
            self._one_at_a_time(parsing.batch)
        except Exception:
            _log_failure(parsing.batch)
            failed.extend(parsing.batch)

    def retry_leftovers(self) -> bool:
        """Process again what a crash or a failure left in the work folder, one file at a time
        if need be (:func:`~.recovery.recover_leftovers`); never stops the daemon. Returns
        whether it went through."""
        try:
            leftovers = self._leftovers()
        except OSError:
            log.exception("listing the work folder failed; trying again later")
            return False
        return recover_leftovers(self.pipeline, leftovers)

    def _leftovers(self) -> list[Claimed]:
        """The files in the work folder for a recovery: large ones go to the lane, and those
        it holds are left to it."""
        leftovers = self.source.leftovers()
        return leftovers if self.lane is None else self.lane.recover(leftovers)

    def run(self, stop: threading.Event, *, once: bool = False, drain: float = 30.0) -> None:
        """Run until ``stop`` is set; with ``once``, until nothing is ready, then drain the
        outbox for at most ``drain`` seconds."""
        if self.pipeline.workers is not None:  # started when a file first needs them
            self.pipeline.workers.check()
        for pause in self.paused.values():
            pause.say()
        self.hold()
        self.source.start()
        self.finisher.start()
        if self.lane is not None:
            self.lane.start()
        if self.outbound is not None:  # before the consumer: the two would write the same rows
            _until_done(stop, self.outbound.recover, "writing outbound files left by the last run")
        if not once:
            self.relay.start()
            self.channels.start()
            if self.consumer is not None:
                self.consumer.start()
            self.overdue.start()
        if self.reference_lists is not None:
            self._take_reference_lists(once)
        watchdog = Watchdog(self.notifier, lambda: None if once else self.relay.beat)
        status = StatusLine(self.notifier, self.status_text)
        health = Health()
        endpoint = None if once else start_endpoint(self, health)
        if not once:
            health.ready = True
            self.notifier.ready(self.status_text(0))
        try:
            if not self.retry_leftovers():  # retried like any failure's: never the end
                self.retries.failed()
            while not stop.is_set():
                try:
                    took = self.process_ready()
                except Exception:  # never the end of the daemon: the files stay where they are
                    log.exception(
                        "taking files from the inbox failed; trying again in %.0f s", RETRY_FIRST
                    )
                    stop.wait(RETRY_FIRST)
                    took = 0
                if once and not took and (self.lane is None or self.lane.idle()):
                    break
                if self.retries.is_due():
                    self.retries.retried(self.retry_leftovers())
                if not once and self.reloads is not None and self.reloads.due():
                    reload_partners(self)
                if not once:
                    self.look_at_pauses()
                watchdog.main_loop_beat()
                health.went_round()
                status.taken(took)
                if not took:
                    self.source.wait(IDLE_WAIT)
        finally:
            if not once:
                self.notifier.stopping()
                if endpoint is not None:
                    endpoint.stop()
                if self.consumer is not None:
                    self.consumer.stop()
                if self.reference_lists is not None:
                    self.reference_lists.stop()
                self.channels.stop()
                self.overdue.stop()
            self.source.stop()
            if self.lane is not None:
                self.lane.stop()
            self.finisher.stop()
            if self.pipeline.workers is not None:
                self.pipeline.workers.close()
            if once:
                self.overdue.sweep()
                self.relay.drain_once(drain)
            else:
                self.relay.stop()


def _until_done(stop: threading.Event, step: Callable[[], object], what: str) -> None:
    """Run ``step`` until it goes through or a stop is asked for, the pause between failures
    doubling from :data:`RETRY_FIRST` to :data:`RETRY_INTERVAL` (the ledger may be restarting):
    a failure at start-up is never the end of the daemon."""
    delay = RETRY_FIRST
    while not stop.is_set():
        try:
            step()
            return
        except Exception:
            log.exception("%s failed; trying again in %.0f s", what, delay)
            stop.wait(delay)
            delay = min(delay * 2, RETRY_INTERVAL)


def _log_failure(batch: Sequence[Claimed]) -> None:
    if len(batch) == 1:
        log.exception("processing %s failed; it will be retried", batch[0].path)
    else:
        log.exception("processing %d files failed; trying them one at a time", len(batch))


def warm_up(formats: PartnerFormats | None) -> None:
    """Load what the formats need (validation maps) now, then hide everything alive from the
    cyclic garbage collector: modules and maps live as long as the daemon, and a full collection
    that walked them would pause every thread for tens of milliseconds, now and then, under
    load. The collector then runs as in the parse workers (:func:`.workers.settle_heap`): the
    large-file lane parses here, and with the default threshold (700 allocations) a large CSV
    or fixed-width file read 15-25% fewer rows per CPU second (``bench/flat_xml.py``)."""
    if formats is not None:
        formats.warm_up()  # the maps are cached per process, shared by every validator
    settle_heap()


def _migrate_apart(settings: Settings) -> None:
    """The ledger migrated in a child process, when it must be, so that the daemon does not
    keep alembic loaded all its life (:mod:`.migration`)."""
    engine = create_engine_for(settings.resolved_database_url)
    try:
        migrate_apart(engine, log_level=settings.log_level, log_format=settings.log_format)
    finally:
        engine.dispose()


def run(settings: Settings, registry: Registry, *, once: bool = False, drain: float = 30.0) -> None:
    """The daemon (``once``: one pass, then the outbox drained for at most ``drain`` seconds),
    holding the home's lock from before its ledger is touched to its end;
    :class:`~.home_lock.HomeBusy` when another process holds it."""
    with home_lock(settings.path(settings.work)):
        _run(settings, registry, once=once, drain=drain)


def _run(settings: Settings, registry: Registry, *, once: bool, drain: float) -> None:
    heap.tune()  # before the threads start: two arenas at most
    _migrate_apart(settings)
    stop = threading.Event()
    gateway = Gateway.from_settings(settings, registry)

    def stopping() -> None:
        log.info("stop asked (SIGTERM or SIGINT): finishing the current batch, then stopping")
        stop.set()
        gateway.source.wake()

    def reloading() -> None:
        if gateway.reloads is not None:
            gateway.reloads.ask()
        gateway.source.wake()

    route_signals({signal.SIGTERM: stopping, signal.SIGINT: stopping, signal.SIGHUP: reloading})
    warm_up(gateway.formats)
    log.info(
        "edi-gateway running: inbox %s, ledger %s",
        settings.path(settings.inbox),
        settings.resolved_database_url.split("@")[-1],
    )
    gateway.run(stop, once=once, drain=drain)

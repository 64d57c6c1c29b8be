"""The channel port: how files travel between a partner and the spool.

A :class:`Channel` is declared once, as a subclass with a ``kind`` (the partner profile's
section of that name), a ``Config`` (that section's model, a :class:`ChannelConfig`) and
``delivers``, and registered in ``adapters/__init__.py``. An instance serves one partner; the
core (:mod:`gateway.runtime.channels`) runs it on the partner's schedule, one run at a time,
behind the partner's circuit breaker::

    channel.settle()                 # what a previous run left, without the partner's side
    with channel.session():          # the partner's side open for the run (SFTP: a connection)
        channel.collect()            # new files -> inbox/<partner>/
        channel.deliver()            # outbox/<partner>/ -> the partner, then outbox/.../sent/

What the core asks of every channel, and what ``tests/contract/`` proves of each:

- :meth:`Channel.collect` brings the partner's complete new files into ``inbox/<partner>/``,
  each whole and once, under a safe name (:func:`gateway.spool.unsafe_name`; other names are
  refused and reported), and removes (or moves, or keeps) a file at the partner's side only
  once it is durably in the inbox and the ledger's ``remote_pickups`` row says so;
- :meth:`Channel.deliver` takes each file of ``outbox/<partner>/`` to the partner, whole and
  once, never in place of a file there, then moves it to ``outbox/<partner>/sent/``;
- :meth:`Channel.delivered` says when a delivery is complete: its ``deliveries`` row in the
  ledger is confirmed (what the outbound pipeline's ``sweep_delivered`` reads to call a
  document ``sent``);
- a partner's side that cannot be reached is a :class:`ChannelError`: nothing moves, and the
  next run starts again.

The settings every channel shares (its schedule, retries, circuit breaker) are in
:class:`ChannelConfig`, so a profile's ``[sftp]`` or ``[folder]`` section has the same keys for
them.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TextIO

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..ledger.models import DELIVERIES
from ..ledger.transfers import CONFIRMED_DELIVERY_STATES

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntervalSchedule(_Strict):
    interval: float = Field(gt=0, description="seconds between runs", examples=[60])


class CronSchedule(_Strict):
    cron: str = Field(
        min_length=1, description="crontab expression (5 fields)", examples=["*/5 * * * *"]
    )
    timezone: str = Field(default="UTC", description="time zone of the cron expression")

    @model_validator(mode="after")
    def _valid_crontab(self) -> CronSchedule:
        try:
            crontab_trigger(self)
        except (ValueError, LookupError) as error:
            raise ValueError(f"not a usable crontab expression {self.cron!r}: {error}") from None
        return self


def crontab_trigger(schedule: CronSchedule) -> CronTrigger:
    """apscheduler's trigger for ``schedule`` (checked when a profile is loaded, used by the
    schedule); ValueError or LookupError when the expression or the time zone is not usable.
    apscheduler is imported here, by the first profile with a cron schedule: a daemon with no
    channel never loads it."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)


class ChannelConfig(_Strict):
    """Base of a channel's section in a partner profile (``[<kind>]``): the settings of the run
    that every channel shares; a channel adds its own. Unknown keys are errors."""

    schedule: IntervalSchedule | CronSchedule = Field(
        default_factory=lambda: IntervalSchedule(interval=60.0),
        description="when the partner is visited: { interval = 60 } or { cron = '*/5 * * * *' }",
    )
    grace_time: float = Field(
        default=300.0, gt=0, description="seconds a run that missed its time may still start"
    )
    retry_initial: float = Field(default=30.0, gt=0, description="first retry delay, seconds")
    retry_max: float = Field(default=1800.0, gt=0, description="longest retry delay, seconds")
    pause_after: int = Field(
        default=5, ge=1, description="consecutive failed runs before the partner is paused"
    )
    pause_for: float = Field(default=900.0, gt=0, description="seconds a paused partner waits")


@dataclass(frozen=True, slots=True)
class Spool:
    """What the core hands a channel: the spool's folders and the ledger."""

    inbox: Path
    """``inbox/``: a partner's files go to ``inbox/<partner>/``."""
    outbox: Path
    """``outbox/``: a partner's files to deliver are in ``outbox/<partner>/``."""
    ledger: sessionmaker[Session]
    max_file_size: int | None = None
    """A larger file at the partner's side is refused and left there (never copied)."""
    clock: Callable[[], float] = time.monotonic
    """Completeness (``min_age``) and retry delays go by it (tests move it by hand)."""


@dataclass(frozen=True, slots=True)
class Pickup:
    """A file taken from the partner's side, now in ``inbox/<partner>/``."""

    partner: str
    remote_path: str
    """Where it was at the partner's side (the ledger's ``remote_pickups.remote_path``)."""
    size: int
    mtime: int
    sha256: str
    path: Path
    pickup_id: int


@dataclass(slots=True)
class CollectReport:
    """What one :meth:`Channel.collect` did. ``failed`` and ``refused`` are (name, reason)."""

    partner: str
    taken: list[Pickup] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    """Removed (moved, kept) at the partner's side for files taken by an earlier run."""
    waiting: list[str] = field(default_factory=list)
    """Not complete yet (still changing, too recent, no done marker)."""
    already: list[str] = field(default_factory=list)
    """Taken before (kept at the partner's side, or waiting for a removal that failed)."""
    refused: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class DeliveryReport:
    """What one :meth:`Channel.deliver` did. ``failed`` is (name, reason) pairs."""

    partner: str
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    """Confirmed by an earlier run (which stopped before moving the local file)."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    """Failed before and waiting for their retry time."""
    bytes_sent: int = 0
    """The size of the files ``sent``, together (the metrics)."""


class Channel(ABC):
    """A way files travel between one partner and the spool (see the module)."""

    kind: ClassVar[str]
    Config: ClassVar[type[ChannelConfig]]
    delivers: ClassVar[bool] = True
    """Whether it takes the partner's outbox files to the partner (a document is then ``sent``
    once delivered); otherwise the partner collects them from its outbox folder, and a document
    is ``sent`` once written there."""

    def __init__(self, partner: str, config: ChannelConfig, spool: Spool) -> None:
        if not isinstance(config, self.Config):
            raise TypeError(f"{type(self).__name__} takes a {self.Config.__name__}")
        self.partner = partner
        self.config = config
        self.spool = spool

    @property
    def inbox(self) -> Path:
        """``inbox/<partner>/``."""
        return self.spool.inbox / self.partner

    @property
    def outbox(self) -> Path:
        """``outbox/<partner>/``."""
        return self.spool.outbox / self.partner

    def settle(self) -> None:
        """Finish locally what an interrupted run left (a recorded file not in the inbox yet),
        without reaching the partner's side: done even when it is down."""
        return None

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """The partner's side open for one run (SFTP: one connection for collecting and
        delivering); :class:`ChannelError` when it cannot be reached. Collect and deliver
        outside a session open one for themselves."""
        yield

    @abstractmethod
    def collect(self) -> CollectReport:
        """Bring the partner's complete new files into ``inbox/<partner>/`` (see the module)."""

    @abstractmethod
    def deliver(self) -> DeliveryReport:
        """Take ``outbox/<partner>/`` to the partner, each file moved to ``sent/`` once there."""

    def delivered(self, name: str, sha256: str) -> bool:
        """Whether the delivery of the outbox file ``name`` with these bytes is complete: the
        partner has it (its ``deliveries`` row is confirmed)."""
        confirmed = (
            select(DELIVERIES.c.id)
            .where(DELIVERIES.c.partner == self.partner)
            .where(DELIVERIES.c.local_name == name)
            .where(DELIVERIES.c.sha256 == sha256)
            .where(DELIVERIES.c.state.in_([state.value for state in CONFIRMED_DELIVERY_STATES]))
            .limit(1)
        )
        with self.spool.ledger.begin() as s:
            return s.execute(confirmed).first() is not None

    @classmethod
    def check(cls, partner: str, config: ChannelConfig, out: TextIO) -> bool:
        """``edi-gateway partner check``: try each step of reaching the partner through this
        channel, one line each to ``out``; whether all went through."""
        out.write(f"{cls.kind}: nothing to check\n")
        return True

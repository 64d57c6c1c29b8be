"""The relay's bookkeeping of publish outcomes: what the broker said of each message
(confirmed, returned, nacked) until the ledger has recorded it.

The broker's confirms arrive on the IO loop; the ledger is written by the database worker. The
outcomes are gathered (for at most :data:`MARK_GATHER`, or until a batch of them is here) and
recorded in one transaction, each row with the moment of its own confirm. An outcome the ledger
could not take is kept and recorded again after :data:`MARK_RETRY_DELAY`: the confirm is real,
and a row is PUBLISHED only once its confirm is recorded. What is still unrecorded when the loop
ends is recorded in the relay thread (:meth:`OutcomeRecording._flush_marks`); should that fail,
those rows stay pending and are published again.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from .. import ledger as repository
from ..runtime.crashpoints import crash_point
from .connection import describe
from .session import BrokerClient, S, St

if TYPE_CHECKING:
    from ..runtime.measures import Measures

MARK_RETRY_DELAY = 1.0
"""Seconds before what the ledger refused (a recording, a read) is tried again."""
MARK_GATHER = 0.2
"""At most this long (seconds) the broker's confirms wait to be recorded, so that they are
recorded a batch at a time: the confirms of a burst in one transaction rather than one per
confirm frame, and under a steady trickle of files those of some twenty files (at 100 files/s)
rather than one transaction per file (each row keeps the moment of its own confirm, so the
latency measured is not this wait's). A crash loses at most this long of confirms: their
messages are published again (consumers deduplicate on the message id)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the broker said of a message: confirmed (``unroutable`` None), returned, or nacked
    (it stays pending, the reason noted), and when its confirm arrived."""

    unroutable: str | None
    at: dt.datetime
    nacked: str | None = None

    @property
    def final(self) -> bool:
        """Confirmed or returned: the row is pending no more once this is recorded."""
        return self.nacked is None


class OutcomeRecording(BrokerClient[S, St]):
    """The relay's layer that records publish outcomes (see the module docstring)."""

    _factory: sessionmaker[Session]
    _batch: int
    """Outcomes recorded at once without waiting for more."""
    _mark_gather: float
    _to_mark: dict[int, Outcome]
    """outbox id -> what the broker said of it; not yet recorded"""
    _marking: dict[int, Outcome]
    """the same, being recorded by the database worker now"""
    _mark_future: Future[int] | None
    _mark_retry_timer: Any
    _gather_timer: Any
    _run_published: int
    """Rows recorded PUBLISHED in this run of the loop."""
    measures: Measures | None = None
    """Told of each batch of outcomes once recorded (the daemon's metrics); None: nobody is."""

    @abstractmethod
    def _check_drained(self, session: S) -> bool:
        """In drain mode: stop once everything is published and recorded; whether it stops."""

    def _reset_outcomes(self) -> None:
        """Before a run of the loop: nothing gathered, nothing being recorded."""
        self._to_mark = {}
        self._marking = {}
        self._mark_future = None
        self._mark_retry_timer = None
        self._gather_timer = None
        self._run_published = 0

    def _settle(self, outcomes: Iterable[tuple[int, str | None]]) -> None:
        """The broker's word on these outbox rows (None: confirmed; else why it returned them)."""
        now = dt.datetime.now(dt.UTC)
        for outbox_id, unroutable in outcomes:
            self._to_mark[outbox_id] = Outcome(unroutable, now)
        self._schedule_marks()

    def _schedule_marks(self) -> None:
        """Record the outcomes gathered so far once a batch of them is here, a stop begins, or
        :data:`MARK_GATHER` after the first of them."""
        if self._marking or not self._to_mark or self._mark_retry_timer is not None:
            return
        if len(self._to_mark) < self._batch and not self._stopping and self._ioloop is not None:
            if self._gather_timer is None:
                self._gather_timer = self._ioloop.call_later(
                    self._mark_gather, self._guarded(self._gathered)
                )
            return
        self._start_marks()

    def _gathered(self) -> None:
        self._gather_timer = None
        if not self._marking and self._mark_retry_timer is None:
            self._start_marks()

    def _start_marks(self) -> None:
        if self._executor is None or not self._to_mark:
            return
        if self._gather_timer is not None and self._ioloop is not None:
            self._ioloop.remove_timeout(self._gather_timer)
            self._gather_timer = None
        batch, self._to_mark = self._to_mark, {}
        self._marking = batch
        executor = self._executor
        future = executor.submit(self._record_outcomes, batch)
        self._mark_future = future
        future.add_done_callback(lambda f: self._post(partial(self._on_marked, f)))

    def _record_outcomes(self, batch: dict[int, Outcome]) -> int:
        """Database worker: one transaction for a batch of outcomes; returns rows published,
        each at the moment its confirm arrived."""
        confirmed = {i: o.at for i, o in batch.items() if o.final and o.unroutable is None}
        unroutable = [(i, o.unroutable) for i, o in batch.items() if o.unroutable is not None]
        nacked: dict[str, list[int]] = {}
        for outbox_id, outcome in batch.items():
            if outcome.nacked is not None:
                nacked.setdefault(outcome.nacked, []).append(outbox_id)
        published = list(confirmed)
        if published:
            crash_point("after_publish")
        with self._factory.begin() as s:
            if published:
                repository.mark_published(s, published, at=confirmed)
            for outbox_id, reason in unroutable:
                repository.mark_unroutable(s, outbox_id, reason)
            for reason, outbox_ids in nacked.items():
                repository.note_nacked(s, outbox_ids, reason)
        self._bump(published=len(published), unroutable=len(unroutable), recordings=1)
        if self.measures is not None:
            self.measures.published(confirmed, (outbox_id for outbox_id, _ in unroutable))
        return len(published)

    def _on_marked(self, future: Future[int]) -> None:
        if future is not self._mark_future:
            return
        self._mark_future = None
        batch, self._marking = self._marking, {}
        error = future.exception()
        if error is not None:
            # Keep the outcomes (the confirms are real) and try again.
            batch.update(self._to_mark)
            self._to_mark = batch
            self._record_error(f"ledger: cannot record publish outcomes: {describe(error)}")
            self._log.warning(
                "cannot record %d publish outcome(s) (%s); retrying in %.1f s",
                len(batch),
                describe(error),
                MARK_RETRY_DELAY,
            )
            if self._ioloop is not None:
                self._mark_retry_timer = self._ioloop.call_later(
                    MARK_RETRY_DELAY, self._guarded(self._retry_marks)
                )
            return
        self._run_published += future.result()
        self._schedule_marks()
        session = self._session
        if session is not None:
            self._check_drained(session)

    def _retry_marks(self) -> None:
        self._mark_retry_timer = None
        self._schedule_marks()

    def _flush_marks(self) -> None:
        """After the loop (the database worker has finished): record the outcomes still
        unrecorded, in this thread."""
        future, self._mark_future = self._mark_future, None
        if future is not None and future.exception() is None:
            self._run_published += future.result()  # done, but the loop never heard of it
            self._marking = {}
        batch = {**self._marking, **self._to_mark}
        self._marking, self._to_mark = {}, {}
        if not batch:
            return
        try:
            self._run_published += self._record_outcomes(batch)
        except Exception as exc:
            self._record_error(f"ledger: cannot record publish outcomes: {describe(exc)}")
            self._log.error(
                "could not record %d publish outcome(s) (%s): those rows stay pending and will "
                "be published again",
                len(batch),
                describe(exc),
            )

"""What the daemon measures as it happens, for its endpoint (:mod:`.metrics`, whose docstring
lists every metric): histograms and counters kept in this process, each fed once per file, batch,
run or reading, never per segment or row.

- :meth:`Measures.committed`: a batch of inbound files committed (the pipeline hands over an
  :class:`InboundBatch` it filled in its transaction): each file's parse time, its documents by
  kind and outcome, the exceptions, and the messages its documents wait on;
- :meth:`Measures.published`: the broker's confirms recorded (the relay): once every document of
  one kind in a file is confirmed, the file's end-to-end latency for that kind;
- :meth:`Measures.sent`: outbound documents sent to partners (the outbound pipeline);
- :meth:`Measures.read_acknowledgements`: partners' acknowledgements that settled a document,
  recorded since the last reading (the ledger, read with the endpoint's other figures);
- :meth:`Measures.record_reload`, :meth:`Measures.record_config_errors`: the configuration.

Its metrics are in no registry (the global one least of all): the endpoint's registry collects
them through this object, one per daemon, so tests and daemons in one process never clash.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram
from prometheus_client.core import Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from ..ledger.reconciliation import applied_acks_after, last_partner_ack_id
from ..ports import ParseResult

PARSE_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 1800.0, 3600.0)
CYCLE_BUCKETS = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 12 * 3600.0, 86400.0, 7 * 86400.0)
"""Seconds from sending a document to its partner's acknowledgement (deadlines are in hours)."""
MAX_AWAITED = 100_000
"""Messages whose confirm the end-to-end latency waits for, at most; beyond, the oldest are
forgotten (their files are not timed): a broker away for long, or a message never confirmed."""
ACKS_READ = 1000
"""Acknowledgements taken in one reading at most (the rest at the next)."""
OUTCOMES = {"parsed": "accepted", "failed": "refused", "duplicate": "duplicate"}
"""A document's state as the pipeline records it -> its outcome in the metrics."""
UNREAD = "file"
"""The ``kind`` of an exception that is a whole file set aside with no document read."""
WITHHELD = "withheld"
"""The ``kind`` of an exception that is a document withheld for a business exception (items
or locations the reference data does not know: :mod:`gateway.references`)."""

M = TypeVar("M", bound=MetricWrapperBase)


class _Children(Generic[M]):
    """A labelled metric's children, each looked up once (``labels()`` takes a lock and builds
    its key at every call: the half of an observation's cost)."""

    def __init__(self, metric: M) -> None:
        self.metric = metric
        self._found: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._found.get(values)
        if child is None:  # two threads may both look it up: labels() gives both the same
            child = self._found[values] = self.metric.labels(*values)
        return child


@dataclass(slots=True)
class InboundBatch:
    """What a batch of inbound files adds to the figures, gathered by the pipeline while it
    commits the batch; :meth:`Measures.committed` takes it once the commit went through."""

    parses: list[tuple[str, str, float]] = field(default_factory=list)
    """(partner, kind of format, seconds) of each file read."""
    documents: Tally[tuple[str, str, str]] = field(default_factory=Tally)
    """(partner, document kind, state recorded) -> documents."""
    unread: Tally[str] = field(default_factory=Tally)
    """partner -> files quarantined with no document read (unreadable, refused whole)."""
    queued: list[tuple[int, int, str, str, dt.datetime]] = field(default_factory=list)
    """(outbox id, file id, partner, document kind, when the file was received) of each
    accepted document's message."""
    withheld: Tally[str] = field(default_factory=Tally)
    """partner -> documents accepted but withheld (not published) for a business exception."""

    def read(self, partner: str, result: ParseResult) -> None:
        """A file of ``partner`` read (or refused unread) as ``result``."""
        if result.format:
            self.parses.append((partner, result.format, result.seconds))
        if result.has_errors and not result.documents:
            self.unread[partner] += 1


@dataclass(slots=True)
class _Awaited:
    """The documents of one kind in one file, their messages waiting for the broker."""

    partner: str
    kind: str
    received_at: dt.datetime
    left: int = 0
    last: dt.datetime | None = None
    """The latest confirm of its messages so far."""
    returned: bool = False
    """One of its messages came back unroutable: the file is not timed."""


class Measures(Collector):
    """The daemon's in-process metrics (see the module's docstring); safe from any thread."""

    def __init__(self) -> None:
        self._started = dt.datetime.now(dt.UTC)
        self._lock = threading.Lock()
        self._awaited: dict[int, _Awaited] = {}
        """outbox id -> the documents its message is one of"""
        self._acks_after: int | None = None
        self.parse_seconds = Histogram(
            "edigw_parse_latency_seconds",
            "seconds reading and translating one inbound file took, by partner and kind of format",
            ["partner", "kind"],
            registry=None,
            buckets=PARSE_BUCKETS,
        )
        self.end_to_end = Histogram(
            "edigw_end_to_end_latency_seconds",
            "seconds from a file's receipt (its record in the ledger) to the broker's confirm "
            'of the last of its documents of a kind, by partner and document kind (kind="850": '
            "order-to-publish latency)",
            ["partner", "kind"],
            registry=None,
            buckets=LATENCY_BUCKETS,
        )
        self.documents = Counter(
            "edigw_documents_processed",
            "inbound documents processed, by partner, kind and outcome (accepted, refused, "
            "duplicate)",
            ["partner", "kind", "outcome"],
            registry=None,
        )
        self.exceptions = Counter(
            "edigw_exceptions",
            "inbound exceptions, by partner and kind: documents refused (their kind), files "
            'quarantined with no document read (kind="file") and documents withheld for items '
            'or locations the reference data does not know (kind="withheld")',
            ["partner", "kind"],
            registry=None,
        )
        self.outbound_sent = Counter(
            "edigw_outbound_sent",
            "outbound documents sent to partners, by partner and kind",
            ["partner", "kind"],
            registry=None,
        )
        self.acknowledged = Counter(
            "edigw_outbound_acknowledged",
            "outbound documents settled by their partner's acknowledgement, by partner, kind "
            "and the state it gave (accepted, accepted_with_errors, rejected)",
            ["partner", "kind", "state"],
            registry=None,
        )
        self.ack_cycle = Histogram(
            "edigw_outbound_ack_cycle_seconds",
            "seconds from sending an outbound document to the partner's acknowledgement that "
            "settled it, by partner and kind",
            ["partner", "kind"],
            registry=None,
            buckets=CYCLE_BUCKETS,
        )
        self.reloads = Counter(
            "edigw_reloads",
            "configuration reloads, by outcome (succeeded, failed)",
            ["outcome"],
            registry=None,
        )
        self.config_errors = Counter(
            "edigw_config_errors",
            "configuration errors found (at the start, and by each reload: a profile newly bad "
            "or bad anew): a partner's bad profile (its partner), or a reload that failed "
            '(partner="")',
            ["partner"],
            registry=None,
        )
        self._parses = _Children(self.parse_seconds)
        self._latencies = _Children(self.end_to_end)
        self._metrics = (
            self.parse_seconds,
            self.end_to_end,
            self.documents,
            self.exceptions,
            self.outbound_sent,
            self.acknowledged,
            self.ack_cycle,
            self.reloads,
            self.config_errors,
        )

    def collect(self) -> Iterator[Metric]:
        for metric in self._metrics:
            for family in metric.collect():  # without the *_created series (they double all)
                family.samples = [s for s in family.samples if not s.name.endswith("_created")]
                yield family

    # -- inbound -------------------------------------------------------------------------------

    def committed(self, batch: InboundBatch) -> None:
        """A batch of inbound files is committed (the pipeline)."""
        for partner, kind, seconds in batch.parses:
            self._parses(partner, kind).observe(seconds)
        for (partner, kind, state), count in batch.documents.items():
            outcome = OUTCOMES.get(state, state)
            self.documents.labels(partner, kind, outcome).inc(count)
            if outcome == "refused":
                self.exceptions.labels(partner, kind).inc(count)
        for partner, count in batch.unread.items():
            self.exceptions.labels(partner, UNREAD).inc(count)
        for partner, count in batch.withheld.items():
            self.exceptions.labels(partner, WITHHELD).inc(count)
        if batch.queued:
            self._await(batch.queued)

    def set_aside(self, partner: str) -> None:
        """A file of ``partner`` quarantined unread, outside a batch (its processing failed for
        a cause of its own, or it changed after it was processed)."""
        self.exceptions.labels(partner, UNREAD).inc()

    def _await(self, queued: Iterable[tuple[int, int, str, str, dt.datetime]]) -> None:
        groups: dict[tuple[int, str], _Awaited] = {}
        awaited: dict[int, _Awaited] = {}
        for outbox_id, file_id, partner, kind, received_at in queued:
            group = groups.get((file_id, kind))
            if group is None:
                group = groups[(file_id, kind)] = _Awaited(partner, kind, received_at)
            group.left += 1
            awaited[outbox_id] = group
        with self._lock:
            self._awaited.update(awaited)
            over = len(self._awaited) - MAX_AWAITED
            if over > 0:  # the oldest first (a dict keeps its order)
                for outbox_id in list(self._awaited)[:over]:
                    del self._awaited[outbox_id]

    def published(self, confirmed: Mapping[int, dt.datetime], returned: Iterable[int]) -> None:
        """The broker's word on these outbox rows is recorded (the relay): ``confirmed``
        (outbox id -> when its confirm came) and ``returned`` (unroutable)."""
        done: list[_Awaited] = []
        with self._lock:
            if not self._awaited:
                return
            for outbox_id, at in confirmed.items():
                group = self._awaited.pop(outbox_id, None)
                if group is not None:
                    group.last = at if group.last is None else max(group.last, at)
                    group.left -= 1
                    if group.left == 0 and not group.returned:
                        done.append(group)
            for outbox_id in returned:
                group = self._awaited.pop(outbox_id, None)
                if group is not None:
                    group.left -= 1
                    group.returned = True
        for group in done:
            assert group.last is not None
            seconds = max(0.0, (group.last - group.received_at).total_seconds())
            self._latencies(group.partner, group.kind).observe(seconds)

    @property
    def awaited(self) -> int:
        """Messages whose confirm the end-to-end latency waits for."""
        with self._lock:
            return len(self._awaited)

    # -- outbound ------------------------------------------------------------------------------

    def sent(self, documents: Iterable[tuple[str, str]]) -> None:
        """These outbound documents, (partner, kind) each, were sent (the outbound pipeline,
        once their state is committed)."""
        for (partner, kind), count in Tally(documents).items():
            self.outbound_sent.labels(partner, kind).inc(count)

    def read_acknowledgements(self, s: Session) -> None:
        """Count the partners' acknowledgements that settled a document since the last reading
        (the first reading: since this object was made), at most :data:`ACKS_READ`. The caller
        calls it from one thread at a time (the endpoint, with the ledger's figures)."""
        if self._acks_after is None:
            self._acks_after = last_partner_ack_id(s, self._started)
        for ack in applied_acks_after(s, self._acks_after, limit=ACKS_READ):
            self.acknowledged.labels(ack.partner, ack.kind, ack.state.value).inc()
            self.ack_cycle.labels(ack.partner, ack.kind).observe(ack.seconds)
            self._acks_after = ack.id

    # -- configuration -------------------------------------------------------------------------

    def record_reload(self, ok: bool, bad_profiles: Iterable[str] = ()) -> None:
        """A reload of the configuration was tried: ``ok`` when it took effect (``bad_profiles``:
        the partners whose profile it found bad, each a configuration error); a reload that
        failed as a whole counts one configuration error of its own (``partner=""``)."""
        self.reloads.labels("succeeded" if ok else "failed").inc()
        self.record_config_errors(bad_profiles)
        if not ok:
            self.config_errors.labels("").inc()

    def record_config_errors(self, bad_profiles: Iterable[str]) -> None:
        """Partners whose profile was found bad (at the start, or by a reload)."""
        for partner in bad_profiles:
            self.config_errors.labels(partner).inc()

"""Outbound requests -> ledger -> files in ``outbox/<partner>/``, a batch at a time.

The consumer (:mod:`gateway.bus.consumer`) hands over a batch of broker deliveries:

0. :meth:`OutboundPipeline.begin` prepares it (:func:`~.preparing.prepare_requests`, in the
   worker processes when there are some, while the batch before is being recorded): every
   request is parsed, checked against its partner's profile, rendered in its partner's format
   and validated as a :class:`~gateway.ports.Draft` with draft numbers, or refused with its
   reason. Nothing is recorded yet.

Then :meth:`OutboundPipeline.complete`, in the consumer's database thread:

1. one transaction: requests already recorded are looked up by request id (a request published
   twice is recorded once); every new draft gets control numbers drawn in this transaction and
   is recorded ``rendered`` with its text; a refused request is recorded ``invalid`` with its
   reason and an ``invalid`` status event; commit;
2. the files are written (temp file, fsync, a name of their own; one fsync per folder), never
   in place of another file (:mod:`gateway.spool`): a file whose name is taken in the outbox or
   in ``sent/`` (the sequence wrapped, or started again for new ids) takes another name;
3. one transaction: the rows become ``written`` (``sent``, with the ``sent`` status event, for a
   partner without a channel that delivers: the partner collects them from the folder), under
   the names their files took;
4. the consumer publishes the refused requests' dead letters (confirmed), then acks the batch.

A crash anywhere is safe: before 1 commits, nothing happened and the broker redelivers; after, a
redelivered request is found in the ledger and only acked (or dead-lettered again when it was
refused), and :meth:`OutboundPipeline.recover` (at start, and for every redelivery of a
``rendered`` request) writes the files of ``rendered`` rows from their stored text: same bytes,
same name; a file found there with the same bytes is the one written before the crash.

Crash points: ``outbound_after_commit`` (rendered, no file), ``outbound_after_write`` (files
written, rows still ``rendered``), ``outbound_after_written`` (rows ``written``, broker not
acked).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from .. import ledger as repository
from ..fulfilment.hooks import RequestCheck, check_request
from ..ledger import NewMessage
from ..ledger import outbound as ledger
from ..ledger.counters import counter_in
from ..ledger.outbound import NewOutbound, OutboundRow, OutboundState
from ..partner_formats import PartnerFormats
from ..partners import PartnerProfile
from ..runtime.crashpoints import crash_point
from ..runtime.measures import Measures
from ..runtime.workers import WorkerPool
from ..spool import SENT_FOLDER, write_new
from .preparing import Delivery, Partners, Prepared, Preparing, prepare_requests
from .records import as_row, rendered_row
from .status import OutboundStatus, document_status, status_message

__all__ = ["BatchResult", "DeadLetter", "OutboundPipeline", "as_row", "rendered_row"]
"""``as_row`` and ``rendered_row`` (:mod:`.records`) too: the formats' tests import them here."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A refused request to publish to the dead-letter exchange before its delivery is acked."""

    delivery: Delivery
    request_id: str
    reason: str


@dataclass(slots=True)
class BatchResult:
    dead_letters: list[DeadLetter] = field(default_factory=list)
    rendered: int = 0
    duplicates: int = 0
    refused: int = 0


class OutboundPipeline:
    """Renders, records and writes outbound requests. :meth:`begin` may be called from any
    thread; the rest from one thread at a time."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        outbox: Path,
        profiles: Mapping[str, PartnerProfile],
        formats: PartnerFormats,
        *,
        workers: WorkerPool | None = None,
        on_commit: Callable[[], None] | None = None,
        measures: Measures | None = None,
    ) -> None:
        self.factory = factory
        self.outbox = outbox
        self.partners = Partners(dict(profiles), formats)
        """Read once per batch: :meth:`use` replaces it whole."""
        self.workers = workers
        """Worker processes that render (and validate) the requests."""
        self.on_commit = on_commit
        self.measures = measures
        """Told of the documents sent (the daemon's metrics); None: nobody is."""

    def use(self, profiles: Mapping[str, PartnerProfile], formats: PartnerFormats) -> None:
        """Prepare the next batches with ``profiles`` and ``formats`` (reloaded)."""
        self.partners = Partners(dict(profiles), formats)

    # -- a batch -------------------------------------------------------------------------------

    def begin(self, deliveries: Sequence[Delivery]) -> Preparing:
        """Start preparing ``deliveries`` (:func:`prepare_requests`: no ledger, no files), in
        the worker processes when there are some; :meth:`complete` records them. So a batch is
        rendered while the one before is being recorded and written."""
        now = dt.datetime.now(dt.UTC)
        workers, partners = self.workers, self.partners
        profiles, formats = partners.profiles, partners.formats
        if workers is None:
            return Preparing(
                deliveries,
                now,
                lambda: prepare_requests(deliveries, profiles, formats, now),
                partners,
            )
        size = -(-len(deliveries) // workers.workers)  # a share for each worker
        jobs = [
            workers.call(prepare_requests, deliveries[start : start + size], profiles, formats, now)
            for start in range(0, len(deliveries), size)
        ]
        return Preparing(
            deliveries, now, lambda: [item for job in jobs for item in job()], partners
        )

    def complete(self, preparing: Preparing) -> BatchResult:
        """Record the prepared batch (one transaction), write its files, record them written."""
        deliveries, now, partners = preparing.deliveries, preparing.at, preparing.partners
        prepared = preparing.job()
        result = BatchResult()
        to_write: list[OutboundRow] = []
        with self.factory.begin() as s:
            known = ledger.outbound_by_request_ids(s, [p.request_id for p in prepared])
            new_rows: list[NewOutbound] = []
            invalid: list[NewMessage] = []
            checked: list[NewMessage] = []  # what the order checks announce
            seen: dict[str, str | None] = {}
            with counter_in(s) as counter:
                for delivery, item in zip(deliveries, prepared, strict=True):
                    request_id = item.request_id
                    row = known.get(request_id)
                    retried = row is not None and row.state == OutboundState.INVALID
                    if request_id in seen or (row is not None and not retried):
                        result.duplicates += 1
                        reason = seen.get(request_id)
                        if row is not None and row.state == OutboundState.RENDERED:
                            to_write.append(row)
                        if reason is not None:
                            result.dead_letters.append(DeadLetter(delivery, request_id, reason))
                        continue
                    check = _order_check(s, item, partners.profiles)  # gateway.fulfilment
                    if check is not None and check.refusal is not None:
                        item = replace(item, draft=None, refusal=check.refusal)
                        check.refused(s, now)
                    seen[request_id] = item.refusal
                    # a request refused before arrives again: taken anew, its cause maybe fixed
                    if item.draft is not None:
                        config = partners.profiles[item.partner].format_config
                        assert config is not None, "a draft is made with the format's settings"
                        new = rendered_row(
                            partners.formats.number(item.partner, item.draft, config, counter),
                            request_id=request_id,
                            partner=item.partner,
                            kind=item.kind,
                            correlation_id=item.correlation_id,
                            request=item.request,
                            detail={"source": item.source},
                        )
                        result.rendered += 1
                        if check is not None:
                            checked += check.rendered(s, new.document_id or request_id, now)
                        if row is None:
                            new_rows.append(new)
                        elif ledger.retry_refused(s, row.id, new):
                            to_write.append(as_row(row.id, new, now))
                        continue
                    reason = item.refusal or "refused"
                    result.refused += 1
                    refused = NewOutbound(
                        request_id=request_id,
                        partner=item.partner,
                        kind=item.kind[:10],
                        correlation_id=item.correlation_id,
                        state=OutboundState.INVALID,
                        request=item.request,
                        detail={"reason": reason},
                    )
                    if row is None:
                        new_rows.append(refused)
                    else:
                        ledger.retry_refused(s, row.id, refused)
                    invalid.append(
                        status_message(
                            state=OutboundStatus.INVALID,
                            request_id=request_id,
                            partner=item.partner,
                            kind=item.kind,
                            correlation_id=item.correlation_id,
                            detail={"reason": reason},
                            at=now,
                        )
                    )
                    result.dead_letters.append(DeadLetter(delivery, request_id, reason))
            repository.enqueue_messages(s, invalid + checked)
            ids = ledger.record_outbound(s, new_rows)
            for row_id, new in zip(ids, new_rows, strict=True):
                if new.state == OutboundState.RENDERED:
                    to_write.append(as_row(row_id, new, now))
        crash_point("outbound_after_commit")
        if result.refused:
            self._committed()
        if to_write:
            self.write(to_write)
        return result

    def write(self, rows: Sequence[OutboundRow]) -> int:
        """Write the files of ``rendered`` rows (found there already when written before a
        crash; under another name when theirs is another file's) and record them ``written``
        (``sent`` for folder partners, with the status event); returns how many were written."""
        files = []
        for row in rows:
            assert row.file_name is not None and row.content is not None
            files.append((self.outbox / row.partner / row.file_name, row.data))
        placed = write_new(files, taken_in=(SENT_FOLDER,))
        crash_point("outbound_after_write")
        now = dt.datetime.now(dt.UTC)
        with self.factory.begin() as s:
            renamed = {
                row.id: where.path.name
                for row, where in zip(rows, placed, strict=True)
                if where.renamed
            }
            ledger.rename_files(s, rows, renamed, at=now)
            rows = [replace(row, file_name=renamed.get(row.id, row.file_name)) for row in rows]
            marks = []
            for row in rows:
                profile = self.partners.profiles.get(row.partner)
                config = profile.format_config if profile is not None else None
                due = None
                if config is not None and config.expects_acknowledgement:
                    due = now + dt.timedelta(hours=config.ack_deadline_hours)
                delivered = profile is None or not profile.delivered_by
                marks.append((row, due, delivered))
            ledger.mark_written(s, marks, at=now)
            how = "the partner collects it from the folder"
            repository.enqueue_messages(
                s, [self._sent_event(row, now, how) for row, _, delivered in marks if delivered]
            )
        crash_point("outbound_after_written")
        if self.measures is not None:
            self.measures.sent((row.partner, row.kind) for row, _, delivered in marks if delivered)
        self._committed()
        return sum(1 for where in placed if where.written)

    # -- recovery and delivery ---------------------------------------------------------------

    def recover(self) -> int:
        """Write the files of every ``rendered`` row (a crash came between the commit and the
        files); returns how many rows were recovered."""
        count = 0
        while True:
            with self.factory.begin() as s:
                rows = ledger.outbound_in_state(s, OutboundState.RENDERED, limit=500)
            if not rows:
                return count
            log.info("outbound: writing %d file(s) rendered before a stop", len(rows))
            self.write(rows)
            count += len(rows)

    def sweep_delivered(self) -> int:
        """``written`` rows whose file the partner's channel has delivered become ``sent``,
        with the status event; returns how many."""
        with self.factory.begin() as s:
            rows = ledger.delivered_outbound(s)
            now = dt.datetime.now(dt.UTC)
            rows = [
                row
                for row in rows
                if ledger.claim_state(
                    s, row.id, OutboundState.SENT, from_states=[OutboundState.WRITTEN], at=now
                )
            ]  # an ack or the overdue sweep may have moved it meanwhile: theirs stands
            for row in rows:
                ledger.set_outbound_state(
                    s,
                    row.id,
                    OutboundState.SENT,
                    message=f"sent: {row.file_name} delivered to {row.partner}'s server",
                    at=now,
                )
            how = "delivered to the partner's server"
            repository.enqueue_messages(s, [self._sent_event(row, now, how) for row in rows])
        if rows:
            if self.measures is not None:
                self.measures.sent((row.partner, row.kind) for row in rows)
            self._committed()
        return len(rows)

    @staticmethod
    def _sent_event(row: OutboundRow, now: dt.datetime, how: str) -> NewMessage:
        detail = {
            "file_name": row.file_name,
            "interchange_ref": row.interchange_ref,
            "group_ref": row.group_ref,
            "transaction_ref": row.transaction_ref,
            "how": how,
        }
        return document_status(row, OutboundStatus.SENT, detail=detail, at=now)

    def _committed(self) -> None:
        if self.on_commit is not None:
            try:
                self.on_commit()
            except Exception:
                log.exception("outbound: the commit hook failed")


def _order_check(
    s: Session, item: Prepared, profiles: Mapping[str, PartnerProfile]
) -> RequestCheck | None:
    """The cross-document check of a prepared request (:mod:`gateway.fulfilment`)."""
    profile = profiles.get(item.partner)
    if item.draft is None or profile is None:
        return None
    return check_request(
        s,
        partner=item.partner,
        kind=item.kind,
        request_id=item.request_id,
        correlation_id=item.correlation_id,
        request=item.request,
        asn_check=profile.asn_check,
    )

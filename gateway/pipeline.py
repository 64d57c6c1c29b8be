"""Inbound: claimed files -> ledger -> parse -> outbox rows and replies -> archive or quarantine.

Files are processed in batches (whatever was ready together, see ``Gateway.process_ready``), so
that a burst costs three commits per batch rather than several per file. The order of steps is
what makes a crash at any instant harmless:

1. The files are claimed (atomic rename into ``work/``) by the source; nothing is recorded yet.
   A crash here leaves them in ``work/``, and :meth:`Pipeline.recover` processes them. They
   are read and their parse started while the source syncs its folders.
2. They are recorded in the ledger (state ``received``), committed at once (one statement; their
   ``received`` events go with step 3, or with the recovery if a crash comes first).
3. They are parsed (in worker processes the parse, which changes nothing, starts before step 2
   and runs during it; see :meth:`Pipeline.begin`); in ONE transaction the documents, the
   outbox rows (the messages to publish), the replies owed to the partners (997/999/TA1 text,
   with control numbers drawn in the same transaction) and each file's destination are
   committed (state ``processed``). A crash before this commit repeats the parse; after it,
   nothing is parsed or enqueued again.
4. :meth:`Pipeline.finish` writes the replies to ``outbox/<partner>/`` (never in place of
   another file: :mod:`gateway.spool`; found there if repeated, and recorded under the name they
   took when theirs was taken) and moves the originals to their destination
   (archive or quarantine); one transaction then marks the replies written and the files
   archived, quarantined or duplicate. It works from the ledger alone, so it finishes whatever a
   crash interrupted, and it may run in a thread of its own.

Steps 2 and 3 are :meth:`Pipeline.begin` and :meth:`Pipeline.complete`: when several batches
are ready, the daemon begins one before it completes the one before.

Publishing is not done here: the relay (``gateway.bus.relay``) drains the outbox rows. After
step 3 the pipeline calls ``on_commit``: the daemon wakes the relay and the finishing thread.

(Over 400 lines: the steps above share the batch's state and their order is the crash safety;
what a document is (:mod:`gateway.duplicates`), what a report holds (:mod:`gateway.reports`)
and how files are written (:mod:`gateway.spool`) are apart already. Splitting the recording of
documents from the rest comes with the format-neutral core, issue 21.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from . import ledger, reports
from .bus.cloudevents import cloud_events, stamped
from .bus.topology import INBOUND_EXCHANGE, routing_key
from .duplicates import Seen, Verdict, classify
from .ledger import DocumentState, FileState, autocommit_factory
from .ledger.counters import TransactionCounter, counter_in
from .notices import (
    BUSINESS_DUPLICATE,
    CONTROL_NUMBERS_REUSED,
    REVISION,
    UNKNOWN_REFERENCE,
    notice,
    quarantined,
)
from .ports import DocumentHook, InboundPolicy, ParsedDocument, Parser, ParseResult
from .references import ReferenceBook
from .references.check import Withheld
from .runtime.crashpoints import crash_point
from .runtime.measures import InboundBatch, Measures
from .runtime.workers import FileToParse, ParseJob, WorkerPool
from .spool import (
    SENT_FOLDER,
    Claimed,
    ClaimedFileChanged,
    RefusedFile,
    Snapshot,
    fsync_directory,
    make_folder,
    read_claimed,
    read_snapshot,
    write_new,
)

log = logging.getLogger(__name__)

DEFAULT_POLICY = InboundPolicy()


class Committed(Protocol):
    """What :attr:`Pipeline.on_commit` is: called after a commit with the rows it queued for
    publishing (none said: read them from the outbox)."""

    def __call__(self, queued: Sequence[ledger.OutboxRow] = ()) -> None: ...


@dataclass(frozen=True, slots=True)
class Folders:
    outbox: Path
    archive: Path
    quarantine: Path


def _hashed(read: Sequence[tuple[Claimed, bytes]]) -> list[tuple[Claimed, str, int]]:
    """Each file read, with its digest and size (what its record holds)."""
    return [(claimed, hashlib.sha256(data).hexdigest(), len(data)) for claimed, data in read]


def _new_file(claimed: Claimed, digest: str, size: int) -> ledger.NewFile:
    return ledger.NewFile(
        partner=claimed.partner,
        name=claimed.name,
        sha256=digest,
        size=size,
        work_path=str(claimed.path),
        correlation_id=claimed.claim_id,
    )


def _parse_here(parser: Parser, files: Sequence[FileToParse]) -> list[ParseResult]:
    return [parser.parse(data, file_name=name, partner=partner) for data, name, partner in files]


@dataclass(frozen=True, slots=True)
class _Arrival:
    """A claimed file, recorded."""

    claimed: Claimed
    digest: str
    file_id: int
    received_at: dt.datetime
    """When the ledger recorded it (set in the envelope of what it publishes)."""
    received: tuple[ledger.NewFile, dt.datetime] | None = None
    """Its ``received`` event, written with the batch's commit; None: the ledger has it."""


@dataclass(frozen=True, slots=True)
class Parsing:
    """A batch recorded in the ledger, its files being parsed (see :meth:`Pipeline.begin`)."""

    batch: Sequence[Claimed]
    arrivals: list[_Arrival]
    job: ParseJob
    """The parse of the batch's files (called: their results, in order)."""
    snapshots: Mapping[Path, Snapshot] = field(default_factory=dict)
    """Each file read, as it was read (see :meth:`Pipeline.complete`)."""
    unrecorded: Sequence[tuple[Claimed, str, int]] = ()
    """Files parsed already, in this thread, and not recorded yet (with their digest and size):
    the batch's commit records them first, in its own transaction (see :meth:`Pipeline.begin`);
    ``arrivals`` is then empty."""


class Pipeline:
    """Processes claimed files, a batch at a time."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        parser: Parser,
        folders: Folders,
        *,
        duplicate_window: dt.timedelta = dt.timedelta(days=30),
        source_name: str = "edi-gateway",
        on_commit: Committed | None = None,
        on_document: DocumentHook | None = None,
        workers: WorkerPool | None = None,
        max_file_size: int | None = None,
        policies: Mapping[str, InboundPolicy] | None = None,
        measures: Measures | None = None,
        references: ReferenceBook | None = None,
    ) -> None:
        self.factory = factory
        self._autocommit = autocommit_factory(factory)
        self.parser = parser
        self.folders = folders
        self.duplicate_window = duplicate_window
        self.source_name = source_name
        self.on_commit = on_commit
        """Called when a batch is committed, with the rows it queued for publishing (the daemon
        hands them to the relay, which need not read them back, and wakes the finisher)."""
        self.on_document = on_document
        """Sees each accepted document in the transaction that records it (reconciliation of
        partners' 997/999/TA1 against what was sent)."""
        self.workers = workers
        """Worker processes for parsing; None parses in this thread."""
        self.max_file_size = max_file_size
        """A larger file is quarantined unread (None: no limit)."""
        self.policies = dict(policies or {})
        """Each partner's :class:`InboundPolicy` (a partner without one has the default)."""
        self.measures = measures
        """Told what each committed batch holds (the daemon's metrics); None: nobody is."""
        self.references = references
        """The reference data documents are checked against (the kinds each partner's policy
        names); None: nothing is checked."""
        self._finishing = threading.Lock()
        self._committing = threading.Lock()

    # -- a batch of files ----------------------------------------------------------------------

    def process(self, batch: Sequence[Claimed]) -> None:
        """Record, parse and commit ``batch``; :meth:`finish` does the rest."""
        parsing = self.begin(batch)
        if parsing is not None:
            self.complete(parsing)

    def begin(
        self,
        batch: Sequence[Claimed],
        durable: Callable[[], object] | None = None,
        *,
        workers: WorkerPool | None = None,
        here: bool = False,
    ) -> Parsing | None:
        """Record ``batch`` and start parsing it; :meth:`complete` commits it. The parse (which
        changes nothing) starts before the record, in the worker processes when there are some,
        and runs while the caller goes on: recording this batch, completing the one before.
        ``durable`` returns once the claim's renames are on disk (see
        :class:`~gateway.spool.Claim`): the parse starts before, the record after.
        ``workers``: other processes than the pipeline's to parse in (the large-file lane's).

        ``here``: the caller has nothing else to overlap (a few files arriving one at a time):
        when every file is fresh (just claimed) and small enough for its format to be read in
        this process (:meth:`reads_here`), the batch is parsed now, in this thread, while the
        claim's renames are synced, and recorded by :meth:`complete` in the transaction of its
        commit: no hand-over to a worker process and one commit instead of two, for files
        whose parse costs less than either. A crash before that commit leaves them in the work
        folder, unrecorded, as a crash after the claim does; taken again, they are no longer
        fresh, and go to the workers."""
        if not batch:
            return None
        crash_point("after_claim")
        read: list[tuple[Claimed, bytes]] = []
        refused: dict[Path, str] = {}  # not a regular file, too large: never read nor parsed
        snapshots: dict[Path, Snapshot] = {}
        for claimed in batch:
            try:
                data, snapshots[claimed.path] = read_snapshot(claimed.path, self.max_file_size)
                read.append((claimed, data))
            except RefusedFile as error:
                read.append((claimed, b""))
                refused[claimed.path] = str(error)
        if here and self._all_read_here(read, refused):
            results = self._parse(read, refused, None)()
            if durable is not None:
                durable()
            return Parsing(batch, [], lambda: results, snapshots, _hashed(read))
        job = self._parse(read, refused, workers or self.workers)
        if durable is not None:
            durable()
        arrivals = self._record(_hashed(read))
        crash_point("after_record")
        if not arrivals:
            return None
        return Parsing(batch, arrivals, job, snapshots)

    def complete(self, parsing: Parsing) -> None:
        """Commit what the batch's parse yields (waiting for it once the commit has done what
        needs no parse). :class:`ClaimedFileChanged` before anything is committed when a file
        changed since it was read (its writer wrote on after the claim): the batch is to be
        processed again, each file read whole (its record follows, see :meth:`_record`).
        Commits come one at a time (the large-file lane commits from a thread of its own): each
        sees what the one before recorded (copies, duplicates)."""
        recorded = [arrival.claimed for arrival in parsing.arrivals]
        for claimed in recorded or [claimed for claimed, _, _ in parsing.unrecorded]:
            path = claimed.path  # the files this commit records
            snapshot = parsing.snapshots.get(path)
            change = snapshot.change(path) if snapshot is not None else None
            if change is not None:
                if parsing.unrecorded:  # read here: recorded now as it was read, so that its
                    self._record(parsing.unrecorded)  # next read says it changed, as below
                raise ClaimedFileChanged(f"{path} changed since it was read: {change}")
        queued: list[ledger.OutboxRow] = []
        with self._committing:
            batch = self._commit(parsing, queued)
        crash_point("after_commit")
        if self.measures is not None:
            self.measures.committed(batch)
        if self.on_commit is not None:
            self.on_commit(queued)

    def _record(self, hashed: Sequence[tuple[Claimed, str, int]]) -> list[_Arrival]:
        """Record each file (state ``received``). Files just claimed take one statement and no
        transaction (one round trip); their ``received`` events wait for the batch's commit. A
        file recorded before (claimed before a crash) keeps its record, and gets its event then
        if the crash came before it was written; one already processed is left to
        :meth:`finish`."""
        now = dt.datetime.now(dt.UTC)
        with self._autocommit() as s:
            maybe_known = [str(claimed.path) for claimed, _, _ in hashed if not claimed.fresh]
            known = ledger.files_by_work_paths(s, maybe_known) if maybe_known else {}
            unfinished = [row for row in known.values() if row.state is FileState.RECEIVED]
            logged = ledger.files_with_event(s, [row.id for row in unfinished], "received")
            new = {
                str(claimed.path): _new_file(claimed, digest, size)
                for claimed, digest, size in hashed
                if str(claimed.path) not in known
            }
            new_ids = iter(ledger.insert_files(s, list(new.values()), now))
        arrivals = []
        for claimed, digest, size in hashed:
            row = known.get(str(claimed.path))
            if row is None:
                file = new[str(claimed.path)]
                arrivals.append(_Arrival(claimed, digest, next(new_ids), now, (file, now)))
            elif row.state is FileState.RECEIVED:
                if row.sha256 != digest:  # it changed since its record: read again, whole
                    self._refresh(row, digest, size)
                file = ledger.NewFile(
                    row.partner, row.name, row.sha256, row.size, row.work_path, row.correlation_id
                )
                received = None if row.id in logged else (file, row.received_at)
                arrivals.append(_Arrival(claimed, digest, row.id, row.received_at, received))
            # else: processed before a crash; finish() moves it
        return arrivals

    @staticmethod
    def _record_fresh(s: Session, hashed: Sequence[tuple[Claimed, str, int]]) -> list[_Arrival]:
        """Record files just claimed and parsed here, in the commit's transaction ``s`` (their
        ``received`` events go with it)."""
        now = dt.datetime.now(dt.UTC)
        files = [_new_file(claimed, digest, size) for claimed, digest, size in hashed]
        ids = ledger.insert_files(s, files, now)
        return [
            _Arrival(claimed, digest, file_id, now, (file, now))
            for (claimed, digest, _), file, file_id in zip(hashed, files, ids, strict=True)
        ]

    def reads_here(self, partner: str, data: bytes) -> bool:
        """Whether ``partner``'s file ``data`` may be read in this process: its parser says so
        (a :class:`~gateway.partner_formats.PartnerFormats` asks the file's format:
        :attr:`~gateway.ports.Format.read_here_under`); any other parser's files are read in the
        workers when there are some."""
        reads_here = getattr(self.parser, "reads_here", None)
        return self.workers is None or (reads_here is not None and reads_here(partner, data))

    def _all_read_here(
        self, read: Sequence[tuple[Claimed, bytes]], refused: Mapping[Path, str]
    ) -> bool:
        return all(
            claimed.fresh and (claimed.path in refused or self.reads_here(claimed.partner, data))
            for claimed, data in read
        )

    def _refresh(self, row: ledger.FileRow, digest: str, size: int) -> None:
        """The record of a file read again (it changed after its claim): its digest and size
        now, and why on its timeline."""
        with self.factory.begin() as s:
            ledger.refresh_file(s, row.id, sha256=digest, size=size)
            ledger.add_event(
                s,
                kind="changed",
                message=f"changed after its claim ({row.size:,} -> {size:,} bytes): read again",
                file_id=row.id,
                correlation_id=row.correlation_id,
            )

    def _parse(
        self,
        read: Sequence[tuple[Claimed, bytes]],
        refused: Mapping[Path, str],
        workers: WorkerPool | None,
    ) -> ParseJob:
        """Start parsing the files in the worker processes; without workers, they are parsed in
        this thread when the results are asked for (after the record). The ``refused`` ones are
        unreadable without a parse."""
        files = [
            (data, claimed.name, claimed.partner)
            for claimed, data in read
            if claimed.path not in refused
        ]
        job = (
            functools.partial(_parse_here, self.parser, files)
            if workers is None
            else workers.submit(self.parser, files)
        )
        if not refused:
            return job

        def with_refused() -> list[ParseResult]:
            parsed = iter(job())
            return [
                ParseResult(unreadable=refused[claimed.path])
                if claimed.path in refused
                else next(parsed)
                for claimed, _ in read
            ]

        return with_refused

    def _commit(self, parsing: Parsing, queued: list[ledger.OutboxRow]) -> InboundBatch:
        """Record everything the batch yields in one transaction, a few statements for the
        whole batch: the files' ``received`` events, which files are copies of earlier ones
        (duplicates: their parse is set aside), documents, outbox messages, acknowledgements
        (their control numbers drawn in this transaction) and each file's destination.

        A copy of a bad file is no duplicate: it is quarantined with its own report and
        negative acknowledgement, whether the file it copies is still on its way to quarantine
        (in this batch, or not yet moved) or already there (never an earlier copy). The rows
        queued for publishing are added to ``queued``."""
        now = dt.datetime.now(dt.UTC)
        since = now - self.duplicate_window
        arrivals = parsing.arrivals
        batch = InboundBatch()  # what it adds to the metrics
        with self.factory.begin() as s, counter_in(s) as counter:
            if parsing.unrecorded:  # parsed here: recorded in this transaction
                arrivals = self._record_fresh(s, parsing.unrecorded)
            copies = ledger.earlier_copies(  # needs no parse: its round trip overlaps the parse
                s, [(a.claimed.partner, a.digest, a.file_id) for a in arrivals], since
            )
            ledger.received_events(  # nor does this
                s, [(a.file_id, *a.received) for a in arrivals if a.received is not None]
            )
            by_path = dict(zip((c.path for c in parsing.batch), parsing.job(), strict=True))
            for a in arrivals:
                batch.read(a.claimed.partner, by_path[a.claimed.path])
            for a in arrivals:  # a bad file's copy is bad too: quarantined on its own, reported
                if by_path[a.claimed.path].has_errors:
                    copies.pop(a.file_id, None)
            parsed = [(a, by_path[a.claimed.path]) for a in arrivals if a.file_id not in copies]
            earlier, business = self._earlier(s, parsed, since)  # one round trip for the batch
            parsed = self._refuse_reused(parsed, earlier)
            acks = self._replies(counter, parsed)
            outcomes = [
                ledger.ProcessedFile(
                    a.file_id,
                    a.claimed.claim_id,
                    str(self._archive_path(a.claimed, a.digest, now)),
                    {
                        "duplicate_of": copies[a.file_id].id,
                        "reason": "same content received before",
                    },
                )
                for a in arrivals
                if a.file_id in copies
            ]
            published = self._record_documents(s, parsed, earlier, business, batch, queued)
            ledger.record_acks(s, acks)
            outcomes += [
                self._outcome(arrival, result, published.get(arrival.file_id, 0), now)
                for arrival, result in parsed
            ]
            ledger.mark_processed(s, outcomes)
        return batch

    def _earlier(
        self, s: Session, parsed: Sequence[tuple[_Arrival, ParseResult]], since: dt.datetime
    ) -> tuple[
        dict[ledger.EnvelopeKey, list[ledger.DocumentRow]],
        dict[ledger.BusinessKey, list[ledger.DocumentRow]],
    ]:
        """The documents recorded since ``since`` under the envelope keys and the business keys
        of ``parsed`` (what :func:`gateway.duplicates.classify` compares them with)."""
        return ledger.earlier_of_batch(
            s,
            {(a.claimed.partner, d.envelope_key) for a, r in parsed for d in r.documents},
            {
                (a.claimed.partner, d.business_key)
                for a, r in parsed
                for d in r.documents
                if d.business_key and d.accepted
            },
            since,
        )

    def _replies(
        self, counter: TransactionCounter, parsed: Sequence[tuple[_Arrival, ParseResult]]
    ) -> list[ledger.NewAck]:
        """The replies ``parsed`` owe their partners (997/999/TA1, rejected rows, a cXML
        status), rendered with control numbers drawn from ``counter``, to record."""
        counter.reserve(draw for _, result in parsed for draw in result.draws)
        for _, result in parsed:
            self.parser.reply(result, counter)
        return [
            ledger.NewAck(arrival.file_id, arrival.claimed.partner, reply.name, reply.text)
            for arrival, result in parsed
            for reply in result.replies
        ]

    def _refuse_reused(
        self,
        parsed: list[tuple[_Arrival, ParseResult]],
        earlier: Mapping[ledger.EnvelopeKey, list[ledger.DocumentRow]],
    ) -> list[tuple[_Arrival, ParseResult]]:
        """``parsed``, where the files of partners whose policy rejects control numbers reused
        for other content are parsed again (here, from their work path) with those documents
        refused: the format answers for them (X12: a TA1 ``R`` with code 025)."""
        partners = {arrival.claimed.partner for arrival, _ in parsed}
        if not any(self._policy(p).reject_reused_control_numbers for p in partners):
            return parsed  # the usual batch: no partner in it refuses them, nothing to classify
        found = [(a.file_id, a.claimed.partner, d) for a, r in parsed for d in r.documents]
        refuse: dict[int, dict[str, str]] = {}
        for (file_id, partner, doc), verdict in zip(found, classify(found, earlier), strict=True):
            if (
                verdict.seen is Seen.REUSED
                and doc.accepted
                and self._policy(partner).reject_reused_control_numbers
            ):
                refuse.setdefault(file_id, {})[doc.envelope_key] = (
                    f"control numbers used before for other content (document "
                    f"{verdict.earlier_document}, file {verdict.earlier_file}): refused by the "
                    "partner's policy (control_numbers_reused = reject); send it again under "
                    "new numbers"
                )
        if not refuse:
            return parsed
        again = []
        for arrival, result in parsed:
            if arrival.file_id in refuse:
                claimed = arrival.claimed
                log.warning(
                    "%s from %s: control numbers reused, refused", claimed.name, claimed.partner
                )
                data = read_claimed(claimed.path, self.max_file_size)
                result = self.parser.parse(
                    data,
                    file_name=claimed.name,
                    partner=claimed.partner,
                    refuse=refuse[arrival.file_id],
                )
            again.append((arrival, result))
        return again

    def _policy(self, partner: str) -> InboundPolicy:
        return self.policies.get(partner) or DEFAULT_POLICY

    def _record_documents(
        self,
        s: Session,
        parsed: Sequence[tuple[_Arrival, ParseResult]],
        earlier: Mapping[ledger.EnvelopeKey, list[ledger.DocumentRow]],
        business: Mapping[ledger.BusinessKey, list[ledger.DocumentRow]],
        batch: InboundBatch,
        queued_rows: list[ledger.OutboxRow] | None = None,
        *,
        held: bool = False,
    ) -> dict[int, int]:
        """Record the documents of the batch and queue the accepted ones; returns how many were
        queued per file id (and adds the rows queued, unless ``held``, to ``queued_rows``). A
        document recorded before (in the ledger, or in another file of this batch) is a
        duplicate and is not published; one under control numbers used before for other content
        is published with a finding and a notice (:mod:`gateway.duplicates`)."""
        found = [(a.file_id, a.claimed.partner, d) for a, r in parsed for d in r.documents]
        arrival_of = {a.file_id: a for a, _ in parsed}
        documents: list[ledger.NewDocument] = []
        accepted: list[tuple[_Arrival, ParsedDocument, int]] = []  # with their index in documents
        notices: list[tuple[_Arrival, ParsedDocument, str, dict[str, Any]]] = []
        verdicts = classify(found, earlier, business)
        revisions: dict[str, str] = {}
        format_of = {arrival.file_id: result.format for arrival, result in parsed}
        for (file_id, partner, doc), verdict in zip(found, verdicts, strict=True):
            arrival = arrival_of[file_id]
            said = _verdict(doc, verdict, self._policy(partner))
            notices += [(arrival, doc, code, detail) for code, detail in said.notices]
            if said.state is DocumentState.PARSED:
                accepted.append((arrival, doc, len(documents)))
                if verdict.revision_of is not None:
                    revisions[doc.document_id] = verdict.revision_of
            documents.append(
                self._new_document(doc, arrival, format_of[file_id], said.state, said.detail)
            )
        withheld = self._withheld(s, accepted)  # by position in accepted
        notices += [
            (accepted[at][0], accepted[at][1], UNKNOWN_REFERENCE, why.detail)
            for at, why in withheld.items()
        ]
        record_ids = ledger.record_documents(s, documents)
        for (file_id, _, doc), recorded in zip(found, documents, strict=True):
            if recorded.state is not DocumentState.DUPLICATE:  # after its own event
                self._downgraded(s, doc, arrival_of[file_id])
        published = [  # a document's messages: itself, or its parts when it is large
            self._messages(doc, arrival, record_ids[index], revisions.get(doc.document_id))
            for arrival, doc, index in accepted
        ]
        messages_queued = [message for messages in published for message in messages] + [
            notice(
                code=code,
                partner=arrival.claimed.partner,
                kind=doc.kind,
                document_id=doc.document_id,
                correlation_id=arrival.claimed.claim_id,
                detail=detail,
            )
            for arrival, doc, code, detail in notices
        ]
        outbox_ids = ledger.enqueue_messages(s, messages_queued, held=held)
        ids_of: list[list[int]] = []  # the documents' messages come first, then the notices
        start = 0
        for messages in published:
            ids_of.append(outbox_ids[start : start + len(messages)])
            start += len(messages)
        ledger.withhold(
            s,
            [
                ledger.Withholding(
                    outbox_id,
                    why.reason,
                    accepted[at][1].document_id,
                    accepted[at][0].file_id,
                    accepted[at][0].claimed.claim_id,
                    why.detail,
                )
                for at, why in withheld.items()
                for outbox_id in ids_of[at]
            ],
        )
        if queued_rows is not None and not held:
            kept_back = {outbox_id for at in withheld for outbox_id in ids_of[at]}
            now = dt.datetime.now(dt.UTC)
            queued_rows += [
                ledger.queued_row(message, outbox_id, now)
                for message, outbox_id in zip(messages_queued, outbox_ids, strict=True)
                if outbox_id not in kept_back
            ]
        batch.documents.update((d.partner, d.kind, d.state.value) for d in documents)
        batch.withheld.update(accepted[at][0].claimed.partner for at in withheld)
        batch.queued += [
            (outbox_id, arrival.file_id, arrival.claimed.partner, doc.kind, arrival.received_at)
            for at, (arrival, doc, _) in enumerate(accepted)
            if at not in withheld
            for outbox_id in ids_of[at]
        ]
        if self.on_document is not None:
            for arrival, doc, _ in accepted:
                self.on_document(s, arrival.claimed.partner, doc)
        queued: dict[int, int] = {}
        for at, (arrival, _, _) in enumerate(accepted):
            if at not in withheld:
                queued[arrival.file_id] = queued.get(arrival.file_id, 0) + 1
        return queued

    def _withheld(
        self, s: Session, accepted: Sequence[tuple[_Arrival, ParsedDocument, int]]
    ) -> dict[int, Withheld]:
        """Which of ``accepted`` (by position) are withheld, and why: those of the kinds their
        partner's profile checks against its reference data naming what it does not know
        (:mod:`gateway.references`). A document read in parts (one huge set) is not: its parts
        were read, and held, before its end, and the check sees its first items only; withheld,
        its parts would be forgotten with its file's verdict and a release would publish its
        header alone. It is published, and its timeline says that it was not checked."""
        if self.references is None:
            return {}
        check = None
        found: dict[int, Withheld] = {}
        for at, (arrival, doc, _) in enumerate(accepted):
            partner = arrival.claimed.partner
            if doc.kind not in self._policy(partner).reference_kinds:
                continue
            if doc.ahead:
                ledger.add_event(
                    s,
                    kind="not_checked",
                    message="not checked against the partner's reference data: read in parts "
                    "(a transaction set too large to hold)",
                    file_id=arrival.file_id,
                    document_id=doc.document_id,
                    correlation_id=arrival.claimed.claim_id,
                )
                continue
            check = check or self.references.checking(s)
            why = check.withheld(partner, doc.kind, doc.message)
            if why is not None:
                found[at] = why
        return found

    @staticmethod
    def _downgraded(s: Session, doc: ParsedDocument, arrival: _Arrival) -> None:
        """A ``downgraded`` event on the document's timeline for each finding its partner's
        policy made a warning, naming the finding and the policy."""
        for line in doc.downgraded:
            ledger.add_event(
                s,
                kind="downgraded",
                message=line,
                file_id=arrival.file_id,
                document_id=doc.document_id,
                correlation_id=arrival.claimed.claim_id,
            )

    def _new_document(
        self,
        doc: ParsedDocument,
        arrival: _Arrival,
        format_: str,
        state: DocumentState,
        detail: dict[str, Any] | None,
    ) -> ledger.NewDocument:
        return ledger.NewDocument(
            document_id=doc.document_id,
            file_id=arrival.file_id,
            partner=arrival.claimed.partner,
            kind=doc.kind,
            interchange_ref=doc.interchange,
            group_ref=doc.group,
            transaction_ref=doc.transaction,
            state=state,
            correlation_id=arrival.claimed.claim_id,
            detail=detail,
            envelope_key=doc.envelope_key or None,
            format=format_ or None,
            business_key=doc.business_key or None,
            content_digest=doc.content_digest or None,
        )

    def _messages(
        self, doc: ParsedDocument, arrival: _Arrival, record_id: int, revision_of: str | None
    ) -> list[ledger.NewMessage]:
        """The messages publishing ``doc``: its CloudEvent, or one per part when it is too large
        for one (:mod:`gateway.messages.parts`), each under its own message id."""
        assert doc.message is not None, "only accepted documents are published"
        claimed = arrival.claimed
        events = cloud_events(
            stamped(doc.message, received_at=arrival.received_at, correlation_id=claimed.claim_id),
            source=f"{self.source_name}/{claimed.partner}",
            correlation_id=claimed.claim_id,
            partner=claimed.partner,
            kind=doc.kind,
        )
        key = routing_key(
            doc.kind.lower(),
            claimed.partner,
            test=doc.test and self._policy(claimed.partner).test_apart,
        )
        revised = {} if revision_of is None else {"revision_of": revision_of}
        return [  # revision_of: the consumer can tell a changed order from a new one
            ledger.NewMessage(
                message_id=message_id,
                document_id=doc.document_id,
                partner=claimed.partner,
                exchange=INBOUND_EXCHANGE,
                routing_key=key,
                body=body,
                headers={**headers, **revised},
                correlation_id=claimed.claim_id,
                record=(record_id, arrival.file_id),
            )
            for message_id, body, headers in events
        ]

    def _outcome(
        self, arrival: _Arrival, result: ParseResult, published: int, now: dt.datetime
    ) -> ledger.ProcessedFile:
        """Where a parsed file goes, and the summary (with the error report) the ledger keeps."""
        claimed = arrival.claimed
        bad = result.has_errors
        destination = (
            self._quarantine_path(claimed)
            if bad
            else self._archive_path(claimed, arrival.digest, now)
        )
        summary = reports.file_summary(result, published)
        if bad:  # kept in the ledger so that a crash cannot lose the report
            summary["report"] = self._error_report(claimed, arrival.digest, result)
        return ledger.ProcessedFile(arrival.file_id, claimed.claim_id, str(destination), summary)

    # -- finishing: replies and the originals' destinations ------------------------------------

    def finish(self) -> None:
        """Write pending replies and move processed originals; safe to repeat at any time, from
        any thread (one finish runs at a time)."""
        with self._finishing:
            self._finish()

    def _finish(self) -> None:
        with self._autocommit() as s:  # files first: the acks of every file read are committed
            processed = ledger.files_in_state(s, [FileState.PROCESSED])
            acks = ledger.acks_to_write(s)
        placed = write_new(
            ((self.folders.outbox / ack.partner / ack.name, ack.text.encode()) for ack in acks),
            taken_in=(SENT_FOLDER,),
        )
        moved = self._move(self._changed_set_aside(p for p in processed if p.final_path))
        if moved:
            crash_point("after_archive")
        with self.factory.begin() as s:
            ledger.rename_acks(
                s, {ack.id: p.path.name for ack, p in zip(acks, placed, strict=True) if p.renamed}
            )
            ledger.mark_acks_written(s, [ack.id for ack in acks])
            ledger.settle_files(s, {row.id: state for row, state in moved})
            ledger.enqueue_messages(
                s, [quarantined(row) for row, state in moved if state is FileState.QUARANTINED]
            )

    def _changed_set_aside(self, rows: Iterable[ledger.FileRow]) -> list[ledger.FileRow]:
        """``rows``, those of files that changed since they were processed (their writer wrote
        on after the claim, past the check before the commit) bound for quarantine instead of
        the archive, with the reason: what was read is committed (its documents published, its
        acknowledgement written), the rest was never read, and reading the whole again would
        publish the first part twice."""
        rows = list(rows)
        changed: dict[int, tuple[ledger.FileRow, int]] = {}  # row id -> row, size now
        for row in rows:
            if self._final_state(row) is not FileState.QUARANTINED:
                with contextlib.suppress(OSError):
                    if (size := os.lstat(row.work_path).st_size) != row.size:
                        changed[row.id] = (row, size)
        if not changed:
            return rows
        bound: dict[int, ledger.FileRow] = {}
        with self.factory.begin() as s:
            for row, size in changed.values():
                why = (
                    f"it changed after it was processed: its first {row.size:,} bytes were read "
                    "and processed (their documents published, their acknowledgement sent); it "
                    f"now has {size:,} bytes, the rest never read (its writer wrote on after "
                    f"the claim). Take the part after byte {row.size:,} as a new file"
                )
                claimed = Claimed(row.partner, row.name, Path(row.work_path), row.correlation_id)
                report: dict[str, Any] = {
                    "file": row.name,
                    "partner": row.partner,
                    "sha256": row.sha256,  # of what was processed
                    "claim_id": row.correlation_id,
                    "why": why,
                    "processed_bytes": row.size,
                    "size": size,
                    "processed": row.detail,
                }
                detail = {**(row.detail or {}), "report": report}
                destination = str(self._quarantine_path(claimed))
                ledger.add_event(
                    s,
                    kind="set_aside",
                    message=f"set aside in quarantine: {why}",
                    file_id=row.id,
                    correlation_id=row.correlation_id,
                )
                ledger.set_file_state(
                    s, row.id, FileState.PROCESSED, final_path=destination, detail=detail
                )
                bound[row.id] = replace(row, final_path=destination, detail=detail)
                log.error("%s set aside in quarantine: %s", row.work_path, why)
        if self.measures is not None:
            for row, _ in changed.values():
                self.measures.set_aside(row.partner)
        return [bound.get(row.id, row) for row in rows]

    def _move(self, rows: Iterable[ledger.FileRow]) -> list[tuple[ledger.FileRow, FileState]]:
        """Move each file from the work folder to its final path (a quarantined one with its
        report beside it); returns the rows whose file is now there, with their final state."""
        reports: list[tuple[Path, bytes]] = []
        moves: list[tuple[Path, Path]] = []
        done: list[tuple[ledger.FileRow, FileState]] = []
        for row in rows:
            work, destination = Path(row.work_path), Path(row.final_path or "")
            state = self._final_state(row)
            if os.path.lexists(work):  # whatever it is (a claim may have moved a link)
                if state is FileState.QUARANTINED:
                    report = (row.detail or {}).get("report", {})
                    reports.append(
                        (
                            destination.with_name(destination.name + ".error.json"),
                            json.dumps(report, indent=2, default=str).encode(),
                        )
                    )
                moves.append((work, destination))
            elif not destination.exists():
                log.error("file %s is neither in the work folder nor at %s", work, destination)
                continue
            done.append((row, state))
        write_new(reports)
        folders: set[Path] = set()
        for work, destination in moves:
            make_folder(destination.parent, folders)
            try:
                os.rename(work, destination)
            except OSError:  # another file system (or something in the way): shutil knows
                shutil.move(work, destination)
            folders.add(work.parent)
        for folder in folders:
            fsync_directory(folder)
        return done

    def _final_state(self, row: ledger.FileRow) -> FileState:
        if Path(row.final_path or "").is_relative_to(self.folders.quarantine):
            return FileState.QUARANTINED
        if (row.detail or {}).get("duplicate_of") is not None:
            return FileState.DUPLICATE
        return FileState.ARCHIVED

    # -- recovery ------------------------------------------------------------------------------

    def recover(self, leftovers: list[Claimed]) -> None:
        """Finish what a previous run left: files claimed but not processed, replies, moves."""
        self.finish()
        remaining = [claimed for claimed in leftovers if os.path.lexists(claimed.path)]
        if remaining:
            log.info("recovering %d file(s) claimed before the last stop", len(remaining))
        for claimed in remaining:
            log.debug("recovering %s", claimed.path)
        self.process(remaining)
        self.finish()

    def set_aside(self, claimed: Claimed, why: str) -> None:
        """Quarantine ``claimed`` without its parse, ``why`` in its report, ledger row and
        timeline: processing it fails for a cause of its own (see
        :mod:`gateway.runtime.recovery`). :meth:`finish` moves it."""
        try:
            data = read_claimed(claimed.path, self.max_file_size)
        except (RefusedFile, OSError):
            data = b""
        arrivals = self._record(_hashed([(claimed, data)]))
        if not arrivals:
            return  # processed meanwhile: finish() moves it
        [arrival] = arrivals
        why = f"processing it failed, for a cause of its own: {why}"
        outcome = self._outcome(arrival, ParseResult(unreadable=why), 0, dt.datetime.now(dt.UTC))
        with self.factory.begin() as s:
            if arrival.received is not None:
                ledger.received_events(s, [(arrival.file_id, *arrival.received)])
            ledger.add_event(
                s,
                kind="set_aside",
                message=f"set aside in quarantine: {why}",
                file_id=arrival.file_id,
                correlation_id=claimed.claim_id,
            )
            ledger.mark_processed(s, [outcome])
        if self.measures is not None:
            self.measures.set_aside(claimed.partner)

    # -- destinations --------------------------------------------------------------------------

    def _archive_path(self, claimed: Claimed, digest: str, now: dt.datetime) -> Path:
        day = now.strftime("%Y/%m/%d")
        name = f"{digest[:16]}-{claimed.claim_id[:8]}-{claimed.name}"
        return self.folders.archive / claimed.partner / day / name

    def _quarantine_path(self, claimed: Claimed) -> Path:
        return self.folders.quarantine / claimed.partner / f"{claimed.claim_id[:8]}-{claimed.name}"

    @staticmethod
    def _error_report(claimed: Claimed, digest: str, result: ParseResult) -> dict[str, Any]:
        """Bounded whatever the file holds (:mod:`gateway.reports`)."""
        return reports.error_report(
            file=claimed.name,
            partner=claimed.partner,
            sha256=digest,
            claim_id=claimed.claim_id,
            result=result,
        )


@dataclass(frozen=True, slots=True)
class _Said:
    """What the ledger records of a document and what is announced about it."""

    state: DocumentState
    """``parsed`` for a document to publish."""
    detail: dict[str, Any] | None
    notices: list[tuple[str, dict[str, Any]]]


def _verdict(doc: ParsedDocument, verdict: Verdict, policy: InboundPolicy) -> _Said:
    """The state, detail and notices of ``doc`` given how it was seen before
    (:func:`gateway.duplicates.classify`) and its partner's policy."""
    if verdict.seen is Seen.DUPLICATE:
        copy = {
            "duplicate_of_file": verdict.earlier_file,
            "duplicate_of_document": verdict.earlier_document,
        }
        return _Said(DocumentState.DUPLICATE, copy, [])
    if not doc.accepted:
        return _Said(DocumentState.FAILED, {"errors": list(doc.errors[:50])}, [])
    detail: dict[str, Any] | None = None
    notices: list[tuple[str, dict[str, Any]]] = []
    if verdict.seen is Seen.BUSINESS_DUPLICATE:
        detail = {
            "finding": BUSINESS_DUPLICATE,
            "message": f"{doc.business_key} was received before with the same content, under "
            "other control numbers",
            "business_key": doc.business_key,
            "earlier_document": verdict.earlier_document,
            "earlier_file": verdict.earlier_file,
        }
        notices.append((BUSINESS_DUPLICATE, detail))
        if not policy.publish_business_duplicates:
            return _Said(DocumentState.DUPLICATE, detail, notices)
    if verdict.seen is Seen.REUSED:
        detail = {
            "finding": CONTROL_NUMBERS_REUSED,
            "message": "control numbers used before, between the same parties, for other "
            "content: processed as a new document",
            "earlier_document": verdict.earlier_document,
            "earlier_file": verdict.earlier_file,
        }
        notices.append((CONTROL_NUMBERS_REUSED, detail))
    if verdict.revision_of is not None:
        revision = {
            "business_key": doc.business_key,
            "revision_of": verdict.revision_of,
            "message": f"{doc.business_key} was received before with other content: a "
            f"revision of {verdict.revision_of}",
        }
        notices.append((REVISION, revision))
        detail = {**(detail or {}), "revision": revision}
    return _Said(DocumentState.PARSED, detail, notices)

"""A large file read as a stream (issues 22 and 26): a flat file, XML or X12 of any size, in the
memory of a part, never whole.

A file over ``large_file_size`` whose partner's format reads streams
(:meth:`~gateway.partner_formats.PartnerFormats.streams`: CSV, fixed width, XML, X12) is taken
by the large-file lane here instead of being read whole, so ``max_file_size`` does not apply to
it. A partner whose policy refuses control numbers reused for other content
(:attr:`~gateway.ports.InboundPolicy.reject_reused_control_numbers`) has its files read whole:
refusing one takes every document of its file before its replies are decided.
The steps keep the pipeline's guarantees (:mod:`gateway.pipeline`):

1. Its digest is read as a stream and it is recorded (``received``), as any file.
2. Each part of documents the format reads is committed in a transaction of its own, with the
   pipeline's rules for duplicates; the messages of its documents are ``held``: the relay does
   not see them yet. A part read again (after a crash, or a stop) finds its documents recorded
   already and skips them.
3. At the end, in one transaction: when the file is readable as a whole, its held messages are
   released and its replies (rejected rows...) recorded; when it is not (a byte its character
   set does not have, a sender the partner does not use), its documents and their messages are
   forgotten, as those of a file read whole would never have been recorded, and it is
   quarantined with its report. Either way it is then ``processed``, and
   :meth:`~gateway.pipeline.Pipeline.finish` files it as any other.

Nothing is published before the file is read to its end, so no document of a file found
unreadable at its last byte is ever published; a kill at any instant leaves the file in the work
folder, recorded, and the next start reads it again, publishing each document once.

A document too large to hold (one huge X12 set: a part gives its item parts as they fill,
:attr:`~gateway.ports.ParseResult.ahead`, before the document itself, its id and its number of
parts are known) has them held in the ledger with its part (:func:`~.ledger._held.hold_ahead`,
under ids of the file, the document's key and the part's number: a part read again holds none
twice); the document, once read, is recorded with its header part queued (held, as any of the
file's), and at the file's end, in the transaction that releases its messages, they become
its events, under its id, released as they are written (:func:`~.ledger._held.settle_ahead`:
each body made in the ledger around its entries, which never come back into memory, and
written once). A kill before that end leaves them held ahead, skipped when read again. Those
of a document not published (rejected, a duplicate) are forgotten with the file's verdict.
Memory holds a part at a time, whatever the document's size.

A format that reads streams only over a limit (X12) reads a file whole, in a parse worker, up to
``max_file_size`` or :data:`WHOLE_AT_MOST`, whichever is less, and as a stream above, or when
the file holds a document that format reads in parts (a huge 846 or 856, which read whole would
take some 80 times its size).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ledger
from .bus.cloudevents import later_part
from .ledger._held import forget_ahead, hold_ahead, settle_ahead
from .ledger.counters import counter_in
from .partner_formats import PartnerFormats
from .ports import ParseResult, collect
from .runtime import heap
from .runtime.crashpoints import crash_point
from .runtime.measures import InboundBatch
from .spool import Claimed, ClaimedFileChanged, Snapshot

if TYPE_CHECKING:
    from .pipeline import Pipeline, _Arrival

log = logging.getLogger(__name__)

HEAD = 64
"""Bytes of a file its format is told by."""
KEPT_FINDINGS = 1000
"""Findings a streamed file's report lists at most (the others are counted)."""
KEPT_DOCUMENTS = 100
"""Documents a streamed file's report lists at most."""
WHOLE_AT_MOST = 64 * 1024 * 1024
"""Bytes of a file of a format that reads streams over a limit only (X12) read whole at most,
in a parse worker, whatever ``max_file_size`` is (a set read whole takes about 65 times its
size; a larger file is read as a stream, each huge set in parts)."""


def streams(pipeline: Pipeline, path: Path) -> bool:
    """Whether the file at ``path`` (in the inbox or the work folder: its folder is its
    partner's) is read as a stream: its partner's format reads streams."""
    parser = pipeline.parser
    if not isinstance(parser, PartnerFormats):
        return False
    if pipeline._policy(path.parent.name).reject_reused_control_numbers:
        return False
    try:
        with path.open("rb") as file:
            head = file.read(HEAD)
    except OSError:
        return False  # read whole, which says why
    partner = path.parent.name
    if not parser.streams(partner, head):
        return False
    if parser.streams_over_limit_only(partner, head):
        limit = min(pipeline.max_file_size or WHOLE_AT_MOST, WHOLE_AT_MOST)
        try:
            if path.stat().st_size > limit:
                return True
        except OSError:
            return False
        return parser.holds_document_in_parts(partner, head, path)
    return True


def stream_file(
    pipeline: Pipeline,
    claimed: Claimed,
    durable: Callable[[], object] | None,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> bool:
    """Process ``claimed`` as a stream (see the module's docstring); False when a stop came
    first (the file stays in the work folder, recorded, to be read again at the next start).
    :class:`ClaimedFileChanged` when it changed while it was read (its documents are forgotten:
    it is read again, whole, by a retry)."""
    parser = pipeline.parser
    assert isinstance(parser, PartnerFormats), "streams() said so"
    crash_point("after_claim")
    digest, snapshot = _digest(claimed.path)
    if durable is not None:
        durable()
    _forget_if_changed(pipeline, claimed, digest)
    arrivals = pipeline._record([(claimed, digest, snapshot.size)])
    crash_point("after_record")
    if not arrivals:
        return True  # processed before a crash: finish() files it
    [arrival] = arrivals
    if arrival.received is not None:
        with pipeline.factory.begin() as s:
            ledger.received_events(s, [(arrival.file_id, *arrival.received)])
    whole = ParseResult()
    documents = 0
    in_parts: dict[str, str] = {}  # the documents whose item parts were held ahead: key -> id
    held = heap.GiveBack()  # a huge set's parts, MBs each, made and stored while it is read
    with claimed.path.open("rb") as source:
        for part in parser.parse_stream(source, file_name=claimed.name, partner=claimed.partner):
            if stopping():
                return False
            if part.why is not None:  # the file's verdict, as when it is read whole
                whole = collect([part])
                whole.format, whole.seconds = part.format, whole.seconds + part.seconds
                break
            _add(whole, part)
            documents += _commit_part(pipeline, arrival, part)
            in_parts.update((d.ahead, d.document_id) for d in part.documents if d.ahead)
            held.add(sum(len(ahead.entries) for ahead in part.ahead))
            crash_point("after_part")
            del part  # not held while the next one is read (its documents would double those alive)
    change = snapshot.change(claimed.path)
    if change is not None:
        with pipeline.factory.begin() as s:
            ledger.forget_documents(s, arrival.file_id)
        raise ClaimedFileChanged(f"{claimed.path} changed while it was read: {change}")
    crash_point("after_parts")  # every part committed (a huge set's held ahead), not the end
    _commit_end(pipeline, arrival, whole, documents, in_parts)
    return True


def _digest(path: Path) -> tuple[str, Snapshot]:
    """The file's sha256 and its snapshot, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        info = os.fstat(file.fileno())
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), Snapshot(info.st_ino, info.st_size, info.st_mtime_ns)


def _forget_if_changed(pipeline: Pipeline, claimed: Claimed, digest: str) -> None:
    """A file read in part before a crash, whose content changed since (its writer wrote on):
    the documents recorded of its old content go; it is read anew."""
    if claimed.fresh:
        return
    with pipeline.factory.begin() as s:
        row = ledger.files_by_work_paths(s, [str(claimed.path)]).get(str(claimed.path))
        if row is not None and row.state is ledger.FileState.RECEIVED and row.sha256 != digest:
            ledger.forget_documents(s, row.id)


def _add(whole: ParseResult, part: ParseResult) -> None:
    """:func:`~gateway.ports.collect`'s sum of the parts, bounded: what the file's report keeps
    of ``part`` (its findings, so many, the rest counted; its first documents) and the replies
    it owes."""
    room = KEPT_FINDINGS - len(whole.findings)
    whole.findings += part.findings[: max(room, 0)]
    for finding in part.findings[max(room, 0) :]:
        severity = str(finding.get("severity", "error"))
        whole.left_off[severity] = whole.left_off.get(severity, 0) + 1
    for severity, count in part.left_off.items():
        whole.left_off[severity] = whole.left_off.get(severity, 0) + count
    whole.documents += part.documents[: max(KEPT_DOCUMENTS - len(whole.documents), 0)]
    whole.owed += part.owed
    whole.draws += part.draws
    whole.format = part.format
    whole.seconds += part.seconds


def _commit_part(pipeline: Pipeline, arrival: _Arrival, part: ParseResult) -> int:
    """Record the part's documents not recorded yet, their messages held, and the item parts
    it gives ahead of their document (made their events at the file's end, :func:`_commit_end`);
    returns how many documents the part has."""
    now = dt.datetime.now(dt.UTC)
    batch = InboundBatch()
    claimed = arrival.claimed
    with pipeline._committing, pipeline.factory.begin() as s:
        if part.ahead:
            ahead = [(p.key, p.number, p.entries) for p in part.ahead]
            hold_ahead(s, arrival.file_id, claimed.partner, claimed.claim_id, ahead)
        known = ledger.recorded_in_file(s, arrival.file_id, (d.document_id for d in part.documents))
        new = [d for d in part.documents if d.document_id not in known]
        if new:
            parsed = [(arrival, dataclasses.replace(part, documents=new))]
            earlier, business = pipeline._earlier(s, parsed, now - pipeline.duplicate_window)
            pipeline._record_documents(s, parsed, earlier, business, batch, held=True)
    if pipeline.measures is not None and new:
        pipeline.measures.committed(batch)
    return len(part.documents)


_ENTRIES = b"\x00entries\x00"
"""What stands for a part's entries in its event made by :func:`_later_part` (no JSON text
holds a NUL byte)."""


def _later_part(
    header_body: bytes, header_headers: dict[str, Any], number: int
) -> tuple[str, bytes, bytes, dict[str, Any]]:
    """A part held ahead of its document, made its event (:func:`~.bus.cloudevents.later_part`)
    around its entries, which stay in the ledger: its id, the bytes before and after them, its
    headers."""
    part_id, body, headers = later_part(header_body, header_headers, number, _ENTRIES)
    before, found, after = body.partition(_ENTRIES)
    assert found and _ENTRIES not in after, "the entries are written into the body once"
    return part_id, before, after, headers


def _commit_end(
    pipeline: Pipeline,
    arrival: _Arrival,
    whole: ParseResult,
    documents: int,
    in_parts: dict[str, str],
) -> None:
    """The file's verdict, in one transaction: its held messages released (the item parts held
    ahead of the documents ``in_parts``, by key, made their events, released as they are
    written: each part's body is written once more, not twice) or, unreadable, its documents
    forgotten; the replies it owes recorded (as for a file read whole: a cXML status 400 too);
    then it is ``processed``."""
    now = dt.datetime.now(dt.UTC)
    with pipeline._committing, pipeline.factory.begin() as s, counter_in(s) as counter:
        if whole.why is not None:
            ledger.forget_documents(s, arrival.file_id)
            documents = released = 0
        else:
            released = sum(
                settle_ahead(s, arrival.file_id, key, document_id, f"{document_id}/1", _later_part)
                for key, document_id in in_parts.items()
            )
            released += ledger.release_held(s, arrival.file_id)
            forget_ahead(s, arrival.file_id)  # of documents not published
        ledger.record_acks(s, pipeline._replies(counter, [(arrival, whole)]))
        outcome = pipeline._outcome(arrival, whole, released, now)
        detail = {**(outcome.detail or {}), "documents": documents, "streamed": True}
        ledger.mark_processed(s, [dataclasses.replace(outcome, detail=detail)])
    crash_point("after_commit")
    log.info(
        "%s: read as a stream: %d document(s), %d message(s) released%s",
        arrival.claimed.path,
        documents,
        released,
        f"; not accepted: {whole.why}" if whole.why else "",
    )
    if pipeline.measures is not None:
        batch = InboundBatch()
        batch.read(arrival.claimed.partner, whole)
        pipeline.measures.committed(batch)
    if pipeline.on_commit is not None:
        pipeline.on_commit()

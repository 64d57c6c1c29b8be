"""``edi-gateway prune``: forget what has been settled for longer than ``retention_days``: the
ledger's rows (:mod:`gateway.ledger.retention` says which, and what is never touched) and the
files that go with them: archived originals (``archive/<partner>/YYYY/MM/DD/``), quarantined
files with their ``.error.json`` reports, and the copies of delivered files in
``outbox/<partner>/sent/``.

An archived or quarantined copy is removed in the transaction that deletes its row, before it
commits: a crash in between leaves a row whose copy is gone, which the next run deletes, never a
copy that no row names. Only paths inside the archive and quarantine folders are removed, links
as links. Day folders of the archive left empty go too. A ``sent/`` copy goes once it is older
than the cutoff (its modification time), unless work under way (a delivery, an outbound document
or an acknowledgement not written yet) uses its name.

The work goes in batches of ``batch`` rows, each a short transaction of its own: the daemon runs
meanwhile, and its writers wait for one batch at most.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from .ledger import FileState, leftovers, retention
from .ledger.leftovers import LEFTOVER_KINDS, Going
from .ledger.models import DOCUMENTS, OUTBOUND_DOCUMENTS, OUTBOX
from .ledger.retention import SettledFile
from .spool.writing import SENT_FOLDER, folder_lock

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from .config import Settings

log = logging.getLogger(__name__)

BATCH = 500
"""Files, outbound documents or other rows looked at per transaction."""
_DAY = re.compile(r"^\d{4}/\d{2}/\d{2}$")


@dataclasses.dataclass
class Pruned:
    """What a run removed (or, dry, would remove)."""

    cutoff: dt.datetime
    dry_run: bool
    files: int = 0
    documents: int = 0
    messages: int = 0
    acknowledgements: int = 0
    events: int = 0
    outbound: int = 0
    outbound_messages: int = 0
    partner_acks: int = 0
    pickups: int = 0
    deliveries: int = 0
    unmatched_acks: int = 0
    lone_messages: int = 0
    order_lines: int = 0
    order_checks: int = 0
    """The cross-document checks' order lines and findings about documents gone."""
    archived: int = 0
    """Archived originals removed from disk."""
    quarantined: int = 0
    """Quarantined files removed from disk (each with its report)."""
    sent: int = 0
    """Copies of delivered files removed from ``sent/``."""
    freed: int = 0
    """Bytes of the files removed from disk."""

    def lines(self, days: float) -> list[str]:
        did = "would remove" if self.dry_run else "removed"
        return [
            f"retention_days = {days:g}: what was settled before "
            f"{self.cutoff:%Y-%m-%d %H:%M:%S} UTC" + (" (dry run: nothing removed)" * self.dry_run),
            f"{did} {self.files} inbound file(s) with {self.documents} document(s), "
            f"{self.messages} message(s), {self.acknowledgements} acknowledgement(s)",
            f"{did} {self.outbound} outbound document(s) with {self.outbound_messages} status "
            f"message(s), {self.partner_acks} partner acknowledgement(s)",
            f"{did} {self.pickups} pickup(s), {self.deliveries} delivery(ies) done, "
            f"{self.unmatched_acks} unmatched partner acknowledgement(s), {self.lone_messages} "
            "message(s) about nothing left",
            f"{did} {self.events} timeline event(s), {self.order_lines} order line(s) and "
            f"{self.order_checks} order check(s) about documents gone",
            f"{did} from disk {self.archived} archived and {self.quarantined} quarantined "
            f"file(s), {self.sent} sent copy(ies): {self.freed:,} bytes",
        ]


def prune(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    batch: int = BATCH,
) -> Pruned:
    """Remove what was settled before ``retention_days`` ago (``dry_run``: count it only)."""
    if settings.retention_days is None:
        raise ValueError("retention_days is not set: nothing to prune")
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=settings.retention_days)
    pruned = Pruned(cutoff, dry_run)
    folders = (
        settings.path(settings.archive).resolve(),
        settings.path(settings.quarantine).resolve(),
    )
    going: Going | None = {} if dry_run else None  # what a dry run counts as gone already
    _files(factory, pruned, folders, batch, going)
    _outbound(factory, pruned, batch, going)
    for kind in LEFTOVER_KINDS:
        _leftovers(factory, pruned, kind, batch, going)
    _sent_copies(factory, pruned, settings.path(settings.outbox))
    if not dry_run:
        _empty_days(folders[0], cutoff)
    log.info("pruned what was settled before %s: %s", cutoff.isoformat(), pruned)
    return pruned


def _files(
    factory: sessionmaker[Session],
    pruned: Pruned,
    folders: tuple[Path, Path],
    batch: int,
    going: Going | None,
) -> None:
    def find(s: Session, after: int, hold: bool) -> retention.FileBatch | None:
        return retention.settled_files(s, pruned.cutoff, after_id=after, limit=batch, hold=hold)

    for s, found in _batches(factory, find, hold=going is None):
        ids = [row.id for row in found.files]
        if going is not None:
            pruned.events += retention.events_of_files(s, ids)
            going.setdefault(DOCUMENTS.name, set()).update(found.documents)
            going.setdefault(OUTBOX.name, set()).update(found.messages)
        else:
            pruned.events += retention.delete_files(s, found)
        for row in found.files:  # before the commit: never a copy that no row names
            _remove_copy(row, folders, pruned)
        pruned.files += len(ids)
        pruned.documents += len(found.documents)
        pruned.messages += len(found.messages)
        pruned.acknowledgements += len(found.acknowledgements)


class _Batch(Protocol):
    @property
    def last_id(self) -> int: ...


Found = TypeVar("Found", bound=_Batch)


def _batches(
    factory: sessionmaker[Session],
    find: Callable[[Session, int, bool], Found | None],
    *,
    hold: bool,
) -> Iterator[tuple[Session, Found]]:
    """Each batch ``find`` finds after the one before, with the transaction it is read in (and,
    when ``hold``, held: :func:`~gateway.ledger.retention.hold_for_pruning`), committed once
    the caller has dealt with it."""
    after = 0
    while True:
        with factory.begin() as s:
            if hold:
                retention.hold_for_pruning(s)
            found = find(s, after, hold)
            if found is None:
                return
            after = found.last_id
            yield s, found


def _remove_copy(row: SettledFile, folders: tuple[Path, Path], pruned: Pruned) -> None:
    """Remove the file's archived or quarantined copy (and a quarantined one's report), if it is
    in one of ``folders``; counted in ``pruned``."""
    if not row.final_path:
        return
    path = Path(os.path.abspath(row.final_path))
    if not any(path.parent.resolve().is_relative_to(folder) for folder in folders):
        log.warning("%s is outside the archive and quarantine folders: left", path)
        return
    quarantined = row.state is FileState.QUARANTINED
    copies = [path, path.with_name(path.name + ".error.json")] if quarantined else [path]
    removed = False
    for copy in copies:
        try:
            size = os.lstat(copy).st_size
            if not pruned.dry_run:
                os.unlink(copy)  # a link goes as a link
        except FileNotFoundError:
            continue
        pruned.freed += size
        removed = removed or copy == path
    if removed and quarantined:
        pruned.quarantined += 1
    elif removed:
        pruned.archived += 1


def _outbound(
    factory: sessionmaker[Session], pruned: Pruned, batch: int, going: Going | None
) -> None:
    def find(s: Session, after: int, hold: bool) -> retention.OutboundBatch | None:
        return retention.settled_outbound(s, pruned.cutoff, after_id=after, limit=batch, hold=hold)

    for s, found in _batches(factory, find, hold=going is None):
        if going is None:
            retention.delete_outbound(s, found)
        else:
            going.setdefault(OUTBOUND_DOCUMENTS.name, set()).update(found.outbound)
            going.setdefault(OUTBOX.name, set()).update(found.messages)
        pruned.outbound += len(found.outbound)
        pruned.partner_acks += len(found.partner_acks)
        pruned.outbound_messages += len(found.messages)


def _leftovers(
    factory: sessionmaker[Session], pruned: Pruned, kind: str, batch: int, going: Going | None
) -> None:
    after = 0
    while True:
        with factory.begin() as s:
            if going is None:
                retention.hold_for_pruning(s)
            found = leftovers.prune_leftovers(
                s, kind, pruned.cutoff, after_id=after, limit=batch, dry_run=going
            )
        if found is None:
            return
        after, count = found
        setattr(pruned, kind, getattr(pruned, kind) + count)


def _sent_copies(factory: sessionmaker[Session], pruned: Pruned, outbox: Path) -> None:
    """Remove the ``sent/`` copies older than the cutoff that no work under way names."""
    try:
        partners = sorted(os.scandir(outbox), key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    before = pruned.cutoff.timestamp()
    for partner in partners:
        sent = Path(partner.path) / SENT_FOLDER
        if not sent.is_dir():
            continue
        with factory.begin() as s:
            in_use = leftovers.names_in_use(s, partner.name)
        try:
            entries = list(os.scandir(sent))
        except OSError:
            continue
        old = []
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # gone meanwhile
                continue
            if not entry.is_file(follow_symlinks=False) or info.st_mtime >= before:
                continue
            if entry.name in in_use or entry.name.rpartition(".")[0] in in_use:
                continue
            old.append((entry.path, info.st_size))
        with contextlib.ExitStack() as stack:
            if not pruned.dry_run and old:  # as the channels move files into sent/
                stack.enter_context(folder_lock(Path(partner.path)))
            for path, size in old:
                if not pruned.dry_run:
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        continue
                pruned.sent += 1
                pruned.freed += size


def _empty_days(archive: Path, cutoff: dt.datetime) -> None:
    """Remove the archive's day folders (``<partner>/YYYY/MM/DD``) of days before the cutoff's
    left empty, then month and year folders wholly before it left empty; never a partner's
    folder, nor one the daemon may be filing into."""
    last = cutoff.strftime("%Y/%m/%d")
    for partner in _folders(archive):
        for year in _folders(partner):
            for month in _folders(year):
                for day in _folders(month):
                    _remove_if_empty(partner, day, "", last)
                _remove_if_empty(partner, month, "/31", last)
            _remove_if_empty(partner, year, "/12/31", last)


def _folders(path: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _remove_if_empty(partner: Path, folder: Path, end: str, last: str) -> None:
    """Remove ``folder`` if it is empty and its last day (its path below ``partner`` and
    ``end``) comes before ``last``."""
    day = folder.relative_to(partner).as_posix() + end
    if _DAY.match(day) and day < last:
        with contextlib.suppress(OSError):  # not empty
            os.rmdir(folder)

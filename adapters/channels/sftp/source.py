"""Fetching a partner's files over SFTP into ``inbox/<partner>/``, never losing or doubling one.

Files are taken in batches (up to :data:`BATCH_FILES` files or :data:`BATCH_BYTES` bytes; a
larger file is a batch of its own). For every file of a batch, in this order (each step
survives a crash at any instant):

1. download, pipelined with the other files of the batch (:func:`.pipeline.fetch`), into a
   dotfile ``inbox/<partner>/.sftp-<uuid>.part`` (the folder watcher ignores dotfiles), hashing as
   it goes; the remote file is checked unchanged (size, mtime, bytes read) at the end; fsync;
   then the folder is fsynced once for the batch;
2. record the batch's pickups in the ledger (partner, remote path, size, mtime, sha256, names):
   one commit;
3. hard-link each under its final name (never over another file: a name in use gets ``.<id>``
   before its extension), fsync the folder, remove the dotfiles, fsync the folder; one commit
   marks them delivered;
4. the remote actions (delete | move | keep), pipelined, then one commit marks them done.

After a crash, the next poll first settles what the ledger says: a recorded download still in
its dotfile is moved into the inbox; a dotfile the ledger does not know (an interrupted download)
is removed and the file fetched again; a delivered file whose remote action did not happen gets it
now (if the remote file is still the one taken: same size and mtime), without downloading it
again. A file already taken (``after = "keep"``, or the same path, size and mtime awaiting its
remote action) is not taken twice; one re-sent under the same name with another size or mtime is
new.

A file is complete when its size and mtime are unchanged across polls for ``min_age`` seconds, or
(with ``done_marker``) once ``NAME + marker`` exists. Dotfiles are never taken (partners upload
under such names), nor anything that is not a regular file. Names that could not be one plain
local file name are refused and reported (:mod:`.file_names`), and so are files larger than the
daemon's ``max_file_size`` (left on the server, never downloaded).

Crash points (``EDIGW_CRASH_AT``, :mod:`gateway.runtime.crashpoints`), once per batch:
``sftp_after_download``, ``sftp_after_record``, ``sftp_after_link``,
``sftp_after_remote_action``.

(Slightly over 400 lines: one poll, whose steps share the batch being fetched.)
"""

from __future__ import annotations

import fnmatch
import logging
import posixpath
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import paramiko
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger.transfers import NewPickup, PickupChange, PickupRow, PickupState
from gateway.ports import CollectReport, Pickup
from gateway.runtime.crashpoints import crash_point
from gateway.spool import fsync_directory, unsafe_name
from gateway.spool.pickups import Pickups

from .config import SftpChannel, SftpInbound
from .connection import SftpConnectionLost, SftpError, SftpSession, describe
from .pipeline import (
    Attributes,
    Download,
    fetch,
    list_folder,
    lstat_many,
    remove_many,
    rename_many,
)

log = logging.getLogger(__name__)

TEMP_PREFIX = ".sftp-"
"""The dotfiles of downloads under way (:meth:`gateway.spool.pickups.Pickups.temp`)."""
BATCH_FILES = 200
"""Files downloaded together, recorded in one commit and acted on remotely together."""
BATCH_BYTES = 64 * 1024 * 1024
"""Bytes in one batch at most (a larger file is a batch of its own)."""


PollReport = CollectReport
"""What one poll did (the port's :class:`~gateway.ports.CollectReport`)."""


class SftpSource:
    """Polls a partner's SFTP folder into ``inbox/<partner>/``.

    Options (``[sftp.inbound]``): ``folder``, ``glob``, ``min_age``, ``done_marker``,
    ``after = delete | move | keep``, ``move_to``. Call :meth:`poll` with an open session (one
    connection for the listing and every download); the channel (:mod:`.channel`) does. The
    ledger's side of each pickup is the core's :class:`~gateway.spool.pickups.Pickups`.
    """

    def __init__(
        self,
        partner: str,
        channel: SftpChannel,
        *,
        inbox: Path,
        ledger: sessionmaker[Session],
        clock: Callable[[], float] = time.monotonic,
        max_file_size: int | None = None,
    ) -> None:
        if channel.inbound is None:
            raise ValueError(f"partner {partner}: the sftp channel has no [sftp.inbound]")
        self.partner = partner
        self.channel = channel
        self.inbound: SftpInbound = channel.inbound
        self.folder = inbox / partner
        self.pickups = Pickups(partner, self.folder, ledger, kind="sftp")
        self.clock = clock
        self._seen: dict[str, tuple[int, int, float]] = {}
        """name -> (size, mtime, since when): the completeness check across polls."""
        self._refused_before: set[str] = set()
        self.max_file_size = max_file_size
        """A larger remote file is left on the server and reported, never downloaded (the
        pipeline would quarantine it unread)."""

    # -- one poll ------------------------------------------------------------------------------

    def poll(self, session: SftpSession) -> PollReport:
        """Settle what a previous poll left, then take every complete file (see the module)."""
        report = PollReport(self.partner)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settle_local()
        self._finish_remote_actions(session, report)
        try:
            entries = list_folder(session.requests(), self.inbound.folder)
        except (OSError, EOFError, paramiko.SSHException) as error:
            self._raise_if_lost(session, error)
            raise SftpError(
                f"partner {self.partner}: cannot list {self.inbound.folder}: {describe(error)}"
            ) from None
        for batch in _batches(self._complete(entries, report)):
            self._take(session, batch, report)
        return report

    def _refuse(self, report: PollReport, name: str, reason: str) -> None:
        """Leave ``name`` on the server: reported at every poll, logged the first time."""
        report.refused.append((name, reason))
        if name not in self._refused_before:
            self._refused_before.add(name)
            log.warning(
                "partner %s: refusing remote file %r in %s: %s",
                self.partner,
                name,
                self.inbound.folder,
                reason,
            )

    def settle_local(self) -> None:
        """Local recovery, no connection needed: recorded downloads still in their dotfile go
        into the inbox; dotfiles the ledger does not know (interrupted downloads) are removed."""
        self.pickups.settle()

    # -- which files -----------------------------------------------------------------------------

    def _complete(
        self, entries: list[paramiko.SFTPAttributes], report: PollReport
    ) -> list[paramiko.SFTPAttributes]:
        now = self.clock()
        marker = self.inbound.done_marker
        names = {entry.filename for entry in entries}
        ready: list[paramiko.SFTPAttributes] = []
        for entry in entries:
            name = entry.filename
            if name.startswith(".") or (marker and name.endswith(marker)):
                continue
            reason = unsafe_name(name)
            if reason is not None:
                self._refuse(report, name, reason)
                continue
            if not fnmatch.fnmatchcase(name, self.inbound.glob):
                continue
            if entry.st_mode is None or not stat.S_ISREG(entry.st_mode):
                continue
            size, mtime = int(entry.st_size or 0), int(entry.st_mtime or 0)
            if self.max_file_size is not None and size > self.max_file_size:
                reason = (
                    f"too large: {size:,} bytes, more than max_file_size ({self.max_file_size:,})"
                )
                self._refuse(report, name, reason)
                continue
            if marker:
                if name + marker not in names:
                    report.waiting.append(name)
                    continue
            else:
                seen = self._seen.get(name)
                if seen is None or seen[:2] != (size, mtime):
                    self._seen[name] = (size, mtime, now)
                    seen = self._seen[name]
                if now - seen[2] < self.inbound.min_age:
                    report.waiting.append(name)
                    continue
            ready.append(entry)
        for gone in set(self._seen) - names:
            del self._seen[gone]
        ready.sort(key=lambda e: (e.st_mtime or 0, e.filename))
        keys = [self._key(entry) for entry in ready]
        taken = self.pickups.taken_before(keys, keep=self.inbound.after == "keep")
        fresh = []
        for entry, key in zip(ready, keys, strict=True):
            if key in taken:
                report.already.append(entry.filename)
            else:  # never taken, or removed after we took it: a new file, sent again
                fresh.append(entry)
        return fresh

    def _key(self, entry: paramiko.SFTPAttributes) -> tuple[str, int, int]:
        return (
            self.inbound.remote_path(entry.filename),
            int(entry.st_size or 0),
            int(entry.st_mtime or 0),
        )

    # -- taking a batch of files ----------------------------------------------------------------

    def _take(
        self, session: SftpSession, entries: list[paramiko.SFTPAttributes], report: PollReport
    ) -> None:
        jobs = [
            Download(
                remote=self.inbound.remote_path(entry.filename),
                size=int(entry.st_size or 0),
                mtime=int(entry.st_mtime or 0),
                temp=self.pickups.temp(),
            )
            for entry in entries
        ]
        try:
            fetch(session.requests(), jobs, limits=session.limits())
        except (OSError, EOFError, paramiko.SSHException) as error:
            for job in jobs:
                job.temp.unlink(missing_ok=True)
            raise SftpConnectionLost(
                f"partner {self.partner}: connection lost: {describe(error)}"
            ) from None
        fetched: list[tuple[str, Download]] = []
        for entry, job in zip(entries, jobs, strict=True):
            name = entry.filename
            if job.changed:
                log.info(
                    "partner %s: %s changed while downloading; later", self.partner, job.remote
                )
                self._seen.pop(name, None)
                report.waiting.append(name)
            elif not job.ok:
                reason = describe(job.error)
                report.failed.append((name, f"download failed: {reason}"))
                log.warning("partner %s: cannot download %s: %s", self.partner, job.remote, reason)
            else:
                fetched.append((name, job))
        if not fetched:
            return
        fsync_directory(self.folder)  # the dotfiles' names, before the ledger refers to them
        crash_point("sftp_after_download")
        rows = self.pickups.record(
            [
                NewPickup(job.remote, job.size, job.mtime, job.sha256, job.temp.name, name)
                for name, job in fetched
            ]
        )
        crash_point("sftp_after_record")
        local_names = self.pickups.into_inbox(rows)
        crash_point("sftp_after_link")
        for row, local_name in zip(rows, local_names, strict=True):
            self._seen.pop(posixpath.basename(row.remote_path), None)
            path = self.folder / local_name
            report.taken.append(
                Pickup(self.partner, row.remote_path, row.size, row.mtime, row.sha256, path, row.id)
            )
            log.info(
                "partner %s: took %s (%d bytes) as %s",
                self.partner,
                row.remote_path,
                row.size,
                path,
            )
        self._remote_actions(session, list(zip(rows, local_names, strict=True)), report)

    # -- the remote action ("ack") ---------------------------------------------------------------

    def _finish_remote_actions(self, session: SftpSession, report: PollReport) -> None:
        pending = self.pickups.unfinished()
        for batch in _chunks(pending, BATCH_FILES):
            done = self._remote_actions(session, [(row, row.local_name) for row in batch], report)
            report.finished += [posixpath.basename(row.remote_path) for row in done]

    def _remote_actions(
        self, session: SftpSession, pickups: list[tuple[PickupRow, str]], report: PollReport
    ) -> list[PickupRow]:
        """Delete, move or keep the remote files of delivered pickups, all requests in flight
        together; mark each done (or record why not). Each remote file is first checked to be
        still the one taken (size and mtime): one replaced meanwhile is left in place, to be taken
        as a new file. The pickups marked done."""
        after = self.inbound.after
        outcomes: list[str | OSError] = [after] * len(pickups)
        if after != "keep" and pickups:
            try:
                self._act_remotely(session, [row for row, _ in pickups], outcomes)
            except (OSError, EOFError, paramiko.SSHException) as error:
                raise SftpConnectionLost(
                    f"partner {self.partner}: connection lost: {describe(error)}"
                ) from None
        crash_point("sftp_after_remote_action")
        changes: list[PickupChange] = []
        done: list[PickupRow] = []
        for (row, local_name), outcome in zip(pickups, outcomes, strict=True):
            if isinstance(outcome, OSError):
                reason = describe(outcome)
                changes.append(
                    PickupChange(
                        row.id,
                        PickupState.DELIVERED,
                        local_name=local_name,
                        detail={"remote_error": f"{after}: {reason}"},
                    )
                )
                report.failed.append(
                    (posixpath.basename(row.remote_path), f"{after} failed: {reason}")
                )
                log.warning(
                    "partner %s: %s of %s failed (retried at the next poll): %s",
                    self.partner,
                    after,
                    row.remote_path,
                    reason,
                )
            else:
                changes.append(
                    PickupChange(
                        row.id, PickupState.DONE, local_name=local_name, detail={"remote": outcome}
                    )
                )
                done.append(row)
        self.pickups.finish(changes)
        return done

    def _act_remotely(
        self, session: SftpSession, rows: list[PickupRow], outcomes: list[str | OSError]
    ) -> None:
        """Fill in each row's outcome: the action done, ``gone``, ``changed...``, or the error."""
        requests = session.requests()
        act: list[int] = []
        for index, (row, found) in enumerate(
            zip(rows, lstat_many(requests, [row.remote_path for row in rows]), strict=True)
        ):
            if isinstance(found, FileNotFoundError):
                outcomes[index] = "gone"
            elif isinstance(found, OSError):
                outcomes[index] = found
            elif (found.size or 0, found.mtime or 0) != (row.size, row.mtime):
                outcomes[index] = "changed (left in place: it is a new file)"
            else:
                act.append(index)
        if not act:
            return
        if self.inbound.after == "delete":
            errors = remove_many(requests, [rows[i].remote_path for i in act])
        else:
            errors = self._move(session, [rows[i] for i in act])
        acted = []
        for index, error in zip(act, errors, strict=True):
            if error is not None:
                outcomes[index] = error
            else:
                acted.append(index)
        marker = self.inbound.done_marker
        if marker and acted:
            markers = [rows[i].remote_path + marker for i in acted]
            for index, error in zip(acted, remove_many(requests, markers), strict=True):
                if error is not None and not isinstance(error, FileNotFoundError):
                    outcomes[index] = error

    def _move(self, session: SftpSession, rows: list[PickupRow]) -> list[OSError | None]:
        """Rename each file into ``move_to``; beside a file of that name there: ``NAME.<id>``."""
        assert self.inbound.move_to is not None
        requests = session.requests()
        targets = [
            posixpath.join(self.inbound.move_to, posixpath.basename(row.remote_path))
            for row in rows
        ]
        errors = rename_many(
            requests, [(r.remote_path, t) for r, t in zip(rows, targets, strict=True)]
        )
        refused = [i for i, error in enumerate(errors) if error is not None]
        if refused:
            found = lstat_many(requests, [targets[i] for i in refused])
            taken = [
                i for i, there in zip(refused, found, strict=True) if isinstance(there, Attributes)
            ]
            moves = [(rows[i].remote_path, f"{targets[i]}.{rows[i].id}") for i in taken]
            for index, error in zip(taken, rename_many(requests, moves), strict=True):
                errors[index] = error
        return errors

    def _raise_if_lost(self, session: SftpSession, error: BaseException) -> None:
        if not session.alive or isinstance(error, EOFError | paramiko.SSHException | TimeoutError):
            raise SftpConnectionLost(
                f"partner {self.partner}: connection lost: {describe(error)}"
            ) from None


def _chunks(items: Sequence[PickupRow], size: int) -> Iterator[list[PickupRow]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _batches(entries: list[paramiko.SFTPAttributes]) -> Iterator[list[paramiko.SFTPAttributes]]:
    """Consecutive runs of at most :data:`BATCH_FILES` files and :data:`BATCH_BYTES` bytes."""
    batch: list[paramiko.SFTPAttributes] = []
    size = 0
    for entry in entries:
        length = int(entry.st_size or 0)
        if batch and (len(batch) >= BATCH_FILES or size + length > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += length
    if batch:
        yield batch

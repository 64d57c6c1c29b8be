"""Fetching a partner's files over SFTP into ``inbox/<partner>/``, never losing or doubling one.

Per file, in this order (each step survives a crash at any instant):

1. download, streamed with prefetch, into a dotfile ``inbox/<partner>/.sftp-<uuid>.part`` (the
   folder watcher ignores dotfiles), hashing as it goes; the remote file is checked unchanged
   (size, mtime, bytes read) at the end; fsync;
2. record the pickup in the ledger (partner, remote path, size, mtime, sha256, names) and commit;
3. hard-link it under its final name (never over another file: a name in use gets ``.<id>``
   before its extension), fsync the folder, remove the dotfile;
4. the remote action (delete | move | keep), then the row is marked done.

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
local file name are refused and reported (:mod:`.sftp_names`).

Crash points (``EDIGW_CRASH_AT``, :mod:`gateway.runtime.crashpoints`): ``sftp_after_download``,
``sftp_after_record``, ``sftp_after_link``, ``sftp_after_remote_action``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import logging
import os
import posixpath
import stat
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger import transfers
from gateway.ledger.transfers import PickupRow, PickupState
from gateway.runtime.crashpoints import crash_point

from .folder import fsync_directory
from .sftp_config import SftpChannel, SftpInbound
from .sftp_connect import SftpConnectionLost, SftpError, SftpSession, describe
from .sftp_names import unsafe_name

log = logging.getLogger(__name__)

TEMP_PREFIX = ".sftp-"
TEMP_SUFFIX = ".part"
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Pickup:
    """A file taken from the partner's server, now in ``inbox/<partner>/``."""

    partner: str
    remote_path: str
    size: int
    mtime: int
    sha256: str
    path: Path
    pickup_id: int


@dataclass(slots=True)
class PollReport:
    """What one poll did. ``failed`` and ``refused`` are (name, reason) pairs."""

    partner: str
    taken: list[Pickup] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    """Remote actions completed for files delivered by an earlier (interrupted) poll."""
    waiting: list[str] = field(default_factory=list)
    """Not complete yet (still changing, too recent, no done marker)."""
    already: list[str] = field(default_factory=list)
    """Taken before (kept remotely, or awaiting a remote action that failed)."""
    refused: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class _Changed(Exception):
    """The remote file changed while it was downloaded."""


class SftpSource:
    """Polls a partner's SFTP folder into ``inbox/<partner>/``.

    Options (``[sftp.inbound]``): ``folder``, ``glob``, ``min_age``, ``done_marker``,
    ``after = delete | move | keep``, ``move_to``. Call :meth:`poll` with an open session (one
    connection for the listing and every download); the schedule (:mod:`.sftp_schedule`) does.
    """

    kind = "sftp"
    Config = SftpChannel

    def __init__(
        self,
        partner: str,
        channel: SftpChannel,
        *,
        inbox: Path,
        ledger: sessionmaker[Session],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if channel.inbound is None:
            raise ValueError(f"partner {partner}: the sftp channel has no [sftp.inbound]")
        self.partner = partner
        self.channel = channel
        self.inbound: SftpInbound = channel.inbound
        self.folder = inbox / partner
        self.ledger = ledger
        self.clock = clock
        self._seen: dict[str, tuple[int, int, float]] = {}
        """name -> (size, mtime, since when): the completeness check across polls."""
        self._refused_before: set[str] = set()

    # -- one poll ------------------------------------------------------------------------------

    def poll(self, session: SftpSession) -> PollReport:
        """Settle what a previous poll left, then take every complete file (see the module)."""
        report = PollReport(self.partner)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settle_local()
        self._finish_remote_actions(session, report)
        try:
            entries = session.sftp.listdir_attr(self.inbound.folder)
        except (OSError, EOFError, paramiko.SSHException, UnicodeDecodeError) as error:
            self._raise_if_lost(session, error)
            raise SftpError(
                f"partner {self.partner}: cannot list {self.inbound.folder}: {describe(error)}"
            ) from None
        for entry in self._complete(entries, report):
            self._take(session, entry, report)
        return report

    def settle_local(self) -> None:
        """Local recovery, no connection needed: recorded downloads still in their dotfile go
        into the inbox; dotfiles the ledger does not know (interrupted downloads) are removed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.ledger.begin() as s:
            recorded = transfers.pickups_in_state(s, self.partner, [PickupState.DOWNLOADED])
        for row in recorded:
            name = self._into_inbox(row)
            with self.ledger.begin() as s:
                transfers.set_pickup_state(s, row.id, PickupState.DELIVERED, local_name=name)
        for temp in self.folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            log.info("partner %s: removing an interrupted download %s", self.partner, temp.name)
            temp.unlink(missing_ok=True)

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
                continue
            if not fnmatch.fnmatchcase(name, self.inbound.glob):
                continue
            if entry.st_mode is None or not stat.S_ISREG(entry.st_mode):
                continue
            size, mtime = int(entry.st_size or 0), int(entry.st_mtime or 0)
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
        with self.ledger.begin() as s:
            return [entry for entry in ready if not self._taken_before(s, entry, report)]

    def _taken_before(self, s: Session, entry: paramiko.SFTPAttributes, report: PollReport) -> bool:
        row = transfers.pickup_of(
            s,
            self.partner,
            self.inbound.remote_path(entry.filename),
            int(entry.st_size or 0),
            int(entry.st_mtime or 0),
        )
        if row is None:
            return False
        if row.state is PickupState.DONE and self.inbound.after != "keep":
            return False  # it was removed after we took it: this is a new file, sent again
        report.already.append(entry.filename)
        return True

    # -- taking one file -------------------------------------------------------------------------

    def _take(
        self, session: SftpSession, entry: paramiko.SFTPAttributes, report: PollReport
    ) -> None:
        name = entry.filename
        remote = self.inbound.remote_path(name)
        temp = self.folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}{TEMP_SUFFIX}"
        try:
            sha256 = self._download(session, remote, entry, temp)
        except _Changed:
            temp.unlink(missing_ok=True)
            self._seen.pop(name, None)
            report.waiting.append(name)
            return
        except (OSError, EOFError, paramiko.SSHException) as error:
            temp.unlink(missing_ok=True)
            self._raise_if_lost(session, error)
            report.failed.append((name, f"download failed: {describe(error)}"))
            log.warning("partner %s: cannot download %s: %s", self.partner, remote, describe(error))
            return
        crash_point("sftp_after_download")
        size, mtime = int(entry.st_size or 0), int(entry.st_mtime or 0)
        with self.ledger.begin() as s:
            row = transfers.record_pickup(
                s,
                partner=self.partner,
                remote_path=remote,
                size=size,
                mtime=mtime,
                sha256=sha256,
                temp_name=temp.name,
                local_name=name,
            )
        crash_point("sftp_after_record")
        local_name = self._into_inbox(row)
        crash_point("sftp_after_link")
        self._seen.pop(name, None)
        path = self.folder / local_name
        report.taken.append(Pickup(self.partner, remote, size, mtime, sha256, path, row.id))
        log.info("partner %s: took %s (%d bytes) as %s", self.partner, remote, size, path)
        self._remote_action(session, row, local_name, report)

    def _download(
        self, session: SftpSession, remote: str, entry: paramiko.SFTPAttributes, temp: Path
    ) -> str:
        """Stream ``remote`` into ``temp`` (fsynced); its sha256. :class:`_Changed` if it moved."""
        size, mtime = int(entry.st_size or 0), int(entry.st_mtime or 0)
        digest = hashlib.sha256()
        received = 0
        with session.sftp.open(remote, "rb") as remote_file:
            if size:
                remote_file.prefetch(size)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            with open(fd, "wb", buffering=0, closefd=True) as local:
                while chunk := remote_file.read(CHUNK):
                    digest.update(chunk)
                    local.write(chunk)
                    received += len(chunk)
                after = remote_file.stat()
                os.fsync(local.fileno())
        if received != size or int(after.st_size or 0) != size or int(after.st_mtime or 0) != mtime:
            log.info("partner %s: %s changed while downloading; later", self.partner, remote)
            raise _Changed(remote)
        return digest.hexdigest()

    def _into_inbox(self, row: PickupRow) -> str:
        """Give the recorded download its final name (never over another file); the name."""
        temp = self.folder / row.temp_name
        if not temp.exists():
            return row.local_name  # done before an interruption: the dotfile is gone only so
        name = row.local_name
        for attempt in range(1000):
            try:
                os.link(temp, self.folder / name)
                break
            except FileExistsError:
                if os.path.samefile(temp, self.folder / name):
                    break  # linked before an interruption
                stem, dot, suffix = row.local_name.rpartition(".")
                tag = f"{row.id}" if attempt == 0 else f"{row.id}-{attempt}"
                name = f"{stem}.{tag}.{suffix}" if dot and stem else f"{row.local_name}.{tag}"
        else:
            raise SftpError(f"partner {self.partner}: no free name in {self.folder} for {name}")
        fsync_directory(self.folder)
        temp.unlink()
        fsync_directory(self.folder)
        return name

    # -- the remote action ("ack") ---------------------------------------------------------------

    def _finish_remote_actions(self, session: SftpSession, report: PollReport) -> None:
        with self.ledger.begin() as s:
            pending = transfers.pickups_in_state(s, self.partner, [PickupState.DELIVERED])
        for row in pending:
            if self._remote_action(session, row, row.local_name, report):
                report.finished.append(posixpath.basename(row.remote_path))

    def _remote_action(
        self, session: SftpSession, row: PickupRow, local_name: str, report: PollReport
    ) -> bool:
        """Delete, move or keep the remote file of a delivered pickup; mark it done. First makes
        sure the remote file is still the one taken (size and mtime): one that was replaced
        meanwhile is left in place, to be taken as a new file."""
        after = self.inbound.after
        try:
            outcome: str = after
            if after != "keep":
                outcome = self._still_there(session, row) or after
            if outcome == "delete":
                session.sftp.remove(row.remote_path)
            elif outcome == "move":
                self._move(session, row)
            if outcome in ("delete", "move"):
                self._remove_marker(session, row.remote_path)
        except (OSError, EOFError, paramiko.SSHException) as error:
            with self.ledger.begin() as s:
                transfers.set_pickup_state(
                    s,
                    row.id,
                    PickupState.DELIVERED,
                    local_name=local_name,
                    detail={"remote_error": f"{after}: {describe(error)}"},
                )
            self._raise_if_lost(session, error)
            name = posixpath.basename(row.remote_path)
            report.failed.append((name, f"{after} failed: {describe(error)}"))
            log.warning(
                "partner %s: %s of %s failed (retried at the next poll): %s",
                self.partner,
                after,
                row.remote_path,
                describe(error),
            )
            return False
        crash_point("sftp_after_remote_action")
        with self.ledger.begin() as s:
            transfers.set_pickup_state(
                s, row.id, PickupState.DONE, local_name=local_name, detail={"remote": outcome}
            )
        return True

    def _still_there(self, session: SftpSession, row: PickupRow) -> str | None:
        """None when the remote file is the one taken; else what to record instead of acting."""
        try:
            attributes = session.sftp.lstat(row.remote_path)
        except FileNotFoundError:
            return "gone"
        if (int(attributes.st_size or 0), int(attributes.st_mtime or 0)) != (row.size, row.mtime):
            return "changed (left in place: it is a new file)"
        return None

    def _move(self, session: SftpSession, row: PickupRow) -> None:
        assert self.inbound.move_to is not None
        name = posixpath.basename(row.remote_path)
        target = posixpath.join(self.inbound.move_to, name)
        try:
            session.sftp.rename(row.remote_path, target)
        except OSError:
            if not session.alive or not session.exists(target):
                raise
            session.sftp.rename(row.remote_path, f"{target}.{row.id}")

    def _remove_marker(self, session: SftpSession, remote: str) -> None:
        if self.inbound.done_marker:
            with contextlib.suppress(FileNotFoundError):
                session.sftp.remove(remote + self.inbound.done_marker)

    def _raise_if_lost(self, session: SftpSession, error: BaseException) -> None:
        if not session.alive or isinstance(error, EOFError | paramiko.SSHException | TimeoutError):
            raise SftpConnectionLost(
                f"partner {self.partner}: connection lost: {describe(error)}"
            ) from None

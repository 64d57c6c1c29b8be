"""Sending ``outbox/<partner>/`` to a partner's SFTP folder, confirmed, once.

Per file (regular files, oldest first; dotfiles, ``*.tmp`` and ``*.part`` are being written):

1. its sha256 and size are recorded in the ledger (a ``deliveries`` row, ``pending``), unless a
   delivery of it is under way already (same name and bytes, not ``filed``: a crash came);
2. its final name ``NAME`` must be free at the partner (a file there is never overwritten, and
   one of the same bytes is an earlier delivery the partner has not taken yet, not this one):
   the row becomes ``placing``;
3. it is uploaded (pipelined writes) under a temporary dotfile name ``.NAME.part``, its size is
   checked by a stat, and it is renamed to ``NAME``; with ``rename = false`` (servers that forbid
   rename) it is written directly as ``NAME``. The size is checked again under the final name;
4. the row is marked ``sent`` and committed;
5. the local file moves to ``outbox/<partner>/sent/`` (the choice made here: the outbox folder
   holds only what is still to send, ``sent/`` what the partner confirmed; a name already in
   ``sent/`` gets ``.<delivery id>``), under the folder's lock (:func:`gateway.spool.
   folder_lock`: the gateway's writers never check ``sent/`` for a name while its file is on the
   way), and the row is marked ``filed``.

A failed file is retried with exponential backoff (``retry_initial`` doubling to ``retry_max``),
its attempts and last error in its row; other files go on. A file waiting at the partner under
the name is never overwritten nor taken for this delivery: the upload is retried later, the
reason in the row's ``last_error``. After a crash: a file whose row says ``sent`` only moves to
``sent/`` (never uploaded twice); one interrupted before the rename is uploaded again; one
renamed remotely but not yet marked (its row ``placing``) is found at the partner under its
final name with the same content (sha256 compared) and marked sent, not doubled. A file put in
the outbox again once its delivery is ``filed`` (``resend``, an operator's copy) is a new
delivery.

Crash points: ``sftp_after_upload`` (temp uploaded, not renamed), ``sftp_after_remote_rename``
(renamed, not marked), ``sftp_after_sent`` (marked, local file not moved).
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger import transfers
from gateway.ledger.transfers import DeliveryRow, DeliveryState
from gateway.runtime.crashpoints import crash_point
from gateway.spool import SENT_FOLDER, folder_lock, fsync_directory

from .config import SftpChannel, SftpOutbound
from .connect import SftpConnectionLost, SftpSession, describe

log = logging.getLogger(__name__)

__all__ = ["SENT_FOLDER", "DeliveryRefused", "DeliveryReport", "SftpSink"]

IGNORE = ("*.tmp", "*.part", "*.partial", "~*")
CHUNK = 1 << 20


@dataclass(slots=True)
class DeliveryReport:
    partner: str
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    """Confirmed by an earlier run (which stopped before moving the local file)."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    """Failed before and waiting for their retry time."""


class DeliveryRefused(Exception):
    """The server took the connection but not the file (a reason a person can act on)."""


class SftpSink:
    """Delivers ``outbox/<partner>/`` to a partner's SFTP folder.

    Options (``[sftp.outbound]``): ``folder``, ``rename`` (temporary name + rename, or direct
    write); retry delays from ``[sftp]``: ``retry_initial``, ``retry_max``. Call
    :meth:`deliver` with an open session.
    """

    kind = "sftp"
    Config = SftpChannel

    def __init__(
        self,
        partner: str,
        channel: SftpChannel,
        *,
        outbox: Path,
        ledger: sessionmaker[Session],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if channel.outbound is None:
            raise ValueError(f"partner {partner}: the sftp channel has no [sftp.outbound]")
        self.partner = partner
        self.channel = channel
        self.outbound: SftpOutbound = channel.outbound
        self.folder = outbox / partner
        self.sent_folder = self.folder / SENT_FOLDER
        self.ledger = ledger
        self.clock = clock
        self._retry_at: dict[str, tuple[float, int]] = {}
        """name -> (when to try again, failures in a row)"""

    def pending(self) -> list[Path]:
        """The files to send, oldest first."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        found = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or any(fnmatch.fnmatch(name, p) for p in IGNORE):
                continue
            if entry.is_file(follow_symlinks=False):
                found.append((entry.stat(follow_symlinks=False).st_mtime, name))
        return [self.folder / name for _, name in sorted(found)]

    def deliver(self, session: SftpSession) -> DeliveryReport:
        report = DeliveryReport(self.partner)
        now = self.clock()
        for path in self.pending():
            retry = self._retry_at.get(path.name)
            if retry is not None and now < retry[0]:
                report.deferred.append(path.name)
                continue
            self._deliver_one(session, path, report)
        return report

    def _deliver_one(self, session: SftpSession, path: Path, report: DeliveryReport) -> None:
        try:
            sha256, size = _digest(path)
        except FileNotFoundError:
            return
        with self.ledger.begin() as s:
            row = transfers.delivery_of(s, self.partner, path.name, sha256)
            if row is None:
                row = transfers.record_delivery(
                    s,
                    partner=self.partner,
                    local_name=path.name,
                    sha256=sha256,
                    size=size,
                    remote_path=self.outbound.remote_path(path.name),
                )
        if row.state is DeliveryState.SENT:
            self._file_away(path, row)
            report.already.append(path.name)
            return
        try:
            self._upload(session, path, row)
        except (OSError, EOFError, paramiko.SSHException, DeliveryRefused) as error:
            self._failed(session, path, row, error, report)
            return
        with self.ledger.begin() as s:
            transfers.delivery_attempted(s, row.id, None)
            transfers.mark_sent(s, row.id)
        crash_point("sftp_after_sent")
        self._retry_at.pop(path.name, None)
        self._file_away(path, row)
        report.sent.append(path.name)
        log.info(
            "partner %s: sent %s (%d bytes) to %s", self.partner, path.name, size, row.remote_path
        )

    def _upload(self, session: SftpSession, path: Path, row: DeliveryRow) -> None:
        sftp = session.sftp
        final = row.remote_path
        if row.state is DeliveryState.PLACING and _remote_sha256(session, final) == row.sha256:
            log.info("partner %s: %s was delivered before a stop", self.partner, final)
            return
        if row.state is DeliveryState.PENDING:
            self._check_free(session, row)
        if not self.outbound.rename:  # over a partial file of this delivery's, if a crash left one
            self._placing(row)
            with path.open("rb") as local:
                sftp.putfo(local, final, file_size=row.size, confirm=True)
            self._check_size(session, final, row)
            return
        temp = self.outbound.remote_path(f".{path.name}.part")
        with path.open("rb") as local:
            sftp.putfo(local, temp, file_size=row.size, confirm=True)
        crash_point("sftp_after_upload")
        self._placing(row)
        try:
            sftp.rename(temp, final)
        except OSError as error:
            if not session.alive:
                raise  # renamed or not: the next attempt looks
            with self.ledger.begin() as s:  # the server said no: not renamed
                transfers.set_delivery_state(s, row.id, DeliveryState.PENDING)
            with contextlib.suppress(OSError):
                sftp.remove(temp)
            if session.exists(final):
                raise DeliveryRefused(
                    f"a different {final} came to the partner meanwhile; not overwritten, "
                    "retrying later"
                ) from None
            raise DeliveryRefused(
                f"rename {temp} -> {final} refused ({describe(error)}); if the partner's "
                "server forbids rename, set rename = false in [sftp.outbound]"
            ) from None
        crash_point("sftp_after_remote_rename")
        self._check_size(session, final, row)

    def _check_free(self, session: SftpSession, row: DeliveryRow) -> None:
        """:class:`DeliveryRefused` unless the delivery's final name is free at the partner: a
        file there is never overwritten, nor taken for this delivery's (one with its bytes is
        an earlier delivery the partner has not taken yet)."""
        final = row.remote_path
        if not session.exists(final):
            return
        if _remote_sha256(session, final) == row.sha256:
            raise DeliveryRefused(
                f"{final} is at the partner with the same content from an earlier delivery, "
                "not taken yet; not overwritten, delivering again once it is taken"
            )
        raise DeliveryRefused(
            f"a different {final} is waiting at the partner; not overwritten, retrying later"
        )

    def _placing(self, row: DeliveryRow) -> None:
        """The file is being given its final name (free when checked): after a crash, a file
        there with its bytes is this delivery's."""
        if row.state is not DeliveryState.PLACING:
            with self.ledger.begin() as s:
                transfers.set_delivery_state(s, row.id, DeliveryState.PLACING)

    def _check_size(self, session: SftpSession, final: str, row: DeliveryRow) -> None:
        size = session.sftp.stat(final).st_size
        if size != row.size:
            raise DeliveryRefused(f"{final} has {size} bytes at the partner, expected {row.size}")

    def _failed(
        self,
        session: SftpSession,
        path: Path,
        row: DeliveryRow,
        error: BaseException,
        report: DeliveryReport,
    ) -> None:
        text = describe(error)
        with self.ledger.begin() as s:
            transfers.delivery_attempted(s, row.id, text)
        failures = self._retry_at.get(path.name, (0.0, 0))[1] + 1
        delay = min(self.channel.retry_max, self.channel.retry_initial * 2 ** (failures - 1))
        self._retry_at[path.name] = (self.clock() + delay, failures)
        if not session.alive or isinstance(error, EOFError | paramiko.SSHException):
            raise SftpConnectionLost(f"partner {self.partner}: connection lost: {text}") from None
        report.failed.append((path.name, text))
        log.warning(
            "partner %s: cannot deliver %s (attempt %d, next in %.0f s): %s",
            self.partner,
            path.name,
            row.attempts + 1,
            delay,
            text,
        )

    def _file_away(self, path: Path, row: DeliveryRow) -> None:
        """Move a confirmed file to ``sent/``; its delivery is over (``filed``)."""
        self.sent_folder.mkdir(parents=True, exist_ok=True)
        with folder_lock(self.folder), contextlib.suppress(FileNotFoundError):
            target = self.sent_folder / path.name
            if os.path.lexists(target):
                target = self.sent_folder / f"{path.name}.{row.id}"
            os.rename(path, target)
            fsync_directory(self.sent_folder)
            fsync_directory(self.folder)
        with self.ledger.begin() as s:
            transfers.set_delivery_state(s, row.id, DeliveryState.FILED)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _remote_sha256(session: SftpSession, remote: str) -> str | None:
    try:
        with session.sftp.open(remote, "rb") as file:
            file.prefetch()
            digest = hashlib.sha256()
            while chunk := file.read(CHUNK):
                digest.update(chunk)
            return digest.hexdigest()
    except FileNotFoundError:
        return None

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
import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

import paramiko
from sqlalchemy.orm import Session, sessionmaker

from gateway.errors import ChannelError
from gateway.ledger.transfers import DeliveryRow, DeliveryState
from gateway.ports import DeliveryReport
from gateway.runtime.crashpoints import crash_point
from gateway.spool.deliveries import CHUNK, Deliveries

from .config import SftpChannel, SftpOutbound
from .connection import SftpConnectionLost, SftpSession, describe

log = logging.getLogger(__name__)

__all__ = ["DeliveryRefused", "SftpSink"]


class DeliveryRefused(ChannelError):
    """The server took the connection but not the file (a reason a person can act on)."""


class SftpSink:
    """Delivers ``outbox/<partner>/`` to a partner's SFTP folder.

    Options (``[sftp.outbound]``): ``folder``, ``rename`` (temporary name + rename, or direct
    write); retry delays from ``[sftp]``: ``retry_initial``, ``retry_max``. Call
    :meth:`deliver` with an open session. The ledger's side of each delivery (its row, the
    retries, ``sent/``) is the core's :class:`~gateway.spool.deliveries.Deliveries`.
    """

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
        self.deliveries = Deliveries(
            partner,
            outbox / partner,
            ledger,
            retry_initial=channel.retry_initial,
            retry_max=channel.retry_max,
            clock=clock,
        )

    @property
    def clock(self) -> Callable[[], float]:
        return self.deliveries.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.deliveries.clock = clock

    def pending(self) -> list[Path]:
        """The files to send, oldest first."""
        return self.deliveries.pending()

    def deliver(self, session: SftpSession) -> DeliveryReport:
        report = DeliveryReport(self.partner)
        for path in self.deliveries.pending():
            if not self.deliveries.due(path):
                report.deferred.append(path.name)
                continue
            self._deliver_one(session, path, report)
        return report

    def _deliver_one(self, session: SftpSession, path: Path, report: DeliveryReport) -> None:
        row = self.deliveries.start(path, self.outbound.remote_path(path.name))
        if row is None:
            return
        if row.state is DeliveryState.SENT:
            self.deliveries.file_away(path, row)
            report.already.append(path.name)
            return
        try:
            self._upload(session, path, row)
        except (OSError, EOFError, paramiko.SSHException, DeliveryRefused) as error:
            self._failed(session, path, row, error, report)
            return
        self.deliveries.confirm(row)
        crash_point("sftp_after_sent")
        self.deliveries.file_away(path, row)
        report.sent.append(path.name)
        report.bytes_sent += row.size
        log.info(
            "partner %s: sent %s (%d bytes) to %s",
            self.partner,
            path.name,
            row.size,
            row.remote_path,
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
            self.deliveries.placing(row)
            with path.open("rb") as local:
                sftp.putfo(local, final, file_size=row.size, confirm=True)
            self._check_size(session, final, row)
            return
        temp = self.outbound.remote_path(f".{path.name}.part")
        with path.open("rb") as local:
            sftp.putfo(local, temp, file_size=row.size, confirm=True)
        crash_point("sftp_after_upload")
        self.deliveries.placing(row)
        try:
            sftp.rename(temp, final)
        except OSError as error:
            if not session.alive:
                raise  # renamed or not: the next attempt looks
            self.deliveries.not_placed(row)  # the server said no: not renamed
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
        delay = self.deliveries.failed(row, text)
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

"""SFTP transport: fetch partners' files into ``inbox/<partner>/``, send ``outbox/<partner>/``.

Declared per partner in ``mappings/partners/<partner>.toml`` under ``[sftp]``
(:mod:`.sftp_config` lists every option). Features:

- **host keys always verified** against ``known_hosts`` lines or file (``[host]:port`` for ports
  other than 22); an unknown or changed key is an error that shows its ``SHA256:`` fingerprint;
- **complete files only**: size and mtime unchanged across polls for ``min_age``, or a done marker;
- **never lost, never doubled**: download to a dotfile, fsync, ledger commit, rename into the
  inbox, and only then delete / move / keep remotely; every crash point recovers at the next poll
  (:class:`SftpSource`);
- **confirmed deliveries**: temporary name + rename (or direct write), size checked, recorded,
  then the local file moves to ``outbox/<partner>/sent/``; retries with backoff (:class:`SftpSink`);
- **hostile names refused** (separators, ``..``, control characters) and reported;
- **fast**: our own TCP_NODELAY socket under paramiko, one connection per run; inbound files in
  batches whose SFTP requests are all in flight together and whose ledger work is one commit per
  step (:mod:`.sftp_pipeline`); pipelined writes outbound; a schedule per partner with a circuit
  breaker (:class:`SftpSchedule`);
- ``edi-gateway partner check P`` tries each step and says which one fails (:func:`check_channel`).
"""

from __future__ import annotations

from .sftp_check import check_channel
from .sftp_config import SftpChannel, SftpInbound, SftpOutbound
from .sftp_connect import (
    ChangedHostKey,
    HostKeyError,
    SftpConnectionLost,
    SftpError,
    SftpLoginFailed,
    SftpSession,
    SftpUnreachable,
    UnknownHostKey,
    connect,
    fingerprint,
)
from .sftp_schedule import PartnerExchange, RunReport, SftpSchedule
from .sftp_sink import DeliveryReport, SftpSink
from .sftp_source import Pickup, PollReport, SftpSource

__all__ = [
    "ChangedHostKey",
    "DeliveryReport",
    "HostKeyError",
    "PartnerExchange",
    "Pickup",
    "PollReport",
    "RunReport",
    "SftpChannel",
    "SftpConnectionLost",
    "SftpError",
    "SftpInbound",
    "SftpLoginFailed",
    "SftpOutbound",
    "SftpSchedule",
    "SftpSession",
    "SftpSink",
    "SftpSource",
    "SftpUnreachable",
    "UnknownHostKey",
    "check_channel",
    "connect",
    "fingerprint",
]

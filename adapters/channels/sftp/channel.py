"""SFTP transport: fetch partners' files into ``inbox/<partner>/``, send ``outbox/<partner>/``.

Declared per partner in ``mappings/partners/<partner>.toml`` under ``[sftp]``
(:mod:`.config` lists every option). Features:

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
  step (:mod:`.pipeline`); pipelined writes outbound; a schedule per partner with a circuit
  breaker (:class:`SftpSchedule`);
- ``edi-gateway partner check P`` tries each step and says which one fails (:func:`check_channel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, TextIO

from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Settings
from gateway.ports import Channel, ChannelConfig

from .check import check_channel
from .config import SftpChannel, SftpInbound, SftpOutbound
from .connect import (
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
from .schedule import PartnerExchange, RunReport, SftpSchedule
from .sink import DeliveryReport, SftpSink
from .source import Pickup, PollReport, SftpSource


class Sftp(Channel):
    """A partner's SFTP server (``[sftp]``, :class:`SftpChannel`): polled into the inbox, the
    outbox delivered there, on the partner's schedule."""

    kind: ClassVar[str] = "sftp"
    Config: ClassVar[type[ChannelConfig]] = SftpChannel
    delivers: ClassVar[bool] = True

    @classmethod
    def schedule(
        cls,
        settings: Settings,
        ledger: sessionmaker[Session],
        configs: Mapping[str, ChannelConfig],
    ) -> SftpSchedule:
        channels = {name: c for name, c in configs.items() if isinstance(c, SftpChannel)}
        return SftpSchedule(settings, ledger, channels)

    @classmethod
    def check(cls, partner: str, config: ChannelConfig, out: TextIO) -> bool:
        assert isinstance(config, SftpChannel)
        out.write(f"partner {partner}: {config.user}@{config.address}\n")
        return check_channel(partner, config, out)


__all__ = [
    "ChangedHostKey",
    "DeliveryReport",
    "HostKeyError",
    "PartnerExchange",
    "Pickup",
    "PollReport",
    "RunReport",
    "Sftp",
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

"""The SFTP channel: a partner's SFTP server, polled into the inbox, the outbox delivered there.

Declared per partner in ``mappings/partners/<partner>.toml`` under ``[sftp]`` (:mod:`.config`
lists every option; the schedule, retry and pause settings are every channel's,
:class:`gateway.ports.ChannelConfig`). Features:

- **host keys always verified** against ``known_hosts`` lines or file (``[host]:port`` for ports
  other than 22); an unknown or changed key is an error that shows its ``SHA256:`` fingerprint;
- **complete files only**: size and mtime unchanged across polls for ``min_age``, or a done marker;
- **never lost, never doubled**: download to a dotfile, fsync, ledger commit, rename into the
  inbox, and only then delete / move / keep remotely; every crash point recovers at the next poll
  (:class:`~.source.SftpSource`);
- **confirmed deliveries**: temporary name + rename (or direct write), size checked, recorded,
  then the local file moves to ``outbox/<partner>/sent/``; retries with backoff
  (:class:`~.sink.SftpSink`);
- **hostile names refused** (separators, ``..``, control characters) and reported;
- **fast**: our own TCP_NODELAY socket under paramiko, ONE connection per run (settle, poll,
  deliver: :meth:`Sftp.session`); inbound files in batches whose SFTP requests are all in flight
  together and whose ledger work is one commit per step (:mod:`.pipeline`); pipelined writes
  outbound. The core runs it on the partner's schedule behind its circuit breaker
  (:mod:`gateway.runtime.channels`);
- ``edi-gateway partner check P`` tries each step and says which one fails (:func:`check_channel`).

paramiko (some 28 MB of every process that imports it) is imported only once a partner uses
SFTP: the modules that need it are imported where a channel is made or checked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, TextIO

from gateway.ports import Channel, ChannelConfig, CollectReport, DeliveryReport, Spool

from .config import SftpChannel

if TYPE_CHECKING:
    from .connection import SftpSession
    from .sink import SftpSink
    from .source import SftpSource


class Sftp(Channel):
    """A partner's SFTP server (``[sftp]``, :class:`~.config.SftpChannel`)."""

    kind: ClassVar[str] = "sftp"
    Config: ClassVar[type[ChannelConfig]] = SftpChannel
    delivers: ClassVar[bool] = True

    def __init__(self, partner: str, config: ChannelConfig, spool: Spool) -> None:
        from .sink import SftpSink
        from .source import SftpSource

        super().__init__(partner, config, spool)
        assert isinstance(config, SftpChannel)
        self.settings = config
        self.source: SftpSource | None = (
            SftpSource(
                partner,
                config,
                inbox=spool.inbox,
                ledger=spool.ledger,
                clock=spool.clock,
                max_file_size=spool.max_file_size,
            )
            if config.inbound is not None
            else None
        )
        self.sink: SftpSink | None = (
            SftpSink(partner, config, outbox=spool.outbox, ledger=spool.ledger, clock=spool.clock)
            if config.outbound is not None
            else None
        )
        self._session: SftpSession | None = None
        """The run's connection, while :meth:`session` holds it open."""

    def settle(self) -> None:
        if self.source is not None:
            self.source.settle_local()

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """One connection for the whole run (verified host key, login): polling and delivering
        share it."""
        from .connection import connect

        with connect(self.partner, self.settings) as session:
            self._session = session
            try:
                yield
            finally:
                self._session = None

    def collect(self) -> CollectReport:
        if self.source is None:
            return CollectReport(self.partner)
        with self._connected() as session:
            return self.source.poll(session)

    def deliver(self) -> DeliveryReport:
        if self.sink is None:
            return DeliveryReport(self.partner)
        with self._connected() as session:
            return self.sink.deliver(session)

    @contextlib.contextmanager
    def _connected(self) -> Iterator[SftpSession]:
        """The run's connection, or one of its own outside a run."""
        if self._session is not None:
            yield self._session
            return
        from .connection import connect

        with connect(self.partner, self.settings) as session:
            yield session

    @classmethod
    def check(cls, partner: str, config: ChannelConfig, out: TextIO) -> bool:
        from .check import check_channel

        assert isinstance(config, SftpChannel)
        out.write(f"partner {partner}: {config.user}@{config.address}\n")
        return check_channel(partner, config, out)

"""The SFTP channel (:class:`Sftp`, :mod:`.channel` lists its features), by concern:
:mod:`.config` (the ``[sftp]`` section), :mod:`.connect` (socket, host key, login),
:mod:`.pipeline` (pipelined SFTP requests), :mod:`.source` (fetching into the inbox),
:mod:`.sink` (delivering the outbox), :mod:`.check` (``partner check``)."""

from .channel import Sftp
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
from .sink import SftpSink
from .source import SftpSource

__all__ = [
    "ChangedHostKey",
    "HostKeyError",
    "Sftp",
    "SftpChannel",
    "SftpConnectionLost",
    "SftpError",
    "SftpInbound",
    "SftpLoginFailed",
    "SftpOutbound",
    "SftpSession",
    "SftpSink",
    "SftpSource",
    "SftpUnreachable",
    "UnknownHostKey",
    "check_channel",
    "connect",
    "fingerprint",
]

"""The SFTP channel (:class:`Sftp`, :mod:`.channel` lists its features), by concern:
:mod:`.config` (the ``[sftp]`` section), :mod:`.connection` (socket, host key, login),
:mod:`.pipeline` (pipelined SFTP requests), :mod:`.source` (fetching into the inbox),
:mod:`.sink` (delivering the outbox), :mod:`.check` (``partner check``); those that need
paramiko are imported when first used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .channel import Sftp
from .config import SftpChannel, SftpInbound, SftpOutbound

if TYPE_CHECKING:
    from .check import check_channel
    from .connection import (
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

_NEEDING_PARAMIKO = {
    "check_channel": ".check",
    **dict.fromkeys(
        (
            "ChangedHostKey",
            "HostKeyError",
            "SftpConnectionLost",
            "SftpError",
            "SftpLoginFailed",
            "SftpSession",
            "SftpUnreachable",
            "UnknownHostKey",
            "connect",
            "fingerprint",
        ),
        ".connection",
    ),
    "SftpSink": ".sink",
    "SftpSource": ".source",
}
"""What is imported (with paramiko) when first asked for (:mod:`.channel`)."""


def __getattr__(name: str) -> Any:
    module = _NEEDING_PARAMIKO.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


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

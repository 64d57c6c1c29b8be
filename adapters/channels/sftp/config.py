"""The ``[sftp]`` section of a partner profile (``mappings/partners/<partner>.toml``).

Every option, with its default::

    [sftp]
    host = "sftp.acme.example"          # required
    port = 22
    user = "edi"                         # required
    key_file = "/etc/edi-gateway/acme.key"   # exactly one of key_file, key_credential,
    # key_credential = "acme.key"            #   password_credential, password
    # password_credential = "acme.pw"        # (a file in $CREDENTIALS_DIRECTORY)
    # password = "..."                       # discouraged: a secret in a reviewed file
    known_hosts = ["[sftp.acme.example]:2222 ssh-ed25519 AAAAC3Nz..."]   # and/or
    # known_hosts_file = "/etc/edi-gateway/known_hosts"
    legacy_algorithms = false           # true: also CBC ciphers and MD5/96-bit MACs, for an
                                        #   old server that offers nothing else
    connect_timeout = 15.0              # seconds, TCP connect + SSH handshake
    timeout = 60.0                      # seconds without an answer before a request fails
    # the run's settings, every channel's (gateway.ports.ChannelConfig):
    schedule = { interval = 60 }        # or { cron = "*/5 * * * *", timezone = "UTC" }
    grace_time = 300                    # seconds a late run may still start
    retry_initial = 30.0                # seconds; a failing run or file waits this, doubling...
    retry_max = 1800.0                  # ... up to this
    pause_after = 5                     # consecutive failed runs before the partner is paused
    pause_for = 900.0                   # seconds a paused partner waits (circuit breaker)

One run (on the schedule, one at a time per partner) uses one connection: it finishes what a
previous run left, fetches the inbound files, then sends the outbound ones.

    [sftp.inbound]                       # optional: files to fetch from the partner
    folder = "/outgoing"
    glob = "*"
    min_age = 30.0                      # size and mtime unchanged across polls this long
    done_marker = ".done"               # optional: take NAME only once NAME.done exists
    after = "delete"                    # delete | move | keep
    move_to = "/outgoing/taken"         # required with after = "move"

    [sftp.outbound]                      # optional: files to send to the partner
    folder = "/incoming"
    rename = true                       # upload as .NAME.part and rename; false: write NAME

Secrets are :class:`pydantic.SecretStr` (shown as ``**********``) and credentials are read only
when connecting, so neither a profile's repr nor a log line carries one.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from gateway.ports import ChannelConfig

CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"
"""systemd's ``LoadCredential=`` folder: ``key_credential`` and ``password_credential`` name
files in it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SftpInbound(_Strict):
    """Where to fetch files and what to do with them once they are safely in the inbox."""

    folder: str = Field(description="remote folder to poll", examples=["/outgoing"])
    glob: str = Field(default="*", description="names to take (fnmatch pattern)")
    min_age: float = Field(
        default=30.0,
        ge=0,
        description="seconds size and mtime must stay unchanged across polls (0: at first sight)",
    )
    done_marker: str | None = Field(
        default=None,
        description="take NAME only once NAME+marker exists (then min_age is not needed)",
        examples=[".done", ".ok"],
    )
    after: Literal["delete", "move", "keep"] = Field(
        default="delete", description="remote action after the file is recorded and delivered"
    )
    move_to: str | None = Field(default=None, description="remote folder for after = 'move'")

    @model_validator(mode="after")
    def _move_needs_folder(self) -> SftpInbound:
        if self.after == "move" and not self.move_to:
            raise ValueError("after = 'move' needs move_to (a remote folder)")
        if self.after != "move" and self.move_to:
            raise ValueError(f"move_to is only used with after = 'move' (after is {self.after!r})")
        return self

    def remote_path(self, name: str) -> str:
        return posixpath.join(self.folder, name)


class SftpOutbound(_Strict):
    """Where to put files from ``outbox/<partner>/``, and how hard to try."""

    folder: str = Field(description="remote folder to upload to", examples=["/incoming"])
    rename: bool = Field(
        default=True,
        description="upload under a temporary dotfile name and rename it when complete; false "
        "for servers that forbid rename (the file is written under its final name)",
    )

    def remote_path(self, name: str) -> str:
        return posixpath.join(self.folder, name)


class SftpChannel(ChannelConfig):
    """One partner's SFTP server: how to reach and trust it, what to fetch and what to send
    (its schedule, retries and pause are :class:`~gateway.ports.ChannelConfig`'s)."""

    host: str = Field(min_length=1, examples=["sftp.acme.example"])
    port: int = Field(default=22, ge=1, le=65535)
    user: str = Field(min_length=1)
    key_file: Path | None = Field(default=None, description="private key file (OpenSSH format)")
    key_credential: str | None = Field(
        default=None, description="private key: a file name in $CREDENTIALS_DIRECTORY"
    )
    key_passphrase_credential: str | None = Field(
        default=None, description="the key's passphrase: a file name in $CREDENTIALS_DIRECTORY"
    )
    password_credential: str | None = Field(
        default=None, description="password: a file name in $CREDENTIALS_DIRECTORY"
    )
    password: SecretStr | None = Field(
        default=None, description="discouraged: prefer a key, or password_credential"
    )
    known_hosts: list[str] = Field(
        default_factory=list,
        description="host keys in known_hosts format; '[host]:port' for ports other than 22",
    )
    known_hosts_file: Path | None = Field(default=None, description="a known_hosts file")
    legacy_algorithms: bool = Field(
        default=False,
        description="also use weak ciphers and MACs (CBC, 3DES, MD5, 96-bit MACs), for a "
        "partner's server that offers nothing else",
    )
    connect_timeout: float = Field(default=15.0, gt=0)
    timeout: float = Field(default=60.0, gt=0)
    inbound: SftpInbound | None = None
    outbound: SftpOutbound | None = None

    @model_validator(mode="after")
    def _one_secret_and_a_host_key(self) -> SftpChannel:
        given = [
            name
            for name in ("key_file", "key_credential", "password_credential", "password")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of key_file, key_credential, password_credential, password"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if not self.known_hosts and self.known_hosts_file is None:
            raise ValueError(
                "host keys are always verified: give known_hosts (lines in known_hosts format) "
                "or known_hosts_file"
            )
        return self

    @property
    def address(self) -> str:
        """``host`` or ``[host]:port``, as known_hosts spells it."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def credential_path(name: str) -> Path:
    """``$CREDENTIALS_DIRECTORY/name``; :class:`LookupError` when that cannot be."""
    directory = os.environ.get(CREDENTIALS_ENV)
    if not directory:
        raise LookupError(f"credential {name!r}: ${CREDENTIALS_ENV} is not set")
    if "/" in name or name in ("", ".", ".."):
        raise LookupError(f"credential {name!r}: not a plain file name")
    return Path(directory) / name


def read_credential(name: str) -> str:
    """The content of ``$CREDENTIALS_DIRECTORY/name`` (a trailing newline removed)."""
    path = credential_path(name)
    try:
        return path.read_text().removesuffix("\n")
    except OSError as error:
        raise LookupError(f"credential {name!r}: cannot read {path}: {error.strerror}") from None

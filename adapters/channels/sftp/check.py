"""``edi-gateway partner check P``: each step of reaching a partner's SFTP server, said plainly.

connect (TCP) -> host key (verified against known_hosts, fingerprint shown) -> login -> SFTP ->
list the inbound folder -> write, stat and delete a probe file in the outbound folder. Stops at
the first step that fails and says which and why; True when every step passed.
"""

from __future__ import annotations

import fnmatch
import io
import uuid
from typing import TextIO

import paramiko

from gateway.spool import unsafe_name

from .config import SftpChannel
from .connection import SftpError, SftpSession, connect, describe
from .pipeline import list_folder

STEPS = ("connect", "host key", "login", "sftp")
PROBE_PREFIX = ".edi-gateway-check-"


def check_channel(partner: str, channel: SftpChannel, out: TextIO) -> bool:
    done: list[str] = []

    def step(name: str, detail: str) -> None:
        done.append(name)
        out.write(f"ok      {name:10} {detail}\n")

    try:
        session = connect(partner, channel, on_step=step)
    except SftpError as error:
        failed = next((s for s in STEPS if s not in done), "connect")
        out.write(f"FAILED  {failed:10} {error}\n")
        return False
    with session:
        step("sftp", "subsystem open")
        return _inbound(session, channel, out) and _outbound(session, channel, out)


def _inbound(session: SftpSession, channel: SftpChannel, out: TextIO) -> bool:
    if channel.inbound is None:
        out.write("--      inbound    no [sftp.inbound] in the profile\n")
        return True
    folder = channel.inbound.folder
    try:
        names = [entry.filename for entry in list_folder(session.requests(), folder)]
    except (OSError, EOFError, paramiko.SSHException) as error:
        out.write(f"FAILED  inbound    cannot list {folder}: {describe(error)}\n")
        return False
    matching = [n for n in names if fnmatch.fnmatchcase(n, channel.inbound.glob)]
    refused = [n for n in matching if unsafe_name(n) is not None]
    out.write(
        f"ok      inbound    {folder}: {len(names)} entries, {len(matching)} matching "
        f"{channel.inbound.glob!r}"
        + (f", {len(refused)} of them with names that will be refused" if refused else "")
        + "\n"
    )
    return True


def _outbound(session: SftpSession, channel: SftpChannel, out: TextIO) -> bool:
    if channel.outbound is None:
        out.write("--      outbound   no [sftp.outbound] in the profile\n")
        return True
    probe = channel.outbound.remote_path(f"{PROBE_PREFIX}{uuid.uuid4().hex}")
    content = b"edi-gateway partner check\n"
    try:
        session.sftp.putfo(io.BytesIO(content), probe, file_size=len(content), confirm=True)
    except (OSError, EOFError) as error:
        out.write(f"FAILED  outbound   cannot write {probe}: {describe(error)}\n")
        return False
    try:
        session.sftp.remove(probe)
    except (OSError, EOFError) as error:
        out.write(f"FAILED  outbound   wrote {probe} but cannot delete it: {describe(error)}\n")
        return False
    out.write(
        f"ok      outbound   {channel.outbound.folder} is writable (probe written, deleted)\n"
    )
    return True

"""A real OpenSSH ``sshd`` on 127.0.0.1 for the SFTP tests, in a temporary folder.

Generated host key (ed25519 unless asked otherwise) and user key, ``AuthorizedKeysFile`` in the
folder, ``StrictModes no``, ``UsePAM no``, ``PidFile`` in the folder, internal-sftp forced (with
optional flags such as ``-P remove`` to deny requests, or ``-R`` for read-only), and optional lines
of ``sshd_config`` (say ``Ciphers aes128-cbc``, for a server that speaks only legacy algorithms).
The tests run as root and log in as root with the key (``PermitRootLogin prohibit-password``). A
missing sshd fails the test with the command to run: the tests never skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from adapters.channels.sftp.config import SftpChannel
from tests.support.ports import free_port

SSHD = Path("/usr/sbin/sshd")
INSTALL_HELP = (
    "OpenSSH's sshd is needed by the SFTP tests and is missing ({why}). Install it with:\n"
    "    sudo scripts/services\n"
    "or directly:\n"
    "    sudo apt-get update && sudo apt-get install -y openssh-server"
)


def require_sshd() -> None:
    if not SSHD.exists():
        pytest.fail(INSTALL_HELP.format(why=f"{SSHD} does not exist"), pytrace=False)
    if shutil.which("ssh-keygen") is None:
        pytest.fail(INSTALL_HELP.format(why="ssh-keygen is not on PATH"), pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the SFTP tests start sshd and log in as root: run them as root", pytrace=False)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder


def keygen(path: Path, kind: str = "ed25519") -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "edi-gateway-test", "-f", str(path)],
        check=True,
    )


class Sshd:
    def __init__(
        self,
        folder: Path,
        *,
        sftp_flags: str = "",
        host_key_type: str = "ed25519",
        config: str = "",
    ) -> None:
        require_sshd()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.host_key = folder / "host_key"
        self.user_key = folder / "user_key"
        for key, kind in ((self.host_key, host_key_type), (self.user_key, "ed25519")):
            if not key.exists():
                keygen(key, kind)
        self.authorized_keys = folder / "authorized_keys"
        self.authorized_keys.write_text((folder / "user_key.pub").read_text())
        self.port = free_port()
        self.sftp_flags = sftp_flags
        self.extra_config = config
        self.config = folder / "sshd_config"
        self.log = folder / "sshd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> None:
        self.config.write_text(
            f"ListenAddress 127.0.0.1:{self.port}\n"
            f"HostKey {self.host_key}\n"
            f"PidFile {self.folder / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.authorized_keys}\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "PermitRootLogin prohibit-password\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "MaxStartups 100\n"
            "MaxSessions 100\n"
            "LogLevel VERBOSE\n"
            "Subsystem sftp internal-sftp\n"
            f"ForceCommand internal-sftp {self.sftp_flags}\n"
            f"{self.extra_config}"
        )

    def start(self) -> Sshd:
        self._write_config()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited at start: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd did not start listening on {self.port}: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def host_key_line(self) -> str:
        """This server's key as a known_hosts line for ``[127.0.0.1]:port``."""
        kind, blob, *_ = (self.folder / "host_key.pub").read_text().split()
        return f"[127.0.0.1]:{self.port} {kind} {blob}"

    def channel(self, **options: object) -> SftpChannel:
        """A channel to this server (or, with ``port=``, through a proxy to it)."""
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.port,
            "user": "root",
            "key_file": str(self.user_key),
            "known_hosts": [self.host_key_line],
            "connect_timeout": 5.0,
            "timeout": 10.0,
        }
        values.update(options)
        if values["port"] != self.port and "known_hosts" not in options:
            kind_blob = self.host_key_line.split(" ", 1)[1]
            values["known_hosts"] = [f"[127.0.0.1]:{values['port']} {kind_blob}"]
        return SftpChannel.model_validate(values)

"""``edi-gateway partner check P`` against a real sshd, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.integration.sftp.helpers import (
    PARTNER,
    ROOT,
    everything,
    profile_toml,
    with_inbound,
    with_outbound,
)
from tests.integration.sftp.sshd import Sshd, keygen


def check(profiles: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "partner", "check", PARTNER, "--profiles", str(profiles)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_profile(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "partners"
    folder.mkdir(exist_ok=True)
    (folder / f"{PARTNER}.toml").write_text(text)
    return folder


def test_check_reports_every_step_and_exits_0(sshd: Sshd, remote: Path, tmp_path: Path) -> None:
    (remote / "out" / "a.edi").write_text("x")
    channel = with_outbound(with_inbound(sshd.channel(), remote, glob="*.edi"), remote)
    result = check(write_profile(tmp_path, profile_toml(channel)))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    steps = [line.split()[1] for line in lines if line.startswith("ok")]
    assert steps == ["connect", "host", "login", "sftp", "inbound", "outbound"]
    assert "SHA256:" in result.stdout and "1 matching '*.edi'" in result.stdout
    assert lines[-1] == "all checks passed"
    assert everything(remote / "in") == []  # the probe was removed


def test_check_counts_names_that_will_be_refused(sshd: Sshd, remote: Path, tmp_path: Path) -> None:
    (remote / "out" / "a.edi").write_text("x")
    with open(os.fsencode(remote / "out") + b"/caf\xe9.edi", "wb") as latin_1_name:
        latin_1_name.write(b"x")
    channel = with_outbound(with_inbound(sshd.channel(), remote, glob="*.edi"), remote)
    result = check(write_profile(tmp_path, profile_toml(channel)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 matching '*.edi', 1 of them with names that will be refused" in result.stdout


def test_check_fails_on_a_changed_host_key_naming_the_fingerprint(
    sshd: Sshd, remote: Path, tmp_path: Path
) -> None:
    keygen(tmp_path / "other")
    kind, blob = (tmp_path / "other.pub").read_text().split()[:2]
    channel = with_inbound(
        sshd.channel(known_hosts=[f"[127.0.0.1]:{sshd.port} {kind} {blob}"]), remote
    )
    result = check(write_profile(tmp_path, profile_toml(channel)))
    assert result.returncode == 1
    assert "FAILED  host key" in result.stdout and "SHA256:" in result.stdout
    assert "login" not in result.stdout


def test_check_fails_when_the_outbound_folder_is_not_writable(
    sshd_factory: Callable[..., Sshd], remote: Path, tmp_path: Path
) -> None:
    server = sshd_factory(sftp_flags="-R")
    channel = with_outbound(with_inbound(server.channel(), remote), remote)
    result = check(write_profile(tmp_path, profile_toml(channel)))
    assert result.returncode == 1
    assert "ok      inbound" in result.stdout
    assert "FAILED  outbound   cannot write" in result.stdout


def test_check_of_a_bad_profile_names_the_file_and_key(tmp_path: Path) -> None:
    folder = write_profile(
        tmp_path, '[sftp]\nhost = "h"\nuser = "u"\nkey_file = "k"\nknown_hosts = ["x"]\nprot = 2\n'
    )
    result = check(folder)
    assert result.returncode == 1
    assert (
        f"{PARTNER}.toml, line 6: sftp.prot: unknown key 'prot': did you mean 'port'?"
        in result.stderr
    )

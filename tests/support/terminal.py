"""A command run with its standard error on a pseudo-terminal, as a person at a terminal runs
it (progress bars show there, and only there)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.integration.support import _gateway_environment


def on_a_terminal(config: Path, *args: str) -> tuple[int, str, str]:
    """``edi-gateway ARGS`` with its standard error on a pseudo-terminal: exit status, what it
    printed and what the terminal showed."""
    leader, follower = pty.openpty()
    env = {**_gateway_environment(config), "COLUMNS": "100"}
    done = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other side closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = done.communicate(timeout=120)
    os.close(leader)
    return done.returncode, stdout, shown.decode(errors="replace")

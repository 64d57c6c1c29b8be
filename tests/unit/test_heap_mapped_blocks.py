"""The daemon's heap (gateway.runtime.heap) maps large blocks apart: a huge document's part,
MBs, freed below a block still in use, goes back to the system at once, without a trim, where
glibc's defaults keep it in the arena (its threshold rises to the largest block freed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.runtime import heap

ROOT = Path(__file__).resolve().parents[2]

FREED = """
import sys
from gateway.runtime import heap

def resident() -> int:
    status = open("/proc/self/status").read()
    return int(status.split("RssAnon:")[1].split()[0]) << 10

if sys.argv[1] == "tuned":
    assert heap.tune()
block = bytes(8 << 20)
del block  # one large block freed: glibc's default threshold rises above it
parts = []
for _ in range(25):  # 100 MiB of 4 MiB parts, each below a small block still in use
    parts.append(bytearray(4 << 20))
    parts.append(bytearray(1024))  # from the C heap too (over 512 bytes)
before = resident()
del parts[::2]
print((before - resident()) >> 20)
"""


def given_back(how: str) -> int:
    """MiB of RSS given back as 100 MiB of 4 MiB blocks are freed, in a process whose heap is
    tuned (``tuned``) or left to glibc's defaults (``defaults``)."""
    done = subprocess.run(
        [sys.executable, "-c", FREED, how], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_a_large_block_freed_goes_back_to_the_system_at_once() -> None:
    if heap._glibc() is None:
        pytest.skip("not glibc")
    assert given_back("defaults") < 10  # freed, kept in the arena
    assert given_back("tuned") > 90  # every part's pages

"""The daemon's C heap (gateway.runtime.heap): the free pages of its arenas given back after
large work, arenas bounded; the systemd units say the same to the workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.runtime import heap

ROOT = Path(__file__).resolve().parents[2]

HELD = """
import sys
from gateway.runtime import heap

def resident() -> int:
    status = open("/proc/self/status").read()
    return int(status.split("RssAnon:")[1].split()[0]) << 10

assert heap.tune()
blocks = [bytes(64 << 10) for _ in range(1600)]  # 100 MiB in the arena (under its threshold)
pin = bytes(64 << 10)  # above them: the heap's top cannot shrink by itself
del blocks
before = resident()
if sys.argv[1] == "give back":
    heap.give_back()
print((before - resident()) >> 20)
"""


def given_back(how: str) -> int:
    """MiB of RSS given back, after 100 MiB of blocks were freed below a block still in use, in
    a process that gives its heap back (``give back``) or not (``keep``)."""
    done = subprocess.run(
        [sys.executable, "-c", HELD, how], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_the_free_pages_of_the_heap_are_given_back_below_a_block_in_use() -> None:
    if heap._glibc() is None:
        pytest.skip("not glibc")
    assert given_back("keep") < 10  # freed, still resident
    assert given_back("give back") > 50  # most of the 100 MiB


def test_give_back_counts_the_bytes_handled() -> None:
    counter = heap.GiveBack(after=100)
    counter.add(60)
    assert counter.handled == 60
    counter.add(60)  # over: given back, counted anew
    assert counter.handled == 0


def test_the_units_give_the_workers_the_daemon_s_arenas() -> None:
    for unit in ("edi-gateway.service", "edi-gateway@.service"):
        text = (ROOT / "systemd" / unit).read_text()
        assert f"Environment=MALLOC_ARENA_MAX={heap.ARENAS}\n" in text, unit

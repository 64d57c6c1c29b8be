"""The daemon's C heap (gateway.runtime.heap): large blocks mapped apart and given back when
freed, whatever blocks were freed before; the systemd units say the same to the workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.runtime import heap

ROOT = Path(__file__).resolve().parents[2]

MAPPED = """
import ctypes, sys
from gateway.runtime import heap

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
big = bytearray(16 << 20)  # freed: glibc's threshold for a mapping of its own rises to it
del big
if sys.argv[1] == "tuned":
    assert heap.tune()
before = libc.mallinfo2().hblkhd
part = bytearray(4 << 20)  # a part's body
print(libc.mallinfo2().hblkhd - before >= 4 << 20)
heap.give_back()
"""


def mapped_apart(how: str) -> bool:
    """Whether a 4 MiB block, after a 16 MiB one was freed, has a mapping of its own in a
    process ``tuned`` (or ``untuned``)."""
    done = subprocess.run(
        [sys.executable, "-c", MAPPED, how],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "True"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")
def test_a_large_block_is_mapped_apart_once_tuned_whatever_was_freed_before() -> None:
    if heap._glibc() is None:
        pytest.skip("not glibc")
    assert not mapped_apart("untuned")  # in the arena, kept there once freed
    assert mapped_apart("tuned")


def test_the_units_give_the_workers_the_daemon_s_heap_settings() -> None:
    for unit in ("edi-gateway.service", "edi-gateway@.service"):
        text = (ROOT / "systemd" / unit).read_text()
        assert f"Environment=MALLOC_ARENA_MAX={heap.ARENAS}\n" in text, unit
        assert f"Environment=MALLOC_MMAP_THRESHOLD_={heap.MAPPED_FROM}\n" in text, unit

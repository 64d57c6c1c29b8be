"""The daemon's C heap kept to what it uses (issue 26: a 1 GB X12 set through the daemon).

A huge document is published as parts of some 4 MiB each, and every part's body is made,
stored, read back and framed a few times over, in several threads. With glibc's defaults those
buffers come from heap arenas (its threshold for giving a large block a mapping of its own rises
to the largest block freed, up to 32 MiB), one arena per thread that allocates at the same time
(up to eight per core), and freed they stay there, in pieces that small objects then pin.
Measured on a 128 MB 856 (115 parts): the daemon's arenas held 120 MB free of 160 MB while the
relay published, its RSS 286 MB against 127 MB idle.

So the daemon keeps at most :data:`ARENAS` arenas, whatever its threads, gives every block of
:data:`MAPPED_FROM` or more a mapping of its own, given back to the system as soon as it is
freed (:func:`tune`, as it starts), and gives the free pages of its heap back after large
pieces of work (:func:`give_back`: a large file read as a stream, every so many MiB of parts
held or published). Elsewhere than glibc (musl, macOS) these do nothing. The systemd units set
``MALLOC_ARENA_MAX`` too, for the worker processes, which start from a fresh interpreter.

Large blocks mapped apart were once left out for their CPU (8% more for the daemon on a 128 MB
856, every part's copy coming as fresh pages, faulted in one by one) when the peak they saved
was small (174-180 MB against 191 MB). Measured again (issue 26) on a 128 MB 856 through the
daemon, side by side with the same tree: its process's peak 157 MB against 172 MB (while the
file is read: 136-152 MB against 149-167 MB), its CPU 139.8 s against 136.6 s (2%): the freed
copies of a part no longer stay in the arenas, in pieces the next part's small objects pin,
until the next trim.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from typing import Final

log = logging.getLogger(__name__)

ARENAS: Final = 2
"""Heap arenas at most (``M_ARENA_MAX``): the daemon's threads mostly wait, on the GIL too."""
GIVE_BACK_AFTER: Final = 64 << 20
"""Bytes of large messages (a huge document's parts) made or published after which the heap's
free pages are given back (:func:`give_back`)."""

MAPPED_FROM: Final = 1 << 20
"""Bytes from which a block has a mapping of its own (``M_MMAP_THRESHOLD``; glibc's default
threshold rises to the largest block freed, up to 32 MiB, so a part's copies would come from
the arenas)."""

_M_ARENA_MAX: Final = -8
_M_MMAP_THRESHOLD: Final = -3


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library, when it is glibc (it has ``mallopt`` and ``malloc_trim``)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
        return None
    return libc


def tune() -> bool:
    """At most :data:`ARENAS` arenas for this process (before its threads start: an arena made
    is kept), and blocks of :data:`MAPPED_FROM` or more mapped apart; False where the C library
    is not glibc."""
    libc = _glibc()
    if libc is None:
        return False
    done: bool = libc.mallopt(_M_ARENA_MAX, ARENAS) == 1
    done &= libc.mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM) == 1
    if not done:  # pragma: no cover - glibc takes it
        log.warning("the C library refused the heap's settings: memory may stay held")
    return done


def give_back() -> None:
    """Give the free pages of the heap's arenas back to the system (``malloc_trim``): after a
    large piece of work, whose freed blocks would otherwise stay resident."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


class GiveBack:
    """Counts the bytes of large messages handled and gives the heap back every
    :data:`GIVE_BACK_AFTER` of them."""

    def __init__(self, after: int = GIVE_BACK_AFTER) -> None:
        self.after = after
        self.handled = 0

    def add(self, size: int) -> None:
        self.handled += size
        if self.handled >= self.after:
            self.handled = 0
            give_back()

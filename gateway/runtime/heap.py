"""The daemon's C heap kept to what it uses (issue 26: a 1 GB X12 set through the daemon).

A huge document is published as parts of some 4 MiB each, and every part's body is made,
stored, read back and framed a few times over, in several threads. With glibc's defaults those
buffers come from heap arenas (its threshold for giving a large block its own mapping rises to
the largest block freed, up to 32 MiB), one arena per thread that allocates at the same time
(up to eight per core): freed, they stay in the arenas, in pieces that small objects then hold.
Measured on a 128 MB 856 (115 parts): the daemon's arenas held 120 MB free of 160 MB while the
relay published, its RSS 286 MB against 127 MB idle.

So the daemon sets, for its own process, as early as it starts (:func:`tune`):

- blocks of :data:`MAPPED_FROM` bytes or more get a mapping of their own, given back to the
  system when they are freed (a fixed threshold: glibc no longer raises it);
- at most :data:`ARENAS` arenas, whatever the threads;

and gives back the free pages of its arenas once a large piece of work is done
(:func:`give_back`: a large file read as a stream, a relay burst of large messages). Elsewhere
than glibc (musl, macOS) both do nothing. The systemd unit sets ``MALLOC_ARENA_MAX`` too, for
the worker processes, which start from a fresh interpreter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from typing import Final

log = logging.getLogger(__name__)

MAPPED_FROM: Final = 1 << 20
"""Bytes from which a block has a mapping of its own (glibc's ``M_MMAP_THRESHOLD``): a part's
body, a page of the ledger's blobs; Python's own small objects never come near it."""
ARENAS: Final = 2
"""Heap arenas at most (``M_ARENA_MAX``): the daemon's threads mostly wait, on the GIL too."""

_M_MMAP_THRESHOLD: Final = -3
_M_ARENA_MAX: Final = -8


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
    """Large blocks mapped apart and :data:`ARENAS` arenas at most, for this process (before
    its threads start: an arena made is kept); False where the C library is not glibc."""
    libc = _glibc()
    if libc is None:
        return False
    done: bool = libc.mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM) == 1
    done = libc.mallopt(_M_ARENA_MAX, ARENAS) == 1 and done
    if not done:  # pragma: no cover - glibc takes both
        log.warning("the C library refused the heap's settings: memory may stay held")
    return done


def give_back() -> None:
    """Give the free pages of the heap's arenas back to the system (``malloc_trim``): after a
    large piece of work, whose freed blocks would otherwise stay resident."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)

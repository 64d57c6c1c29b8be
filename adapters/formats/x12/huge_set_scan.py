"""Whether an X12 file holds a set read in parts (issue 26), told before it is read.

A file of X12 is read whole in a parse worker up to a limit (``max_file_size``, at most
:data:`gateway.streamed.WHOLE_AT_MOST`), and as a stream above it. A set read whole takes some
80 times its size: a 30 MB 856, which a retailer's full truck makes, would take 2.5 GB of its
worker. Read as a stream, such a set is read in parts (:mod:`.huge_sets`), in flat memory. So a
file that holds a set of a kind read in parts (:data:`~.set_stream.IN_PARTS`: 846, 856) of more
than :data:`~.huge_sets.HUGE_SEGMENTS` segments is read as a stream whatever its size
(:meth:`.inbound.X12Parser.holds_document_in_parts`).

The file is mapped, not read, and scanned for the ST of such sets and the SE after each: a set
is huge when its SE01 (the segments its sender counted) or its length in bytes says so, or,
without an SE, when what follows its ST is that long. A segment's tag is looked for after the
segment terminator (and any line breaks), so an element holding ``ST*856*`` is not taken for
one. This costs some tens of milliseconds for 64 MiB, beside seconds to read it.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path
from typing import Final

from .huge_sets import HUGE_SEGMENTS
from .report import ISA_LENGTH
from .set_stream import IN_PARTS

SEGMENT_BYTES: Final = 40
"""Bytes a segment of a large 846 or 856 takes at most on average (LIN, SN1, QTY, REF: 15 to
35): a set longer than this many bytes per :data:`HUGE_SEGMENTS` is huge, whatever its SE01."""


def holds_huge_set(path: Path, huge_segments: int | None = None) -> bool:
    """Whether the X12 file at ``path`` holds a set of a kind read in parts with more than
    ``huge_segments`` (:data:`HUGE_SEGMENTS`) segments; False when it cannot be told (no
    ISA, an empty or unreadable file: it is read whole, which says why)."""
    try:
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _holds(data, huge_segments or HUGE_SEGMENTS)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return False


def _holds(data: mmap.mmap, huge_segments: int) -> bool:
    isa = data.find(b"ISA", 0, 64)
    if isa < 0 or len(data) < isa + ISA_LENGTH:
        return False
    separator, terminator = data[isa + 3 : isa + 4], data[isa + ISA_LENGTH - 1 : isa + ISA_LENGTH]
    if separator.isalnum() or terminator.isalnum() or separator == terminator:
        return False
    kinds = b"|".join(re.escape(kind.encode()) for kind in sorted(IN_PARTS))
    sep = re.escape(separator)
    opening = re.compile(b"ST" + sep + b"(?:" + kinds + b")" + sep)
    closing = re.compile(b"SE" + sep + rb"0*(\d{1,12})")
    huge_bytes = huge_segments * SEGMENT_BYTES
    breaks = bytes(byte for byte in b"\r\n" if byte != terminator[0])
    position = isa
    while (st := _segment(opening, data, position, terminator, breaks)) is not None:
        se = _segment(closing, data, st.end(), terminator, breaks)
        if se is None:
            return len(data) - st.start() > huge_bytes
        if int(se[1]) > huge_segments or se.start() - st.start() > huge_bytes:
            return True
        position = se.end()
    return False


def _segment(
    pattern: re.Pattern[bytes], data: mmap.mmap, position: int, terminator: bytes, breaks: bytes
) -> re.Match[bytes] | None:
    """The first match of ``pattern`` from ``position`` that begins a segment: it follows the
    segment terminator, with only line breaks (``breaks``) between."""
    while (found := pattern.search(data, position)) is not None:
        before = found.start()
        while before > 0 and data[before - 1] in breaks:
            before -= 1
        if data[before - 1 : before] == terminator:
            return found
        position = found.start() + 1
    return None

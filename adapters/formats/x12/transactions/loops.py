"""The loops a translation needs, recovered without a full map from two facts of X12: the detail
loop (PO1, HL) repeats until the summary (CTT), see :func:`split_detail`; and a loop inside it
holds a known set of member segments and ends at the first segment that is not one of them, see
:func:`walk`. Also :func:`holds_only`: whether a segment says no more than some elements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .common import SegmentAt


def split_detail(
    segments: Sequence[SegmentAt], starter: str, summary: Iterable[str] = ("CTT",)
) -> tuple[list[SegmentAt], list[list[SegmentAt]], list[SegmentAt]]:
    """Header segments, one list per detail loop (each opened by ``starter``), summary segments.

    A detail loop runs until the next ``starter`` or the first ``summary`` segment, so whatever a
    partner puts inside it stays with it.
    """
    ends = frozenset(summary)
    header: list[SegmentAt] = []
    loops: list[list[SegmentAt]] = []
    tail: list[SegmentAt] = []
    for seg in segments:
        if tail or seg.tag in ends:
            tail.append(seg)
        elif seg.tag == starter:
            loops.append([seg])
        elif loops:
            loops[-1].append(seg)
        else:
            header.append(seg)
    return header, loops, tail


Walked = list[tuple[str | None, "SegmentAt"]]
"""Segments with the loop that holds them (the tag of its first segment), None at the level read."""


def walk(segments: Iterable[SegmentAt], loops: Mapping[str, frozenset[str]]) -> Walked:
    """Assign each segment to the inner loop holding it, or to the level being read.

    ``loops`` maps each inner loop's first segment to the segments it may contain (nested loops
    flattened). A loop ends at the first segment that is not one of its members.
    """
    owner: str | None = None
    walked: Walked = []
    for seg in segments:
        if owner is not None and seg.tag in loops[owner]:
            pass
        elif seg.tag in loops:
            owner = seg.tag
        else:
            owner = None
        walked.append((owner, seg))
    return walked


def loop_instances(walked: Walked, starter: str) -> list[list[SegmentAt]]:
    """Every instance of the inner loop ``starter``, each a list starting with its first segment."""
    instances: list[list[SegmentAt]] = []
    for owner, seg in walked:
        if owner != starter:
            continue
        if seg.tag == starter:
            instances.append([seg])
        else:
            instances[-1].append(seg)
    return instances


def holds_only(
    s: SegmentAt, elements: frozenset[int], composites: frozenset[int] = frozenset()
) -> bool:
    """Whether every element ``s`` carries (not empty) is one of ``elements``, and each of
    ``composites`` (C001 units: MEA04, CTP05) carries no more than its first component: then the
    fields a segment is read into say all it says, and it may be taken."""
    for n, value in enumerate(s.segment.elements, start=1):
        if n not in elements and value.strip():  # s.text(n), of each element it carries
            return False
    return all(not any(c.strip() for c in s.segment.components(n)[1:]) for n in composites)

"""The map walk compiled: for each map node and segment id, where the segment goes and what to
check on the way, worked out once.

pyx12's walker (``pyx12.map_walker.walk_tree``) places a segment by its id alone, starting from
the node of the segment before it: it scans the loop it is in from that position on, then the
loops around it, entering the first loop (or segment) that the id matches. Which node it finds,
which loops it leaves and enters, and which mandatory segments and loops it passes on its way do
not depend on anything but the starting node and the id; only its errors depend on the walker's
counts (how often each map path was seen since its loop was last entered). So the walk from one
node for one id is worked out here once, by the same scan over the loaded map, as a
:class:`WalkPlan`: the counts to look at on the way (:class:`Passed`) and what placing the
segment does to the counts (:class:`Placement`). :mod:`.machine` runs the plans with the counts.

Counts are kept per map path, as pyx12 keeps them (two segments of one loop with one id share
a count), in slots numbered per loaded map; entering a loop forgets the counts of every path
under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyx12.segment
from pyx12.map_walker import pop_to_parent_loop

GS_LOOP_PATH = "/ISA_LOOP/GS_LOOP"
GS_PATH = "/ISA_LOOP/GS_LOOP/GS"


@dataclass(frozen=True, slots=True)
class Passed:
    """A mandatory segment or loop the walk passes: missing when its count is still 0."""

    slot: int
    """The count looked at (the segment's or the loop's)."""
    node: Any
    """The segment reported missing: the segment, or the loop's first segment."""
    loop: Any
    """The loop when a mandatory loop is missing, else None."""


@dataclass(frozen=True, slots=True)
class Placement:
    """What placing the segment at :attr:`WalkPlan.found` does to the counts."""

    reset: tuple[int, int]
    """Counts forgotten, slots ``reset[0]`` to ``reset[1]`` excluded (the entered loop's paths
    below it, which are numbered one after the other)."""
    loop: Any
    """The loop entered by this segment (None: a segment within the current loop)."""
    loop_slot: int
    loop_max: int
    loop_unused: bool
    """The loop is marked not used (usage N)."""
    segment_slot: int
    segment_max: int
    segment_unused: bool
    """The segment is marked not used (usage N); only for a segment within the loop."""
    keep_position: int | None
    """Missing segments at this map position are not reported yet (they may still come)."""
    satisfied: tuple[int, ...]
    """Indexes into the plan's :attr:`WalkPlan.passed` that this very segment satisfies."""


@dataclass(frozen=True, slots=True)
class WalkPlan:
    """The walk from one map node for one segment id."""

    start: Any
    found: Any
    """The segment node the segment is placed at; None: nowhere (pyx12's error 1)."""
    passed: tuple[Passed, ...]
    placement: Placement | None


class Slots:
    """A number per map path (what pyx12 counts), and the paths under each loop."""

    def __init__(self, root: Any) -> None:
        self.paths: dict[str, int] = {}
        self._collect(root)
        self.below: dict[int, tuple[int, int]] = {}
        items = [(path.split("/"), slot) for path, slot in self.paths.items()]
        for path, slot in self.paths.items():
            parts = path.split("/")
            below = sorted(
                other
                for other_parts, other in items
                if len(other_parts) > len(parts) and other_parts[: len(parts)] == parts
            )
            if below and below != list(range(below[0], below[-1] + 1)):
                raise ValueError(f"the paths under {path} are not numbered one after the other")
            self.below[slot] = (below[0], below[-1] + 1) if below else (0, 0)

    def _collect(self, node: Any) -> None:
        if node.is_loop() or node.is_segment():
            self.slot(node)
        if node.is_loop() or node.is_map_root():
            for position in sorted(node.pos_map):
                for child in node.pos_map[position]:
                    self._collect(child)

    def slot(self, node: Any) -> int:
        return self.paths.setdefault(node.x12path.format(), len(self.paths))

    def of_path(self, path: str) -> int:
        return self.paths.setdefault(path, len(self.paths))


def _probe(tag: str) -> Any:
    """What pyx12's walker is handed for a segment: its id, no elements (as the guard does)."""
    data = pyx12.segment.Segment(None, "~", "*", "\x1f")
    data.seg_id = tag
    return data


def _same(a: Any, b: Any) -> bool:
    """pyx12's node equality: same id under a parent of the same id."""
    return bool(a.id == b.id and a.parent.id == b.parent.id)


class _PlanBuilder:
    """pyx12's ``walk_tree.walk_errors`` scan, recording instead of counting."""

    def __init__(self, slots: Slots, start: Any, tag: str) -> None:
        self.slots = slots
        self.start = start
        self.data = _probe(tag)
        self.passed: list[Passed] = []

    def build(self) -> WalkPlan:
        start = self.start
        node_pos = start.pos
        node = start if (start.is_loop() or start.is_map_root()) else pop_to_parent_loop(start)
        while True:
            found = self._scan(node, node_pos)
            if found is not None:
                return WalkPlan(start, found[0], tuple(self.passed), found[1])
            if node.is_map_root():
                return WalkPlan(start, None, tuple(self.passed), None)
            node_pos = node.pos
            node = pop_to_parent_loop(node)

    def _scan(self, node: Any, node_pos: int) -> tuple[Any, Placement] | None:
        for ord1 in [a for a in sorted(node.pos_map) if a >= node_pos]:
            for child in node.pos_map[ord1]:
                if child.is_segment():
                    if child.is_match(self.data):
                        if node.is_loop() and self._loop_match(node):
                            return self._enter(node)
                        return child, self._within(child)
                    if child.usage == "R":
                        self.passed.append(Passed(self.slots.slot(child), child, None))
                elif child.is_loop() and self._loop_match(child):
                    return self._enter(child)
        return None

    def _loop_match(self, loop: Any) -> bool:
        if len(loop) <= 0:
            return False
        first = loop.get_first_node()
        if first.is_loop():
            return any(
                child.is_loop() and self._loop_match(child) for child in loop.childIterator()
            )
        if first.is_segment() and first.is_match(self.data):
            return True
        if loop.usage == "R":
            self.passed.append(Passed(self.slots.slot(loop), first, loop))
        return False

    def _within(self, child: Any) -> Placement:
        satisfied = tuple(i for i, p in enumerate(self.passed) if _same(p.node, child))
        return Placement(
            reset=(0, 0),
            loop=None,
            loop_slot=-1,
            loop_max=0,
            loop_unused=False,
            segment_slot=self.slots.slot(child),
            segment_max=child.get_max_repeat(),
            segment_unused=child.usage == "N",
            keep_position=child.pos,
            satisfied=satisfied,
        )

    def _enter(self, loop: Any) -> tuple[Any, Placement]:
        """pyx12's ``_goto_seg_match``: the innermost loop whose first segment matches."""
        first = loop.get_first_seg()
        if first is not None and first.is_segment() and first.is_match(self.data):
            slot = self.slots.slot(loop)
            return first, Placement(
                reset=self.slots.below[slot],
                loop=loop,
                loop_slot=slot,
                loop_max=loop.get_max_repeat(),
                loop_unused=loop.usage == "N",
                segment_slot=self.slots.slot(first),
                segment_max=first.get_max_repeat(),
                segment_unused=False,
                keep_position=None,
                satisfied=(),
            )
        for child in loop.childIterator():
            if child.is_loop():
                entered = self._enter(child)
                if entered[0] is not None:
                    return entered
        return None, _NOWHERE  # pragma: no cover - pyx12 returns no node here as well


_NOWHERE = Placement((0, 0), None, -1, 0, False, -1, 0, False, None, ())


def plan(slots: Slots, start: Any, tag: str) -> WalkPlan:
    """The walk from ``start`` (a segment node, or the GS node) for segment id ``tag``."""
    return _PlanBuilder(slots, start, tag).build()

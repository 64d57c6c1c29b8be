"""A compiled map, and one transaction set run through it segment by segment.

:class:`MapProgram` is what a loaded map compiles to: a slot per counted map path
(:class:`~.walk_plans.Slots`), the walk plans worked out so far per (map node, segment id), made
flat as :class:`Step` objects kept per map node, and the compiled element checks per segment
node (:mod:`.contents`). They are made the first time they are needed and kept (plans up to
:data:`PLANS_PER_MAP`).

:class:`SetRun` takes one transaction set's segments one at a time (:meth:`SetRun.feed`). The
walker's state is the current map node and the counts (one per map path): each segment is placed
by its step, the counts say which of the step's possible errors happened (a mandatory segment or
loop missing, a segment or loop over its maximum, a segment not placed), and the compiled element
check accepts the segment's content or hands it to pyx12's element checks. Errors become findings
through the same code as the pyx12 walker's (:class:`~..pyx12_findings.TransactionFindings`,
:func:`~..pyx12_walk.check_elements`), so texts, codes and places are the same. The loop tree
(:class:`~..pyx12_walk.LoopTree`) is the one thing a run keeps that grows with the set besides
its findings; ``keep_tree=False`` leaves it out, and a set of any size is then checked in flat
memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any, overload

from pyx12.error_item import SegError

from ..pyx12_findings import TransactionFindings
from ..pyx12_guard import SEGMENT_ID, Pyx12Guard, engine_failure
from ..pyx12_maps import LoadedMap
from ..pyx12_walk import LoopTree, check_elements
from ..segments import Segment
from .contents import ContentCheck, ElementSeparators, content_check
from .walk_plans import GS_LOOP_PATH, GS_PATH, Slots, WalkPlan, plan

logger = logging.getLogger(__name__)

PLANS_PER_MAP = 65536
"""Walk plans each compiled map keeps at most (a plan per map node and segment id met)."""


class Step:
    """A walk plan as the run uses it: flat, with the compiled check and chain of the node the
    segment is placed at, and the steps from that node (:attr:`after`)."""

    __slots__ = (
        "after",
        "chain",
        "check",
        "depth",
        "found",
        "innermost",
        "inside",
        "loop_max",
        "loop_slot",
        "passed",
        "reset",
        "segment_max",
        "segment_slot",
        "slow",
        "walk",
        "zeros",
    )

    def __init__(self, program: MapProgram, walk: WalkPlan) -> None:
        self.walk = walk
        self.found = found = walk.found
        self.passed = tuple(passed.slot for passed in walk.passed)
        placement = walk.placement
        self.slow = (
            found is None or placement is None or placement.loop_unused or placement.segment_unused
        )
        """Not placed, or placed where a usage error is certain: taken the long way."""
        self.after: dict[str, Step] = program.steps_from(found) if found is not None else {}
        self.chain = loops, first = program.chain(found) if found is not None else ((), False)
        self.inside = not first
        """Not a loop's first segment: it may go in the loop instance the run is in."""
        self.depth = len(loops) + 1
        self.innermost = loops[-1] if loops else None
        self.check = program.check(found) if found is not None else _left_alone
        self.loop_slot = placement.loop_slot if placement and placement.loop is not None else -1
        self.loop_max = placement.loop_max if placement else 0
        self.reset = placement.reset if placement else (0, 0)
        self.zeros = [0] * (self.reset[1] - self.reset[0])
        self.segment_slot = placement.segment_slot if placement else -1
        self.segment_max = placement.segment_max if placement else 0


def _left_alone(elements: list[str], separators: ElementSeparators) -> bool:
    return True


class MapProgram:
    """A loaded pyx12 map compiled: count slots, walk plans, element checks."""

    def __init__(self, loaded: LoadedMap) -> None:
        self.loaded = loaded
        self.slots = Slots(loaded.root)
        self.size = len(self.slots.paths)
        self.start_counts = [0] * self.size
        for path in (GS_LOOP_PATH, GS_PATH):  # pyx12: forceWalkCounterToLoopStart at GS
            self.start_counts[self.slots.paths[path]] = 1
        self.plans: dict[tuple[int, str], WalkPlan] = {}
        self.checks: dict[int, ContentCheck] = {}
        self.chains: dict[int, tuple[tuple[Any, ...], bool]] = {}
        self.steps: dict[int, dict[str, Step]] = {}
        """id(map node) -> segment id -> the step from that node (the walk plans, flat)."""
        self._lock = threading.Lock()

    def steps_from(self, node: Any) -> dict[str, Step]:
        """The steps from ``node`` made so far (filled in by :meth:`step`)."""
        found = self.steps.get(id(node))
        if found is None:
            found = self.steps.setdefault(id(node), {})
        return found

    def step(self, node: Any, tag: str) -> Step:
        """The step from ``node`` for segment id ``tag``, made now if need be (at most
        :data:`PLANS_PER_MAP` are kept, the others made each time)."""
        steps = self.steps_from(node)
        found = steps.get(tag)
        if found is None:
            found = Step(self, self.plan(node, tag))
            if len(self.plans) < PLANS_PER_MAP:
                steps[tag] = found
        return found

    def plan(self, node: Any, tag: str) -> WalkPlan:
        key = (id(node), tag)
        found = self.plans.get(key)
        if found is None:
            with self._lock:
                found = plan(self.slots, node, tag)
                if len(self.plans) < PLANS_PER_MAP:
                    self.plans[key] = found
        return found

    def check(self, node: Any) -> ContentCheck:
        found = self.checks.get(id(node))
        if found is None:
            found = self.checks[id(node)] = content_check(node)
        return found

    def chain(self, node: Any) -> tuple[tuple[Any, ...], bool]:
        found = self.chains.get(id(node))
        if found is None:
            found = self.chains[id(node)] = self.loaded.chain(node)
        return found


class _Current(Sequence[Segment]):
    """The walked segments as the findings see them: only the one being walked is held (a
    missing segment is reported at the position of the segment being placed)."""

    __slots__ = ("segment", "walked")

    def __init__(self) -> None:
        self.segment = Segment("ST", [])
        self.walked = 0

    @overload
    def __getitem__(self, index: int) -> Segment: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Segment]: ...
    def __getitem__(self, index: int | slice) -> Segment | Sequence[Segment]:
        if isinstance(index, slice):
            raise TypeError("only the current segment is held")
        return self.segment

    def __len__(self) -> int:
        return self.walked


class SetRun:
    """One transaction set through a compiled map, fed one segment at a time."""

    def __init__(
        self,
        program: MapProgram,
        guard_for: Any,
        context: dict[str, Any],
        known: frozenset[str],
        *,
        keep_tree: bool = True,
        kept_findings: int | None = None,
    ) -> None:
        self.program = program
        self.keep_tree = keep_tree
        """Build the loop tree (:attr:`tree`); without it a run holds nothing that grows with
        the set but its findings."""
        self.kept_findings = kept_findings
        """With a number: once :attr:`findings` holds that many, a count over its maximum met
        on the quick way (one finding each) is counted in :attr:`left_off`, not made (a set of a
        gigabyte has millions: a loop over the standard's repeat count at every loop)."""
        self.left_off = 0
        self.current = _Current()
        self.report = TransactionFindings(context, program.loaded, known, self.current)
        self.findings = self.report.findings
        self.guard = guard = Pyx12Guard(guard_for, self.report)
        self.separators: ElementSeparators = (guard.component, guard.repetition)
        self.counts = list(program.start_counts)
        self.node: Any = program.loaded.gs_node
        self.steps = program.steps_from(self.node)
        """The steps from the current node."""
        self.tree = LoopTree()
        self.stack = self.tree.stack
        self.saw_hl = False
        """An HL segment was walked (the HL hierarchy is then checked)."""

    def feed_all(self, segments: Iterable[Segment], start: int = 1) -> bool:
        """Feed ``segments``, the first at position ``start``; False when the engine failed on
        one (reported where it happened; the segments after it are not fed)."""
        feed = self.feed
        try:
            for position, segment in enumerate(segments, start):
                feed(position, segment)
        except Exception as exc:
            current = self.current
            context = self.report.context
            logger.exception(
                "the compiled validator failed on segment %s at position %d of transaction set %s",
                current.segment.tag,
                current.walked,
                context["transaction"],
            )
            failure = engine_failure(
                context, exc, current.walked, current.segment, "walking the map"
            )
            self.findings.append(failure)
            return False
        return True

    def feed(self, position: int, segment: Segment) -> None:
        """Place and check the segment at ``position`` (ST = 1)."""
        current = self.current
        current.segment = segment
        current.walked = position
        tag = segment.tag
        step = self.steps.get(tag)
        if step is None:
            if not SEGMENT_ID.fullmatch(tag):
                self.guard.unrecognized(position, segment)
                return
            step = self.program.step(self.node, tag)
        counts = self.counts
        slow = step.slow
        if not slow:
            for slot in step.passed:
                if counts[slot] < 1:
                    slow = True  # a mandatory segment or loop missing
                    break
        if slow:
            self._walk_errors(step.walk, position, segment)
        else:  # the counts alone: what the slow way does when no error is possible
            slot = step.loop_slot
            if slot >= 0:
                low, high = step.reset
                if high:
                    counts[low:high] = step.zeros
                count = counts[slot] = counts[slot] + 1
                if count > step.loop_max:
                    self._over_max(step.walk, slot, position, segment)
                counts[step.segment_slot] += 1
            else:
                slot = step.segment_slot
                count = counts[slot] = counts[slot] + 1
                if count > step.segment_max:
                    self._over_max(step.walk, slot, position, segment)
        if tag == "HL":
            self.saw_hl = True
        found = step.found
        if found is None:
            return
        self.node = found
        self.steps = step.after
        if self.keep_tree:
            stack = self.stack
            if step.inside and len(stack) == step.depth and stack[-1][0] is step.innermost:
                stack[-1][1].segments.append(position)  # in the loop instance it is in already
            else:
                self.tree.place(step.chain, position)
        if not step.check(segment.elements, self.separators):
            check_elements(self.program.loaded, self.guard, self.report, found, position, segment)

    def _over_max(self, walk: WalkPlan, slot: int, position: int, segment: Segment) -> None:
        """The one finding of a count over its maximum at ``slot``, or only counted in
        :attr:`left_off` past :attr:`kept_findings` (the finding it would be is cut there)."""
        kept = self.kept_findings
        if kept is not None and len(self.findings) >= kept:
            self.left_off += 1
            return
        self._report([self._count_error(walk, slot)], [], walk, position, segment)

    def _count_error(self, walk: WalkPlan, slot: int) -> tuple[SegError, Any]:
        """The error of a count over its maximum at ``slot`` (a loop's or the segment's)."""
        placement = walk.placement
        assert placement is not None
        if slot == placement.loop_slot:
            return self._over("4", placement.loop, self.counts[slot], placement.loop_max), slot
        return self._over("5", walk.found, self.counts[slot], placement.segment_max), slot

    def _count(self, walk: WalkPlan) -> list[tuple[SegError, Any]]:
        """Apply the placement to the counts; the usage errors it gives, each with the node
        whose count codes 4 and 5 report."""
        counts = self.counts
        placement = walk.placement
        assert placement is not None
        errors: list[tuple[SegError, Any]] = []
        loop = placement.loop
        if loop is not None:
            if placement.loop_unused:
                errors.append((SegError("2", f"Loop {loop.id} found but marked as not used"), None))
            else:
                low, high = placement.reset
                if high:
                    counts[low:high] = [0] * (high - low)
                slot = placement.loop_slot
                counts[slot] += 1
                if counts[slot] > placement.loop_max:
                    errors.append((self._over("4", loop, counts[slot], placement.loop_max), slot))
            counts[placement.segment_slot] += 1
            return errors
        slot = placement.segment_slot
        counts[slot] += 1
        found = walk.found
        if placement.segment_unused:
            errors.append((SegError("2", f"Segment {found.id} found but marked as not used"), None))
        elif counts[slot] > placement.segment_max:
            errors.append((self._over("5", found, counts[slot], placement.segment_max), slot))
        return errors

    def _over(self, code: str, node: Any, count: int, most: int) -> SegError:
        what = "Loop" if code == "4" else "Segment"
        return SegError(
            code,
            f"{what} {node.id} exceeded max count.  Found {count}, should have {most}",
            map_node=node,
            seg_count=self.current.walked,
        )

    def _walk_errors(self, walk: WalkPlan, position: int, segment: Segment) -> None:
        """The walk's errors, in pyx12's order: usage first, then the missing it flushes."""
        counts = self.counts
        missing = [i for i, passed in enumerate(walk.passed) if counts[passed.slot] < 1]
        placement = walk.placement
        if walk.found is None:
            if placement is None:
                error = SegError("1", f"Segment {segment.tag} not found", map_node=self.node)
                self.report.segment_error(error, 0, position, segment, self.node)
            return  # pyx12 forgets the missing ones when a segment is not placed
        assert placement is not None
        usage = self._count(walk)
        if placement.loop is None:
            satisfied = placement.satisfied
            keep = placement.keep_position
            missing = [i for i in missing if i not in satisfied and walk.passed[i].node.pos != keep]
        self._report(usage, missing, walk, position, segment)

    def _report(
        self,
        usage: list[tuple[SegError, Any]],
        missing: list[int],
        walk: WalkPlan,
        position: int,
        segment: Segment,
    ) -> None:
        counts = self.counts
        errors = [(error, counts[slot] if slot is not None else 0) for error, slot in usage]
        for i in missing:
            passed = walk.passed[i]
            if passed.loop is not None:
                text = f'Mandatory loop "{passed.loop.name}" ({passed.loop.id}) missing'
            else:
                text = f'Mandatory segment "{passed.node.name}" ({passed.node.id}) missing'
            errors.append((SegError("3", text, map_node=passed.node, seg_count=position), 0))
        for error, count in errors:
            self.report.segment_error(error, count, position, segment, self.node)

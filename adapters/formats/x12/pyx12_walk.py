"""One transaction set through pyx12's map walker: every segment placed, checked and reported.

The walk is driven exactly as ``pyx12.x12n_document`` drives it per segment, from a fresh walker
at GS, but one transaction set at a time and behind :mod:`.pyx12_guard`: every segment of the set
is walked, or an engine failure says where the walk stopped, so a set is never reported valid
unchecked. A set without its SE gets a stand-in SE (the reader reports the missing SE), which
makes the walker report the mandatory segments still missing at the end of the set. Walking
builds the loop tree (:class:`~.validation.LoopNode`) from the map nodes the segments are placed
at; walks and element checks that recur are replayed from the loaded map (see
:mod:`.pyx12_maps`). HL parent/child checks come from :mod:`.hierarchy`, merged in.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from pyx12.map_walker import walk_tree

from .findings import Finding
from .pyx12_findings import TransactionFindings, merged
from .pyx12_guard import SEGMENT_ID, Pyx12Guard, checked_hierarchy, engine_failure
from .pyx12_maps import TRACED_SEGMENTS, ElementCheck, LoadedMap, Trace
from .segments import Segment
from .structure import TransactionSet
from .validation import LoopNode, ValidationResult

logger = logging.getLogger(__name__)

ROOT_LOOP = "ST"
"""``loop_id`` of the tree's root: the transaction set itself."""


class TransactionWalk:
    """One transaction set through the map walker: findings and the loop tree."""

    def __init__(
        self,
        transaction: TransactionSet,
        loaded: LoadedMap,
        known: frozenset[str],
        context: dict[str, Any],
    ) -> None:
        self.tx = transaction
        self.map = loaded
        self.context = context
        segments = list(transaction.segments)
        self.synthetic_se: int | None = None
        """The position of the stand-in SE, when the set has none of its own."""
        if not segments or segments[-1].tag != "SE":
            # The reader reports the missing SE; walking a stand-in flushes missing segments.
            control = segments[0].get(2) if segments else ""
            segments.append(Segment("SE", [str(len(segments) + 1), control]))
            self.synthetic_se = len(segments)
        self.segments = segments
        """The segments walked: the set's own, and a stand-in SE when it has none."""
        self.report = TransactionFindings(context, loaded, known, segments)
        self.findings = self.report.findings
        """Every finding of the walk (the report's own list), in the order they arose."""
        self.guard = Pyx12Guard(transaction, self.report)
        self.tree = LoopTree()

    # -- driving -------------------------------------------------------------------------------

    def run(self) -> ValidationResult:
        segments = self.segments
        tags = tuple(segment.tag for segment in segments)
        traced = len(tags) <= TRACED_SEGMENTS
        walk = walk_tree.walk_errors
        trace = self.map.traces.get(tags) if traced else None
        if trace is not None and trace.walk is not walk:
            trace = None  # pyx12's walker was replaced (tests do that) since this trace was made
        walker: Any = None
        nodes: list[Any] = []
        errors: dict[int, tuple[tuple[Any, int], ...]] = {}
        if trace is None:
            walker = walk_tree()
            walker.forceWalkCounterToLoopStart("/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS")
        node = self.map.gs_node
        walked = 0
        saw_hl = False
        for position, segment in enumerate(segments, start=1):
            try:
                if trace is not None:
                    found = trace.nodes[position - 1]
                    met = trace.errors.get(position, ())
                else:
                    found, met = self._walk(walker, node, position, segment)
                    nodes.append(found)
                    if met:
                        errors[position] = met
                node = self._segment(found, met, node, position, segment)
            except Exception as exc:
                logger.exception(
                    "pyx12 failed on segment %s at position %d of transaction set %s",
                    segment.tag,
                    position,
                    self.context["transaction"],
                )
                self.findings.append(
                    engine_failure(self.context, exc, position, segment, "walking the map")
                )
                break
            walked += 1
            saw_hl = saw_hl or segment.tag == "HL"
        if trace is None and traced and walked == len(segments):
            self.map.remember_trace(tags, Trace(tuple(nodes), errors, walk))
        if walked < len(segments) and not any(
            f.code == "validation.engine_failure" for f in self.findings
        ):  # pragma: no cover - defensive: the loop above walks every segment or records why not
            stopped = RuntimeError("not every segment was walked")
            self.findings.append(engine_failure(self.context, stopped, None, None, "walking"))
        findings = self.findings
        synthetic_se = self.synthetic_se
        if synthetic_se is not None:
            kept = (after_synthetic_se(f, synthetic_se) for f in findings)
            findings = [f for f in kept if f is not None]
        if saw_hl and "HL" in self.map.segment_ids:
            findings = merged(findings, checked_hierarchy(self.tx, self.context))
        return ValidationResult(self.tree.root, findings)

    def _walk(
        self, walker: Any, node: Any, position: int, segment: Segment
    ) -> tuple[Any, tuple[tuple[Any, int], ...]]:
        """Where the walker places the segment (None: nowhere), and the errors on its way there,
        each with the walker's count for the error's node (codes 4 and 5 report it)."""
        if not SEGMENT_ID.fullmatch(segment.tag):
            return None, ()
        found, _, _, errors = walker.walk_errors(
            node, self.guard.segment(segment.tag), position, segment.position, None
        )
        counted = ("4", "5")
        return found, tuple(
            (e, walker.counter.get_count(e.map_node.x12path))
            if e.err_cde in counted and e.map_node is not None
            else (e, 0)
            for e in errors
        )

    def _segment(
        self,
        found: Any,
        errors: tuple[tuple[Any, int], ...],
        node: Any,
        position: int,
        segment: Segment,
    ) -> Any:
        """Report one walked segment and check its elements; returns the node to go on from."""
        tag = segment.tag
        if not SEGMENT_ID.fullmatch(tag):
            self.guard.unrecognized(position, segment)
            return node
        for error, count in errors:
            self.report.segment_error(error, count, position, segment, node)
        if found is None:
            return node
        self._place(found, position)
        check_elements(self.map, self.guard, self.report, found, position, segment)
        return found

    def _place(self, node: Any, position: int) -> None:
        self.tree.place(self.map.chain(node), position)


def after_synthetic_se(finding: Finding, position: int) -> Finding | None:
    """A finding of a walk with a stand-in SE at ``position``: dropped when about the stand-in
    itself, else no longer placed at it (a missing segment reported there)."""
    if finding.segment_position != position:
        return finding
    if finding.segment_id == "SE":
        return None  # about the stand-in SE itself
    return replace(finding, segment_position=None, file_position=None)


class LoopTree:
    """The loop tree of a transaction set as its segments are placed (:class:`LoopNode`)."""

    def __init__(self) -> None:
        self.root = LoopNode(ROOT_LOOP)
        self.stack: list[tuple[Any, LoopNode]] = [(None, self.root)]

    def place(self, chain: tuple[tuple[Any, ...], bool], position: int) -> None:
        """The segment at ``position`` placed at a map node whose loops from the ST loop down
        and first-segment flag are ``chain`` (:meth:`~.pyx12_maps.LoadedMap.chain`)."""
        loops, first = chain
        stack = self.stack
        if not first and len(stack) == len(loops) + 1 and (not loops or stack[-1][0] is loops[-1]):
            stack[-1][1].segments.append(position)  # in the loop instance it is in already
            return
        depth = 0
        while depth < len(loops) and depth + 1 < len(stack) and stack[depth + 1][0] is loops[depth]:
            depth += 1
        if first and loops and depth == len(loops):
            depth -= 1  # the loop's first segment again: a new instance of that loop
        del stack[depth + 1 :]
        for loop in loops[depth:]:
            instance = LoopNode(loop.id)
            stack[-1][1].children.append(instance)
            stack.append((loop, instance))
        stack[-1][1].segments.append(position)


def check_elements(
    loaded: LoadedMap,
    guard: Pyx12Guard,
    report: TransactionFindings,
    node: Any,
    position: int,
    segment: Segment,
) -> None:
    """pyx12's element checks of ``segment`` placed at map ``node``, reported as findings
    (remembered per content, see :class:`~.pyx12_maps.ElementCheck`)."""
    key = (id(node), guard.component, guard.repetition, *segment.elements)
    check = loaded.element_checks.get(key)
    if check is None:
        check = _run_element_checks(guard, report, node, position, segment)
        if check is None:
            return
        loaded.remember(key, check)
    elif check.noted:
        guard.elements(node, guard.segment(segment.tag), position, segment)  # for its findings
    findings = report.findings
    for error, repetition in check.errors:
        finding = report.element_error(error, position, segment, repetition)
        if finding is not None:
            findings.append(finding)


def _run_element_checks(
    guard: Pyx12Guard, report: TransactionFindings, node: Any, position: int, segment: Segment
) -> ElementCheck | None:
    """Run pyx12's element checks on the segment; None when pyx12 failed (reported)."""
    data = guard.segment(segment.tag)
    findings = report.findings
    before = len(findings)
    extra = guard.elements(node, data, position, segment)
    noted = len(findings) > before
    try:
        errors: list[tuple[Any, int | None]] = [(e, None) for e in node.is_valid_errors(data)[1]]
        for number, child, value in extra:
            errors += [(e, number) for e in child.is_valid_errors(value)[1]]
    except Exception as exc:
        tag = segment.tag
        logger.exception("pyx12 failed validating the elements of %s", tag)
        findings.append(
            engine_failure(report.context, exc, position, segment, f"checking {tag} elements")
        )
        return None
    return ElementCheck(tuple(errors), noted)

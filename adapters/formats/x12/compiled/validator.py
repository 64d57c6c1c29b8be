"""The compiled :class:`~..validation.TransactionValidator`: pyx12's findings, without its walker.

:class:`CompiledValidator` finds and loads a set's map as :class:`~..pyx12_engine.Pyx12Validator`
does (same maps, same ``validation.no_map`` and load failures), compiles it once
(:class:`~.machine.MapProgram`) and runs the set through it one segment at a time
(:class:`~.machine.SetRun`). What the pyx12 walk does around the segments is done alike: a set
without its SE is closed by a stand-in SE (the missing mandatory segments are then reported, the
stand-in's own findings dropped), a failure while walking becomes a
``validation.engine_failure`` finding where it happened, and the HL hierarchy findings
(:mod:`..hierarchy`) are merged in.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ..pyx12_engine import Pyx12Validator
from ..pyx12_findings import merged
from ..pyx12_guard import checked_hierarchy, engine_failure
from ..pyx12_maps import MAP_CACHE, LoadedMap
from ..pyx12_walk import ROOT_LOOP, after_synthetic_se
from ..segments import Segment
from ..structure import TransactionSet
from ..validation import LoopNode, ValidationResult
from .machine import MapProgram, SetRun

logger = logging.getLogger(__name__)

_PROGRAMS: dict[int, tuple[LoadedMap, MapProgram]] = {}
_LOCK = threading.Lock()


def program_of(loaded: LoadedMap) -> MapProgram:
    """The compiled form of a loaded map, made once per process."""
    found = _PROGRAMS.get(id(loaded))
    if found is None or found[0] is not loaded:
        with _LOCK:
            found = (loaded, MapProgram(loaded))
            _PROGRAMS[id(loaded)] = found
    return found[1]


class CompiledValidator(Pyx12Validator):
    """Validates transaction sets against the gateway's maps compiled into walk plans and
    element checks; the findings are pyx12's (see the package's docstring).

    ``loop_tree=False`` leaves the loop tree out (the result's tree is its root alone): the
    validation of a set then holds nothing that grows with the set but its findings.
    """

    def __init__(
        self, map_path: str | os.PathLike[str] | None = None, *, loop_tree: bool = True
    ) -> None:
        super().__init__(map_path)
        self.loop_tree = loop_tree

    def preload(self) -> None:
        """Load and compile every map now (a daemon does this at start-up)."""
        super().preload()
        for entry in MAP_CACHE.index(self.map_path).maps:
            program_of(MAP_CACHE.load(self.map_path, str(entry["map_file"]), str(entry["vriic"])))

    def walk(
        self,
        transaction: TransactionSet,
        loaded: LoadedMap,
        known: frozenset[str],
        context: dict[str, Any],
    ) -> ValidationResult:
        try:
            program = program_of(loaded)
        except Exception as exc:
            logger.exception("compiling map %s failed", loaded.root.id)
            failure = engine_failure(context, exc, None, None, "compiling the map")
            return ValidationResult(LoopNode(ROOT_LOOP), [failure])
        run = SetRun(program, transaction, context, known, keep_tree=self.loop_tree)
        segments = transaction.segments
        synthetic_se: int | None = None
        if run.feed_all(segments) and (not segments or segments[-1].tag != "SE"):
            # The reader reports the missing SE; a stand-in flushes the missing segments.
            control = segments[0].get(2) if segments else ""
            synthetic_se = len(segments) + 1
            run.feed_all([Segment("SE", [str(synthetic_se), control])], synthetic_se)
        findings = run.findings
        if synthetic_se is not None:
            kept = (after_synthetic_se(f, synthetic_se) for f in findings)
            findings = [f for f in kept if f is not None]
        if run.saw_hl and "HL" in loaded.segment_ids:
            findings = merged(findings, checked_hierarchy(transaction, context))
        return ValidationResult(run.tree.root, findings)

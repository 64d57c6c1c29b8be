"""One transaction set validated as its segments come, in flat memory (issue 26).

:class:`~.compiled.CompiledValidator` validates a set held whole; its run through the compiled
map (:class:`~.compiled.machine.SetRun`) takes one segment at a time already and holds only the
loop counts. :class:`StreamedValidation` feeds it a set's segments as they are read, without the
set: the same map, the same stand-in SE for a set without its own, the same failure findings,
and the HL hierarchy checked as the HLs come (:class:`StreamedHierarchy`, the checks of
:mod:`.hierarchy` one HL at a time). Its findings are the validator's for the set held whole
(tests/unit/x12/test_set_stream.py).

The hierarchy check reads BSN05 when the BSN comes (held whole, the first BSN anywhere in the
set decides: an 856 whose BSN follows its HLs is checked otherwise here). It keeps, of every HL,
its level code: one byte for an HL01 counted up from 1 (as every 856 numbers them), a dict entry
for any other. Nothing else grows with the set but its findings.
"""

from __future__ import annotations

import logging
from typing import Final

from gateway.messages.parts import PART_ITEMS

from .compiled.machine import SetRun
from .compiled.validator import CompiledValidator, program_of
from .findings import Finding, Level, Severity
from .hierarchy import ITEM_THEN_PACK, _HierarchyCheck
from .pyx12_findings import merged
from .pyx12_guard import engine_failure, transaction_context
from .pyx12_maps import MAP_CACHE, normalize_version
from .pyx12_walk import after_synthetic_se
from .segments import Segment
from .structure import TransactionSet
from .transactions.asn856_parts import ShipNoticeInParts
from .transactions.inventory846_parts import AdviceInParts

logger = logging.getLogger(__name__)

KEPT_FINDINGS: Final = 1000
"""Findings a set keeps at most; the others are counted (:attr:`StreamedValidation.left_off`).
A set over the standard's repeat counts (10,000 LIN loops in an 846, 200,000 HL loops in an
856: any single set of a gigabyte) has one finding per loop over the limit, millions."""
COUNTED_AHEAD: Final = 1 << 20
"""How far past the last one an HL01 may jump and still take a byte (else a dict entry)."""
COUNTED_STEP: Final = 1 << 12
"""Bytes the HL01 table grows by at least; it grows by an eighth of its size, not by doubling:
a 1 GB 856 counts its HLs up to 9.8 million, which doubling took to a table of 16 MiB, every
byte zeroed, and an 8 MiB block of zeros for the last step."""


class StreamedValidation:
    """The set opened by ``opening`` (its ST alone) validated one segment at a time
    (:meth:`feed`, from the segment after the ST), its findings at :meth:`finish`."""

    def __init__(self, validator: CompiledValidator, opening: TransactionSet) -> None:
        self.context = context = transaction_context(opening)
        self.findings: list[Finding] = []
        self._left_off = 0
        self.run: SetRun | None = None
        self.position = 1
        self.failed = False
        self.hierarchy: StreamedHierarchy | None = None
        map_file = validator.map_file(opening)
        if map_file is None:
            self.findings.append(
                Finding(
                    code="validation.no_map",
                    message=(
                        "no implementation map for transaction set "
                        f"{context['transaction_set_id']} in version "
                        f"{opening.group.version.strip() or '(none)'}; "
                        "its content was not validated"
                    ),
                    level=Level.TRANSACTION,
                    severity=Severity.WARNING,
                    **context,
                )
            )
            return
        version = normalize_version(opening.group.version) or ""
        try:
            loaded = MAP_CACHE.load(validator.map_path, map_file, version)
            known = MAP_CACHE.known_segments(validator.map_path).get(version, frozenset())
        except Exception as exc:
            logger.exception("loading map %s failed", map_file)
            self.findings.append(engine_failure(context, exc, None, None, "loading the map"))
            return
        try:
            program = program_of(loaded)
        except Exception as exc:
            logger.exception("compiling map %s failed", loaded.root.id)
            self.findings.append(engine_failure(context, exc, None, None, "compiling the map"))
            return
        self.control = opening.segments[0].get(2)
        self.run = SetRun(
            program, opening, context, known, keep_tree=False, kept_findings=KEPT_FINDINGS
        )
        self.hl_in_map = "HL" in loaded.segment_ids
        self.hierarchy = StreamedHierarchy(opening)
        self._feed(opening.segments[0])

    @property
    def left_off(self) -> int:
        """Findings left off past :data:`KEPT_FINDINGS` (of the walk, and of the hierarchy
        once :meth:`finish` merged them)."""
        return self._left_off + (self.run.left_off if self.run is not None else 0)

    def feed(self, segment: Segment) -> None:
        """The set's next segment (its SE too, when it has one)."""
        self.position += 1
        self._feed(segment)

    def _feed(self, segment: Segment) -> None:
        hierarchy = self.hierarchy
        if hierarchy is not None and segment.tag in StreamedHierarchy.TAGS:
            hierarchy.feed(self.position, segment)
        run = self.run
        if run is None or self.failed:
            return
        try:
            run.feed(self.position, segment)
            if len(run.findings) > KEPT_FINDINGS:
                self._left_off += len(run.findings) - KEPT_FINDINGS
                del run.findings[KEPT_FINDINGS:]
        except Exception as exc:
            current = run.current
            logger.exception(
                "the compiled validator failed on segment %s at position %d of transaction set %s",
                current.segment.tag,
                current.walked,
                self.context["transaction"],
            )
            run.findings.append(
                engine_failure(
                    self.context, exc, current.walked, current.segment, "walking the map"
                )
            )
            self.failed = True

    def finish(self, saw_se: bool) -> list[Finding]:
        """The findings, once the set's last segment was fed (``saw_se``: it was its SE)."""
        run = self.run
        if run is None:
            return self.findings
        synthetic_se: int | None = None
        if not self.failed and not saw_se:
            control = self.control
            synthetic_se = self.position + 1
            self.position = synthetic_se
            hierarchy, self.hierarchy = self.hierarchy, None
            self._feed(Segment("SE", [str(synthetic_se), control]))
            self.hierarchy = hierarchy
        findings = run.findings
        if synthetic_se is not None:
            kept = (after_synthetic_se(f, synthetic_se) for f in findings)
            findings = [f for f in kept if f is not None]
        if run.saw_hl and self.hl_in_map and self.hierarchy is not None:
            self._left_off += self.hierarchy.left_off
            findings = merged(findings, self.hierarchy.findings)
        return findings


class StreamedHierarchy(_HierarchyCheck):
    """:mod:`.hierarchy`'s checks, one HL at a time (see the module's docstring)."""

    TAGS: Final = frozenset({"BSN", "HL"})
    """The segments :meth:`feed` reads (the others are not given to it)."""

    def __init__(self, opening: TransactionSet) -> None:
        super().__init__(opening)
        self.structure_read = False
        self.expected_id = 1
        self.levels = _LevelCodes()
        self.left_off = 0

    def feed(self, position: int, segment: Segment) -> None:
        tag = segment.tag
        if tag == "BSN" and self.ship_notice and not self.structure_read:
            self.structure_read = True  # the first BSN decides, as _structure_code reads it
            if segment.value(5) == ITEM_THEN_PACK:
                self.parents["P"] = self.parents["P"] | {"I"}
            self.order_severity = Severity.ERROR if segment.value(5) else Severity.WARNING
            return
        if tag == "HL":
            self._hl(position, segment)

    def _hl(self, position: int, segment: Segment) -> None:
        """:meth:`~.hierarchy._HierarchyCheck._check_hl`, the findings kept bounded."""
        if len(self.findings) > KEPT_FINDINGS:
            self.left_off += len(self.findings) - KEPT_FINDINGS
            del self.findings[KEPT_FINDINGS:]
        self.expected_id = self._check_hl(
            position,
            segment,
            self.expected_id,
            self.levels,  # type: ignore[arg-type]
        )


class _LevelCodes:
    """HL01 -> HL03 of the HLs seen (what ``_HierarchyCheck.run`` keeps in a dict): a byte per
    HL01 counted up from 1, the level codes numbered; any other HL01 in a dict."""

    def __init__(self) -> None:
        self.counted = bytearray(1)
        """At HL01 n: 0 when unseen, else the level's number in :attr:`codes`, plus one."""
        self.codes: list[str | None] = []
        self.numbers: dict[str | None, int] = {}
        self.others: dict[str, str | None] = {}
        self.size = 0

    def __bool__(self) -> bool:
        return self.size > 0

    def __contains__(self, hl_id: object) -> bool:
        if not isinstance(hl_id, str):
            return False
        n = _counted(hl_id)
        if n is not None and n < len(self.counted) and self.counted[n]:
            return True
        return hl_id in self.others

    def __getitem__(self, hl_id: str) -> str | None:
        n = _counted(hl_id)
        if n is not None and n < len(self.counted) and self.counted[n]:
            return self.codes[self.counted[n] - 1]
        return self.others[hl_id]

    def __setitem__(self, hl_id: str, level: str | None) -> None:
        self.size += 1
        n = _counted(hl_id)
        number = self.numbers.get(level)
        if number is None and len(self.codes) < 255:
            self.codes.append(level)
            number = self.numbers[level] = len(self.codes)
        if n is not None and number is not None and n < len(self.counted) + COUNTED_AHEAD:
            if n >= len(self.counted):
                grown = max(n + 1 - len(self.counted), len(self.counted) >> 3, COUNTED_STEP)
                self.counted.extend(bytes(grown))
            self.counted[n] = number
        else:
            self.others[hl_id] = level


def _counted(hl_id: str) -> int | None:
    if hl_id.isascii() and hl_id.isdigit() and hl_id[0] != "0":
        return int(hl_id)
    return None


IN_PARTS: Final[dict[str, type[AdviceInParts] | type[ShipNoticeInParts]]] = {
    "846": AdviceInParts,
    "856": ShipNoticeInParts,
}
"""The sets whose canonical message is read in parts as the set's segments come."""


def translation_in_parts(
    opening: TransactionSet, part_items: int = PART_ITEMS, spool_dir: str | None = None
) -> AdviceInParts | ShipNoticeInParts | None:
    """The reader of the canonical message of the set opened by ``opening`` (its ST alone), in
    parts, for a set :data:`IN_PARTS` names; None for another."""
    reader = IN_PARTS.get(opening.set_id)
    return None if reader is None else reader(opening, part_items, spool_dir)

"""HL hierarchy checks: the parent pointers and levels of ``HL`` segments in one transaction set.

The map walker checks each HL segment on its own; these checks look across them:

* HL01 (hierarchical id) starts at 1 and goes up by 1 with every HL;
* HL02 (parent id) is empty for a top level and otherwise names the HL01 of an earlier HL; in
  an 856 only the first HL (the shipment) is a top level;
* HL03 (level code) is present;
* in an 856 ship notice the levels nest in the standard's order: S (shipment) at the top, O
  (order) under S, T (tare) under O, P (pack) under O or T, I (item) under P, O or T. With
  BSN05 ``0002`` (shipment, order, item, packaging) packs may also sit under items. Other
  level codes are not order-checked. A sender that declares no structure (no BSN05) gets
  warnings for the level order, not errors: real ship notices skip levels (items straight under
  the shipment) and the standard itself fixes the order only through BSN05.

997/999 codes: the segment is reported with AK304/IK304 ``8`` (segment has data element
errors) and the element with AK403/IK403 ``7`` (invalid code value) for a wrong id, an unknown
parent or a level in the wrong place, ``2`` (conditional required data element missing) for an
856 HL02 left empty below the shipment, ``1`` (mandatory data element missing) for an empty
HL01 or HL03; the transaction set with AK502/IK502 ``5`` (one or more segments in error).
"""

from __future__ import annotations

from .findings import Finding, Level, Severity, quote
from .segments import Segment
from .structure import TransactionSet

SHIP_NOTICE_PARENTS: dict[str, frozenset[str]] = {
    "O": frozenset({"S"}),
    "T": frozenset({"O"}),
    "P": frozenset({"O", "T"}),
    "I": frozenset({"P", "O", "T"}),
}
"""856 level code -> the level codes its parent may have (the top level is always S)."""
SHIP_NOTICE_LEVELS = frozenset({"S", *SHIP_NOTICE_PARENTS})
_NONE: frozenset[str] = frozenset()
ITEM_THEN_PACK = "0002"
"""BSN05 hierarchical structure code: shipment, order, item, packaging (packs under items)."""


def check_hierarchy(tx: TransactionSet) -> list[Finding]:
    """Findings about the HL tree of ``tx`` (empty when it is sound or has no HL segments)."""
    return _HierarchyCheck(tx).run()


class _HierarchyCheck:
    def __init__(self, tx: TransactionSet) -> None:
        self.tx = tx
        self.findings: list[Finding] = []
        try:
            self.context: dict[str, str | None] = {
                "interchange": tx.interchange.control_number.strip() or None,
                "group": tx.group.control_number.strip() or None,
                "transaction": tx.control_number or None,
                "transaction_set_id": tx.set_id or None,
            }
        except (AttributeError, IndexError):
            self.context = {}
        self.ship_notice = self.context.get("transaction_set_id") == "856"
        self.parents = dict(SHIP_NOTICE_PARENTS)
        structure = self._structure_code() if self.ship_notice else None
        if structure == ITEM_THEN_PACK:
            self.parents["P"] = self.parents["P"] | {"I"}
        self.order_severity = Severity.ERROR if structure else Severity.WARNING
        self.in_sequence = True
        """Every HL01 so far was the one expected (1, 2, 3...): none of them is met again."""

    def _structure_code(self) -> str | None:
        for segment in self.tx.segments:
            if segment.tag == "BSN":
                return segment.value(5)
        return None

    def run(self) -> list[Finding]:
        levels: dict[str, str | None] = {}
        """HL01 -> HL03 of every HL seen so far."""
        expected_id = 1
        for position, segment in enumerate(self.tx.segments, start=1):
            if segment.tag == "HL":
                expected_id = self._check_hl(position, segment, expected_id, levels)
        return self.findings

    def _check_hl(
        self, position: int, segment: Segment, expected_id: int, levels: dict[str, str | None]
    ) -> int:
        """One HL's checks, ``levels`` holding the HL01 -> HL03 of those before it (and this
        one's, after); the HL01 expected next. What a sound HL passes is tested first, inline
        (a set of a gigabyte has millions of HLs); the checks that report are the methods."""
        elements = segment.elements
        size = len(elements)
        hl_id = (elements[0].strip() or None) if size > 0 else None
        parent = (elements[1].strip() or None) if size > 1 else None
        level = (elements[2].strip() or None) if size > 2 else None
        if hl_id is None or hl_id != str(expected_id):
            self._check_id(segment, position, hl_id, expected_id)
            self.in_sequence = False
            expected_id += 1
            if hl_id is not None and hl_id.isdigit():
                expected_id = int(hl_id) + 1  # re-sync so one gap gives one finding
            new_id = hl_id is not None and hl_id not in levels
        else:
            expected_id += 1
            new_id = True if self.in_sequence else hl_id not in levels
        parent_level: str | None = None
        if parent is not None:
            try:
                parent_level = levels[parent] or None
            except KeyError:
                self._unknown_parent(segment, position, hl_id, parent, levels)
        if parent is None and levels and self.ship_notice:
            self._add(
                "hierarchy.hl_parent_missing",
                "HL02 (parent id) is empty: in an 856 every level below the shipment names "
                "its parent",
                segment,
                position,
                2,
                "2",
                expected="the HL01 of an earlier HL",
            )
        elif level is None:
            self._add(
                "hierarchy.hl_level_missing",
                "HL03 (hierarchical level code) is missing",
                segment,
                position,
                3,
                "1",
                expected="a level code",
            )
        elif self.ship_notice and (
            parent is None or parent_level not in self.parents.get(level, _NONE)
        ):
            self._check_level(segment, position, level, parent, parent_level)
        if new_id and hl_id is not None:
            levels[hl_id] = level
        return expected_id

    def _check_id(self, segment: Segment, position: int, hl_id: str | None, expected: int) -> None:
        if hl_id is None:
            self._add(
                "hierarchy.hl_id_missing",
                "HL01 (hierarchical id number) is missing",
                segment,
                position,
                1,
                "1",
                expected=str(expected),
            )
        elif hl_id != str(expected):
            first = "the first HL01 must be 1" if expected == 1 else "HL01 must go up by 1"
            self._add(
                "hierarchy.hl_id_sequence",
                f"HL01 is {quote(hl_id)} where {expected} was expected ({first})",
                segment,
                position,
                1,
                "7",
                expected=str(expected),
                found=hl_id,
            )

    def _unknown_parent(
        self,
        segment: Segment,
        position: int,
        hl_id: str | None,
        parent: str,
        levels: dict[str, str | None],
    ) -> None:
        """Report a parent that is not an earlier HL."""
        if parent == hl_id:
            why = "an HL cannot be its own parent"
        elif not levels:
            why = "the first HL must be a top level with an empty HL02"
        else:
            why = "no earlier HL has that HL01"
        self._add(
            "hierarchy.hl_parent_unknown",
            f"HL02 names parent {quote(parent)}, but {why}",
            segment,
            position,
            2,
            "7",
            expected="the HL01 of an earlier HL" if levels else "empty",
            found=parent,
        )

    def _check_level(
        self,
        segment: Segment,
        position: int,
        level: str,
        parent: str | None,
        parent_level: str | None,
    ) -> None:
        if level not in SHIP_NOTICE_LEVELS:
            return
        if parent is None:
            if level != "S":
                self._add(
                    "hierarchy.hl_level_order",
                    f"an 856 starts its hierarchy with a shipment level (S), not {quote(level)}",
                    segment,
                    position,
                    3,
                    "7",
                    expected="S",
                    found=level,
                    severity=self.order_severity,
                )
            return
        allowed = self.parents.get(level, frozenset())
        if parent_level is None or parent_level not in SHIP_NOTICE_LEVELS:
            return  # unknown parent (already reported) or a level we do not order-check
        if parent_level not in allowed:
            wanted = " or ".join(sorted(allowed)) if allowed else "no parent (top level)"
            self._add(
                "hierarchy.hl_level_order",
                f"level {quote(level)} cannot sit under level {quote(parent_level)} (HL {parent}); "
                f"in an 856 its parent is {wanted}",
                segment,
                position,
                3,
                "7",
                expected=f"a parent of level {wanted}",
                found=f"{level} under {parent_level}",
                severity=self.order_severity,
            )

    def _add(
        self,
        code: str,
        message: str,
        segment: Segment,
        position: int,
        element: int,
        element_code: str,
        expected: str | None = None,
        found: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.findings.append(
            Finding(
                code=code,
                message=message,
                level=Level.ELEMENT,
                severity=severity,
                segment_id="HL",
                segment_position=position,
                file_position=segment.position,
                loop_id="HL",
                element=f"HL{element:02d}",
                element_position=element,
                data_element={1: "628", 2: "734", 3: "735"}[element],
                expected=expected,
                found=found,
                transaction_code="5" if severity is Severity.ERROR else None,
                segment_code="8" if severity is Severity.ERROR else None,
                element_code=element_code if severity is Severity.ERROR else None,
                **self.context,  # type: ignore[arg-type]
            )
        )

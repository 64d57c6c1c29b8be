"""The guard around pyx12: what it is handed, what it cannot take, and what becomes of its crashes.

pyx12 raises on input it was not written for, and its file reader and 997/999 writer stop at
malformed input, so the validator never hands it raw X12. A segment id that is not an X12 id is
reported here and not walked at all; pyx12 knows neither repetitions nor composites with more
components than the map defines (it crashes on those), so repetitions beyond the allowed number
and surplus components are reported here and the content is handed over trimmed; a component
separator we were not given is replaced by one that cannot occur in X12 data. Whatever pyx12
raises all the same becomes a ``validation.engine_failure`` finding and a logged traceback
(:func:`engine_failure`): nothing it raises reaches a user.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pyx12.segment

from .findings import Finding, Level, Severity, quote
from .hierarchy import check_hierarchy
from .pyx12_findings import TransactionFindings, data_element, element_where
from .segments import Segment
from .structure import TransactionSet

logger = logging.getLogger(__name__)

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
"""What an X12 segment id looks like; anything else is an unrecognized segment id."""
SPARE_SEPARATOR = "\x1f"
"""Stands in for a component separator we were not given (it cannot occur in X12 data)."""


def transaction_context(transaction: TransactionSet) -> dict[str, Any]:
    """The control numbers and set id every finding on ``transaction`` carries."""
    try:
        return {
            "interchange": transaction.interchange.control_number.strip() or None,
            "group": transaction.group.control_number.strip() or None,
            "transaction": transaction.control_number or None,
            "transaction_set_id": transaction.set_id or None,
        }
    except Exception:  # a transaction without segments: keep what we can
        return {"interchange": None, "group": None, "transaction": None, "transaction_set_id": None}


def engine_failure(
    context: dict[str, Any],
    exc: BaseException,
    position: int | None,
    segment: Segment | None,
    doing: str,
) -> Finding:
    """What pyx12 raised while ``doing`` something, as a finding: the set is not reported valid."""
    return Finding(
        code="validation.engine_failure",
        message=(
            f"the validation engine failed while {doing}: {type(exc).__name__}: {exc}; "
            "the transaction set could not be fully validated"
        ),
        level=Level.SEGMENT if segment is not None else Level.TRANSACTION,
        segment_id=segment.tag if segment is not None else None,
        segment_position=position,
        file_position=segment.position if segment is not None else None,
        **context,
    )


def checked_hierarchy(transaction: TransactionSet, context: dict[str, Any]) -> list[Finding]:
    """The HL parent/child findings of :mod:`.hierarchy`, or the failure of that check."""
    try:
        return check_hierarchy(transaction)
    except Exception as exc:
        logger.exception("the HL hierarchy check failed")
        return [engine_failure(context, exc, None, None, "checking the HL hierarchy")]


class Pyx12Guard:
    """What pyx12 is handed for the segments of one transaction set, and what it cannot take."""

    def __init__(self, transaction: TransactionSet, report: TransactionFindings) -> None:
        self.report = report
        separators = transaction.segments[0].separators if transaction.segments else None
        component = separators.component if separators is not None else ""
        self.component = component if len(component) == 1 else SPARE_SEPARATOR
        """The component separator handed to pyx12: always one character."""
        repetition = separators.repetition if separators is not None else None
        self.repetition = repetition if repetition and len(repetition) == 1 else None
        """The repetition separator, split off before pyx12 sees an element (None: none)."""

    def segment(self, tag: str) -> Any:
        """An empty pyx12 segment with id ``tag``."""
        data = pyx12.segment.Segment(None, "~", "*", self.component)
        data.seg_id = tag  # the walker places a segment by its id alone (no qualifier codes)
        return data

    def unrecognized(self, position: int, segment: Segment) -> None:
        """A segment whose id is not an X12 segment id: reported, and never handed to pyx12."""
        shown = segment.tag if segment.tag else "(empty)"
        self.report.findings.append(
            self.report.finding(
                "syntax.segment_unrecognized",
                f"segment id {quote(shown)} is not an X12 segment id (two or three capital letters "
                "or digits, starting with a letter); the segment was skipped",
                Level.SEGMENT,
                segment_id=segment.tag[:3] or None,
                segment_position=position,
                file_position=segment.position,
                found=segment.tag,
                segment_code="1",
            )
        )

    def elements(
        self, node: Any, data: Any, position: int, segment: Segment
    ) -> list[tuple[int, Any, Any]]:
        """Hand pyx12 the elements in a shape it can take, reporting what it cannot.

        pyx12 knows neither repetitions nor composites with more components than defined (it
        crashes on those). Each element's first repetition goes in the segment; further allowed
        repetitions come back as (repetition number, map node, value) to validate on their own.
        """
        composite = pyx12.segment.Composite
        component = self.component
        repetition = self.repetition
        children = node.children
        extra: list[tuple[int, Any, Any]] = []
        values: list[Any] = []
        for index, raw in enumerate(segment.elements):
            child = children[index] if index < len(children) else None
            parts = [raw]
            if repetition is not None and repetition in raw:
                parts = raw.split(repetition)
                allowed = _repeat(child)
                if len(parts) > allowed:
                    self._too_many_repetitions(position, segment, index + 1, raw, allowed)
            value = composite(parts[0], component)
            if child is not None:
                self._check_components(child, value, position, segment, index + 1, parts[0])
                for number, part in enumerate(parts[1 : _repeat(child)], start=2):
                    more = composite(part, component)
                    self._check_components(child, more, position, segment, index + 1, part)
                    extra.append((number, child, more if child.is_composite() else more[0]))
            values.append(value)
        data.elements = values
        return extra

    def _too_many_repetitions(
        self, position: int, segment: Segment, element: int, value: str, allowed: int
    ) -> None:
        what = "is not a repeating element" if allowed == 1 else f"may repeat {allowed} times"
        self.report.findings.append(
            self.report.finding(
                "syntax.too_many_repetitions",
                f"{segment.tag}{element:02d} has {value.count(self.repetition or '') + 1} "
                f"repetitions ({quote(value)}) but {what}",
                Level.ELEMENT,
                expected="one value" if allowed == 1 else f"at most {allowed} repetitions",
                found=value,
                element_code="12",
                **element_where(segment, position, element, None),
            )
        )

    def _check_components(
        self, child: Any, value: Any, position: int, segment: Segment, element: int, raw: str
    ) -> None:
        """Components where the map has none, or more than the composite defines: reported, and
        cut off ``value``."""
        allowed = len(child.children) if child.is_composite() else 1
        if len(value) <= allowed:
            return
        surplus = value.elements[allowed:]
        value.elements = value.elements[:allowed]
        where = element_where(segment, position, element, None)
        if all(part.is_empty() for part in surplus):
            self.report.findings.append(
                Finding(
                    code="syntax.trailing_component_separator",
                    message=f"{child.id} ({child.name}) ends with component separators "
                    f"that separate nothing: {quote(raw)}",
                    level=Level.ELEMENT,
                    severity=Severity.WARNING,
                    found=raw,
                    **self.report.context,
                    **{**where, "segment_code": None},
                )
            )
            return
        what = f"a composite of {allowed} components" if allowed > 1 else "a simple element"
        self.report.findings.append(
            self.report.finding(
                "syntax.too_many_components",
                f"{child.id} ({child.name}) is {what} but has {len(value) + len(surplus)}: "
                f"{quote(raw)}",
                Level.ELEMENT,
                data_element=data_element(child.data_ele),
                expected=f"at most {allowed} component(s)",
                found=raw,
                element_code="13",
                **where,
            )
        )


def _repeat(child: Any) -> int:
    """How often a map element or composite may repeat (1 when the map says nothing)."""
    if child is None:
        return 1
    limit = child.repeat if child.is_composite() else child.max_use
    try:
        return max(1, int(limit or 1))
    except (TypeError, ValueError):
        return 1

"""pyx12's errors on a transaction set, as the gateway's findings with their 997/999 codes.

pyx12 reports a segment it cannot place, a missing or over-used segment or loop, and element
errors, as ``err_cde`` codes with English texts meant for its own 997/999 writer. Here each one
becomes a :class:`~.findings.Finding` that says where (segment position, file position, loop,
element, component, repetition), what was expected and what was found, with the AK3/IK3 segment
code or AK4/IK4 element code it stands for. A segment pyx12 could not place is told apart:
defined in the set but out of order (7) or not here (2), an X12 segment the set does not define
(6), or no segment of the version at all (1).

Dropped because the envelope reader already reports them: element findings on ST01, ST02, SE01
and SE02 (set id, control number, segment count, control number match).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .findings import Finding, Level, Severity, quote
from .pyx12_maps import LoadedMap
from .segments import Segment
from .structure import parse_date

ENVELOPE_ELEMENTS = frozenset({"ST01", "ST02", "SE01", "SE02"})
"""Element checks the envelope reader owns; pyx12's findings on them are dropped."""
_INLINE_LABEL = re.compile(r"[A-Z][A-Z0-9]{1,2}\d\d")
_PYX12_SYNTAX_PREFIX = re.compile(r"^Syntax Error \((\w+)\): ")


class TransactionFindings:
    """The findings of one transaction set's walk through its map, in the order they arose."""

    def __init__(
        self,
        context: dict[str, Any],
        loaded: LoadedMap,
        known: frozenset[str],
        segments: Sequence[Segment],
    ) -> None:
        self.context = context
        """Interchange, group and transaction control numbers and the set id, for every finding."""
        self.map = loaded
        self.known = known
        """Every segment id of the map's X12 version."""
        self.segments = segments
        """The segments walked, by position (a missing segment is reported at one of them)."""
        self.findings: list[Finding] = []
        """In the order they arose; the walk and the guard add theirs here too."""

    def finding(self, code: str, message: str, level: Level, **where: Any) -> Finding:
        """A finding that puts the set in error: AK5/IK5 code 5, one or more segments in error."""
        return Finding(
            code=code, message=message, level=level, transaction_code="5", **self.context, **where
        )

    # -- segment findings ----------------------------------------------------------------------

    def segment_error(
        self, error: Any, count: int, position: int, segment: Segment, current: Any
    ) -> None:
        """One error of the walker on its way to ``segment`` (``current``: the node it walked
        from); ``count`` is the walker's count for the error's node (codes 4 and 5 report it)."""
        code = error.err_cde
        node = error.map_node
        if code == "3" and node is not None:
            loops, first = self.map.chain(node)
            loop_id = loops[-1].id if loops else None
            if first and loops and str(error.err_str).startswith("Mandatory loop"):
                message = (
                    f"mandatory loop {loop_id} is missing: its first segment {node.id} "
                    f"({node.name}) was expected before {segment.tag}"
                )
            else:
                message = (
                    f"mandatory segment {node.id} ({node.name}) is missing: "
                    f"it was expected before {segment.tag}"
                )
            self.findings.append(
                self.finding(
                    "syntax.segment_missing",
                    message,
                    Level.SEGMENT,
                    segment_id=node.id,
                    segment_position=error.seg_count,
                    # pyx12's src_line: the file position given with that segment, of this set
                    file_position=self.segments[error.seg_count - 1].position,
                    loop_id=loop_id,
                    expected=node.id,
                    found=segment.tag,
                    segment_code="3",
                )
            )
            return
        where = {
            "segment_id": segment.tag,
            "segment_position": position,
            "file_position": segment.position,
        }
        if code == "4" and node is not None:
            self.findings.append(
                self.finding(
                    "syntax.loop_over_max",
                    f"loop {node.id} occurs {count} times; the standard allows at most "
                    f"{node.get_max_repeat()}",
                    Level.SEGMENT,
                    loop_id=node.id,
                    expected=f"at most {node.get_max_repeat()}",
                    found=str(count),
                    segment_code="4",
                    **where,
                )
            )
        elif code == "5" and node is not None:
            loops, _ = self.map.chain(node)
            self.findings.append(
                self.finding(
                    "syntax.segment_over_max_use",
                    f"segment {node.id} ({node.name}) occurs {count} times here; the standard "
                    f"allows at most {node.get_max_repeat()}",
                    Level.SEGMENT,
                    loop_id=loops[-1].id if loops else None,
                    expected=f"at most {node.get_max_repeat()}",
                    found=str(count),
                    segment_code="5",
                    **where,
                )
            )
        elif code == "1":
            self.findings.append(self._not_found(segment, current, where))
        else:
            self.findings.append(
                self.finding(
                    "syntax.segment_unexpected",
                    str(error.err_str),
                    Level.SEGMENT,
                    segment_code="2",
                    **where,
                )
            )

    def _not_found(self, segment: Segment, current: Any, where: dict[str, Any]) -> Finding:
        """pyx12 could not place the segment: say why, with the 997/999 code that fits."""
        tag = segment.tag
        set_id = self.context["transaction_set_id"]
        after = f"after {current.id}" if current is not None and current.id != "GS" else "here"
        if tag in self.map.segment_ids:
            loops, _ = self.map.chain(current) if current is not None else ((), False)
            earlier = current is not None and any(
                child.is_segment() and child.id == tag
                for loop in (current.parent, *loops)
                if loop is not None and loop.is_loop()
                for child in loop.childIterator()
            )
            if earlier:
                return self.finding(
                    "syntax.segment_out_of_order",
                    f"segment {tag} is not in its proper place: it belongs before the segment "
                    f"it follows ({after})",
                    Level.SEGMENT,
                    segment_code="7",
                    **where,
                )
            return self.finding(
                "syntax.segment_unexpected",
                f"segment {tag} is defined in transaction set {set_id} but not at this point "
                f"({after})",
                Level.SEGMENT,
                segment_code="2",
                **where,
            )
        if tag in self.known:
            return self.finding(
                "syntax.segment_not_in_set",
                f"segment {tag} is an X12 {self.map.version} segment but not part of "
                f"transaction set {set_id}",
                Level.SEGMENT,
                segment_code="6",
                **where,
            )
        return self.finding(
            "syntax.segment_unrecognized",
            f"segment id {quote(tag)} is not a segment of X12 {self.map.version}",
            Level.SEGMENT,
            segment_code="1",
            **where,
        )

    # -- element findings ----------------------------------------------------------------------

    def element_error(
        self, error: Any, position: int, segment: Segment, repetition: int | None
    ) -> Finding | None:
        """One of pyx12's element errors on ``segment`` (``repetition``: which repetition of the
        element, None for the first); None for an element the envelope reader owns."""
        ele = error.map_node
        code = str(error.err_cde)
        text = str(error.err_str)
        value = error.err_val
        component: int | None = None
        if ele is not None:
            parent = ele.parent
            if parent is not None and parent.is_composite():
                element, component = int(parent.seq), int(ele.seq)
            else:
                element = int(ele.seq)
        else:
            element = _position_of(error.refdes, segment.tag)
        where = element_where(segment, position, element, component)
        where["repetition_position"] = repetition
        if where["element"] in ENVELOPE_ELEMENTS:
            return None
        ref = where["element"]
        name = ele.name if ele is not None else None
        label = f"{ref} ({name})" if name else ref
        extra: dict[str, Any] = {
            "data_element": data_element(ele.data_ele if ele is not None else None)
        }
        severity = Severity.ERROR
        if code == "1":
            finding_code, message = "syntax.element_missing", f"{label} is mandatory but missing"
            if ele is None:  # a mandatory composite
                finding_code, message = "syntax.element_missing", _strip(text)
        elif code == "2":
            finding_code, message = "syntax.conditional_element_missing", _syntax_message(text)
        elif code == "3":
            count = len(segment.elements)  # pyx12 was given one value per element
            finding_code = "syntax.too_many_elements"
            message = (
                f"{segment.tag} has {count} elements; the standard defines {element - 1}, "
                f"so {ref} onwards should not be there"
            )
            extra.update(expected=f"at most {element - 1} elements", found=str(count))
        elif code == "4" and ele is not None and _six_digit_date(value, ele):
            finding_code = "syntax.date_six_digits"
            message = f"{label} is a date in 6 digits (YYMMDD): {quote(value)}; X12 asks for 8"
            extra.update(expected="CCYYMMDD", found=value)
        elif code == "4" and ele is not None:
            finding_code = "syntax.element_too_short"
            message = f"{label} is too short: {quote(value)} has {_characters(value)}"
            extra.update(expected=f"at least {ele.min_len} characters", found=value)
        elif code == "5" and ele is not None:
            finding_code = "syntax.element_too_long"
            message = f"{label} is too long: {quote(value)} has {_characters(value)}"
            extra.update(expected=f"at most {ele.max_len} characters", found=value)
        elif code == "6" and "trailing spaces" in text:
            finding_code = "syntax.trailing_spaces"
            message = f"{label} has trailing spaces, which X12 asks senders to suppress"
            severity = Severity.WARNING
            extra.update(found=value, segment_code=None)
        elif code == "6" and ele is not None and _only_foreign_letters(value, ele.data_type):
            finding_code = "syntax.non_ascii_text"
            message = (
                f"{label} holds characters outside the X12 character set ({quote(value)}); "
                "accepted as text, but a partner may not read them"
            )
            severity = Severity.WARNING
            extra.update(found=value, segment_code=None)
        elif code == "6" and ele is not None:
            finding_code = "syntax.invalid_character"
            kind = ele.data_type
            expected = {"N0": "digits", "R": "a decimal number"}.get(kind or "", "")
            if kind and kind.startswith("N") and not expected:
                expected = "digits"
            message = f"{label} contains a character not allowed in {kind} data: {quote(value)}"
            extra.update(expected=expected or f"{kind} characters", found=value)
        elif code == "7":
            finding_code = "syntax.invalid_code"
            message = f"{label}: {quote(value)} is not a valid code"
            extra.update(expected=_expected_codes(ele), found=value)
        elif code == "8":
            finding_code = "syntax.invalid_date"
            message = f"{label} is not a valid date: {quote(value)}"
            length = ele.max_len if ele is not None else 8
            extra.update(expected="CCYYMMDD" if length == 8 else "YYMMDD", found=value)
        elif code == "9":
            finding_code = "syntax.invalid_time"
            message = f"{label} is not a valid time: {quote(value)}"
            extra.update(expected="HHMM, HHMMSS or HHMMSSdd", found=value)
        elif code == "10":
            finding_code, message = "syntax.exclusion_violated", _syntax_message(text)
        else:
            finding_code, message = "syntax.element_invalid", _strip(text)
        return Finding(
            code=finding_code,
            message=message,
            level=Level.ELEMENT,
            severity=severity,
            transaction_code="5" if severity is Severity.ERROR else None,
            element_code=code if severity is Severity.ERROR else None,
            **self.context,
            **{**where, **extra},
        )


# -- helpers ------------------------------------------------------------------------------------


def element_where(
    segment: Segment, position: int, element: int, component: int | None
) -> dict[str, Any]:
    """Where an element finding is: segment, element (``REF02``, ``PO103-02``), AK3/IK3 code 8."""
    label = f"{segment.tag}{element:02d}" + (f"-{component:02d}" if component else "")
    return {
        "segment_id": segment.tag,
        "segment_position": position,
        "file_position": segment.position,
        "element": label,
        "element_position": element,
        "component_position": component,
        "segment_code": "8",
    }


def _position_of(refdes: Any, tag: str) -> int:
    """Element position from pyx12's refdes for segment-level errors (``13``, ``CTP05``, 4)."""
    if isinstance(refdes, int):
        return refdes
    text = str(refdes or "")
    if text.startswith(tag):
        text = text[len(tag) :]
    match = re.match(r"\d+", text)
    return int(match.group()) if match else 0


def data_element(label: Any) -> str | None:
    """The data element number of a map's ``data_ele`` (``127.005010`` -> ``127``)."""
    if not label:
        return None
    number = str(label).split(".", 1)[0]
    if _INLINE_LABEL.fullmatch(number) or number.startswith("C"):
        return None
    return number


def _expected_codes(ele: Any) -> str | None:
    if ele is None:
        return None
    key = ele.external_codes
    codes: Iterable[Any] = ele.valid_codes
    if key:
        try:
            codes = sorted(c for c in ele.root.ext_codes.codes[key]["codes"] if c)
        except Exception:
            codes = []
    listed = [str(c) for c in codes if c]
    if not listed:
        return None
    if len(listed) > 20:
        return f"one of {len(listed)} codes of element {data_element(ele.data_ele)}"
    return "one of " + ", ".join(listed)


def _six_digit_date(value: str | None, ele: Any) -> bool:
    """A date element of 8 digits (CCYYMMDD) holding a valid date of 6 (YYMMDD): told apart
    from other values too short, as partners' guides often allow it (a policy may)."""
    return (
        ele.data_type == "DT"
        and str(ele.min_len) == "8"
        and value is not None
        and len(value) == 6
        and parse_date(value) is not None
    )


def _only_foreign_letters(value: str | None, data_type: str | None) -> bool:
    """Free text whose only offence is printable non-ASCII (``é``, ``ß``): tolerated."""
    if data_type != "AN" or not value:
        return False
    odd = [c for c in value if not (" " <= c <= "~")]
    return bool(odd) and all(c.isprintable() and ord(c) > 127 and c != "\ufffd" for c in odd)


def _characters(value: str | None) -> str:
    count = len(value or "")
    return f"{count:,} character" + ("" if count == 1 else "s")


def _strip(text: str) -> str:
    return text.replace('"', "")


def _syntax_message(text: str) -> str:
    match = _PYX12_SYNTAX_PREFIX.match(text)
    if match:
        return f"syntax note {match.group(1)}: {text[match.end() :]}"
    return text


def merged(findings: list[Finding], extra: list[Finding]) -> list[Finding]:
    """Add hierarchy findings that pyx12 did not already report for the same element."""
    seen = {(f.segment_position, f.element, f.element_code) for f in findings}
    return findings + [
        f for f in extra if (f.segment_position, f.element, f.element_code) not in seen
    ]

"""The element checks of a map's segments compiled: a segment's content accepted in one pass.

For each segment node of a loaded map, :func:`content_check` compiles what pyx12's element
checks (``segment_if.is_valid_errors`` and the guard's repetitions and components) require of
the segment's elements into plain tests: how many elements, which are mandatory or not used,
each value's length, characters (the data type: ``N0``-``N9``, ``R``, ``ID``, ``AN``, ``DT``,
``TM``), its code list (the map's valid codes and ``codes.xml``), composites and their
components, and the segment's syntax notes (``P``, ``R``, ``C``, ``L``, ``E``).

A compiled check only says whether the content is clean: true means pyx12 would report nothing
about it. Content it does not accept (an error, or something it was not compiled for: a
repetition, a component separator in a simple element, a ``DTP`` date format, a regular
expression in the map, an unknown data type) is handed to pyx12's own element checks
(:mod:`.machine`), whose findings are then the reference's by construction. Clean content is what
valid files are made of, so that is where the time goes; findings keep their exact texts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

Accept = Callable[[str], bool]
"""A test of one non-empty value: true when pyx12 finds nothing wrong with it."""
ContentCheck = Callable[[list[str], str, "str | None"], bool]
"""A test of a segment's elements, given the component and repetition separators."""

_CHARSET = {
    "E": r"""A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>#$""",
    "E5": r"""A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>^`#$""",
    "B": r"""A-Z0-9!"&'()*+,\-./:;?= """,
}
"""pyx12's character sets for ID and AN (``pyx12.validation``): basic, extended, 00501's."""
_REAL = re.compile(r"-?[0-9]*(?:\.[0-9]+)?", re.ASCII)


def _never(_value: str) -> bool:
    return False


def _valid_date(value: str) -> bool:
    """pyx12's ``is_valid_date`` for 6 or 8 digits (12 are left to pyx12)."""
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 50 else "19") + value
    elif len(value) != 8:
        return False
    year = int(value[:4])
    if year < 1800:
        return False
    try:
        dt.date(year, int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return True


def _valid_time(value: str) -> bool:
    """pyx12's ``is_valid_time`` for a value of digits."""
    if value[0:2] > "23" or value[2:4] > "59":
        return False
    return len(value) <= 4 or (6 <= len(value) <= 8 and value[4:6] <= "59")


def value_check(element: Any) -> Accept:
    """The test of a non-empty value of a map element (pyx12's ``element_if``)."""
    try:
        definition = element._resolve_data_ele()
        kind = definition["data_type"]
        low, high = int(definition["min_len"]), int(definition["max_len"])
    except Exception:
        return _never  # an element without a definition: pyx12 says what it says
    if element.rec is not None or not kind:
        return _never
    codes: frozenset[str | None] | None = None
    if element.valid_codes or element.external_codes is not None:
        codes = frozenset(element.valid_codes)
        key = element.external_codes
        if key is not None:
            external = element.root.ext_codes
            if key in external.exclude_list:
                codes = None
            elif key not in external.codes:
                return _never  # pyx12 raises: an engine failure, reported as such
            else:
                codes = codes | external.codes[key]["codes"]
    if kind in ("ID", "AN"):
        charset = str(element.root.param.get("charset"))
        if charset == "E" and (element.root.icvn or "00401") == "00501":
            charset = "E5"
        if charset not in _CHARSET:
            return _never
        pattern = re.compile(f"[{_CHARSET[charset]}]{{{low},{high}}}", re.ASCII)
        match = pattern.fullmatch
        if codes is None:
            return lambda v: match(v) is not None and v[-1] != " "
        known = codes
        return lambda v: v in known and match(v) is not None and v[-1] != " "
    accept: Accept
    if kind[0] == "N":
        number = re.compile(f"-?[0-9]{{{low},{high}}}", re.ASCII).fullmatch
        accept = lambda v: number(v) is not None  # noqa: E731
    elif kind == "R":
        real = _REAL.fullmatch
        accept = lambda v: (  # noqa: E731
            real(v) is not None and low <= len(v) - v.count("-") - v.count(".") <= high
        )
    elif kind == "DT":
        digits = re.compile(f"[0-9]{{{low},{high}}}", re.ASCII).fullmatch
        accept = lambda v: digits(v) is not None and _valid_date(v)  # noqa: E731
    elif kind == "TM":
        clock = re.compile(f"[0-9]{{{max(low, 4)},{high}}}", re.ASCII).fullmatch
        accept = lambda v: clock(v) is not None and _valid_time(v)  # noqa: E731
    else:
        return _never
    if codes is None:
        return accept
    known = codes
    plain = accept
    return lambda v: v in known and plain(v)


def _required_when_empty(element: Any) -> bool:
    """pyx12's ``_validate_when_empty``: an empty value is an error."""
    if element.usage != "R":
        return False
    parent = element.parent
    return bool(element.seq != 1 or not parent.is_composite() or parent.usage == "R")


class _Composite:
    """A composite's compiled test (pyx12's ``composite_if.is_valid_errors``)."""

    def __init__(self, node: Any) -> None:
        self.usage: str | None = node.usage
        self.count = len(node.children)
        self.components = [(_required_when_empty(c), c.usage == "N", value_check(c))
                           for c in node.children]  # fmt: skip
        self.required_left = [
            any(required for required, _, _ in self.components[i:]) for i in range(self.count + 1)
        ]

    def accepts(self, value: str, component: str) -> bool:
        parts = value.split(component)
        if len(parts) > self.count:
            return False
        if not any(parts):
            return self.usage != "R"
        if self.usage == "N":
            return False
        for (required, unused, accept), part in zip(self.components, parts, strict=False):
            if part == "":
                if required:
                    return False
            elif unused or not accept(part):
                return False
        return not self.required_left[len(parts)]


def _left_to_pyx12(elements: list[str], component: str, repetition: str | None) -> bool:
    return False


def _syntax_check(note: list[Any]) -> Callable[[list[bool]], bool] | None:
    """A syntax note as a test of which elements are present; None: it always fails."""
    if len(note) < 3:
        return None
    kind = note[0]
    wanted = [int(i) - 1 for i in note[1:]]
    first, others = wanted[0], wanted[1:]

    def count(present: list[bool], indexes: list[int]) -> int:
        size = len(present)
        return sum(1 for i in indexes if i < size and present[i])

    if kind == "P":
        return lambda p: count(p, wanted) in (0, len(wanted))
    if kind == "R":
        return lambda p: count(p, wanted) > 0
    if kind == "E":
        return lambda p: count(p, wanted) <= 1
    if kind == "C":
        return lambda p: not (first < len(p) and p[first]) or count(p, others) == len(others)
    if kind == "L":
        return lambda p: not (first < len(p) and p[first]) or count(p, others) > 0
    return None


def content_check(segment: Any) -> ContentCheck:
    """The compiled test of a segment node's elements (see the module's docstring)."""
    if (
        segment.id == "DTP"
        or any(child.seq != index + 1 for index, child in enumerate(segment.children))
        or any(
            getattr(child, "data_ele", None) == "1250" and child.valid_codes
            for child in segment.children
            if not child.is_composite()
        )
    ):
        return _left_to_pyx12  # type lists, or elements pyx12 looks up by their seq
    count = len(segment.children)
    simple: list[tuple[bool, bool, Accept] | None] = []
    composites: dict[int, _Composite] = {}
    mandatory: list[bool] = []
    for index, child in enumerate(segment.children):
        if child.is_composite():
            simple.append(None)
            composites[index] = _Composite(child)
            mandatory.append(child.usage == "R")
        else:
            required = _required_when_empty(child)
            simple.append((required, child.usage == "N", value_check(child)))
            mandatory.append(required)
    missing_fails = [any(mandatory[start:]) for start in range(count + 1)]
    """By the number of elements given: whether a mandatory one is missing after them."""
    notes = [_syntax_check(note) for note in segment.syntax]
    if any(note is None for note in notes):
        return _left_to_pyx12
    syntax = [note for note in notes if note is not None]

    def check(elements: list[str], component: str, repetition: str | None) -> bool:
        size = len(elements)
        if size > count:
            return False
        for index, value in enumerate(elements):
            if repetition is not None and repetition in value:
                return False
            rule = simple[index]
            if rule is None:
                if not composites[index].accepts(value, component):
                    return False
            elif value == "":
                if rule[0]:
                    return False
            elif rule[1] or component in value or not rule[2](value):
                return False
        if missing_fails[size]:
            return False
        if syntax:
            present = [value.strip(component) != "" for value in elements]
            for note in syntax:
                if not note(present):
                    return False
        return True

    return check

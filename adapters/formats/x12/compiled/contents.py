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

from .patterns import (
    CODES_IN_PATTERN,
    NUMBER_CHARACTERS,
    SEPARATOR,
    Element,
    SegmentPattern,
    codes_pattern,
    date_pattern,
    real_pattern,
    text_pattern,
    time_pattern,
)

Accept = Callable[[str], bool]
"""A test of one non-empty value: true when pyx12 finds nothing wrong with it."""
ElementSeparators = tuple[str, "str | None"]
"""The component and repetition separators of an interchange (the same tuple for all its
segments: the checks find their patterns by it)."""
ContentCheck = Callable[[list[str], ElementSeparators], bool]
"""A test of a segment's elements, given the component and repetition separators."""

_CHARSET = {
    "E": r"""A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>#$""",
    "E5": r"""A-Z0-9!"&'()*+,\-./:;?= a-z%~@\[\]_{}\\|<>^`#$""",
    "B": r"""A-Z0-9!"&'()*+,\-./:;?= """,
}
"""pyx12's character sets for ID and AN (``pyx12.validation``): basic, extended, 00501's."""
PATTERNS_PER_SEGMENT = 64
"""Patterns a segment node keeps at most (one per number of elements and separators met)."""
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


Definition = tuple[str, int, int, "frozenset[str | None] | None"]
"""An element's data type, minimum and maximum length, and codes (None: any value)."""


def _definition(element: Any) -> Definition | None:
    """What pyx12 checks a value of ``element`` against; None when it is more than that (a
    regular expression, an unknown code list, no data element definition)."""
    try:
        definition = element._resolve_data_ele()
        kind = definition["data_type"]
        low, high = int(definition["min_len"]), int(definition["max_len"])
    except Exception:
        return None  # an element without a definition: pyx12 says what it says
    if element.rec is not None or not kind:
        return None
    codes: frozenset[str | None] | None = None
    if element.valid_codes or element.external_codes is not None:
        codes = frozenset(element.valid_codes)
        key = element.external_codes
        if key is not None:
            external = element.root.ext_codes
            if key in external.exclude_list:
                codes = None
            elif key not in external.codes:
                return None  # pyx12 raises: an engine failure, reported as such
            else:
                codes = codes | external.codes[key]["codes"]
    return str(kind), low, high, codes


def _charset(element: Any) -> str | None:
    """The class body of the characters of an ``ID`` or ``AN`` value (pyx12's charset)."""
    charset = str(element.root.param.get("charset"))
    if charset == "E" and (element.root.icvn or "00401") == "00501":
        charset = "E5"
    return _CHARSET.get(charset)


def value_form(element: Any, excluded: str) -> str | None:
    """A regex of the non-empty values of ``element`` pyx12 accepts, none holding a character
    of ``excluded``; None when that is not said by a regex (:mod:`.patterns`). A form may
    accept fewer values than pyx12 does (a date's 29 February): a value it refuses goes the
    slow way, to pyx12's own checks."""
    definition = _definition(element)
    if definition is None:
        return None
    kind, low, high, codes = definition
    if codes is not None:
        if len(codes) > CODES_IN_PATTERN:
            return None
        good = [c for c in accepted_codes(element) or () if not any(x in c for x in excluded)]
        return codes_pattern(good) if good else "(?!)"
    if kind in ("ID", "AN"):
        charset = _charset(element)
        return text_pattern(charset, low, high, excluded) if charset and high >= 1 else None
    if any(x in NUMBER_CHARACTERS for x in excluded):
        return None  # a separator that a number may hold: the value test looks for it
    if kind[0] == "N":
        return f"-?[0-9]{{{max(low, 1)},{high}}}"
    if kind == "R":
        return real_pattern(low, high)
    if kind == "DT":
        return date_pattern(low, high)
    if kind == "TM":
        return time_pattern(low, high)
    return None


def accepted_codes(element: Any) -> frozenset[str] | None:
    """The codes of ``element`` that pyx12 accepts as values (a code of the list may fail the
    element's data type or length); None when the element has no code list."""
    definition = _definition(element)
    if definition is None or definition[3] is None:
        return None
    accept = _type_check(element, definition)
    return frozenset(c for c in definition[3] if c and accept(c))


def value_check(element: Any) -> Accept:
    """The test of a non-empty value of a map element (pyx12's ``element_if``)."""
    definition = _definition(element)
    if definition is None:
        return _never
    codes = accepted_codes(element)
    if codes is not None:
        return codes.__contains__  # the type and length checked once per code
    return _type_check(element, definition)


def _type_check(element: Any, definition: Definition) -> Accept:
    """The test of a non-empty value of ``element`` against its data type and lengths (its
    code list aside)."""
    kind, low, high, _ = definition
    if kind in ("ID", "AN"):
        charset = _charset(element)
        if charset is None:
            return _never
        match = re.compile(f"[{charset}]{{{low},{high}}}", re.ASCII).fullmatch
        return lambda v: match(v) is not None and v[-1] != " "
    if kind[0] == "N":
        number = re.compile(f"-?[0-9]{{{max(low, 1)},{high}}}", re.ASCII).fullmatch
        return lambda v: number(v) is not None
    if kind == "R":
        real = _REAL.fullmatch
        return lambda v: real(v) is not None and low <= len(v) - v.count("-") - v.count(".") <= high
    if kind == "DT":
        digits = re.compile(f"[0-9]{{{low},{high}}}", re.ASCII).fullmatch
        return lambda v: digits(v) is not None and _valid_date(v)
    if kind == "TM":
        clock = re.compile(f"[0-9]{{{max(low, 4)},{high}}}", re.ASCII).fullmatch
        return lambda v: clock(v) is not None and _valid_time(v)
    return _never


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
        self.children = node.children
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

    def form(self, component: str, excluded: str) -> str | None:
        """A regex of the values :meth:`accepts` (empty too), none holding a character of
        ``excluded`` but the component separator; None when a component's values are not said
        by a regex."""
        if self.count == 0:
            return None
        sep = re.escape(component)
        forms = []
        if self.usage != "R":  # no component given: separators alone
            forms.append(f"(?:{sep}){{0,{self.count - 1}}}")
        if self.usage != "N":
            pieces = []
            for (required, unused, _), child in zip(self.components, self.children, strict=True):
                if unused:
                    pieces.append("(?!)" if required else "")
                    continue
                value = value_form(child, excluded)
                if value is None:
                    return None
                pieces.append(f"(?:{value})" if required else f"(?:{value})?")
            # as many components as the last required one, or more (up to all of them)
            required_at = [i for i, (required, _, _) in enumerate(self.components) if required]
            least = required_at[-1] + 1 if required_at else 1
            more = ""
            for piece in reversed(pieces[least:]):
                more = f"(?:{sep}{piece}{more})?"
            given = f"(?=(?:{sep})*[^{sep}{SEPARATOR}])"  # a component is not empty
            forms.append(given + sep.join(pieces[:least]) + more)
        return "(?:" + "|".join(forms) + ")" if forms else "(?!)"


def _refused(elements: list[str]) -> bool:
    return False


def _left_to_pyx12(elements: list[str], separators: ElementSeparators) -> bool:
    return False


def content_check(segment: Any) -> ContentCheck:
    """The compiled test of a segment node's elements (see the module's docstring): a
    :class:`~.patterns.SegmentPattern` per number of elements and separators met."""
    if (
        segment.id == "DTP"
        or any(child.seq != index + 1 for index, child in enumerate(segment.children))
        or any(
            getattr(child, "data_ele", None) == "1250" and child.valid_codes
            for child in segment.children
            if not child.is_composite()
        )
        or any(len(note) < 3 or note[0] not in "PRECL" for note in segment.syntax)
    ):
        return _left_to_pyx12  # type lists, elements pyx12 looks up by seq, unreadable notes
    return _SegmentCheck(segment).check


class _SegmentCheck:
    def __init__(self, segment: Any) -> None:
        self.segment = segment
        self.count = len(segment.children)
        self.composites = {
            index: _Composite(child)
            for index, child in enumerate(segment.children)
            if child.is_composite()
        }
        mandatory = [
            child.usage == "R" if child.is_composite() else _required_when_empty(child)
            for child in segment.children
        ]
        self.missing_fails = [any(mandatory[start:]) for start in range(self.count + 1)]
        """By the number of elements given: whether a mandatory one is missing after them."""
        self.patterns: dict[ElementSeparators, dict[int, Callable[[list[str]], bool]]] = {}
        """The patterns' tests by separators and number of elements (:data:`PATTERNS_PER_SEGMENT`
        at most)."""
        self.kept = 0

    def check(self, elements: list[str], separators: ElementSeparators) -> bool:
        try:
            accepts = self.patterns[separators][len(elements)]
        except KeyError:
            pattern = self._pattern(len(elements), *separators)
            accepts = _refused if pattern is None else pattern.accepts
            if self.kept < PATTERNS_PER_SEGMENT:
                self.kept += 1
                self.patterns.setdefault(separators, {})[len(elements)] = accepts
        return accepts(elements)

    def _pattern(self, size: int, component: str, repetition: str | None) -> SegmentPattern | None:
        if size > self.count or self.missing_fails[size]:
            return None
        excluded = component + (repetition or "") + SEPARATOR
        elements: list[Element] = []
        for index, child in enumerate(self.segment.children[:size]):
            if index in self.composites:
                composite = self.composites[index]
                form = composite.form(component, excluded)
                if form is not None:
                    elements.append((form, False, None))  # its form says when it may be empty
                else:
                    test = _composite_test(composite, component, repetition)
                    elements.append((None, True, test))
                continue
            required = _required_when_empty(child)
            if child.usage == "N":
                elements.append(("", False, None))  # only empty
                continue
            form = value_form(child, excluded)
            if form is not None:
                elements.append((form, not required, None))
            else:
                elements.append((None, True, _value_test(child, required, excluded)))
        return SegmentPattern(elements, self.segment.syntax, sorted(self.composites), component)


def _composite_test(
    composite: _Composite, component: str, repetition: str | None
) -> Callable[[str], bool]:
    if repetition is None:
        return lambda v: composite.accepts(v, component)
    return lambda v: repetition not in v and composite.accepts(v, component)


def _value_test(element: Any, required: bool, excluded: str) -> Callable[[str], bool]:
    codes = accepted_codes(element)
    if codes is not None:  # a long code list: the values accepted, in a set
        allowed = {c for c in codes if not any(x in c for x in excluded)}
        if not required:
            allowed.add("")
        return frozenset(allowed).__contains__
    accept = value_check(element)
    separator = re.compile("[" + re.escape(excluded) + "]").search

    def test(value: str) -> bool:
        if value == "":
            return not required
        return separator(value) is None and accept(value)

    return test

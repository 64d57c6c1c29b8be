"""A segment's element checks as one regular expression, for the checks a regex can say.

The elements of a segment are joined with :data:`SEPARATOR` and matched at once against a
pattern made for the segment node, the number of elements and the separators: text elements
(``ID``, ``AN``: the character set, the lengths, no trailing space, a code list of up to
:data:`CODES_IN_PATTERN` codes), numbers (``N0``-``N9``, ``R``), dates (``DT``) and times
(``TM``) are checked by the pattern; the others (long code lists, a set lookup; composites) are
left to their compiled test (:mod:`.contents`) by index, and the syntax notes are one test of
which elements are present, compiled from an expression (:func:`syntax_test`), after the match.
A match says no more than the element-by-element test would: no error in the content. A form
may say less (a date's 29 February is left out): what it refuses goes to pyx12's checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

SEPARATOR = "\x1d"
"""Joins the elements for the match; a value holding it matches no pattern (it cannot be in
any character class, so the count of elements comes out wrong), and is left to the slow test."""
CODES_IN_PATTERN = 40
"""Code lists up to this long are alternatives in the pattern; longer ones a set lookup."""
_ASCII = [chr(c) for c in range(128)]


def characters(charset: str, excluded: str) -> str:
    """A regex class body of the characters of ``charset`` (a class body), minus ``excluded``."""
    allowed = re.compile(f"[{charset}]")
    return "".join(re.escape(c) for c in _ASCII if allowed.fullmatch(c) and c not in excluded)


def text_pattern(charset: str, low: int, high: int, excluded: str) -> str:
    """A text value: ``low`` to ``high`` characters of the set, not ending in a space."""
    body = characters(charset, excluded)
    last = characters(charset, excluded + " ")
    return f"[{body}]{{{max(low - 1, 0)},{high - 1}}}[{last}]"


def codes_pattern(codes: list[str]) -> str:
    return "(?:" + "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True)) + ")"


NUMBER_CHARACTERS = "-.0123456789"
"""What a number, a date or a time is written with: a separator among them leaves the element
to its own test, which looks for the separator."""


def real_pattern(low: int, high: int) -> str:
    """A decimal number (``R``): ``-?[0-9]*(\\.[0-9]+)?`` of ``low`` to ``high`` digits (the sign
    and the point not counted); a value of no digit at all (``-``) is left to the test."""
    digits = f"(?=-?(?:\\.?[0-9]){{{max(low, 1)},{high}}}(?![0-9.]))"
    return digits + r"-?[0-9]*(?:\.[0-9]+)?"


_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"  # days every month has
    "|(?:0[13-9]|1[0-2])(?:29|30)"
    "|(?:0[13578]|1[02])31)"
)
"""A month and day of any year; 29 February is left to the date's test (leap years)."""


def date_pattern(low: int, high: int) -> str | None:
    """A date (``DT``): ``CCYYMMDD`` from 1800, or ``YYMMDD``, of ``low`` to ``high`` digits."""
    forms = []
    if low <= 8 <= high:
        forms.append(f"(?:1[89]|[2-9][0-9])[0-9][0-9]{_MONTH_DAY}")
    if low <= 6 <= high:
        forms.append(f"[0-9][0-9]{_MONTH_DAY}")  # 19YY or 20YY: always from 1800
    return "(?:" + "|".join(forms) + ")" if forms else None


def time_pattern(low: int, high: int) -> str | None:
    """A time (``TM``): ``HHMM``, ``HHMMSS``, ``HHMMSSD`` or ``HHMMSSDD``, of ``low`` (at least
    4) to ``high`` digits."""
    if high < max(low, 4):
        return None
    return (
        f"(?=[0-9]{{{max(low, 4)},{high}}}(?![0-9]))"
        "(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9][0-9]{0,2})?"
    )


Element = tuple[str | None, bool, Callable[[str], bool] | None]
"""An element as the pattern sees it: its pattern for a non-empty value (None: left to its
test), whether it may be empty, and its test of a value (empty or not) when it is left to it."""


SyntaxTest = Callable[[list[str], str], bool]
"""The syntax notes of a segment as one test of its elements, given the component separator."""


class SegmentPattern:
    """The pattern of one segment node for a number of elements and separators."""

    def __init__(
        self,
        elements: list[Element],
        notes: list[list[Any]],
        composites: list[int],
        component: str,
    ) -> None:
        pieces: list[str] = []
        self.tests: list[tuple[int, Callable[[str], bool]]] = []
        for index, (pattern, optional, test) in enumerate(elements):
            if pattern is None:
                pieces.append(f"[^{SEPARATOR}]*")
                assert test is not None
                self.tests.append((index, test))
            else:
                pieces.append(f"(?:{pattern})?" if optional else f"(?:{pattern})")
        self.match = match = re.compile(SEPARATOR.join(pieces), re.ASCII).fullmatch
        self.syntax = syntax_test(notes, len(elements), composites) if notes else None
        self.component = component
        self.accepts: Callable[[list[str]], bool] = self._accepts
        """Whether the elements are clean (the pattern alone, when it says all)."""
        if not self.tests and self.syntax is None:
            join = SEPARATOR.join
            self.accepts = lambda elements: match(join(elements)) is not None

    def _accepts(self, elements: list[str]) -> bool:
        if self.match(SEPARATOR.join(elements)) is None:
            return False
        for index, test in self.tests:
            if not test(elements[index]):
                return False
        syntax = self.syntax
        return syntax is None or syntax(elements, self.component)


def syntax_test(notes: list[list[Any]], size: int, composites: list[int]) -> SyntaxTest:
    """The syntax notes of a segment of ``size`` elements as one test, compiled from a Python
    expression of which elements are present (made of element indexes only): an element is
    present when it is not empty, a composite when it holds more than component separators.
    A note that cannot be read fails (pyx12 reports it)."""
    clauses = [_clause(note, size, composites) for note in notes]
    if any(clause is None for clause in clauses):
        return _fails
    test: SyntaxTest = eval(  # the text is made here, of indexes and operators only
        "lambda e, c: " + " and ".join(f"({clause})" for clause in clauses),
        {"__builtins__": {}},
    )
    return test


def _fails(_elements: list[str], _component: str) -> bool:
    return False


def _clause(note: list[Any], size: int, composites: list[int]) -> str | None:
    """One syntax note as an expression of the elements ``e`` (component separator ``c``)."""
    if len(note) < 3:
        return None
    kind = note[0]
    given = [_present(int(i) - 1, size, composites) for i in note[1:]]
    first, others = given[0], given[1:]
    if kind == "P":  # all or none
        return " == ".join(given)
    if kind == "R":  # at least one
        return " or ".join(given)
    if kind == "E":  # at most one
        return " + ".join(given) + " <= 1"
    if kind == "C":  # if the first, all the others
        return f"not {first} or ({' and '.join(others)})"
    if kind == "L":  # if the first, at least one of the others
        return f"not {first} or ({' or '.join(others)})"
    return None


def _present(index: int, size: int, composites: list[int]) -> str:
    if index >= size:
        return "False"
    if index in composites:
        return f"(e[{index}].strip(c) != '')"
    return f"(e[{index}] != '')"

"""A segment's element checks as one regular expression, for the checks a regex can say.

The elements of a segment are joined with :data:`SEPARATOR` and matched at once against a
pattern made for the segment node, the number of elements and the separators: text elements
(``ID``, ``AN``: the character set, the lengths, no trailing space, a code list of up to
:data:`CODES_IN_PATTERN` codes) and numbers (``N0``-``N9``) are checked by the pattern; the
others (``R``, dates, times, long code lists, composites) are left to their compiled test
(:mod:`.contents`) by index, and the syntax notes are tested on the elements after the match.
A match says no more than the element-by-element test would: no error in the content.
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


Element = tuple[str | None, bool, Callable[[str], bool] | None]
"""An element as the pattern sees it: its pattern for a non-empty value (None: left to its
test), whether it may be empty, and its test of a value (empty or not) when it is left to it."""


SYNTAX_RESULTS = 1024
"""Outcomes of the syntax notes a pattern keeps, by which elements are present."""


class SegmentPattern:
    """The pattern of one segment node for a number of elements and separators."""

    def __init__(
        self,
        elements: list[Element],
        syntax: list[Callable[[bytes], bool]],
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
        self.match = re.compile(SEPARATOR.join(pieces), re.ASCII).fullmatch
        self.syntax = syntax
        self.composites = [i for i in composites if i < len(elements)]
        self.component = component
        self.syntax_results: dict[bytes, bool] = {}
        """Which elements are present -> whether the syntax notes hold (the notes depend on
        nothing else, and the same few combinations recur)."""

    def accepts(self, elements: list[str]) -> bool:
        if self.match(SEPARATOR.join(elements)) is None:
            return False
        for index, test in self.tests:
            if not test(elements[index]):
                return False
        if not self.syntax:
            return True
        present = bytes(map(bool, elements))  # bytes: freed, where tuples stay in a free list
        for index in self.composites:  # a composite of separators only is not present
            if present[index] and not elements[index].strip(self.component):
                present = present[:index] + b"\0" + present[index + 1 :]
        holds = self.syntax_results.get(present)
        if holds is None:
            holds = all(note(present) for note in self.syntax)
            if len(self.syntax_results) < SYNTAX_RESULTS:
                self.syntax_results[present] = holds
        return holds


def syntax_test(note: list[Any]) -> Callable[[bytes], bool] | None:
    """A syntax note as a test of which elements are present (a byte each, 0: absent); None:
    it always fails (pyx12 reports a note it cannot read)."""
    if len(note) < 3:
        return None
    kind = note[0]
    wanted = [int(i) - 1 for i in note[1:]]
    first, others = wanted[0], wanted[1:]

    def count(present: bytes, indexes: list[int]) -> int:
        size = len(present)
        return sum(1 for i in indexes if i < size and present[i])

    def given(present: bytes) -> bool:
        return first < len(present) and present[first] != 0

    if kind == "P":
        return lambda p: count(p, wanted) in (0, len(wanted))
    if kind == "R":
        return lambda p: count(p, wanted) > 0
    if kind == "E":
        return lambda p: count(p, wanted) <= 1
    if kind == "C":
        return lambda p: not given(p) or count(p, others) == len(others)
    if kind == "L":
        return lambda p: not given(p) or count(p, others) > 0
    return None

"""The compiled validator's regex forms of numbers, dates and times say what their tests say.

A form (:mod:`adapters.formats.x12.compiled.patterns`) may accept fewer values than the element's
test (the value is then checked the slow way, by pyx12), never more: every value a form accepts,
the test accepts. Each form is checked here against the test over every short value of the
characters that matter, for the lengths the maps use; what the form leaves to the test is only
what its docstring says (29 February, a number of no digit). A composite's form (every
composite of every map) accepts exactly what its test does. The syntax notes compiled into one
test hold exactly when pyx12's notes do, for every combination of elements present.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.formats.x12.compiled import CompiledValidator
from adapters.formats.x12.compiled.contents import _Composite, _composite_test, _type_check
from adapters.formats.x12.compiled.patterns import (
    SEPARATOR,
    date_pattern,
    real_pattern,
    syntax_test,
    time_pattern,
)
from adapters.formats.x12.pyx12_maps import MAP_CACHE


def _values(alphabet: str, longest: int) -> list[str]:
    return [
        "".join(chars)
        for size in range(1, longest + 1)
        for chars in itertools.product(alphabet, repeat=size)
    ]


NUMBERS = _values("-.019", 6)
CLOCKS = [*_values("0259", 4), *_values("0569", 6), *_values("59", 8), "2359599", "0000001"]


@pytest.mark.parametrize(("low", "high"), [(1, 1), (1, 4), (1, 10), (2, 5), (0, 6)])
def test_a_decimal_numbers_form_accepts_what_its_test_accepts_but_a_sign_alone(
    low: int, high: int
) -> None:
    form = re.compile(real_pattern(low, high), re.ASCII).fullmatch
    test = _type_check(None, ("R", low, high, None))
    for value in NUMBERS:
        expected = test(value) and value != "-"
        assert (form(value) is not None) == expected, value


@pytest.mark.parametrize(("low", "high"), [(4, 4), (4, 6), (4, 8), (6, 8), (2, 8), (8, 8)])
def test_a_times_form_accepts_exactly_what_its_test_accepts(low: int, high: int) -> None:
    form = re.compile(time_pattern(low, high) or "(?!)", re.ASCII).fullmatch
    test = _type_check(None, ("TM", low, high, None))
    for value in CLOCKS:
        assert (form(value) is not None) == test(value), value


def _dates() -> list[str]:
    days = [dt.date(1799, 1, 1) + dt.timedelta(days=n) for n in range(0, 90_000, 7)]
    written = [d.strftime("%Y%m%d") for d in days] + [d.strftime("%y%m%d") for d in days]
    written += [f"{year}0229" for year in (1800, 1900, 2000, 2024, 2100)] + ["000229", "990229"]
    wrong = ["20260230", "20260431", "20261301", "20260001", "20260100", "17991231", "260229"]
    return [*written, *wrong, "1999023", "2026112", "202611230", "ABCDEFGH"]


@pytest.mark.parametrize(("low", "high"), [(8, 8), (6, 6), (6, 8)])
def test_a_dates_form_accepts_what_its_test_accepts_but_29_february(low: int, high: int) -> None:
    form = re.compile(date_pattern(low, high) or "(?!)", re.ASCII).fullmatch
    test = _type_check(None, ("DT", low, high, None))
    for value in _dates():
        expected = test(value) and value[-4:] != "0229"
        assert (form(value) is not None) == expected, value


def _pyx12_note_holds(kind: str, wanted: list[int], present: list[bool]) -> bool:
    """pyx12's syntax rules (``pyx12.syntax``), on which elements are present."""
    given = [i < len(present) and present[i] for i in wanted]
    if kind == "P":
        return sum(given) in (0, len(given))
    if kind == "R":
        return any(given)
    if kind == "E":
        return sum(given) <= 1
    if kind == "C":
        return not given[0] or all(given[1:])
    return not given[0] or any(given[1:])  # L


@pytest.mark.parametrize("kind", ["P", "R", "E", "C", "L"])
@pytest.mark.parametrize("size", [2, 3, 4])
def test_syntax_notes_compiled_hold_when_pyx12s_do(kind: str, size: int) -> None:
    notes = [[kind, "01", "03"], [kind, "02", "03", "04"]]
    test = syntax_test(notes, size, composites=[1])
    for present in itertools.product([False, True], repeat=size):
        elements = ["X" if p else "" for p in present]
        if len(elements) > 1 and not present[1]:
            elements[1] = ":"  # a composite of separators only is not present
        expected = all(
            _pyx12_note_holds(kind, [int(i) - 1 for i in note[1:]], list(present)) for note in notes
        )
        assert test(elements, ":") == expected, (present, elements)


def test_a_syntax_note_that_cannot_be_read_fails() -> None:
    assert not syntax_test([["X", "01", "02"]], 2, [])(["A", "B"], ":")


def _composites(loaded: Any) -> Iterator[Any]:
    for node in loaded.root.loop_segment_iterator():
        if node.is_segment():
            yield from (child for child in node.children if child.is_composite())


def _maps() -> list[Any]:
    validator = CompiledValidator()
    entries = {
        (str(e["map_file"]), str(e["vriic"])) for e in MAP_CACHE.index(validator.map_path).maps
    }
    return [MAP_CACHE.load(validator.map_path, f, v) for f, v in sorted(entries)]


COMPONENTS = ["", "EA", "1", "-1.5", "X", "Z" * 40, "20260101", "1200", "A ", "E^A"]


@pytest.mark.parametrize("loaded", _maps(), ids=lambda loaded: str(loaded.root.id))
def test_a_composites_form_accepts_exactly_what_its_test_accepts(loaded: Any) -> None:
    seen: set[tuple[str, str]] = set()
    for node in _composites(loaded):
        if (node.id, node.usage) in seen:
            continue
        seen.add((node.id, node.usage))
        composite = _Composite(node)
        form = composite.form(":", ":^" + SEPARATOR)
        if form is None:
            continue
        match = re.compile(form, re.ASCII).fullmatch
        test = _composite_test(composite, ":", "^")
        for size in range(1, 4):
            for parts in itertools.product(COMPONENTS, repeat=size):
                value = ":".join(parts)
                assert (match(value) is not None) == test(value), (node.id, value)
        for value in ("", ":", "::", ":" * len(node.children), "EA:", ":EA"):
            assert (match(value) is not None) == test(value), (node.id, value)

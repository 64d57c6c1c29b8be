"""The order a session's workers take the tests in (``pytest-xdist``'s ``worksteal``).

``worksteal`` gives each of the N workers an equal share of the collected tests, in their
order (the first Nth to the first worker, and so on), and a worker that has run its share takes
the last half of what another has left. A long test at the end of a share runs at the end of
the session while the other workers wait for it, and a share holding several of them lasts
longer than the others: a session lasts as long as its slowest worker.

So the tests known to be long (:data:`LONG_TESTS`: the seconds each took in a recent run, as
:func:`main` writes them from a JUnit report) are dealt to the shares longest first, each to the
share with the fewest seconds dealt yet (longest processing time first), and spread over the
first three quarters of their share between short ones, which keep their order and fill the
shares to the sizes ``worksteal`` gives them: what is taken from the end of a share is short,
and the workers do not all run long tests at once (most of them run a daemon or two of several
processes, and some bound how long a step may take). A test that runs ``alone`` comes first,
and every share begins with a short test: being alone waits for the tests under way in the
other workers to end.

Refresh the list after tests are added or become slower::

    scripts/test --junitxml=/tmp/junit.xml
    .venv/bin/python -m tests.support.schedule /tmp/junit.xml > tests/long_tests.tsv
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, TypeVar
from xml.etree import ElementTree

TESTS: Final = Path(__file__).resolve().parents[1]
LONG_TESTS: Final = TESTS / "long_tests.tsv"
"""Seconds, a tab and a test's node id, a line each, longest first."""
LONG: Final = 3.0
"""A test taking this many seconds or more is long."""
SPREAD: Final = 0.75
"""The part of a share its long tests are spread over."""

Test = TypeVar("Test")


def known_seconds(listing: Path = LONG_TESTS) -> dict[str, float]:
    """The long tests' seconds by node id (none when the list is missing)."""
    if not listing.exists():
        return {}
    seconds: dict[str, float] = {}
    for line in listing.read_text().splitlines():
        if line and not line.startswith("#"):
            figure, node_id = line.split("\t", 1)
            seconds[node_id] = float(figure)
    return seconds


def share_sizes(count: int, workers: int) -> list[int]:
    """How many of ``count`` tests ``worksteal`` gives each worker at the start."""
    sizes = []
    for k in range(workers):
        sizes.append(count // (workers - k))
        count -= sizes[-1]
    return sizes


def arranged(
    tests: Sequence[Test],
    node_id: Callable[[Test], str],
    alone: Callable[[Test], bool],
    workers: int,
    seconds: dict[str, float],
) -> list[Test]:
    """``tests`` in the order that gives each of ``workers`` its share as described above."""
    first = [test for test in tests if alone(test)]
    others = [test for test in tests if not alone(test)]
    long = sorted(
        (test for test in others if seconds.get(node_id(test), 0.0) >= LONG),
        key=lambda test: -seconds[node_id(test)],
    )
    taken = {id(test) for test in long}
    short = iter([test for test in others if id(test) not in taken])
    sizes = share_sizes(len(tests), max(1, workers))
    sizes[0] -= len(first)
    dealt: list[list[Test]] = [[] for _ in sizes]
    load = [0.0 for _ in sizes]
    for test in long:
        room = [k for k, size in enumerate(sizes) if len(dealt[k]) < size - 1] or [0]
        k = min(room, key=load.__getitem__)
        dealt[k].append(test)
        load[k] += seconds[node_id(test)]
    shares = [
        spread(long_ones, list(itertools.islice(short, size - len(long_ones))))
        for long_ones, size in zip(dealt, sizes, strict=True)
    ]
    return [*first, *(test for share in shares for test in share), *short]


def spread(long: list[Test], short: list[Test]) -> list[Test]:
    """A share: its ``long`` tests spread over its first :data:`SPREAD` (from its second test
    on), ``short`` ones between and after them, each in its order."""
    total = len(long) + len(short)
    step = SPREAD * total / len(long) if long else 0.0
    places = {1 + int(n * step) for n in range(len(long))}
    longs, shorts = iter(long), iter(short)
    share = [next(longs) if place in places else next(shorts, None) for place in range(total)]
    rest = [*longs, *shorts]  # where two long ones fell on one place
    return [test for test in share if test is not None] + rest


def node_ids(report: Path) -> dict[str, float]:
    """Each test's seconds in a JUnit report, by node id (a class's tests as pytest names them)."""
    seconds: dict[str, float] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        for cut in range(len(parts), 0, -1):  # the module is the longest prefix that is a file
            module = Path(*parts[:cut]).with_suffix(".py")
            if (TESTS.parent / module).exists():
                node_id = "::".join([module.as_posix(), *parts[cut:], case.get("name", "")])
                seconds[node_id] = float(case.get("time", "0"))
                break
    return seconds


def main(argv: Sequence[str]) -> int:
    """Print the long tests of a JUnit report (``argv[0]``) as :data:`LONG_TESTS` holds them."""
    seconds = node_ids(Path(argv[0]))
    print(f"# tests of {LONG:g} s or more in a run; tests/support/schedule.py says why and how")
    for node_id, figure in sorted(seconds.items(), key=lambda item: -item[1]):
        if figure >= LONG:
            print(f"{figure:.1f}\t{node_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

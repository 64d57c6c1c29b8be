"""The order a session's workers take the tests in (``pytest-xdist``'s ``worksteal``).

``worksteal`` gives each of the N workers an equal share of the collected tests, in their
order (the first Nth to the first worker, and so on), and a worker that has run its share takes
the last half of what another has left. A long test at the end of a share runs at the end of
the session while the other workers wait for it, and a share holding several of them lasts
longer than the others: a session lasts as long as its slowest worker.

So the tests known to be long (:data:`LONG_TESTS`: the seconds each took in a recent run, as
:func:`main` writes them from a JUnit report) are dealt to the shares longest first, each to the
share with the fewest seconds dealt yet (longest processing time first), and begin it; the short
ones, in their order, fill the shares to the sizes ``worksteal`` gives them, so that what is
taken from the end of a share is short. A test that runs ``alone`` comes first in the first
share, and every other share begins with a short test: being alone waits for the tests under
way in the other workers to end.

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
    if workers <= 1:
        return [*first, *long, *short]
    sizes = share_sizes(len(tests), workers)
    shares: list[list[Test]] = [first, *([] for _ in range(workers - 1))]
    for share in shares[1:]:
        share.extend(itertools.islice(short, 1))
    dealt = [sum(seconds.get(node_id(test), 0.0) for test in share) for share in shares]
    for test in long:
        room = [k for k in range(workers) if len(shares[k]) < sizes[k]] or list(range(workers))
        k = min(room, key=dealt.__getitem__)
        shares[k].append(test)
        dealt[k] += seconds[node_id(test)]
    for k, share in enumerate(shares):
        share.extend(itertools.islice(short, max(0, sizes[k] - len(share))))
    return [test for share in shares for test in share] + list(short)


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

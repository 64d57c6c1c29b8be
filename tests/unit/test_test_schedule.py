"""The order the suite's workers take the tests in (:mod:`tests.support.schedule`)."""

from __future__ import annotations

from pathlib import Path

from tests.support.schedule import LONG, arranged, known_seconds, node_ids, share_sizes

SECONDS = {"t01": 60.0, "t02": 50.0, "t03": 40.0, "t04": 30.0, "t05": 5.0, "t06": 1.0}


def shares(order: list[str], workers: int) -> list[list[str]]:
    cuts, start = [], 0
    for size in share_sizes(len(order), workers):
        cuts.append(order[start : start + size])
        start += size
    return cuts


def test_every_test_once_in_shares_of_worksteals_sizes() -> None:
    tests = [f"t{n:02}" for n in range(1, 21)]
    order = arranged(tests, str, lambda t: t == "t20", 3, SECONDS)
    assert sorted(order) == tests
    assert share_sizes(20, 3) == [6, 7, 7]  # as worksteal hands them out: 20 // 3, 14 // 2, 7
    first, second, third = shares(order, 3)
    assert first[:2] == ["t20", "t06"]  # alone, first of all; then a short one
    long_by_share = [
        [t for t in share if SECONDS.get(t, 0) >= LONG] for share in (first, second, third)
    ]
    assert long_by_share == [["t01"], ["t02", "t05"], ["t03", "t04"]]  # longest first, least dealt
    for share in (second, third):
        assert SECONDS.get(share[0], 0) < LONG  # while the alone test runs, a short one
        assert SECONDS.get(share[-1], 0) < LONG  # what is stolen from the end is short
        short = [t for t in share if SECONDS.get(t, 0) < LONG]
        assert short == sorted(short)  # in their order


def test_long_tests_are_spread_over_three_quarters_of_a_share() -> None:
    seconds = {f"long{n}": 10.0 for n in range(4)}
    tests = [f"short{n:02}" for n in range(36)] + list(seconds)
    order = arranged(tests, str, lambda t: False, 1, seconds)
    places = [order.index(t) for t in seconds]
    assert places == [1, 8, 16, 23]  # 40 tests: one every 7.5 from the second on, all in 30


def test_one_worker_runs_alone_then_the_rest() -> None:
    order = arranged(["a", "t06", "t05", "t01", "z"], str, lambda t: t == "z", 1, SECONDS)
    assert order == ["z", "a", "t01", "t05", "t06"]


def test_the_list_read_from_a_junit_report(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.unit.test_test_schedule" name="test_x[a]" time="4.25"/>'
        '<testcase classname="tests.unit.test_test_schedule.Grouped" name="test_y" time="0.5"/>'
        "</testsuite></testsuites>"
    )
    seconds = node_ids(report)
    assert seconds == {
        "tests/unit/test_test_schedule.py::test_x[a]": 4.25,
        "tests/unit/test_test_schedule.py::Grouped::test_y": 0.5,
    }
    listing = tmp_path / "long.tsv"
    listing.write_text("# comment\n4.2\ttests/unit/test_test_schedule.py::test_x[a]\n")
    assert known_seconds(listing) == {"tests/unit/test_test_schedule.py::test_x[a]": 4.2}
    assert known_seconds(tmp_path / "missing.tsv") == {}

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
    assert first[0] == "t20"  # alone, first of all
    assert [second[0], third[0]] == ["t06", "t07"]  # short ones, while the alone test runs
    long_by_share = [
        [t for t in share if SECONDS.get(t, 0) >= LONG] for share in (first, second, third)
    ]
    assert long_by_share == [["t01"], ["t03", "t04"], ["t02", "t05"]]  # longest first, least dealt
    for share in (first, second, third):  # long tests before short ones, short ones in order
        rest = share[1:]
        long_count = sum(SECONDS.get(t, 0) >= LONG for t in rest)
        assert all(SECONDS.get(t, 0) >= LONG for t in rest[:long_count])
        assert rest[long_count:] == sorted(rest[long_count:])


def test_one_worker_runs_alone_then_long_then_the_rest() -> None:
    order = arranged(["a", "t06", "t05", "t01", "z"], str, lambda t: t == "z", 1, SECONDS)
    assert order == ["z", "t01", "t05", "a", "t06"]


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

"""The large-file lane takes what its slots can hold and never hands a file it holds to a
recovery (issue 20, item 16)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from gateway.pipeline import Pipeline
from gateway.runtime.lanes import LargeFileLane
from gateway.spool import Claim, Claimed


def _lane(slots: int = 1) -> LargeFileLane:
    pipeline = cast(Pipeline, SimpleNamespace(max_file_size=10_000, parser=None))
    return LargeFileLane(pipeline, threshold=100, slots=slots)  # not started: nothing runs


def _file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    path.write_bytes(b"x" * size)
    return path


def _claim(claimed: list[Path]) -> Callable[[Iterable[Path]], Claim]:
    def claim(paths: Iterable[Path]) -> Claim:
        done: Future[None] = Future()
        done.set_result(None)
        files = []
        for path in paths:
            claimed.append(path)
            files.append(Claimed("p", path.name, path, "c" + path.name))
        return Claim(files, done)

    return claim


def test_large_files_beyond_the_free_slots_stay_in_the_inbox(tmp_path: Path) -> None:
    lane = _lane(slots=1)
    small = _file(tmp_path, "small.edi", 100)
    first, second = _file(tmp_path, "a.edi", 101), _file(tmp_path, "b.edi", 5000)
    refused = _file(tmp_path, "too-large.edi", 10_001)  # refused unread: no parse, no lane
    claimed: list[Path] = []
    others = lane.take([small, first, second, refused], _claim(claimed))
    assert others == [small, refused] and claimed == [first]
    assert lane.room() == 0 and not lane.idle()
    assert lane.take([second], _claim(claimed)) == [] and claimed == [first]


def test_a_file_the_lane_holds_is_never_handed_to_a_recovery(tmp_path: Path) -> None:
    lane = _lane(slots=2)
    held = Claimed("p", "held.edi", _file(tmp_path, "held.edi", 500), "c1")
    other_large = Claimed("p", "big.edi", _file(tmp_path, "big.edi", 500), "c2")
    small = Claimed("p", "small.edi", _file(tmp_path, "small.edi", 10), "c3")
    assert lane.recover([held]) == []
    assert lane.recover([held, other_large, small]) == [small]
    assert lane.room() == 0  # both large ones wait for or hold a slot


def test_no_slots_is_no_lane(tmp_path: Path) -> None:
    lane = _lane(slots=0)
    big = _file(tmp_path, "big.edi", 5000)
    assert lane.take([big], _claim([])) == [big]
    assert lane.recover([Claimed("p", "big.edi", big, "c")]) == [Claimed("p", "big.edi", big, "c")]

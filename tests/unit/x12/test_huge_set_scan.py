"""Whether an X12 file holds a huge 846 or 856 (adapters/formats/x12/huge_set_scan.py), told
before it is read, so that it is read as a stream, in parts, whatever its size: by the SE01 of
such a set or its length; never by an ST inside an element, nor by a set of another kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.formats.x12.huge_set_scan import SEGMENT_BYTES, holds_huge_set
from bench.x12_throughput import generate_varied_846, generate_varied_856
from tests.integration.support import small_850

HUGE = 1_000
"""Segments a set of a kind read in parts has at most without being huge, here."""


@pytest.fixture(scope="module")
def asn(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One 856 of some 3,000 segments in its interchange."""
    path = tmp_path_factory.mktemp("scan") / "asn.x12"
    generate_varied_856(path, 100_000)
    return path.read_bytes()


def holds(tmp_path: Path, data: bytes, huge: int = HUGE) -> bool:
    path = tmp_path / "file.x12"
    path.write_bytes(data)
    return holds_huge_set(path, huge)


def test_a_large_856_or_846_is_huge_and_a_small_one_is_not(tmp_path: Path, asn: bytes) -> None:
    assert holds(tmp_path, asn)
    assert not holds(tmp_path, asn, huge=1_000_000)
    generate_varied_846(tmp_path / "advice.x12", 100_000)
    assert holds(tmp_path, (tmp_path / "advice.x12").read_bytes())


def test_sets_of_other_kinds_and_st_inside_an_element_are_not(tmp_path: Path, asn: bytes) -> None:
    assert not holds(tmp_path, asn.replace(b"ST*856*", b"ST*850*"))
    inside = asn.replace(b"ST*856*", b"ST*850*").replace(b"~\nHL*", b"~\nREF*ZZ*ST*856*~\nHL*", 1)
    assert b"REF*ZZ*ST*856*" in inside and not holds(tmp_path, inside)
    assert not holds(tmp_path, b"".join(small_850(n) for n in range(1, 200)))


def test_a_lying_se01_or_a_missing_se_does_not_hide_a_long_set(tmp_path: Path, asn: bytes) -> None:
    se = asn.rindex(b"\nSE*") + 1
    count = asn[se + 3 : asn.index(b"*", se + 3)]
    assert int(count) > HUGE and len(asn) > HUGE * SEGMENT_BYTES
    lying = asn[:se] + asn[se:].replace(count, b"5", 1)
    assert holds(tmp_path, lying)  # by its length
    assert holds(tmp_path, asn[:se])  # truncated: what follows its ST is long
    assert not holds(tmp_path, asn[:se], huge=100_000)


def test_other_separators_and_line_breaks_are_read_from_the_isa(tmp_path: Path, asn: bytes) -> None:
    assert holds(tmp_path, asn.replace(b"~", b"~\r\n"))
    assert holds(tmp_path, asn.replace(b"*", b"|").replace(b"~", b"\n"))
    assert not holds(tmp_path, asn.replace(b"~", b"~\r\n").replace(b"ST*856*", b"ST*850*"))


def test_what_cannot_be_told_is_read_whole(tmp_path: Path) -> None:
    assert not holds(tmp_path, b"")
    assert not holds(tmp_path, b"not X12 at all" * 100)
    assert not holds(tmp_path, b"ISA*00*short~ST*856*0001~")
    assert not holds_huge_set(tmp_path / "missing.x12")

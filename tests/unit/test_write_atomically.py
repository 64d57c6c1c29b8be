"""write_atomically: every file whole under its name, temp files gone, a path named twice
written once (the last data)."""

from __future__ import annotations

from pathlib import Path

from gateway.pipeline import WRITE_CHUNK, write_atomically


def test_every_file_is_written_whole_and_no_temp_file_is_left(tmp_path: Path) -> None:
    files = [(tmp_path / f"p{n % 3}" / f"f{n}.x12", f"data {n}".encode()) for n in range(600)]
    assert len(files) > 2 * WRITE_CHUNK
    write_atomically(files)
    for path, data in files:
        assert path.read_bytes() == data
    assert not [p for p in tmp_path.rglob(".*")]


def test_a_path_named_twice_is_written_once_with_the_last_data(tmp_path: Path) -> None:
    target = tmp_path / "acme" / "856-000000001.x12"
    write_atomically([(target, b"first"), (tmp_path / "other", b"x"), (target, b"second")])
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "856-000000001.x12",
        "other",
    ]

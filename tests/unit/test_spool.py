"""write_new: every file whole under a name of its own, never in place of another file: a name
taken (in the folder, or in a ``taken_in`` sub-folder) by other bytes sends the file to the next
free name; the same bytes there are the file written before a crash; no temp file is left."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from gateway.spool import SENT_FOLDER, Placed, write_new
from gateway.spool.writing import WRITE_CHUNK

NAME = "856-GATEWAY-ACME-000000001.x12"


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_every_file_is_written_whole_and_no_temp_file_is_left(tmp_path: Path) -> None:
    files = [(tmp_path / f"p{n % 3}" / f"f{n}.x12", f"data {n}".encode()) for n in range(600)]
    assert len(files) > 2 * WRITE_CHUNK
    placed = write_new(files)
    assert [p.path for p in placed] == [path for path, _ in files]
    assert all(p.written and not p.renamed for p in placed)
    for path, data in files:
        assert path.read_bytes() == data
    assert not [p for p in tmp_path.rglob(".*")]


def test_a_file_never_replaces_another_and_takes_the_next_free_name(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(b"an earlier document")
    (tmp_path / "856-GATEWAY-ACME-000000001.2.x12").write_bytes(b"another one")
    [placed] = write_new([(tmp_path / NAME, b"this document")])
    assert placed == Placed(tmp_path / NAME, tmp_path / "856-GATEWAY-ACME-000000001.3.x12", True)
    assert placed.renamed
    assert files_in(tmp_path) == {
        NAME: b"an earlier document",
        "856-GATEWAY-ACME-000000001.2.x12": b"another one",
        "856-GATEWAY-ACME-000000001.3.x12": b"this document",
    }


def test_a_name_asked_for_twice_gives_two_files(tmp_path: Path) -> None:
    target = tmp_path / "acme" / NAME
    placed = write_new([(target, b"first"), (tmp_path / "other", b"x"), (target, b"second")])
    assert [p.path.name for p in placed] == [NAME, "other", "856-GATEWAY-ACME-000000001.2.x12"]
    assert files_in(tmp_path / "acme") == {
        NAME: b"first",
        "856-GATEWAY-ACME-000000001.2.x12": b"second",
    }
    same = write_new([(target.with_name("a.x12"), b"same"), (target.with_name("a.x12"), b"same")])
    assert [p.path.name for p in same] == ["a.x12", "a.2.x12"]  # two files, even alike


def test_a_name_held_in_a_taken_in_folder_is_taken(tmp_path: Path) -> None:
    (tmp_path / SENT_FOLDER).mkdir()
    (tmp_path / SENT_FOLDER / NAME).write_bytes(b"delivered years ago")
    [placed] = write_new([(tmp_path / NAME, b"this document")], taken_in=(SENT_FOLDER,))
    assert placed.path.name == "856-GATEWAY-ACME-000000001.2.x12" and placed.written
    assert (tmp_path / SENT_FOLDER / NAME).read_bytes() == b"delivered years ago"
    [alone] = write_new([(tmp_path / "b" / NAME, b"x")])  # no sent/ named: only the folder
    assert alone.path == tmp_path / "b" / NAME


def test_the_same_bytes_under_the_name_are_the_file_written_before(tmp_path: Path) -> None:
    (tmp_path / SENT_FOLDER).mkdir()
    (tmp_path / NAME).write_bytes(b"waiting")
    (tmp_path / SENT_FOLDER / "delivered.x12").write_bytes(b"delivered")
    placed = write_new(
        [(tmp_path / NAME, b"waiting"), (tmp_path / "delivered.x12", b"delivered")],
        taken_in=(SENT_FOLDER,),
    )
    assert [(p.path.name, p.written) for p in placed] == [
        (NAME, False),
        ("delivered.x12", False),
    ]
    assert sorted(files_in(tmp_path)) == [NAME]  # nothing written again, nothing beside


def test_a_repeat_after_a_crash_finds_the_file_under_the_name_it_took(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(b"another document")
    [first] = write_new([(tmp_path / NAME, b"this document")])
    [again] = write_new([(tmp_path / NAME, b"this document")])  # the ledger never heard
    assert again.path == first.path and first.renamed and not again.written
    assert len(files_in(tmp_path)) == 2


def test_a_file_sent_again_on_purpose_is_a_new_file_even_with_the_same_bytes(
    tmp_path: Path,
) -> None:
    (tmp_path / SENT_FOLDER).mkdir()
    (tmp_path / SENT_FOLDER / NAME).write_bytes(b"the document")
    [placed] = write_new([(tmp_path / NAME, b"the document")], taken_in=(SENT_FOLDER,), again=True)
    assert placed.path.name == "856-GATEWAY-ACME-000000001.2.x12" and placed.written
    assert files_in(tmp_path) == {"856-GATEWAY-ACME-000000001.2.x12": b"the document"}


def test_a_link_or_a_folder_under_the_name_is_neither_followed_nor_replaced(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"the document")
    folder = tmp_path / "outbox"
    folder.mkdir()
    (folder / NAME).symlink_to(outside)  # holds the same bytes, through the link
    (folder / "856-GATEWAY-ACME-000000001.2.x12").mkdir()
    [placed] = write_new([(folder / NAME, b"the document")])
    assert placed.path.name == "856-GATEWAY-ACME-000000001.3.x12" and placed.written
    assert outside.read_bytes() == b"the document" and (folder / NAME).is_symlink()


def test_without_hard_links_a_file_is_renamed_into_a_free_name_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object, **__: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # what some FUSE and network file systems say
    (tmp_path / NAME).write_bytes(b"an earlier document")
    placed = write_new([(tmp_path / NAME, b"this document"), (tmp_path / "new.x12", b"new")])
    assert [p.path.name for p in placed] == ["856-GATEWAY-ACME-000000001.2.x12", "new.x12"]
    assert files_in(tmp_path) == {
        NAME: b"an earlier document",
        "856-GATEWAY-ACME-000000001.2.x12": b"this document",
        "new.x12": b"new",
    }

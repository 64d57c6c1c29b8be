"""Writing the files the gateway hands over (acknowledgements, outbound documents, reports): each
whole or not at all, and never in place of another file.

:func:`write_new` writes each file under a temporary dotfile name, syncs them together, then
gives each its name with a hard link, which fails when the name exists (``os.replace`` would
silently replace the file there), removes the temporary name and syncs each folder once. A name
also counts as taken when one of the folder's ``taken_in`` sub-folders holds a file of that name
(``outbox/<partner>/sent/``: files a channel delivered keep their names there). When the
name is taken:

- by the same bytes, that file is this one written before (a crash came before the ledger
  recorded it written): nothing is written again;
- by other bytes, it is another file, and this one takes the first free name of ``NAME.2.x12``,
  ``NAME.3.x12``... (:class:`Placed` says where; the caller records it). The candidates come in
  a fixed order, so a repeat after a crash finds the file where the first attempt put it.

A file sent once more on purpose (``again``) is a new file even with the same bytes.

Whoever moves files out of such a folder into a ``taken_in`` sub-folder (a channel's
deliveries) does it under :func:`folder_lock`, as the placing here does: a name is never checked
in ``sent/`` while its file is on the way there.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import SpoolFull
from .claims import fsync_directory

log = logging.getLogger(__name__)

SENT_FOLDER = "sent"
"""``outbox/<partner>/sent/``: the files a partner's channel delivered, under their names."""
WRITE_CHUNK = 256
"""Files written (and so open) together at most."""
MAX_CANDIDATES = 10_000
"""Names tried for one file before giving up (``NAME.2.x12`` ... ``NAME.10000.x12``)."""
_syncs = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fsync")
"""fsync releases the GIL, and a file system commits syncs that wait together in one go: files
synced side by side cost about half as much as one after the other."""
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}
"""What ``link`` raises on file systems without hard links (some FUSE and network ones)."""


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a file asked for at ``wanted`` is."""

    wanted: Path
    path: Path
    """``wanted``, or the name it took because ``wanted`` was another file's."""
    written: bool
    """False: the same bytes were there already (written before a crash)."""

    @property
    def renamed(self) -> bool:
        return self.path != self.wanted


def write_new(
    files: Iterable[tuple[Path, bytes]], *, taken_in: Sequence[str] = (), again: bool = False
) -> list[Placed]:
    """Write each ``(path, data)`` whole, never replacing a file (see the module's docstring);
    returns where each went, in order. ``taken_in``: sub-folders of each file's folder whose
    names are taken too; ``again``: a file of the same bytes under the name is another file."""
    pending = list(files)
    placed: list[Placed] = []
    given: set[Path] = set()  # names this call gave: other files' now, whatever they hold
    made: set[Path] = set()
    for start in range(0, len(pending), WRITE_CHUNK):
        chunk = pending[start : start + WRITE_CHUNK]
        temps = _temporary_names([path for path, _ in chunk])
        with contextlib.ExitStack() as opened:
            written: list[BinaryIO] = []
            for (path, data), temp in zip(chunk, temps, strict=True):
                make_folder(path.parent, made)
                out = opened.enter_context(open(temp, "wb"))
                out.write(data)
                out.flush()
                written.append(out)
            list(_syncs.map(lambda out: os.fsync(out.fileno()), written))
        by_folder: dict[Path, list[int]] = {}
        for index, (path, _) in enumerate(chunk):
            by_folder.setdefault(path.parent, []).append(index)
        where: dict[int, Placed] = {}
        for folder, indexes in by_folder.items():
            with folder_lock(folder):
                for index in indexes:
                    path, data = chunk[index]
                    where[index] = _place(temps[index], path, data, taken_in, given, again)
                    given.add(where[index].path)
        placed += (where[index] for index in range(len(chunk)))
    for folder in made:
        fsync_directory(folder)
    return placed


def _temporary_names(paths: Sequence[Path]) -> list[Path]:
    """``.NAME.tmp`` beside each path (``.NAME.2.tmp``... for a name asked for twice)."""
    seen: set[Path] = set()
    temps = []
    for path in paths:
        temp, count = path.with_name(f".{path.name}.tmp"), 1
        while temp in seen:
            count += 1
            temp = path.with_name(f".{path.name}.{count}.tmp")
        seen.add(temp)
        temps.append(temp)
    return temps


def _place(
    temp: Path,
    wanted: Path,
    data: bytes,
    taken_in: Sequence[str],
    given: set[Path],
    again: bool,
) -> Placed:
    """Give ``temp`` (holding ``data``) the first of ``wanted``'s candidate names that is free,
    or find that a candidate holds ``data`` already: a repeat, unless ``again`` or the name was
    ``given`` to another file of this call."""
    try:
        for candidate in candidates(wanted):
            holders = [candidate.parent / folder / candidate.name for folder in taken_in]
            holder = next((h for h in holders if os.path.lexists(h)), None)
            if holder is None:
                if _link(temp, candidate):
                    return Placed(wanted, candidate, written=True)
                holder = candidate
            if not again and candidate not in given and _holds(holder, data):
                return Placed(wanted, candidate, written=False)
        raise SpoolFull(
            errno.EEXIST,
            f"{wanted} and its {MAX_CANDIDATES - 1} other names are all other files'",
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def candidates(wanted: Path) -> Iterator[Path]:
    """``wanted``, then ``NAME.2.x12``, ``NAME.3.x12``... (the suffix kept last)."""
    yield wanted
    stem, suffix = wanted.stem, wanted.suffix
    for number in range(2, MAX_CANDIDATES + 1):
        yield wanted.with_name(f"{stem}.{number}{suffix}")


def _link(temp: Path, name: Path) -> bool:
    """Give ``temp`` the name ``name`` too; False when ``name`` exists. Where the file system
    has no hard links, a rename after a check (under the folder's lock)."""
    try:
        os.link(temp, name, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        if os.path.lexists(name):
            return False
        os.rename(temp, name)
    return True


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file holding exactly ``data``."""
    try:
        with open(path, "rb", opener=_no_follow) as file:
            if os.fstat(file.fileno()).st_size != len(data):
                return False
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (``flock`` on the folder itself: no lock file), between
    threads and processes alike."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def make_folder(folder: Path, made: set[Path]) -> None:
    """``folder`` exists (made with its parents if need be), checked once per ``made``."""
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)

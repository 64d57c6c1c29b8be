"""Reading a claimed file: its content, never that of what a symbolic link there points to,
never waiting on a FIFO, never more than ``max_file_size``; and its :class:`Snapshot` as read.

Whoever writes to the inbox may swap a file for a link, a FIFO or a folder after it was found
complete and before its claim (the claim moves whatever is there): :class:`RefusedFile` says
why such a thing is not read, and the pipeline quarantines it unread with that reason. Its
writer may also write on after the claim: :meth:`Snapshot.change` tells.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import RefusedFile

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A claimed file as it was read: its inode, the bytes read and its modification time. Its
    writer may still hold it open and write on after the claim (a pause longer than min_age
    that the watcher did not see): :meth:`change` tells."""

    inode: int
    size: int
    mtime_ns: int

    def change(self, path: Path) -> str | None:
        """How the file at ``path`` differs from this snapshot, or None."""
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return "it is gone"
        if info.st_ino != self.inode:
            return "another file took its place"
        if info.st_size != self.size:
            return f"it now has {info.st_size:,} bytes where {self.size:,} were read"
        if info.st_mtime_ns != self.mtime_ns:
            return "it was written again after it was read"
        return None


def read_claimed(path: Path, max_size: int | None = None) -> bytes:
    """The content of the regular file at ``path``, never of what a symbolic link there points
    to, and never waiting on a FIFO; :class:`RefusedFile` for anything else, and for a file of
    more than ``max_size`` bytes."""
    return read_snapshot(path, max_size)[0]


def read_snapshot(path: Path, max_size: int | None = None) -> tuple[bytes, Snapshot]:
    """:func:`read_claimed`, with the file's :class:`Snapshot` as read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RefusedFile("not a regular file: a symbolic link") from None
        if error.errno == errno.ENXIO:
            raise RefusedFile("not a regular file: a socket") from None
        if error.errno in (errno.EACCES, errno.EPERM):  # its mode: the claim could move it
            raise RefusedFile(
                "not readable by the gateway's user (its permissions); to take it, make it "
                "readable and move it back into the inbox"
            ) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "of unknown kind")
            raise RefusedFile(f"not a regular file: {kind}")
        if max_size is not None and info.st_size > max_size:
            raise RefusedFile(
                f"too large: {info.st_size:,} bytes, more than max_file_size ({max_size:,}); "
                "to take it, raise max_file_size and move it back into the inbox"
            )
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as file:
        data = file.read()
    return data, Snapshot(info.st_ino, len(data), info.st_mtime_ns)

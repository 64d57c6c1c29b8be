"""The folder channel: a partner's shared folder on a local or mounted file system.

Declared per partner under ``[folder]``::

    [folder]
    pickup = "/srv/share/acme/out"      # optional: the partner's files for us
    drop = "/srv/share/acme/in"         # optional: where its outbox files go
    min_age = 30.0                      # size and mtime unchanged across runs this long
    done_marker = ".done"               # optional: take NAME only once NAME.done exists
    ignore = ["*.tmp", "*.part", "*.partial", "~*"]   # never taken (dotfiles never are)
    after = "delete"                    # delete | move | keep
    move_to = "/srv/share/acme/taken"   # required with after = "move"
    schedule = { interval = 60 }        # and grace_time, retry_*, pause_*: every channel's

Features (the steps are the core's, :class:`gateway.spool.partner_files.FilesChannel`):

- **complete files only**: unchanged for ``min_age``, or a done marker; dotfiles and ``ignore``
  patterns skipped; **no symlinks followed** (a link is not a regular file here, and files are
  opened with ``O_NOFOLLOW``); hostile names refused and reported;
- **never lost, never doubled**: copied into a dotfile of the inbox, fsynced, checked unchanged,
  recorded in the ledger, linked into the inbox, and only then removed / moved / kept;
- **deliveries never replace a file**: written into ``drop`` under a temporary dot name, fsynced,
  then given its name with a hard link (which fails when the name exists; where the file system
  has none, a rename after a check), the folder fsynced, and the outbox file moved to ``sent/``;
- a ``pickup`` or ``drop`` folder that is not there (a share not mounted) is a
  :class:`~gateway.ports.ChannelError`: nothing moves, the next run tries again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, ClassVar, TextIO

from pydantic import Field, model_validator

from gateway.ports import ChannelConfig, ChannelError, Spool
from gateway.spool import fsync_directory
from gateway.spool.deliveries import CHUNK
from gateway.spool.partner_files import Entry, FilesChannel, FilesConfig, PartnerFiles

_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}
"""What ``link`` raises on file systems without hard links (some FUSE and network ones)."""


class FolderConfig(FilesConfig):
    """A partner's shared folders (``[folder]``)."""

    pickup: Path | None = Field(default=None, description="folder of the partner's files for us")
    drop: Path | None = Field(default=None, description="folder the partner's files go to")

    @model_validator(mode="after")
    def _absolute(self) -> FolderConfig:
        for name in ("pickup", "drop", "move_to"):
            value = getattr(self, name)
            if value is not None and not Path(value).is_absolute():
                raise ValueError(f"{name} must be an absolute path (got {value})")
        if self.pickup is None and self.drop is None:
            raise ValueError("give pickup, drop or both")
        return self


class SharedFolders(PartnerFiles):
    """The partner's side: ``pickup`` and ``drop`` on this machine's file systems."""

    def __init__(self, partner: str, config: FolderConfig) -> None:
        self.partner = partner
        self.config = config

    def _pickup(self) -> Path:
        assert self.config.pickup is not None
        return self.config.pickup

    def where(self, name: str) -> str:
        return str(self._pickup() / name)

    def listing(self) -> list[Entry]:
        folder = self._pickup()
        try:
            with os.scandir(folder) as found:
                items = list(found)
        except FileNotFoundError:
            raise ChannelError(
                f"partner {self.partner}: the pickup folder {folder} is not there (not mounted?)"
            ) from None
        except OSError as error:
            raise ChannelError(
                f"partner {self.partner}: cannot list {folder}: {error.strerror}"
            ) from None
        entries = []
        for item in items:
            with contextlib.suppress(FileNotFoundError):  # gone since the listing
                entries.append(_entry(item.name, item.stat(follow_symlinks=False)))
        return entries

    def stat(self, name: str) -> Entry | None:
        try:
            return _entry(name, os.lstat(self._pickup() / name))
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        fd = os.open(self._pickup() / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", name)
            yield file

    def remove(self, name: str) -> None:
        os.unlink(self._pickup() / name)

    def move(self, name: str) -> None:
        assert self.config.move_to is not None
        target = Path(self.config.move_to)
        source = self._pickup() / name
        candidate, number = target / name, 1
        while not _give_name(source, candidate):
            number += 1
            candidate = target / f"{name}.{number}"
        os.unlink(source)
        fsync_directory(target)

    def dropped(self, name: str) -> str | None:
        path = self._drop() / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError:
            return "" if os.path.lexists(path) else None  # a link or worse: another file
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return ""
            sha = hashlib.sha256()
            while chunk := file.read(CHUNK):
                sha.update(chunk)
            return sha.hexdigest()

    def drop(self, name: str, source: Path) -> None:
        folder = self._drop()
        temp = folder / f".{name}.{uuid.uuid4().hex}.part"
        try:
            with open(source, "rb") as local, open(temp, "xb") as out:
                while chunk := local.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if not _give_name(temp, folder / name):
                raise FileExistsError(errno.EEXIST, "the name is taken", str(folder / name))
        finally:
            temp.unlink(missing_ok=True)
        fsync_directory(folder)

    def _drop(self) -> Path:
        assert self.config.drop is not None
        folder = self.config.drop
        if not folder.is_dir():
            raise ChannelError(
                f"partner {self.partner}: the drop folder {folder} is not there (not mounted?)"
            )
        return folder


def _entry(name: str, info: os.stat_result) -> Entry:
    return Entry(name, info.st_size, int(info.st_mtime), stat.S_ISREG(info.st_mode))


def _give_name(source: Path, name: Path) -> bool:
    """Give ``source`` the name ``name`` too (a hard link); False when ``name`` exists. Where the
    file system has no hard links, a rename after a check."""
    try:
        os.link(source, name, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        if os.path.lexists(name):
            return False
        os.rename(source, name)
    return True


class Folder(FilesChannel):
    """A partner's shared folder (``[folder]``, :class:`FolderConfig`)."""

    kind: ClassVar[str] = "folder"
    Config: ClassVar[type[ChannelConfig]] = FolderConfig
    delivers: ClassVar[bool] = True

    def __init__(self, partner: str, config: ChannelConfig, spool: Spool) -> None:
        super().__init__(partner, config, spool)
        assert isinstance(config, FolderConfig)
        self._files = SharedFolders(partner, config)

    @property
    def files(self) -> PartnerFiles:
        return self._files

    @property
    def collects(self) -> bool:
        return self._files.config.pickup is not None

    @property
    def drops(self) -> bool:
        return self._files.config.drop is not None

    @classmethod
    def check(cls, partner: str, config: ChannelConfig, out: TextIO) -> bool:
        assert isinstance(config, FolderConfig)
        ok = True
        for what, folder, mode in (
            ("pickup", config.pickup, os.R_OK | os.X_OK),
            ("drop", config.drop, os.W_OK | os.X_OK),
        ):
            if folder is None:
                out.write(f"--      {what:10} no {what} in [folder]\n")
            elif folder.is_dir() and os.access(folder, mode):
                out.write(f"ok      {what:10} {folder}\n")
            else:
                out.write(f"FAILED  {what:10} {folder} is not a folder this user can use\n")
                ok = False
        return ok

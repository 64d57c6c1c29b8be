"""The memory channel: the partner's side is a dict in this process, for fast tests.

It runs the core's steps (:class:`gateway.spool.partner_files.FilesChannel`: completeness,
safe names, the ledger's pickups and deliveries, ``sent/``) with the partner's files in a
:class:`MemorySide`, so a test of what the core does with a channel needs no server nor shared
folder; the contract suite (``tests/contract/``) runs it beside the real channels.

Not registered in ``adapters/__init__.py``: a partner profile saying ``[memory]`` in production
would exchange files with nobody, its files gone with the process. Tests make it directly::

    side = MemorySide()
    side.put("po.edi", b"ISA...")
    channel = Memory("acme", MemoryConfig(min_age=0), spool, side=side)
    channel.collect()          # po.edi -> inbox/acme/po.edi, removed from side.files
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from gateway.ports import ChannelConfig, ChannelError, Spool
from gateway.spool.partner_files import Entry, FilesChannel, FilesConfig, PartnerFiles


class MemoryConfig(FilesConfig):
    """The memory channel's settings: those of every side of files (``min_age``, ``after``,
    ``move_to``...)."""


@dataclass(slots=True)
class MemoryFile:
    data: bytes
    mtime: int
    regular: bool = True
    """False: something that is not a regular file (a link, a folder)."""


class MemorySide(PartnerFiles):
    """The partner's side: ``files`` (what it has for us), ``moved`` (``after = "move"``),
    ``received`` (what we delivered); ``down`` makes every operation a ChannelError."""

    def __init__(self, partner: str = "partner") -> None:
        self.partner = partner
        self.files: dict[str, MemoryFile] = {}
        self.moved: dict[str, bytes] = {}
        self.received: dict[str, bytes] = {}
        self.down = False
        self._lock = threading.Lock()
        self._clock = 1_000_000

    def put(self, name: str, data: bytes, *, mtime: int | None = None) -> None:
        """A file the partner leaves for us (written whole, at once)."""
        with self._lock:
            self._clock += 1
            self.files[name] = MemoryFile(data, self._clock if mtime is None else mtime)

    def _reachable(self) -> None:
        if self.down:
            raise ChannelError(f"partner {self.partner}: the memory side is down")

    def where(self, name: str) -> str:
        return f"memory:/{self.partner}/{name}"

    def listing(self) -> list[Entry]:
        self._reachable()
        with self._lock:
            return [Entry(name, len(f.data), f.mtime, f.regular) for name, f in self.files.items()]

    def stat(self, name: str) -> Entry | None:
        self._reachable()
        with self._lock:
            found = self.files.get(name)
            return (
                None if found is None else Entry(name, len(found.data), found.mtime, found.regular)
            )

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        self._reachable()
        with self._lock:
            found = self.files.get(name)
        if found is None:
            raise FileNotFoundError(name)
        yield io.BytesIO(found.data)

    def remove(self, name: str) -> None:
        self._reachable()
        with self._lock:
            if self.files.pop(name, None) is None:
                raise FileNotFoundError(name)

    def move(self, name: str) -> None:
        self._reachable()
        with self._lock:
            found = self.files.pop(name)
            self.moved[name if name not in self.moved else f"{name}.{len(self.moved)}"] = found.data

    def dropped(self, name: str) -> str | None:
        self._reachable()
        with self._lock:
            data = self.received.get(name)
        return None if data is None else hashlib.sha256(data).hexdigest()

    def drop(self, name: str, source: Path) -> None:
        self._reachable()
        data = source.read_bytes()
        with self._lock:
            if name in self.received:
                raise FileExistsError(name)
            self.received[name] = data


class Memory(FilesChannel):
    """A partner whose side is a :class:`MemorySide` (tests)."""

    kind: ClassVar[str] = "memory"
    Config: ClassVar[type[ChannelConfig]] = MemoryConfig
    delivers: ClassVar[bool] = True

    def __init__(
        self, partner: str, config: ChannelConfig, spool: Spool, *, side: MemorySide | None = None
    ) -> None:
        super().__init__(partner, config, spool)
        self.side = side if side is not None else MemorySide(partner)

    @property
    def files(self) -> PartnerFiles:
        return self.side

"""A channel whose partner's side is plain file operations (a shared folder, a dict in tests):
:class:`FilesChannel` does collect and deliver once, over a :class:`PartnerFiles`, so such a
channel only says how to list, read, remove, move and drop a file.

Collect: the files of the pickup side that are complete (size and mtime unchanged for
``min_age`` across runs, or a done marker), regular (never through a link), not dotfiles nor
``ignore`` patterns, with a safe name (:func:`gateway.spool.unsafe_name`; others are refused
and reported) and not taken before are copied into the inbox through the recorded steps of
:mod:`.pickups` (copy into a dotfile, fsync, check the file unchanged, record, link, and only
then ``after``: delete, move or keep at the partner's side).

Deliver: each outbox file goes through the recorded steps of :mod:`.deliveries`; it is dropped
at the partner's side only when its name is free there (never replacing a file), and a drop
interrupted by a crash is recognised by its bytes.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import logging
import os
import posixpath
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

from pydantic import Field, model_validator

from ..ledger.transfers import DeliveryState, NewPickup, PickupChange, PickupRow, PickupState
from ..ports import Channel, ChannelConfig, CollectReport, DeliveryReport, Pickup, Spool
from .claims import fsync_directory
from .deliveries import CHUNK, Deliveries
from .file_names import unsafe_name
from .pickups import Pickups

log = logging.getLogger(__name__)


class FilesConfig(ChannelConfig):
    """What to take from a partner's side of files, and what then becomes of them there."""

    min_age: float = Field(
        default=30.0,
        ge=0,
        description="seconds size and mtime must stay unchanged across runs (0: at first sight)",
    )
    done_marker: str | None = Field(
        default=None,
        description="take NAME only once NAME+marker exists (then min_age is not needed)",
        examples=[".done", ".ok"],
    )
    ignore: list[str] = Field(
        default_factory=lambda: ["*.tmp", "*.part", "*.partial", "~*"],
        description="names never taken (fnmatch patterns; dotfiles never are)",
    )
    after: Literal["delete", "move", "keep"] = Field(
        default="delete", description="what becomes of a file once it is in the inbox"
    )
    move_to: str | None = Field(default=None, description="where files go with after = 'move'")

    @model_validator(mode="after")
    def _move_needs_folder(self) -> FilesConfig:
        if self.after == "move" and not self.move_to:
            raise ValueError("after = 'move' needs move_to")
        if self.after != "move" and self.move_to:
            raise ValueError(f"move_to is only used with after = 'move' (after is {self.after!r})")
        return self


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    size: int
    mtime: int
    regular: bool
    """A regular file (not a folder, not a link: links are never followed)."""


class PartnerFiles(ABC):
    """The partner's side as file operations. The side being unreachable (a folder not mounted)
    is a :class:`~gateway.ports.ChannelError`; a file that cannot be read or removed is an
    :class:`OSError` (that file waits, the others go on)."""

    @abstractmethod
    def where(self, name: str) -> str:
        """Where the pickup file ``name`` is, for the ledger and reports: a path ending in
        ``/<name>`` (names taken never hold a ``/``)."""

    @abstractmethod
    def listing(self) -> list[Entry]:
        """The pickup side's entries."""

    @abstractmethod
    def stat(self, name: str) -> Entry | None:
        """The pickup file ``name`` now; None when it is gone."""

    @abstractmethod
    def open(self, name: str) -> AbstractContextManager[BinaryIO]:
        """The pickup file ``name`` to read (never through a link)."""

    @abstractmethod
    def remove(self, name: str) -> None: ...

    @abstractmethod
    def move(self, name: str) -> None:
        """Out of the pickup side into ``move_to`` (never over another file)."""

    @abstractmethod
    def dropped(self, name: str) -> str | None:
        """The sha256 of the file called ``name`` at the drop side; None when the name is free
        (anything there that is not a regular file counts as another file: ``""``)."""

    @abstractmethod
    def drop(self, name: str, source: Path) -> None:
        """Put ``source`` at the drop side as ``name``, whole (written under another name
        first), never replacing a file: :class:`FileExistsError` when the name is taken."""


class FilesChannel(Channel):
    """Collect and deliver over :attr:`files` (see the module)."""

    Config: ClassVar[type[ChannelConfig]] = FilesConfig

    def __init__(self, partner: str, config: ChannelConfig, spool: Spool) -> None:
        super().__init__(partner, config, spool)
        assert isinstance(config, FilesConfig)
        self.options = config
        self.pickups = Pickups(partner, self.inbox, spool.ledger, kind=self.kind)
        self.deliveries = Deliveries(
            partner,
            self.outbox,
            spool.ledger,
            retry_initial=config.retry_initial,
            retry_max=config.retry_max,
            clock=spool.clock,
        )
        self._seen: dict[str, tuple[int, int, float]] = {}
        """name -> (size, mtime, since when): the completeness check across runs."""
        self._refused_before: set[str] = set()

    @property
    @abstractmethod
    def files(self) -> PartnerFiles:
        """The partner's side."""

    @property
    def collects(self) -> bool:
        """Whether the profile says where to collect from."""
        return True

    @property
    def drops(self) -> bool:
        """Whether the profile says where to deliver to."""
        return True

    def settle(self) -> None:
        self.pickups.settle()

    # -- collect ---------------------------------------------------------------------------------

    def collect(self) -> CollectReport:
        report = CollectReport(self.partner)
        if not self.collects:
            return report
        self.pickups.settle()
        self._act([(row, row.local_name) for row in self.pickups.unfinished()], report)
        entries = self.files.listing()
        copied: list[tuple[Entry, Path, str]] = []
        for entry in self._complete(entries, report):
            temp = self.pickups.temp()
            try:
                sha256 = self._copy(entry, temp)
            except OSError as error:
                temp.unlink(missing_ok=True)
                report.failed.append((entry.name, f"cannot read: {error}"))
                continue
            if sha256 is None:
                temp.unlink(missing_ok=True)
                self._seen.pop(entry.name, None)
                report.waiting.append(entry.name)
            else:
                copied.append((entry, temp, sha256))
        if not copied:
            return report
        fsync_directory(self.inbox)  # the dotfiles' names, before the ledger refers to them
        rows = self.pickups.record(
            [
                NewPickup(self.files.where(e.name), e.size, e.mtime, sha, temp.name, e.name)
                for e, temp, sha in copied
            ]
        )
        names = self.pickups.into_inbox(rows)
        for row, name in zip(rows, names, strict=True):
            self._seen.pop(posixpath.basename(row.remote_path), None)
            report.taken.append(
                Pickup(
                    self.partner,
                    row.remote_path,
                    row.size,
                    row.mtime,
                    row.sha256,
                    self.inbox / name,
                    row.id,
                )
            )
        self._act(list(zip(rows, names, strict=True)), report)
        return report

    def _complete(self, entries: list[Entry], report: CollectReport) -> list[Entry]:
        """The entries to take now (see the module)."""
        now = self.spool.clock()
        options = self.options
        marker = options.done_marker
        names = {entry.name for entry in entries}
        ready: list[Entry] = []
        for entry in entries:
            name = entry.name
            reason = unsafe_name(name)  # before the dotfiles: "../x" is hostile, not hidden
            if reason is not None:
                self._refuse(report, name, reason)
                continue
            if name.startswith(".") or (marker and name.endswith(marker)):
                continue
            if (
                any(fnmatch.fnmatchcase(name, pattern) for pattern in options.ignore)
                or not entry.regular
            ):
                continue
            limit = self.spool.max_file_size
            if limit is not None and entry.size > limit:
                self._refuse(report, name, f"too large: {entry.size:,} bytes, more than {limit:,}")
                continue
            if marker:
                if name + marker not in names:
                    report.waiting.append(name)
                    continue
            else:
                seen = self._seen.get(name)
                if seen is None or seen[:2] != (entry.size, entry.mtime):
                    seen = self._seen[name] = (entry.size, entry.mtime, now)
                if now - seen[2] < options.min_age:
                    report.waiting.append(name)
                    continue
            ready.append(entry)
        for gone in set(self._seen) - names:
            del self._seen[gone]
        ready.sort(key=lambda e: (e.mtime, e.name))
        keys = [(self.files.where(e.name), e.size, e.mtime) for e in ready]
        taken = self.pickups.taken_before(keys, keep=options.after == "keep")
        fresh = []
        for entry, key in zip(ready, keys, strict=True):
            if key in taken:
                report.already.append(entry.name)
            else:  # never taken, or removed after we took it: a new file, sent again
                fresh.append(entry)
        return fresh

    def _refuse(self, report: CollectReport, name: str, reason: str) -> None:
        """Leave ``name`` at the partner's side: reported at every run, logged the first time."""
        report.refused.append((name, reason))
        if name not in self._refused_before:
            self._refused_before.add(name)
            log.warning(
                "partner %s: refusing %s file %r: %s", self.partner, self.kind, name, reason
            )

    def _copy(self, entry: Entry, temp: Path) -> str | None:
        """Copy the file into ``temp`` (created, fsynced); its sha256, or None when it changed
        meanwhile (it is taken at a later run)."""
        sha = hashlib.sha256()
        size = 0
        with self.files.open(entry.name) as source, open(temp, "xb") as out:
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        now = self.files.stat(entry.name)
        if now is None or size != entry.size or (now.size, now.mtime) != (entry.size, entry.mtime):
            return None
        return sha.hexdigest()

    def _act(self, pickups: list[tuple[PickupRow, str]], report: CollectReport) -> None:
        """``after`` at the partner's side for files now in the inbox, each checked to be still
        the one taken (a file replaced meanwhile is left, to be taken as new)."""
        after = self.options.after
        changes: list[PickupChange] = []
        for row, local_name in pickups:
            name = posixpath.basename(row.remote_path)
            outcome: str = after
            try:
                now = self.files.stat(name)
                if now is None:
                    outcome = "gone"
                elif (now.size, now.mtime) != (row.size, row.mtime):
                    outcome = "changed (left in place: it is a new file)"
                elif after == "delete":
                    self.files.remove(name)
                elif after == "move":
                    self.files.move(name)
                if self.options.done_marker and after != "keep" and outcome == after:
                    with contextlib.suppress(FileNotFoundError):
                        self.files.remove(name + self.options.done_marker)
            except OSError as error:
                report.failed.append((name, f"{after} failed: {error}"))
                changes.append(
                    PickupChange(
                        row.id,
                        PickupState.DELIVERED,
                        local_name=local_name,
                        detail={"remote_error": f"{after}: {error}"},
                    )
                )
                continue
            if row.state is PickupState.DELIVERED:
                report.finished.append(name)
            changes.append(
                PickupChange(
                    row.id, PickupState.DONE, local_name=local_name, detail={"remote": outcome}
                )
            )
        if changes:
            self.pickups.finish(changes)

    # -- deliver ---------------------------------------------------------------------------------

    def deliver(self) -> DeliveryReport:
        report = DeliveryReport(self.partner)
        if not self.drops:
            return report
        for path in self.deliveries.pending():
            if not self.deliveries.due(path):
                report.deferred.append(path.name)
                continue
            self._deliver_one(path, report)
        return report

    def _deliver_one(self, path: Path, report: DeliveryReport) -> None:
        row = self.deliveries.start(path, path.name)
        if row is None:
            return
        if row.state is DeliveryState.SENT:
            self.deliveries.file_away(path, row)
            report.already.append(path.name)
            return
        try:
            there = self.files.dropped(path.name)
            if not (row.state is DeliveryState.PLACING and there == row.sha256):
                if there is not None:
                    raise FileExistsError(_taken(path.name, there == row.sha256))
                self.deliveries.placing(row)
                try:
                    self.files.drop(path.name, path)
                except FileExistsError:
                    self.deliveries.not_placed(row)
                    raise FileExistsError(_taken(path.name, same=False)) from None
        except OSError as error:
            reason = str(error) if isinstance(error, FileExistsError) else _describe(error)
            delay = self.deliveries.failed(row, reason)
            report.failed.append((path.name, reason))
            log.warning(
                "partner %s: cannot deliver %s (next try in %.0f s): %s",
                self.partner,
                path.name,
                delay,
                reason,
            )
            return
        self.deliveries.confirm(row)
        self.deliveries.file_away(path, row)
        report.sent.append(path.name)
        report.bytes_sent += row.size
        log.info("partner %s: delivered %s (%d bytes)", self.partner, path.name, row.size)


def _taken(name: str, same: bool) -> str:
    if same:
        return (
            f"{name} is at the partner with the same content from an earlier delivery, not "
            "taken yet; not overwritten, delivering again once it is taken"
        )
    return f"a different {name} is waiting at the partner; not overwritten, retrying later"


def _describe(error: OSError) -> str:
    text = error.strerror or str(error) or type(error).__name__
    return text if error.filename is None else f"{error.filename}: {text}"

"""The inbox, watched: ``inbox/<partner>/`` -> files claimed into ``work/<partner>/``.

Features: watchdog (inotify) events for speed, plus a full rescan every ``rescan_interval``, which
is what guarantees no file is stranded (inotify drops events under load) and picks up files present
at start-up. A file is taken only when complete: unchanged for ``min_age`` seconds (by its
modification time, or by our own clock while that time is in the future), not open for writing
(the watcher saw it written and not yet closed: a writer pausing longer than ``min_age`` with
its file open) and, when ``done_marker`` is set, once ``NAME + done_marker`` exists. Dotfiles
and the ``ignore`` patterns (``*.tmp``, ``*.part`` ...) are never taken. A writer the watcher
did not see (one that started before the daemon, events the kernel dropped) may still write on
after the claim: each file's :class:`~.claimed_files.Snapshot` as read lets the pipeline see
it.

Claiming is an atomic rename into ``work/<partner>/<claim id>__<name>`` followed by an fsync of
the folders (once per folder for a batch of claims), so a file is either still in the inbox or
in the work folder, never both or lost. The fsyncs run in the background (:class:`Claim`): the
caller reads and starts parsing the files meanwhile, which changes nothing, and waits for them
before it records the files anywhere. :meth:`FolderSource.wait` returns as soon as the watcher
sees a change, so a file is taken within milliseconds of its arrival.
Partner folder names must be plain names (letters, digits, ``. _ -``); others are ignored.
A partner folder must be a folder of the inbox itself: a symbolic link there is never followed
(claims rename relative to the folder opened with ``O_NOFOLLOW``), and only files directly in a
partner folder are taken. Links, and folders inside a partner folder that hold files, are
reported once while they stay.

A claimed file keeps its name, or a readable one (:func:`~.file_names.kept_name`), and is read
with :func:`~.claimed_files.read_claimed`, which follows no symbolic link and waits on no FIFO:
whoever writes to the inbox may swap a file for one after it was found complete and before its
claim (the claim moves whatever is there), and it is then refused, not read.

The watcher's inotify plumbing is :mod:`.inotify_arrivals`. :class:`FolderSource` is one class of
some 360 lines: readiness, rescans, reports and claims share its state (the reason this module is
over 400).
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import logging
import os
import re
import stat
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver
from watchdog.observers.inotify_c import InotifyConstants

from .claims import CLAIM_SEPARATOR, Claim, Claimed, fsync_directory
from .file_names import kept_name
from .inotify_arrivals import ArrivalEmitter

log = logging.getLogger(__name__)

PARTNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


_claim_syncs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claim-sync")
"""Syncs the folders of one claim after another (claims come one at a time)."""


def _failed(action: str, error: OSError) -> str:
    why = error.strerror or str(error)
    if error.errno == errno.EXDEV:  # a rename between file systems
        why += ": the inbox and the work folder must be on one file system"
    return f"cannot {action} it ({why}); tried again at each rescan"


def _is_folder(path: Path, known: dict[Path, bool]) -> bool:
    """Whether ``path`` is a folder and not a symbolic link to one (looked at once per
    ``known``)."""
    if path not in known:
        try:
            known[path] = stat.S_ISDIR(os.lstat(path).st_mode)
        except OSError:
            known[path] = False
    return known[path]


class _Events(FileSystemEventHandler):
    def __init__(self, source: FolderSource) -> None:
        self.source = source

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(os.fsdecode(raw))
                self.source.notice(path)


class FolderSource:
    """Watches ``inbox/<partner>/`` folders and claims complete files into ``work/``."""

    kind = "folder"

    def __init__(
        self,
        inbox: Path,
        work: Path,
        *,
        min_age: float = 1.0,
        done_marker: str | None = None,
        ignore: Iterable[str] = ("*.tmp", "*.part"),
        rescan_interval: float = 5.0,
        held: Iterable[str] = (),
    ) -> None:
        self.inbox = inbox
        self.work = work
        self.held = frozenset(held)
        """Partners whose files stay in the inbox (their profile is bad: read with another
        format, they would be quarantined for nothing)."""
        self.min_age = min_age
        self.done_marker = done_marker
        self.ignore = tuple(ignore)
        self.rescan_interval = rescan_interval
        self._candidates: set[Path] = set()
        self._problems: dict[Path, str] = {}
        """What cannot be taken or listed now, and why: each reported once while it lasts."""
        self._future: dict[Path, tuple[tuple[int, int], float]] = {}
        """Candidates dated in the future: their (size, mtime) and since when (monotonic)."""
        self._writing: set[Path] = set()
        """Files the watcher saw written and not closed yet: not complete, however old."""
        self._open_noted: set[Path] = set()
        """Files old enough but still open for writing, said so once."""
        self._lock = threading.Lock()
        self._observer: BaseObserver | None = None
        self._last_scan = 0.0
        self._changed = threading.Event()

    # -- watching ------------------------------------------------------------------------------

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self._last_scan = 0.0  # the first ready() scans: files present at start-up are taken
        observer = BaseObserver(ArrivalEmitter, arrived=self._arrived, lost=self._lost)
        observer.schedule(_Events(self), str(self.inbox), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    @property
    def watching(self) -> bool:
        """Whether the inbox is watched (the observer's thread runs)."""
        observer = self._observer
        return observer is not None and observer.is_alive()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def _arrived(self, raw: bytes, mask: int) -> None:
        """The watcher's thread saw this file change (dotfiles, never taken, wake nobody). A
        write marks it open for writing, until its writer closes it (or it is renamed in): a
        file written is not complete while its writer holds it open, however long the writer
        pauses. A write wakes nobody either."""
        if os.path.basename(raw).startswith(b"."):
            return
        path = Path(os.fsdecode(raw))
        if mask & InotifyConstants.IN_MODIFY:
            if path.parent.parent == self.inbox:
                with self._lock:
                    self._writing.add(path)
                    self._candidates.add(path)
            return
        if mask & (InotifyConstants.IN_CLOSE_WRITE | InotifyConstants.IN_MOVED_TO):
            with self._lock:
                self._writing.discard(path)
        self.notice(path)

    def _lost(self) -> None:
        """The kernel dropped events: a close may be among them. Files written are taken by
        their age alone from now on (as those written before the daemon started are)."""
        with self._lock:
            self._writing.clear()
        self._changed.set()

    def notice(self, path: Path) -> None:
        """A path the watcher saw change; checked for readiness on the next ``ready()``."""
        if path.parent.parent == self.inbox:
            with self._lock:
                self._candidates.add(path)
            self._changed.set()

    def wait(self, timeout: float) -> None:
        """Wait until the watcher sees a change, :meth:`wake` is called, or ``timeout`` passes."""
        self._changed.wait(timeout)
        self._changed.clear()

    def wake(self) -> None:
        """End a :meth:`wait` now (a stop was asked for)."""
        self._changed.set()

    def rescan(self) -> None:
        """Every file of every partner folder becomes a candidate. What cannot be taken (a link
        or a FIFO, a folder that is no partner name or cannot be listed, a partner folder that
        is a symbolic link, files in a folder inside a partner folder) is reported once while
        it stays."""
        self._last_scan = time.monotonic()
        seen: set[Path] = set()
        try:
            folders = self._partner_folders(seen)
        except FileNotFoundError:
            return
        except OSError as error:
            self._report(self.inbox, _failed("list", error))
            return
        self._problems.pop(self.inbox, None)
        found: list[Path] = []
        seen.update(folders)
        for folder in folders:
            if not PARTNER_NAME.fullmatch(folder.name):
                self._report(folder, "ignored: not a plain partner name")
                continue
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        path = Path(entry.path)
                        if entry.is_file(follow_symlinks=False):
                            found.append(path)
                        elif self.ignored(entry.name):
                            continue
                        elif not entry.is_dir(follow_symlinks=False):
                            self._report(
                                path, "never taken: not a regular file (a link, a FIFO...)"
                            )
                            seen.add(path)
                        elif self._report_sub_folder(path, folder):
                            seen.add(path)
            except FileNotFoundError:
                continue
            except OSError as error:  # not readable by the gateway's user
                self._report(folder, _failed("list", error))
                continue
            self._problems.pop(folder, None)
        seen.update(found)
        self._problems = {p: why for p, why in self._problems.items() if p in seen}
        with self._lock:
            self._candidates.update(found)

    def _partner_folders(self, seen: set[Path]) -> list[Path]:
        """The inbox's folders; a symbolic link there is never followed (its files would be
        taken from wherever it points), only reported (and added to ``seen``)."""
        folders: list[Path] = []
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                path = Path(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    folders.append(path)
                elif entry.is_symlink() and not entry.name.startswith("."):
                    self._report(
                        path,
                        "never followed: a symbolic link, not a folder (a partner folder must "
                        "be a folder of the inbox itself)",
                    )
                    seen.add(path)
        return folders

    def _report_sub_folder(self, path: Path, partner_folder: Path) -> bool:
        """Report what a folder inside a partner folder holds (never taken: only files directly
        in a partner folder are); True when it holds something."""
        try:
            with os.scandir(path) as entries:
                held = sum(1 for entry in entries if not self.ignored(entry.name))
        except OSError:
            held = 0
        if not held:
            return False
        self._report(
            path,
            f"never taken: {held} item(s) in a folder inside a partner folder (sub-folders are "
            f"not read); move the files into {str(partner_folder)!r}",
        )
        return True

    # -- taking files --------------------------------------------------------------------------

    def ignored(self, name: str) -> bool:
        if name.startswith("."):
            return True
        if self.done_marker and name.endswith(self.done_marker):
            return True
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.ignore)

    def ready(self, now: float | None = None) -> list[Path]:
        """Candidates complete enough to take, oldest first. Rescans when it is time."""
        if time.monotonic() - self._last_scan >= self.rescan_interval:
            self.rescan()
        wall = time.time() if now is None else now
        with self._lock:
            candidates = list(self._candidates)
            writing = set(self._writing)
        ready: list[tuple[float, Path]] = []
        gone: list[Path] = []
        folders: dict[Path, bool] = {}  # partner folder -> a folder, not a link to one
        for path in candidates:
            if path.parent.name in self.held:
                continue  # a candidate still, taken once the partner is back
            if (
                self.ignored(path.name)
                or not PARTNER_NAME.fullmatch(path.parent.name)
                or not _is_folder(path.parent, folders)
            ):
                gone.append(path)
                continue
            try:
                info = path.lstat()
            except FileNotFoundError:
                gone.append(path)
                continue
            if not stat.S_ISREG(info.st_mode):
                gone.append(path)
                continue
            if not self._unchanged_long_enough(path, info, wall):
                continue
            if path in writing:
                self._still_open(path)
                continue
            if self.done_marker and not path.with_name(path.name + self.done_marker).exists():
                continue
            ready.append((info.st_mtime, path))
        with self._lock:
            self._candidates.difference_update(gone)
            self._writing.difference_update(gone)
        for path in gone:
            self._future.pop(path, None)
            self._open_noted.discard(path)
        return [path for _, path in sorted(ready)]

    def _still_open(self, path: Path) -> None:
        if path not in self._open_noted:
            self._open_noted.add(path)
            log.info(
                "%r: unchanged for min_age but still open for writing: taken once its writer "
                "closes it",
                str(path),
            )

    def _unchanged_long_enough(self, path: Path, info: os.stat_result, wall: float) -> bool:
        """Unchanged for ``min_age``: by its modification time, or, when that is in the future
        (a writer's clock ahead of ours, a copy that kept a skewed time), by how long this source
        has seen the same size and time."""
        if info.st_mtime <= wall:
            return wall - info.st_mtime >= self.min_age
        now = time.monotonic()
        seen = (info.st_size, info.st_mtime_ns)
        first = self._future.get(path)
        if first is None or first[0] != seen:
            if first is None:
                log.info(
                    "%r is dated in the future (%s): taken once unchanged for min_age",
                    str(path),
                    time.ctime(info.st_mtime),
                )
            self._future[path] = (seen, now)
            return self.min_age <= 0
        return now - first[1] >= self.min_age

    def claim(self, paths: Iterable[Path]) -> Claim:
        """Move each of ``paths`` into the work folder atomically (those that vanished meanwhile
        are left out); every folder touched is then synced once, in the background, and the
        files' done-markers removed after that (a marker gone with the file still in the inbox
        would strand it)."""
        paths = list(paths)
        with self._lock:
            self._candidates.difference_update(paths)
            self._writing.difference_update(paths)
        for path in paths:
            self._future.pop(path, None)
            self._open_noted.discard(path)
        claimed: list[Claimed] = []
        markers: list[Path] = []
        folders: dict[str, tuple[Path, Path]] = {}  # partner -> its inbox and work folders
        with contextlib.ExitStack() as opened:
            handles: dict[str, int | None] = {}  # partner -> its inbox folder, opened
            for path in paths:
                partner = path.parent.name
                if partner not in handles:
                    handles[partner] = self._open_partner_folder(path.parent, opened)
                handle = handles[partner]
                if handle is None:
                    continue
                if partner not in folders:
                    work = self.work / partner
                    work.mkdir(parents=True, exist_ok=True)
                    folders[partner] = (path.parent, work)
                claim_id = uuid.uuid4().hex
                name = kept_name(path.name)
                target = folders[partner][1] / f"{claim_id}{CLAIM_SEPARATOR}{name}"
                try:  # relative to the folder opened: never through a link swapped in since
                    os.rename(path.name, target, src_dir_fd=handle)
                except FileNotFoundError:
                    continue
                except OSError as error:  # the file stays in the inbox: the next rescan tries
                    self._report(path, _failed("claim", error))
                    continue
                self._problems.pop(path, None)
                if name != path.name:
                    log.info("claimed %s as %r (the name as the ledger keeps it)", target, name)
                claimed.append(Claimed(partner, name, target, claim_id, fresh=True))
                if self.done_marker:
                    markers.append(path.with_name(path.name + self.done_marker))
        touched = [folder for pair in folders.values() for folder in pair]
        return Claim(claimed, _claim_syncs.submit(self._settle, touched, markers))

    def _open_partner_folder(self, folder: Path, opened: contextlib.ExitStack) -> int | None:
        """``folder`` opened for renames relative to it, or None (reported) when it is no folder
        any more: a symbolic link swapped in is never followed."""
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                self._report(folder, "never followed: a symbolic link, not a folder")
            else:
                self._report(folder, _failed("open", error))
            return None
        opened.callback(os.close, fd)
        return fd

    def _report(self, path: Path, problem: str) -> None:
        """Warn of ``problem`` with ``path`` once while it lasts."""
        if self._problems.get(path) != problem:
            self._problems[path] = problem
            log.warning("%r: %s", str(path), problem)

    @staticmethod
    def _settle(folders: list[Path], markers: list[Path]) -> None:
        for folder in folders:
            fsync_directory(folder)
        for marker in markers:
            marker.unlink(missing_ok=True)

    def leftovers(self) -> list[Claimed]:
        """What is already in the work folder (a previous run stopped while processing it),
        whatever it is: a claim may have moved a link or a FIFO that replaced a file."""
        found: list[Claimed] = []
        if not self.work.exists():
            return found
        for folder in sorted(p for p in self.work.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                claimed = Claimed.from_work_path(path)
                if claimed is not None:
                    found.append(claimed)
        return found

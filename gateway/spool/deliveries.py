"""Delivering ``outbox/<partner>/`` confirmed and once: the steps every channel takes, with the
ledger's ``deliveries`` rows saying how far each file got.

Per file (regular files, oldest first; dotfiles, ``*.tmp``, ``*.part``... are being written):

1. :meth:`Deliveries.start`: its sha256 and size are recorded (a ``pending`` row), unless a
   delivery of it is under way already (same name and bytes, not ``filed``: a crash came);
2. the channel checks that the name is free at the partner's side (a file there is never
   overwritten), marks the row ``placing`` (:meth:`Deliveries.placing`), and puts the file
   there whole; after a crash, a ``placing`` file found there with the same bytes is this one;
3. :meth:`Deliveries.confirm`: the row is ``sent`` (the partner has it: the delivery is
   complete, :meth:`gateway.ports.Channel.delivered`);
4. :meth:`Deliveries.file_away`: the local file moves to ``outbox/<partner>/sent/`` (a name
   already there gets ``.<delivery id>``) under the folder's lock (:func:`.writing.folder_lock`),
   and the row is ``filed``.

A failed file waits (``retry_initial`` doubling to ``retry_max``, :meth:`Deliveries.failed`)
while the others go on; its attempts and last error are in its row.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ..ledger import transfers
from ..ledger.transfers import DeliveryRow, DeliveryState
from .claims import fsync_directory
from .writing import SENT_FOLDER, folder_lock

IGNORE = ("*.tmp", "*.part", "*.partial", "~*")
"""Outbox files being written (besides dotfiles): never delivered."""
CHUNK = 1 << 20


class Deliveries:
    """The deliveries of one partner's outbox folder ``folder`` through one channel."""

    def __init__(
        self,
        partner: str,
        folder: Path,
        ledger: sessionmaker[Session],
        *,
        retry_initial: float,
        retry_max: float,
        clock: Callable[[], float],
    ) -> None:
        self.partner = partner
        self.folder = folder
        self.sent_folder = folder / SENT_FOLDER
        self.ledger = ledger
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.clock = clock
        self._retry_at: dict[str, tuple[float, int]] = {}
        """name -> (when to try again, failures in a row)"""

    def pending(self) -> list[Path]:
        """The files to deliver, oldest first."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        found = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or any(fnmatch.fnmatch(name, p) for p in IGNORE):
                continue
            if entry.is_file(follow_symlinks=False):
                found.append((entry.stat(follow_symlinks=False).st_mtime, name))
        return [self.folder / name for _, name in sorted(found)]

    def due(self, path: Path) -> bool:
        """False while a failed file waits for its retry time."""
        retry = self._retry_at.get(path.name)
        return retry is None or self.clock() >= retry[0]

    def start(self, path: Path, remote_path: str) -> DeliveryRow | None:
        """Step 1: the delivery of ``path`` (recorded now, or under way since an earlier run);
        None when the file is gone."""
        try:
            sha256, size = digest(path)
        except FileNotFoundError:
            return None
        with self.ledger.begin() as s:
            row = transfers.delivery_of(s, self.partner, path.name, sha256)
            if row is None:
                row = transfers.record_delivery(
                    s,
                    partner=self.partner,
                    local_name=path.name,
                    sha256=sha256,
                    size=size,
                    remote_path=remote_path,
                )
        return row

    def placing(self, row: DeliveryRow) -> None:
        """The file is being given its final name (free when checked): after a crash, a file
        there with its bytes is this delivery's."""
        if row.state is not DeliveryState.PLACING:
            with self.ledger.begin() as s:
                transfers.set_delivery_state(s, row.id, DeliveryState.PLACING)

    def not_placed(self, row: DeliveryRow) -> None:
        """The partner's side refused the final name: the file is not there."""
        with self.ledger.begin() as s:
            transfers.set_delivery_state(s, row.id, DeliveryState.PENDING)

    def confirm(self, row: DeliveryRow) -> None:
        """Step 3: the partner has the file under its final name, whole."""
        with self.ledger.begin() as s:
            transfers.delivery_attempted(s, row.id, None)
            transfers.mark_sent(s, row.id)
        self._retry_at.pop(row.local_name, None)

    def failed(self, row: DeliveryRow, reason: str) -> float:
        """Count a failed attempt (its reason in the row); the seconds until the next."""
        with self.ledger.begin() as s:
            transfers.delivery_attempted(s, row.id, reason)
        failures = self._retry_at.get(row.local_name, (0.0, 0))[1] + 1
        delay: float = min(self.retry_max, self.retry_initial * 2.0 ** (failures - 1))
        self._retry_at[row.local_name] = (self.clock() + delay, failures)
        return delay

    def file_away(self, path: Path, row: DeliveryRow) -> None:
        """Step 4: a confirmed file moves to ``sent/``; its delivery is over (``filed``)."""
        self.sent_folder.mkdir(parents=True, exist_ok=True)
        with folder_lock(self.folder), contextlib.suppress(FileNotFoundError):
            target = self.sent_folder / path.name
            if os.path.lexists(target):
                target = self.sent_folder / f"{path.name}.{row.id}"
            os.rename(path, target)
            fsync_directory(self.sent_folder)
            fsync_directory(self.folder)
        with self.ledger.begin() as s:
            transfers.set_delivery_state(s, row.id, DeliveryState.FILED)


def digest(path: Path) -> tuple[str, int]:
    """The file's sha256 and size."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size

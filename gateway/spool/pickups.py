"""Bringing a partner's file into ``inbox/<partner>/`` so that it is never lost nor doubled: the
steps every channel takes, with the ledger's ``remote_pickups`` rows saying how far each got.

1. the channel copies the file into a dotfile ``inbox/<partner>/.<kind>-<uuid>.part`` (the
   folder watcher ignores dotfiles), fsyncs it, and fsyncs the folder (:meth:`Pickups.temp`);
2. :meth:`Pickups.record`: the pickups are recorded (partner, where it was, size, mtime,
   sha256, names), ``downloaded``, in one commit;
3. :meth:`Pickups.into_inbox`: each is hard-linked under its final name (never over another
   file: a name in use gets ``.<id>`` before its extension), the folder fsynced, the dotfiles
   removed, the folder fsynced; one commit marks them ``delivered``;
4. only then does the channel remove, move or keep the file at the partner's side, and
   :meth:`Pickups.finish` marks them ``done`` (or notes why not: retried next run).

After a crash, :meth:`Pickups.settle` (no partner needed) moves a recorded download still in its
dotfile into the inbox and removes the dotfiles the ledger does not know (interrupted copies);
:meth:`Pickups.unfinished` are the files whose action at the partner's side is still to do.
:meth:`Pickups.taken_before` says which files were taken already (same place, size and mtime),
so that a file kept at the partner's side, or waiting for its removal, is not taken twice.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ..errors import GatewayError
from ..ledger import transfers
from ..ledger.transfers import NewPickup, PickupChange, PickupRow, PickupState
from .claims import fsync_directory

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".part"

Key = tuple[str, int, int]
"""Where a file is at the partner's side, its size and its mtime: one pickup."""


class NoFreeName(GatewayError):
    """Every name tried for a file in the inbox is another file's."""


class Pickups:
    """The recorded pickups of one partner's channel into ``folder`` (``inbox/<partner>/``)."""

    def __init__(
        self, partner: str, folder: Path, ledger: sessionmaker[Session], *, kind: str
    ) -> None:
        self.partner = partner
        self.folder = folder
        self.ledger = ledger
        self.prefix = f".{kind}-"
        """The channel's dotfiles: :meth:`settle` removes only its own."""

    def temp(self) -> Path:
        """A new dotfile in the inbox folder to copy a file into (made by the caller)."""
        return self.folder / f"{self.prefix}{uuid.uuid4().hex}{TEMP_SUFFIX}"

    def settle(self) -> None:
        """Recorded downloads still in their dotfile go into the inbox; dotfiles the ledger does
        not know (interrupted copies) are removed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.ledger.begin() as s:
            recorded = transfers.pickups_in_state(s, self.partner, [PickupState.DOWNLOADED])
        if recorded:
            self.into_inbox(recorded)
        for temp in self.folder.glob(f"{self.prefix}*{TEMP_SUFFIX}"):
            log.info("partner %s: removing an interrupted download %s", self.partner, temp.name)
            temp.unlink(missing_ok=True)

    def taken_before(self, keys: Sequence[Key], *, keep: bool) -> set[Key]:
        """The files of ``keys`` taken already: waiting for their action at the partner's side,
        or (``keep``: they stay there) taken at all. A file removed after we took it and sent
        again under the same name, size and mtime is new."""
        with self.ledger.begin() as s:
            taken = transfers.newest_pickups(s, self.partner, list(keys))
        return {key for key, row in taken.items() if row.state is not PickupState.DONE or keep}

    def record(self, pickups: Sequence[NewPickup]) -> list[PickupRow]:
        """Step 2: the copies (complete in their fsynced dotfiles, the folder fsynced) are
        recorded, in one commit; their rows, in order."""
        with self.ledger.begin() as s:
            return transfers.record_pickups(s, self.partner, pickups)

    def into_inbox(self, rows: Sequence[PickupRow]) -> list[str]:
        """Step 3: recorded downloads take their final names (never over another file), then are
        marked delivered; their names."""
        names = [self._link(row) for row in rows]
        fsync_directory(self.folder)
        for row in rows:
            (self.folder / row.temp_name).unlink(missing_ok=True)
        fsync_directory(self.folder)
        with self.ledger.begin() as s:
            transfers.set_pickup_states(
                s,
                [
                    PickupChange(row.id, PickupState.DELIVERED, local_name=name)
                    for row, name in zip(rows, names, strict=True)
                ],
            )
        return names

    def unfinished(self) -> list[PickupRow]:
        """Pickups in the inbox whose action at the partner's side is still to do."""
        with self.ledger.begin() as s:
            return transfers.pickups_in_state(s, self.partner, [PickupState.DELIVERED])

    def finish(self, changes: Sequence[PickupChange]) -> None:
        """Step 4's outcome: ``done``, or ``delivered`` still with the reason in its detail."""
        with self.ledger.begin() as s:
            transfers.set_pickup_states(s, changes)

    def _link(self, row: PickupRow) -> str:
        """A hard link to the dotfile under the pickup's final name (or a free variant)."""
        temp = self.folder / row.temp_name
        try:
            linked_before = temp.stat().st_nlink > 1
        except FileNotFoundError:
            return row.local_name  # done before an interruption: the dotfile is gone only so
        name = row.local_name
        for attempt in range(1000):
            target = self.folder / name
            if linked_before and not os.path.lexists(target):
                # linked before an interruption, and claimed from the inbox since (the folder
                # watcher renames it away; the dotfile still shares its inode): never again
                return name
            try:
                os.link(temp, target)
                return name
            except FileExistsError:
                if os.path.samefile(temp, target):
                    return name  # linked before an interruption
            stem, dot, suffix = row.local_name.rpartition(".")
            tag = f"{row.id}" if attempt == 0 else f"{row.id}-{attempt}"
            name = f"{stem}.{tag}.{suffix}" if dot and stem else f"{row.local_name}.{tag}"
        raise NoFreeName(f"partner {self.partner}: no free name in {self.folder} for {name}")

"""Claims: a file taken from ``inbox/<partner>/`` is renamed into ``work/<partner>/`` under a
claim id (``<claim id>__<name>``), and is the pipeline's from then on.

:class:`Claimed` names such a file; :class:`Claim` is a batch just claimed, whose folders are
being synced in the background (:meth:`Claim.durable` waits for them before anything records the
files).
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

CLAIM_SEPARATOR = "__"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A file claimed into the work folder."""

    partner: str
    name: str
    """The name the partner gave it."""
    path: Path
    """Where it is now: work/<partner>/<claim id>__<name>."""
    claim_id: str
    fresh: bool = False
    """Claimed just now by :meth:`~.inbox.FolderSource.claim`, under a new claim id: it cannot
    be in the ledger yet, so recording it needs no lookup. A file found in the work folder, or tried
    before, may be recorded already."""

    @classmethod
    def from_work_path(cls, path: Path) -> Claimed | None:
        claim_id, sep, name = path.name.partition(CLAIM_SEPARATOR)
        if not sep or not name:
            return None
        return cls(path.parent.name, name, path, claim_id)


@dataclass(frozen=True, slots=True)
class Claim:
    """Files just renamed into the work folder by :meth:`~.inbox.FolderSource.claim`, their
    folders being synced (and their done-markers removed) in the background."""

    files: list[Claimed]
    synced: Future[None]

    def durable(self) -> list[Claimed]:
        """The files, once their renames are on disk: call it before recording them (a record
        may not name a work path that a power cut could undo)."""
        self.synced.result()
        return self.files


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

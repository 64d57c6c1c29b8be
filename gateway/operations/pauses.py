"""Pause and resume a partner: while paused, the daemon takes none of its files from
``inbox/<partner>/`` (they wait there) and runs none of its channels (nothing collected from
it, nothing delivered to it); resumed, it takes them again.

A pause is a flag file, ``var/paused/<partner>.json`` under the home (who paused it, when,
why), so that it holds across restarts and needs no schema: written whole under a temporary
name, then linked into place (``link`` fails on a name taken: a pause never replaces another);
a resume removes it. The daemon looks at the folder every :data:`LOOK_EVERY` seconds
(:class:`PauseWatch`), says each change in its log and its STATUS line. Each pause and resume
is an event of the ledger too (no file, no document: ``detail["partner"]``), with who did it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from .. import ledger
from ..config import Settings
from ..spool.inbox import PARTNER_NAME
from . import ActionRefused

log = logging.getLogger("gateway.runtime.daemon")
FOLDER = Path("var/paused")
"""Where the flags are, under the home."""
LOOK_EVERY = 1.0
"""Seconds between two looks of the daemon at :data:`FOLDER`."""


@dataclasses.dataclass(frozen=True, slots=True)
class Pause:
    partner: str
    by: str
    at: str
    reason: str

    def sentence(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"partner {self.partner} paused by {self.by} at {self.at}{why}"

    def say(self) -> None:
        """The daemon's log line of it (at the start, and when paused)."""
        log.warning(
            "partner %s PAUSED by %s at %s, its files held in the inbox, its channels not "
            "run, until resumed%s",
            self.partner,
            self.by,
            self.at,
            f": {self.reason}" if self.reason else "",
        )


def folder(settings: Settings) -> Path:
    return settings.path(FOLDER)


def _flag(where: Path, partner: str) -> Path:
    if not PARTNER_NAME.fullmatch(partner):
        raise ActionRefused(f"{partner!r} is no partner's name")
    return where / f"{partner}.json"


def paused(where: Path) -> dict[str, Pause]:
    """The partners paused now (a flag that cannot be read counts as a pause by nobody)."""
    found: dict[str, Pause] = {}
    try:
        names = sorted(os.listdir(where))
    except FileNotFoundError:
        return found
    for name in names:
        partner = name.removesuffix(".json")
        if name.startswith(".") or not name.endswith(".json"):
            continue
        if not PARTNER_NAME.fullmatch(partner):
            continue
        try:
            data = json.loads((where / name).read_text())
            found[partner] = Pause(partner, str(data["by"]), str(data["at"]), str(data["reason"]))
        except FileNotFoundError:
            continue  # resumed meanwhile
        except (OSError, ValueError, KeyError, TypeError):
            found[partner] = Pause(partner, "?", "?", f"unreadable flag {where / name}")
    return found


def pause(
    factory: sessionmaker[Session], settings: Settings, partner: str, *, by: str, reason: str = ""
) -> Pause:
    """Pause ``partner``; :class:`ActionRefused` when it is paused already (by whom)."""
    where = folder(settings)
    flag = _flag(where, partner)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    made = Pause(partner, by, now, " ".join(reason.split())[:500])
    where.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(prefix=f".{partner}.", suffix=".tmp", dir=where)
    try:
        os.fchmod(descriptor, 0o644)  # the console may run as another user
        with os.fdopen(descriptor, "w") as out:
            json.dump(dataclasses.asdict(made), out)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, flag)
        except FileExistsError:
            earlier = paused(where).get(partner)
            said = earlier.sentence() if earlier else f"partner {partner} is paused"
            raise ActionRefused(f"already paused: {said}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    _sync(where)
    _record(factory, "partner.paused", made.sentence(), partner, by, made.reason)
    return made


def resume(factory: sessionmaker[Session], settings: Settings, partner: str, *, by: str) -> Pause:
    """Resume ``partner``; the pause it ends. :class:`ActionRefused` when it is not paused."""
    where = folder(settings)
    flag = _flag(where, partner)
    earlier = paused(where).get(partner)
    try:
        os.unlink(flag)
    except FileNotFoundError:
        raise ActionRefused(f"partner {partner} is not paused") from None
    _sync(where)
    was = f" (paused by {earlier.by} at {earlier.at})" if earlier else ""
    _record(factory, "partner.resumed", f"partner {partner} resumed by {by}{was}", partner, by)
    return earlier or Pause(partner, "?", "?", "")


def _sync(where: Path) -> None:
    fd = os.open(where, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _record(
    factory: sessionmaker[Session],
    kind: str,
    message: str,
    partner: str,
    by: str,
    reason: str = "",
) -> None:
    with factory.begin() as s:
        detail = {"by": by, "partner": partner, **({"reason": reason} if reason else {})}
        ledger.add_event(s, kind=kind, message=message, detail=detail)


class PauseWatch:
    """The daemon's look at the pauses: :attr:`now` the partners paused, :meth:`look` whether
    that changed since the last look (at most every ``every`` seconds)."""

    def __init__(self, where: Path, every: float = LOOK_EVERY) -> None:
        self.where = where
        self.every = every
        self.now = paused(where)
        self._looked = time.monotonic()

    def look(self) -> bool:
        """Whether partners were paused or resumed since the last look, each said in the log."""
        if time.monotonic() - self._looked < self.every:
            return False
        self._looked = time.monotonic()
        before, self.now = self.now, paused(self.where)
        for partner, pause in self.now.items():
            if partner not in before:
                pause.say()
        for partner in before.keys() - self.now.keys():
            log.warning("partner %s RESUMED: its files and channels are taken again", partner)
        return before.keys() != self.now.keys()

"""Partner profiles and mappings reloaded without a restart: on SIGHUP (``systemctl reload``)
or when a file under the home's ``mappings/`` changes (checked every :data:`CHECK_EVERY`
seconds from the main loop).

A reload reads every profile again, as at the start: a bad profile disables its partner only
(its files stay in the inbox, its requests are refused), a fixed one enables it again (its held
files are taken, and a request refused meanwhile goes through when it arrives again). The
pipelines take the new profiles and formats at their next batch; the channels are restarted
only when a partner's channel settings changed. When the profiles cannot be loaded at all (the
folder cannot be read), those loaded before stay, and the log says why. Mappings a profile names
are read again with it; those used to write documents are read again when their file changes
(:func:`adapters.formats.mappings.until_changed`).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..fulfilment.hooks import with_order_checks
from ..partner_formats import PartnerFormats
from ..partners import PARTNERS_DIR, load_partners_apart
from .channels import ChannelSchedule

if TYPE_CHECKING:
    from .daemon import Gateway

log = logging.getLogger(__name__)

CHECK_EVERY = 2.0
"""Seconds between two looks at the mappings folder for a change."""

Version = frozenset[tuple[str, int, int]]


class ProfileWatch:
    """Says when the profiles are due to be reloaded: asked for (SIGHUP), or a change in the
    ``*.toml`` files under ``folder`` (added, removed, rewritten)."""

    def __init__(self, folder: Path, every: float = CHECK_EVERY) -> None:
        self.folder = folder
        self.every = every
        self._asked = threading.Event()
        self._seen = self._version()
        self._looked = time.monotonic()

    def ask(self) -> None:
        """Reload at the next turn of the main loop (safe in a signal handler)."""
        self._asked.set()

    def due(self) -> bool:
        if self._asked.is_set():
            self._asked.clear()
            self._seen = self._version()
            return True
        if time.monotonic() - self._looked < self.every:
            return False
        self._looked = time.monotonic()
        version = self._version()
        changed, self._seen = version != self._seen, version
        return changed

    def _version(self) -> Version:
        found: set[tuple[str, int, int]] = set()
        try:
            for path in self.folder.rglob("*.toml"):
                try:
                    stat = path.stat()
                except OSError:
                    continue  # gone meanwhile: the next look sees it gone
                found.add((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            pass  # the folder cannot be listed: the reload says why
        return frozenset(found)


def say_disabled(partner: str, why: str) -> None:
    """The log line of a partner whose profile is bad (at the start, or found by a reload)."""
    log.error(
        "partner %s DISABLED, its files held in the inbox, its requests refused, until its "
        "profile is fixed: %s",
        partner,
        why,
    )


def reload_partners(gateway: Gateway) -> bool:
    """Read the partners' profiles again and hand them to the daemon's parts; whether it did
    (see the module's docstring)."""
    settings, registry = gateway.settings, gateway.registry
    if registry is None:  # a daemon put together without one reads no profiles
        return False
    folder = settings.path(PARTNERS_DIR)
    try:
        profiles, disabled = load_partners_apart(folder, registry)
        formats = PartnerFormats.of(registry, profiles)
        channels = ChannelSchedule.of(registry, settings, gateway.pipeline.factory, profiles)
    except Exception as error:  # never the end of the daemon: what it had stays
        log.error("partner profiles NOT reloaded, those loaded before stay: %s", error)
        gateway.measures.record_reload(False)
        return False
    found = [partner for partner, why in disabled.items() if gateway.disabled.get(partner) != why]
    for partner in found:
        say_disabled(partner, disabled[partner])
    for partner in gateway.disabled.keys() - disabled.keys():
        log.warning("partner %s enabled again: its profile is good", partner)
    pipeline = gateway.pipeline
    pipeline.parser = formats
    pipeline.on_document = with_order_checks(formats.on_document)
    pipeline.policies = {name: profile.inbound_policy for name, profile in profiles.items()}
    if gateway.outbound is not None:
        gateway.outbound.use(profiles, formats)
    gateway.formats, gateway.disabled = formats, disabled
    if channels.settings() != gateway.channels.settings():
        channels.hold(frozenset(gateway.paused))  # before its first runs
        gateway.channels.stop()
        gateway.channels = channels
        channels.start()
    gateway.hold()  # the partners disabled now, and those paused
    gateway.measures.record_reload(True, found)
    log.info(
        "partner profiles reloaded: %d partner(s)%s",
        len(profiles),
        f", {len(disabled)} DISABLED (bad profile)" if disabled else "",
    )
    return True

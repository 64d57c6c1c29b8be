"""What the daemon tells systemd, by its documented notification protocol (``sd_notify(3)``: a
datagram of ``KEY=value`` lines to the socket ``$NOTIFY_SOCKET`` names), for a ``Type=notify``
unit with ``WatchdogSec=``:

- ``READY=1`` once the ledger is at its head migration, the inbox is watched and the relay is
  started (connected, or buffering while the broker is away);
- ``STATUS=`` lines saying what it is doing: the files taken, the outbox backlog, the broker;
- ``WATCHDOG=1`` only while its work really moves: sent from the main loop, and only when the
  relay's own loop has beaten lately (:class:`Watchdog`), so a hung main loop or relay stops the
  pings and systemd restarts the daemon;
- ``STOPPING=1`` when a stop is asked for (the graceful drain follows).

Without ``$NOTIFY_SOCKET`` (not under systemd, or ``run --once``) nothing is sent.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

STATUS_EVERY = 10.0
"""Seconds between the STATUS lines sent to systemd."""


class Notifier:
    """The daemon's end of the protocol; a no-op without ``$NOTIFY_SOCKET``."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        """Where to send (an abstract socket's name starts with a NUL)."""
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        mine = not pid or (pid.isdigit() and int(pid) == os.getpid())
        self.watchdog: float | None = int(usec) / 1e6 if usec.isdigit() and mine else None
        """The watchdog's interval in seconds (None: no watchdog)."""
        self._failed = False

    def send(self, *lines: str) -> None:
        if not self.address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(lines).encode(), self.address)
        except OSError as error:
            if not self._failed:  # said once: systemd may be restarting
                log.warning("cannot notify systemd at %s: %s", self.address, error)
            self._failed = True

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping: finishing the batch in hand")


class Watchdog:
    """``WATCHDOG=1`` from real progress: :meth:`main_loop_beat` is called by the main loop
    each time round; it pings at half the watchdog's interval, and only when the relay's loop
    has beaten within that half too (``relay_beat``: the monotonic time of its last beat, None
    when it does not run)."""

    def __init__(self, notifier: Notifier, relay_beat: Callable[[], float | None]) -> None:
        self.notifier = notifier
        self.relay_beat = relay_beat
        self._sent = 0.0
        self._silent_relay = False

    def main_loop_beat(self) -> None:
        interval = self.notifier.watchdog
        if interval is None:
            return
        now = time.monotonic()
        if now - self._sent < interval / 2:
            return
        relay = self.relay_beat()
        if relay is not None and now - relay > interval / 2:
            if not self._silent_relay:
                log.error(
                    "the outbox relay's loop is silent for %.0f s: no watchdog ping", now - relay
                )
            self._silent_relay = True
            return
        self._silent_relay = False
        self._sent = now
        self.notifier.send("WATCHDOG=1")


class StatusLine:
    """The STATUS line, sent at most every :data:`STATUS_EVERY` seconds as the main loop goes
    round; ``describe`` says it, from the files taken since the start."""

    def __init__(self, notifier: Notifier, describe: Callable[[int], str]) -> None:
        self.notifier = notifier
        self.describe = describe
        self.files = 0
        self._sent = time.monotonic()

    def taken(self, count: int) -> None:
        self.files += count
        now = time.monotonic()
        if self.notifier.address and now - self._sent >= STATUS_EVERY:
            self._sent = now
            self.notifier.status(self.describe(self.files))

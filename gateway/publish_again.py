"""The commands that publish again what the ledger holds: ``replay`` (documents published
before, under their message ids) and ``retry`` (outbound requests refused for a cause since
fixed, :mod:`gateway.outbound.retry`).

Both queue the messages in the ledger's outbox first. A daemon running on the same home
publishes them with its relay; else the command does, waiting for the broker's confirms for at
most :data:`CONFIRM_WITHIN` seconds, with a progress bar on a terminal. Exit codes: 0 done
(or queued for the running daemon), 1 nothing of that id, 75 (EX_TEMPFAIL) messages the broker
did not confirm (they stay queued for the next relay).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from . import ledger as repository
from .config import Settings
from .exit_codes import EXIT_INVALID, EXIT_TEMPFAIL, EXIT_VALID
from .outbound import retry

CONFIRM_WITHIN = 60.0


def replay_command(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    document_id: str | None,
    partner: str | None,
    since: dt.datetime | None,
    dry_run: bool,
    out: TextIO,
) -> int:
    """Republish the documents published before (one, a partner's, or those since a time)."""
    with factory.begin() as s:
        rows = repository.documents_for_replay(
            s, document_id=document_id, partner=partner, since=since
        )
        if document_id and not rows:
            print(f"edi-gateway: no published message of {document_id}", file=sys.stderr)
            return EXIT_INVALID
        for row in rows:
            out.write(f"{row.message_id}  {row.routing_key}\n")
        if dry_run or not rows:
            out.write(f"{len(rows)} message(s) {'would be ' if dry_run else ''}republished\n")
            return EXIT_VALID
        repository.reset_for_replay(s, [row.id for row in rows])
    return publish_queued(settings, factory, len(rows), "republished", out)


def retry_command(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    request_id: str | None,
    partner: str | None,
    dry_run: bool,
    out: TextIO,
) -> int:
    """Send again the refused requests of this id, or of this partner."""
    with factory.begin() as s:
        rows = retry.refused(s, request_id=request_id, partner=partner)
        if request_id is not None and not rows:
            print(f"edi-gateway: no refused request {request_id}", file=sys.stderr)
            return EXIT_INVALID
        for row in rows:
            reason = (row.detail or {}).get("reason", "refused")
            out.write(f"{row.request_id}  {row.partner}  {row.kind}  was: {reason}\n")
        if dry_run or not rows:
            out.write(f"{len(rows)} request(s) {'would be ' if dry_run else ''}sent again\n")
            return EXIT_VALID
        done = retry.queue_again(s, rows)
    for row, why in done.unsendable:
        print(f"edi-gateway: {row.request_id} not sent again: {why}", file=sys.stderr)
    if not done.queued:
        return EXIT_INVALID
    return publish_queued(settings, factory, len(done.queued), "sent again", out)


def publish_queued(
    settings: Settings, factory: sessionmaker[Session], count: int, what: str, out: TextIO
) -> int:
    """Publish the ``count`` messages just queued: by the running daemon's relay, else here."""
    from .bus.relay import OutboxRelay
    from .errors import HomeBusy
    from .progress import watched
    from .runtime.home_lock import home_lock

    try:  # a running daemon's relay publishes them: two relays would send each twice
        with home_lock(settings.path(settings.work)):
            relay = OutboxRelay(factory, amqp_url=settings.amqp_url, window=settings.publish_window)
            with watched(f"{what}:", count, lambda: relay.stats.published):
                sent = relay.drain_once(timeout=CONFIRM_WITHIN)
    except HomeBusy as busy:
        out.write(f"{count} message(s) queued again; {busy.who} running publishes them\n")
        return EXIT_VALID
    out.write(f"{sent} message(s) {what}\n")
    if sent < count:
        print(
            f"edi-gateway: {count - sent} message(s) not confirmed by the broker within "
            f"{CONFIRM_WITHIN:.0f} s (is it reachable?): they stay queued for the daemon's relay",
            file=sys.stderr,
        )
        return EXIT_TEMPFAIL
    return EXIT_VALID

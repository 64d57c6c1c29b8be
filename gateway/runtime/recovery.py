"""Files left in the work folder (a crash, a failure) processed again, one bad file never holding
back the others nor stopping the daemon.

:func:`recover_leftovers` finishes what the ledger says is pending, then processes the leftovers
together (after a crash they are a batch or two). When that fails it takes them one at a time,
as the main loop does, and a file that fails alone is:

- left where it is and tried again later (the daemon's :class:`~.retries.RetrySchedule` backs
  off) when the cause is outside it (:func:`cause_is_outside`: the ledger busy, the disk, a
  worker pool broken by another file), the others tried meanwhile; when the ledger cannot be
  reached at all, none can be processed, and the recovery stops until the next retry;
- otherwise tried once more, and if it fails again, set aside in quarantine with the error as
  its reason (:meth:`~gateway.pipeline.Pipeline.set_aside`): a report beside it, its ledger row
  and timeline say why. Before, such a file (a text the database cannot store...) stayed in the
  work folder, failed every retry and, at start-up, ended the daemon at every restart.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from ..pipeline import Pipeline
from ..spool import Claimed

log = logging.getLogger(__name__)

ATTEMPTS_ALONE = 2
"""Times a file fails alone, for a cause of its own, before it is set aside."""
MAX_REASON = 2000
"""Characters of an error's text kept as a set-aside file's reason."""

_OUTSIDE = (
    OSError,  # the disk, a folder: the host's, not the file's
    sa_exc.OperationalError,  # connection lost, database locked, serialization failure...
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # the connection pool
    BrokenProcessPool,  # another file killed a worker (one that kills it alone gets a result)
)


class Outcome(enum.Enum):
    DONE = "processed, or set aside in quarantine"
    LATER = "left for a later retry: the cause is outside it"
    LEDGER_DOWN = "left for a later retry: the ledger cannot be reached"


def cause_is_outside(error: BaseException) -> bool:
    """Whether ``error`` is of a kind that speaks of the host or the database, not the file."""
    if isinstance(error, _OUTSIDE):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


def ledger_reachable(pipeline: Pipeline) -> bool:
    try:
        with pipeline.factory() as s:
            s.execute(sa.text("SELECT 1"))
    except Exception:
        return False
    return True


def recover_leftovers(pipeline: Pipeline, leftovers: Sequence[Claimed]) -> bool:
    """Finish what the ledger says is pending and process ``leftovers``; never raises. Returns
    whether it all went through (False: something is left to retry later)."""
    try:
        pipeline.recover(list(leftovers))
        return True
    except Exception:
        remaining = [claimed for claimed in leftovers if os.path.lexists(claimed.path)]
        if not remaining:
            log.exception("finishing files left by the last run failed; trying again later")
            return False
        log.exception(
            "recovering %d file(s) left in the work folder failed; trying them one at a time",
            len(remaining),
        )
    went_through = True
    for claimed in remaining:
        outcome = _process_alone(pipeline, claimed)
        if outcome is Outcome.LEDGER_DOWN:
            return False
        went_through &= outcome is Outcome.DONE
    try:
        pipeline.finish()
    except Exception:
        log.exception("finishing recovered files failed; trying again later")
        return False
    return went_through


def _process_alone(pipeline: Pipeline, claimed: Claimed) -> Outcome:
    """Process ``claimed`` alone, setting it aside when it keeps failing for a cause of its
    own."""
    reason = ""
    for attempt in range(1, ATTEMPTS_ALONE + 1):
        if not os.path.lexists(claimed.path):  # finished by the batch's attempt
            return Outcome.DONE
        try:
            pipeline.process([claimed])
            return Outcome.DONE
        except Exception as error:
            if not ledger_reachable(pipeline):
                log.exception("processing %s failed; the ledger cannot be reached", claimed.path)
                return Outcome.LEDGER_DOWN
            if cause_is_outside(error):
                log.exception("processing %s failed; it will be retried", claimed.path)
                return Outcome.LATER
            log.exception(
                "processing %s failed (attempt %d of %d alone)",
                claimed.path,
                attempt,
                ATTEMPTS_ALONE,
            )
            reason = _reason(error)
    try:
        pipeline.set_aside(claimed, reason)
    except Exception:
        log.exception("setting %s aside failed; it will be retried", claimed.path)
        return Outcome.LATER
    log.error("%s set aside in quarantine: %s", claimed.path, reason)
    return Outcome.DONE


def _reason(error: BaseException) -> str:
    """The error as a person reads it, in text any ledger stores (no lone surrogates)."""
    text = f"{type(error).__name__}: {error}"
    if len(text) > MAX_REASON:
        text = text[:MAX_REASON] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")

"""Named crash points for the crash tests.

``EDIGW_CRASH_AT=after_commit`` makes the process kill itself with SIGKILL the first time it
reaches that point: the crash harness restarts it and checks that nothing was lost or done twice.
Points: ``after_claim`` (claimed, not recorded), ``after_record`` (recorded, not parsed),
``after_commit`` (documents and outbox committed, nothing published or moved),
``after_publish`` (confirmed by the broker, not yet marked published), ``after_archive``
(original moved, state not yet updated).
"""

from __future__ import annotations

import os
import signal

ENV = "EDIGW_CRASH_AT"
_TARGET = os.environ.get(ENV)


def crash_point(name: str) -> None:
    if name == _TARGET:
        os.kill(os.getpid(), signal.SIGKILL)

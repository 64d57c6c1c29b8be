"""``python -m tests.integration.sftp.exchange_once PROFILE HOME DATABASE_URL``: one exchange run
(settle, poll, deliver) of the partner in PROFILE, with ``HOME/inbox`` and ``HOME/outbox``; the
crash tests run it with ``EDIGW_CRASH_AT`` set. Prints the run's report.

For the batch crash tests: ``EDIGW_TEST_SFTP_BATCH_FILES=N`` makes a poll's batches N files, and
``EDIGW_TEST_CRASH_NTH=POINT:N`` kills the process (SIGKILL) the N-th time it reaches the pickup
crash point POINT (``EDIGW_CRASH_AT`` kills it the first time)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from adapters import REGISTRY
from adapters.channels.sftp import SftpChannel
from adapters.channels.sftp import source as sftp_source
from gateway.ledger import create_engine_for, migrate, session_factory
from gateway.partners import load_partner
from gateway.runtime import crashpoints
from tests.integration.sftp.helpers import exchange

BATCH_ENV = "EDIGW_TEST_SFTP_BATCH_FILES"
NTH_ENV = "EDIGW_TEST_CRASH_NTH"


def _test_settings() -> None:
    if os.environ.get(BATCH_ENV):
        sftp_source.BATCH_FILES = int(os.environ[BATCH_ENV])
    if os.environ.get(NTH_ENV):
        point, nth = os.environ[NTH_ENV].rsplit(":", 1)
        seen = [0]
        original = crashpoints.crash_point

        def crash_point(name: str) -> None:
            if name == point:
                seen[0] += 1
                if seen[0] == int(nth):
                    os.kill(os.getpid(), signal.SIGKILL)
            original(name)

        sftp_source.crash_point = crash_point  # type: ignore[attr-defined]


def main(profile_path: str, home: str, database_url: str) -> int:
    _test_settings()
    profile = load_partner(Path(profile_path), REGISTRY)
    channel = profile.settings("sftp", SftpChannel)
    assert channel is not None
    engine = create_engine_for(database_url)
    migrate(engine)
    report = exchange(channel, Path(home), session_factory(engine), partner=profile.name).run()
    print(report)
    return 0 if report.error is None else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

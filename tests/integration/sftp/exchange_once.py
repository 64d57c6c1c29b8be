"""``python -m tests.integration.sftp.exchange_once PROFILE HOME DATABASE_URL``: one exchange run
(settle, poll, deliver) of the partner in PROFILE, with ``HOME/inbox`` and ``HOME/outbox``; the
crash tests run it with ``EDIGW_CRASH_AT`` set. Prints the run's report."""

from __future__ import annotations

import sys
from pathlib import Path

from adapters.transport.sftp_schedule import PartnerExchange
from gateway.ledger import create_engine_for, migrate, session_factory
from gateway.partners import load_partner


def main(profile_path: str, home: str, database_url: str) -> int:
    profile = load_partner(Path(profile_path))
    assert profile.sftp is not None
    engine = create_engine_for(database_url)
    migrate(engine)
    exchange = PartnerExchange(
        profile.name,
        profile.sftp,
        inbox=Path(home) / "inbox",
        outbox=Path(home) / "outbox",
        ledger=session_factory(engine),
    )
    report = exchange.run()
    print(report)
    return 0 if report.error is None else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

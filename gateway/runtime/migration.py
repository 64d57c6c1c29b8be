"""The daemon's ledger brought to the newest schema in a process of its own (issue 26).

:func:`~gateway.ledger.migrate` loads alembic and its templates and highlighting (mako,
pygments: some 10 MB of modules and their objects) to migrate a ledger; loaded in the daemon,
they would stay for its whole life, though it migrates once, at its first start after an
upgrade (or on a new ledger). So :func:`migrate_apart` looks at the ledger's revision as the
daemon's own migration does (without alembic) and, when it is not the newest, runs the
migration in a child process (``python -m gateway.runtime.migration``, the ledger's address
given on its standard input, never its command line, which other users may read). Its log goes
where the daemon's goes; its failure is the daemon's, with the child's reason. The daemon's own
:func:`~gateway.ledger.migrate` then finds the ledger at the newest revision. A ledger in memory
(tests), which no other process can reach, is migrated in the daemon as before.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from ..ledger import database

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[2]
"""The folder the ``gateway`` package is in (the child imports it from there too)."""


def migrate_apart(engine: Engine, *, log_level: str = "INFO", log_format: str = "text") -> bool:
    """Migrate ``engine``'s ledger in a child process when it is not at the newest revision
    (see the module docstring); False when it was at it, or is in memory (migrated here, by the
    caller's :func:`~gateway.ledger.migrate`). :class:`RuntimeError` when the child failed."""
    url = engine.url
    if database.in_memory(url):
        return False
    with engine.connect() as connection:
        current = database.current_revisions(connection)
        connection.rollback()
    if current == database.newest_revision():
        return False
    order = {
        "url": url.render_as_string(hide_password=False),
        "log_level": log_level,
        "log_format": log_format,
    }
    paths = [str(_ROOT), *filter(None, [os.environ.get("PYTHONPATH", "")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    child = subprocess.run(
        [sys.executable, "-m", __name__],
        input=json.dumps(order),
        stdout=subprocess.PIPE,
        env=env,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        reason = child.stdout.strip() or f"the migrating process ended with {child.returncode}"
        raise RuntimeError(reason)
    return True


def main() -> int:
    """The child: the order (JSON: ``url``, ``log_level``, ``log_format``) read from standard
    input, the ledger migrated; the reason of a failure written to standard output (the
    parent's exception), its traceback logged."""
    from .logs import configure_logging

    order = json.loads(sys.stdin.read())
    configure_logging(order["log_level"], order["log_format"])
    engine = database.create_engine_for(order["url"])
    try:
        database.migrate(engine)
    except Exception as error:
        log.exception("migrating the ledger failed")
        print(str(error) or type(error).__name__, flush=True)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

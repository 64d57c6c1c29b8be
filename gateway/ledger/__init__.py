"""The ledger: what the gateway received, parsed, published and acknowledged, in SQL.

SQLite (WAL, synchronous=FULL) by default, PostgreSQL supported; schema managed by alembic
(:func:`migrate`). The repository functions are in :mod:`gateway.ledger.repository`.
"""

from __future__ import annotations

from .counters import LedgerCounter
from .database import autocommit_factory, create_engine_for, migrate, session_factory
from .repository import (
    AckRow,
    AckState,
    DocumentRow,
    DocumentState,
    EventRow,
    FileRow,
    FileState,
    OutboxRow,
    OutboxState,
    StatusReport,
)

__all__ = [
    "AckRow",
    "AckState",
    "DocumentRow",
    "DocumentState",
    "EventRow",
    "FileRow",
    "FileState",
    "LedgerCounter",
    "OutboxRow",
    "OutboxState",
    "StatusReport",
    "autocommit_factory",
    "create_engine_for",
    "migrate",
    "session_factory",
]

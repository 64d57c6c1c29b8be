"""SQLite's memory in a process with several ledger connections: bounded all together by its
soft heap limit (:data:`gateway.ledger.database.SQLITE_SOFT_HEAP_LIMIT`), not a page cache of
up to 2 MiB for each connection."""

from __future__ import annotations

import _sqlite3
import ctypes
import os
from pathlib import Path

from sqlalchemy import text

from gateway.ledger import create_engine_for
from gateway.ledger.database import SQLITE_SOFT_HEAP_LIMIT


def _sqlite_memory_used() -> int:
    """Bytes SQLite has allocated in this process now (``sqlite3_memory_used``)."""
    library = ctypes.CDLL(_sqlite3.__file__)  # the SQLite the sqlite3 module is linked with
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return int(library.sqlite3_memory_used())


def test_connections_share_a_bounded_cache(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE pages (id INTEGER PRIMARY KEY, body BLOB)"))
            for number in range(3000):  # some 12 MB, in pages of 4 kB
                connection.execute(
                    text("INSERT INTO pages VALUES (:id, :body)"),
                    {"id": number, "body": os.urandom(4000)},
                )
        connections = [engine.connect() for _ in range(4)]
        try:
            for connection in connections:
                limit = connection.exec_driver_sql("PRAGMA soft_heap_limit").scalar()
                assert limit == SQLITE_SOFT_HEAP_LIMIT
                total = connection.execute(text("SELECT sum(length(body)) FROM pages")).scalar()
                assert total == 3000 * 4000
            # four connections that each read every page: four caches of 2 MiB without the
            # limit (8 MiB and more), the limit and a little over it with
            assert _sqlite_memory_used() < SQLITE_SOFT_HEAP_LIMIT + (1 << 20)
        finally:
            for connection in connections:
                connection.close()
    finally:
        engine.dispose()

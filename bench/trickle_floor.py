"""The floor of a steady trickle: what the file system and SQLite cost per file, in a bare loop.

Whatever its code, a gateway that takes a file from a folder, records it durably before
anything is published or acknowledged, answers it with a 997 and archives it does at least
this for every file when files come one at a time (issue 26's trickle: 100 files/s, each file
alone, no waiting for the next):

- the claim: one rename out of the inbox, and a sync of both folders (the rename must be on
  disk before the ledger names the new path);
- the file read;
- one SQLite transaction (WAL, ``synchronous=FULL``: a commit that returned is on disk) that
  records the file and the message to publish, two rows with no secondary index;
- the 997: written under a temporary name, synced, given its name (a hard link: never in place
  of another file), the temporary name removed;
- the original renamed into the archive.

What can be shared by many files without delaying any of them is shared here too (as the
gateway shares it): the published marks are recorded 20 files at a time, the archive's and the
997 folder's syncs once per 100 files. One thread, no hand-over, no parse, no ORM: the CPU per
file is a floor no implementation on this machine and file system goes under. Add the broker's
floor (``bench/inbound_e2e.py`` prints a raw pika loop at the same rate, each message
confirmed before the next) for the floor of the whole gateway.

Run:  .venv/bin/python bench/trickle_floor.py [--files 1000] [--rate 100] [--dir /srv/edi]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from gateway.spool.claims import fsync_directory

BODY = 1300
"""Bytes of each message (a small 850's CloudEvent)."""
ACK = 250
"""Bytes of each 997."""
MARKS_EVERY = 20
"""Files whose published marks share one transaction (the relay gathers confirms 0.2 s)."""
SYNC_EVERY = 100
"""Files whose archive and 997 folder syncs are shared (the finisher runs once a second)."""


def trickle_floor(directory: Path, files: int = 1000, rate: float = 100.0) -> float:
    """CPU ms per file (user and system, this process) of the loop the module describes, at
    ``rate`` files/s, in a new folder under ``directory``."""
    home = Path(tempfile.mkdtemp(dir=directory, prefix="floor-"))
    inbox, work, archive, acks = (home / name for name in ("inbox", "work", "archive", "acks"))
    for folder in (inbox, work, archive, acks):
        folder.mkdir()
    for n in range(files):  # the partner's side: not counted
        (inbox / f"po{n:06d}.edi").write_bytes(b"ISA" + os.urandom(400))
    ledger = sqlite3.connect(home / "ledger.sqlite3", isolation_level=None)
    ledger.execute("PRAGMA journal_mode = WAL")
    ledger.execute("PRAGMA synchronous = FULL")
    ledger.execute("CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT, path TEXT, state TEXT)")
    ledger.execute(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY, file_id INT, body BLOB, state TEXT)"
    )
    body, ack = os.urandom(BODY), b"ISA" + b"x" * (ACK - 3)
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(files):
        time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        name = f"po{n:06d}.edi"
        os.rename(inbox / name, work / name)
        fsync_directory(inbox)
        fsync_directory(work)
        (work / name).read_bytes()
        ledger.execute("BEGIN IMMEDIATE")
        file_id = ledger.execute(
            "INSERT INTO files (name, path, state) VALUES (?, ?, 'processed')",
            (name, str(work / name)),
        ).lastrowid
        ledger.execute(
            "INSERT INTO outbox (file_id, body, state) VALUES (?, ?, 'pending')", (file_id, body)
        )
        ledger.execute("COMMIT")
        if n % MARKS_EVERY == MARKS_EVERY - 1:
            ledger.execute("UPDATE outbox SET state = 'published' WHERE state = 'pending'")
        temp = acks / f".{name}.997.tmp"
        with open(temp, "wb") as out:
            out.write(ack)
            out.flush()
            os.fsync(out.fileno())
        os.link(temp, acks / f"{name}.997")
        os.unlink(temp)
        os.rename(work / name, archive / name)
        if n % SYNC_EVERY == SYNC_EVERY - 1:
            for folder in (work, archive, acks):
                fsync_directory(folder)
    used = time.process_time() - cpu
    ledger.close()
    return used * 1000 / files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--dir", type=Path, help="where the loop's folders go (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        floor = trickle_floor(Path(directory), args.files, args.rate)
    print(
        f"trickle floor at {args.rate:.0f} files/s (claim and its syncs, read, one WAL commit, "
        f"a 997 written and synced, the original archived): {floor:.2f} ms of CPU per file"
    )


if __name__ == "__main__":
    main()

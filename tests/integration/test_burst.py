"""20,000 files dropped at once are all processed: the periodic rescan picks up whatever the
inotify watcher drops (its queue holds 16,384 events by default)."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

from tests.integration.support import gateway_process, small_850, write_settings
from tests.integration.test_crash import backlog

FILES = 20_000


def test_twenty_thousand_files_at_once_are_all_processed(tmp_path: Path) -> None:
    partner = f"burst{uuid.uuid4().hex[:8]}"
    config = write_settings(tmp_path, "sqlite:///var/ledger.sqlite3", rescan_interval=1.0)
    folder = tmp_path / "inbox" / partner
    folder.mkdir(parents=True)
    process = gateway_process(config, "run")
    try:
        time.sleep(2)  # the watcher is up: the burst hits inotify, not only the start-up scan
        for n in range(1, FILES + 1):
            (folder / f"b{n:06d}.edi").write_bytes(small_850(n))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if not any(folder.iterdir()) and backlog(tmp_path) == 0:
                break
            assert process.poll() is None
            time.sleep(1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    archived = list((tmp_path / "archive" / partner).rglob("*.edi"))
    assert len(archived) == FILES
    assert len(list((tmp_path / "outbox" / partner).glob("*.x12"))) == FILES

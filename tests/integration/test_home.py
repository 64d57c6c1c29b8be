"""The daemon's home, end to end on both ledgers: only files directly in a partner folder of the
inbox are taken (a link is never followed, a sub-folder never read, both reported once)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


def test_only_files_directly_in_a_partner_folder_are_taken_the_rest_reported_once(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """A partner folder that is a link to a folder elsewhere: before, its files were moved out
    of there and published as that partner's. Files in a sub-folder: before, neither taken nor
    reported."""
    config = write_settings(tmp_path, database_url)
    inbox = tmp_path / "inbox"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.edi").write_bytes(small_850(8401))
    inbox.mkdir()
    linked = inbox / f"{partner}-linked"
    linked.symlink_to(elsewhere)
    nested = inbox / partner / "uploads"
    nested.mkdir(parents=True)
    (nested / "nested.edi").write_bytes(small_850(8402))
    with bound_queue("edi.in.#") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, partner, "order.edi", small_850(8403))
            archive = tmp_path / "archive" / partner
            wait_for("the order to be archived", lambda: any(archive.rglob("*order.edi")))
            time.sleep(1.5)  # several rescans (every 0.2 s)
            assert process.poll() is None, daemon_output(config)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, daemon_output(config)
        numbers = [json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)]
    assert numbers == ["PO00008403"]
    assert (elsewhere / "secret.edi").read_bytes() == small_850(8401)
    assert (nested / "nested.edi").read_bytes() == small_850(8402)
    for folder in ("var/work", "archive", "quarantine"):
        assert not list((tmp_path / folder).rglob("*secret.edi")), folder
        assert not list((tmp_path / folder).rglob("*nested.edi")), folder
    logged = daemon_output(config)
    assert logged.count(f"{str(linked)!r}: never followed: a symbolic link") == 1, logged
    assert logged.count(f"{str(nested)!r}: never taken: 1 item(s) in a folder inside") == 1

"""A huge 856 whose parts are all committed, its document recorded and its item parts still
held ahead of it (they become its events only in the transaction that releases the file), is
killed before that transaction (``after_parts``): the restart reads the file again, holds
none of its parts twice, and publishes each part exactly once; nothing is left held. On SQLite
(the statements are the same on PostgreSQL, where ``test_huge_sets`` publishes such a set)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.support import bound_queue, daemon_output, drop, take_all, write_settings
from tests.integration.test_huge_sets import (
    LARGE,
    MOST,
    acknowledgements,
    assert_parse_message,
    events,
    huge_856,
    parts_left,
    run,
)


def test_a_kill_before_the_release_of_a_huge_set_and_a_restart_publish_each_part_once(
    tmp_path: Path, partner: str
) -> None:
    database_url = f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}"
    config = write_settings(tmp_path, database_url, large_file_size=LARGE, max_file_size=MOST)
    data = huge_856(tmp_path)
    drop(tmp_path / "inbox", partner, "asn.x12", data)
    with bound_queue(f"edi.in.856.{partner}") as (channel, queue):
        crashed = run(config, {"EDIGW_CRASH_AT": "after_parts"})
        assert crashed == -9, daemon_output(config)
        assert take_all(channel, queue) == []  # nothing before the file's release
        left = parts_left(database_url)  # the set's parts held ahead, its header held
        assert left["ahead"] > 5 and left["held"] == left["ahead"] + 1, left
        assert run(config) == 0, daemon_output(config)
        received = events(channel, queue)
    assert_parse_message(data, partner, received)
    [ack] = acknowledgements(tmp_path, partner)
    assert "AK5*A~" in ack
    left = parts_left(database_url)
    assert left == {"published": len(received), "ahead": 0}, left

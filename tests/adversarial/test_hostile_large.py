"""Hostile sizes: a huge element makes no huge report (issue 20, item 17). Each case: nothing
lost, nothing doubled, the rest keeps flowing, the cause visible."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from tests.integration.conftest import database_url, partner
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

__all__ = ["database_url", "partner"]


def _file_states(url: str, partner: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("select state from files where partner = :p"), {"p": partner}
            )
            return [state for (state,) in rows]
    except sa.exc.DBAPIError:  # no table yet: the daemon is migrating the ledger
        return []
    finally:
        engine.dispose()


def _peak_memory(pid: int) -> int:
    """The process's peak resident memory, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _details(url: str, partner: str) -> dict[str, list[object]]:
    """The JSON details the ledger keeps for ``partner``'s files, documents and their events."""
    engine = sa.create_engine(url)
    queries = {
        "files": "select detail from files where partner = :p",
        "documents": "select detail from documents where partner = :p",
        "events": "select e.detail from events e join files f on e.file_id = f.id "
        "where f.partner = :p",
    }
    try:
        with engine.connect() as connection:
            return {
                table: [row for (row,) in connection.execute(sa.text(query), {"p": partner})]
                for table, query in queries.items()
            }
    finally:
        engine.dispose()


REPORT_BOUND = 300_000
"""Bytes a file's report (and each ledger detail) stays under, whatever the file holds."""


def test_a_huge_element_is_quarantined_with_a_bounded_report_and_the_rest_flows(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """A 30 MB element: before, a 60 MB error.json, 60 MB in each of the file's detail, its
    event's and its document's, and the daemon at 680 MB (390 MB kept after)."""
    home = tmp_path
    size = 30_000_000
    huge = small_850(5151).replace(b"BEG*00*SA*PO00005151", b"BEG*00*SA*" + b"X" * size)
    config = write_settings(home, database_url)
    with bound_queue(f"edi.in.*.{partner}") as (channel, queue):
        daemon = gateway_process(config, "run")
        try:
            drop(home / "inbox", partner, "before.edi", small_850(5150))
            wait_for(
                "the first file to be archived",
                lambda: _file_states(database_url, partner) == ["archived"],
                timeout=120,
            )
            at_rest = _peak_memory(daemon.pid)
            drop(home / "inbox", partner, "huge.edi", huge)
            drop(home / "inbox", partner, "after.edi", small_850(5152))
            wait_for(
                "the three files to be settled",
                lambda: (
                    sorted(_file_states(database_url, partner))
                    == ["archived", "archived", "quarantined"]
                ),
                timeout=300,
            )
            peak = _peak_memory(daemon.pid)
            published: list[bytes] = []

            def both_published() -> bool:
                published.extend(body for _, body in take_all(channel, queue))
                return len(published) >= 2

            wait_for("two orders published", both_published, timeout=60)
        finally:
            daemon.terminate()
            daemon.wait(timeout=120)
    assert sorted(json.loads(body)["data"]["po_number"] for body in published) == [
        "PO00005150",
        "PO00005152",
    ]
    quarantine = home / "quarantine" / partner
    [kept] = quarantine.glob("*-huge.edi")
    assert kept.stat().st_size == len(huge)
    report_file = kept.with_name(kept.name + ".error.json")
    assert report_file.stat().st_size < REPORT_BOUND, report_file.stat().st_size
    report = json.loads(report_file.read_text())
    [finding] = [f for f in report["findings"] if f["code"] == "syntax.element_too_long"]
    assert finding["element"] == "BEG03" and finding["segment_position"] == 2
    assert finding["expected"] == "at most 22 characters"
    assert finding["found_length"] == size and f"…({size:,} characters)" in finding["message"]
    acks = sorted(ack.read_text() for ack in (home / "outbox" / partner).glob("997-*.x12"))
    assert len(acks) == 3 and sum("AK5*R*5~" in ack for ack in acks) == 1, acks
    details = _details(database_url, partner)
    for table, rows in details.items():
        for detail in rows:
            assert len(json.dumps(detail)) < REPORT_BOUND, (table, len(json.dumps(detail)))
    [failed] = [d for d in details["documents"] if d]
    assert "BEG03" in json.dumps(failed)
    grown = peak - at_rest
    print(f"daemon memory: {at_rest / 1e6:.0f} MB at rest, {grown / 1e6:.0f} MB more at peak")
    assert grown < 4 * size, daemon_output(config)

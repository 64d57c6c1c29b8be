"""What the daemon logs (issue 23): a line per lifecycle event of a file and its documents, with
the document, file and correlation ids; as text, or as JSON with the ids as fields; from the
configured level up."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.integration.support import (
    daemon_log,
    daemon_output,
    drop,
    gateway_process,
    small_850,
    wait_for,
    write_settings,
)


def run_with_one_order(
    tmp_path: Path, partner: str, *, log_level: str = "INFO", log_format: str = "text"
) -> str:
    tmp_path.mkdir(exist_ok=True)
    config = write_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        log_level=log_level,
        log_format=log_format,
    )
    process = gateway_process(config, "run")
    try:
        drop(tmp_path / "inbox", partner, "order.edi", small_850(9301))
        archive = tmp_path / "archive" / partner
        wait_for("the order to be archived", lambda: any(archive.rglob("*order.edi")))
        if log_level == "INFO":
            log = daemon_log(config)
            wait_for("its publication to be logged", lambda: "published" in log.read_text())
    finally:
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, daemon_output(config)
    return daemon_output(config)


def test_json_lines_carry_each_lifecycle_event_with_its_ids(tmp_path: Path, partner: str) -> None:
    output = run_with_one_order(tmp_path, partner, log_format="json")
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    events = {line["event"]: line for line in lines if line.get("logger") == "gateway.events"}
    assert {"received", "published"} <= set(events), sorted(events)
    published = events["published"]
    assert published["level"] == "INFO" and published["document_id"]
    assert published["correlation_id"] == events["received"]["correlation_id"]
    assert events["received"]["file_id"] and "time" in published


def test_text_lines_name_the_ids_and_the_level_filters(tmp_path: Path, partner: str) -> None:
    output = run_with_one_order(tmp_path / "info", partner)
    [published] = [line for line in output.splitlines() if "gateway.events: published" in line]
    assert " [document " in published and ", correlation " in published
    quiet = run_with_one_order(tmp_path / "warning", partner, log_level="WARNING")
    assert "gateway.events" not in quiet and " INFO " not in quiet

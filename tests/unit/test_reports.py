"""A file's report is bounded whatever its parser hands over (issue 20, item 17)."""

from __future__ import annotations

import json

from gateway.ports import ParsedDocument, ParseResult, Reply
from gateway.reports import (
    REPORT_BYTES,
    REPORT_DOCUMENTS,
    REPORT_FINDINGS,
    TEXT_LIMIT,
    error_report,
    file_summary,
)


def _finding(n: int, severity: str, text: str = "") -> dict[str, object]:
    return {"code": f"c{n}", "severity": severity, "segment_position": n, "message": text}


def _report(result: ParseResult) -> dict[str, object]:
    return error_report(file="f.edi", partner="p", sha256="0" * 64, claim_id="c", result=result)


def test_a_report_of_huge_findings_stays_under_its_bound_and_counts_what_it_left_off() -> None:
    result = ParseResult(
        findings=[_finding(n, "warning", "w" * 50_000) for n in range(5_000)]
        + [_finding(5_000 + n, "error", "e" * 50_000) for n in range(5_000)],
        left_off={"error": 1_000_000},
        documents=[
            ParsedDocument(f"doc{n}", "850", "1", "1", str(n), None, ("bad",)) for n in range(9_999)
        ],
    )
    report = _report(result)
    size = len(json.dumps(report))
    assert size < REPORT_BYTES + 50_000, size
    listed = report["findings"]
    assert isinstance(listed, list) and 0 < len(listed) <= REPORT_FINDINGS
    assert all(f["severity"] == "error" for f in listed)  # errors first
    assert all(len(f["message"]) < TEXT_LIMIT + 50 for f in listed)
    assert report["findings_left_off"] == {"warning": 5_000, "error": 1_005_000 - len(listed)}
    assert report["why"] == "1,005,000 error(s) found; see findings"
    assert len(report["documents"]) == REPORT_DOCUMENTS  # type: ignore[arg-type]
    assert report["documents_left_off"] == 9_999 - REPORT_DOCUMENTS


def test_a_report_lists_warnings_after_the_errors_in_the_order_of_the_file() -> None:
    result = ParseResult(
        findings=[_finding(1, "warning"), _finding(2, "error"), _finding(3, "warning")]
    )
    report = _report(result)
    assert [f["code"] for f in report["findings"]] == ["c1", "c2", "c3"]  # type: ignore[attr-defined]
    assert "findings_left_off" not in report


def test_a_file_summary_is_bounded_too() -> None:
    result = ParseResult(
        replies=[Reply(f"997-{n:09d}.x12", "") for n in range(70_000)],
        unreadable="u" * 10_000_000,
        left_off={"error": 7},
        findings=[_finding(1, "error")],
    )
    summary = file_summary(result, 0)
    assert len(json.dumps(summary)) < 10_000
    assert summary["replies_left_off"] == 70_000 - REPORT_DOCUMENTS
    assert summary["errors"] == 8
    assert summary["unreadable"].endswith("…(10,000,000 characters)")

"""What a finding quotes is bounded, whatever the input (issue 20, item 17)."""

from __future__ import annotations

import json

from adapters.formats.x12.findings import QUOTED, TEXT_LIMIT, Finding, Level, Severity, quote
from adapters.formats.x12.inbound import MAX_DOCUMENT_ERRORS, parse_x12
from adapters.formats.x12.report import MAX_FINDINGS, FileReport
from gateway.control_numbers import InMemoryCounter
from tests.integration.support import small_850

HUGE = 2_000_000


def _with_huge_po_number() -> bytes:
    return small_850(1).replace(b"BEG*00*SA*PO00000001", b"BEG*00*SA*" + b"X" * HUGE)


def test_a_finding_on_a_huge_element_quotes_its_start_and_length_and_still_says_where() -> None:
    result = parse_x12(_with_huge_po_number(), file_name="huge.edi", counter=InMemoryCounter())
    [finding] = [f for f in result.findings if f["code"] == "syntax.element_too_long"]
    assert finding["found"] == "X" * QUOTED and finding["found_length"] == HUGE
    assert finding["element"] == "BEG03" and finding["segment_position"] == 2
    assert finding["expected"] == "at most 22 characters"
    assert "…(2,000,000 characters)" in finding["message"]
    assert len(json.dumps(finding)) < 2 * QUOTED + 1000
    [document] = result.documents
    [line] = document.errors
    assert len(line) < 1000 and "…(2,000,000 characters)" in line and "BEG03" in line


def test_the_ak404_of_a_huge_bad_value_copies_its_first_99_characters() -> None:
    result = parse_x12(_with_huge_po_number(), file_name="huge.edi", counter=InMemoryCounter())
    [reply] = result.replies
    assert f"*5*{'X' * 99}~" in reply.text
    assert len(reply.text) < 1000


def test_any_text_a_finding_is_given_is_cut_with_its_length() -> None:
    finding = Finding(
        "x.y", "m" * (TEXT_LIMIT + 1), Level.ELEMENT, found="v" * 500, interchange="9" * 5000
    )
    assert finding.message == "m" * TEXT_LIMIT + f"…({TEXT_LIMIT + 1:,} characters)"
    assert finding.interchange == "9" * TEXT_LIMIT + "…(5,000 characters)"
    assert finding.found == "v" * QUOTED and finding.found_length == 500
    assert "…(500 characters)" in finding.describe()
    assert quote("short") == "'short'" and quote("z" * 101) == f"{'z' * 100!r}…(101 characters)"


def test_a_report_keeps_a_bounded_number_of_findings_of_each_severity_and_counts_the_rest() -> None:
    report = FileReport("many.edi")
    warning = Finding("w", "a warning", Level.SEGMENT, Severity.WARNING)
    error = Finding("e", "an error", Level.SEGMENT)
    report.add([warning] * (MAX_FINDINGS + 500))
    report.add([error] * 3)  # warnings before never crowd out the errors
    assert [f.code for f in report.findings].count("e") == 3
    assert report.left_off == {Severity.WARNING: 500}
    assert not any(f.code == "e" for f in report.findings[:MAX_FINDINGS])
    report.add([error] * (MAX_FINDINGS + 7))
    assert report.left_off == {Severity.WARNING: 500, Severity.ERROR: 10}
    assert report.has_errors
    assert report.to_dict()["findings_left_off"] == {"error": 10, "warning": 500}
    assert "10 error(s), 500 warning(s) more, left off" in report.to_text()


def test_a_file_of_thousands_of_bad_segments_yields_a_bounded_result() -> None:
    bad = 2 * MAX_FINDINGS + 100
    data = (
        small_850(2)
        .replace(b"CTT*1", b"ZZZ*1~\n" * bad + b"CTT*1")
        .replace(b"SE*5*", f"SE*{5 + bad}*".encode())
    )
    result = parse_x12(data, file_name="many.edi", counter=InMemoryCounter())
    assert result.has_errors
    errors = [f for f in result.findings if f["severity"] == "error"]
    assert len(errors) == MAX_FINDINGS and result.left_off == {"error": bad - MAX_FINDINGS}
    [document] = result.documents
    assert len(document.errors) == MAX_DOCUMENT_ERRORS
    assert f"and {bad - MAX_DOCUMENT_ERRORS + 1:,} more error(s)" in document.errors[-1]

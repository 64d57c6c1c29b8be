from __future__ import annotations

from typing import Any

from tests.conformance.corpus import COMPILED_TABLE, OTHER_TABLE, RESULT_TABLE


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULT_TABLE:
        terminalreporter.section("X12 corpus conformance: one line per file")
        for line in RESULT_TABLE:
            terminalreporter.write_line(line)
    if COMPILED_TABLE:
        terminalreporter.section("Compiled validator against pyx12: one line per file")
        terminalreporter.write_line(f"{'file':70} {'sets':>4} {'findings':>5} equal")
        for line in COMPILED_TABLE:
            terminalreporter.write_line(line)
    if OTHER_TABLE:
        terminalreporter.section("Flat file and XML corpus: one line per file")
        for line in OTHER_TABLE:
            terminalreporter.write_line(line)

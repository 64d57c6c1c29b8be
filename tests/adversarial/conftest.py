"""The adversarial suite: hostile requests, files, partners and brokers, end to end.

Each case proves the same four things: nothing is lost, nothing is doubled, the rest keeps
flowing, and the cause is visible (ledger, report, log or event). No case here may be skipped or
expected to fail: a skip or an xfail is turned into a failure, so that a later change cannot
quietly switch a case off.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped or hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: the adversarial suite allows no skip nor xfail "
            f"({getattr(report, 'wasxfail', None) or report.longrepr})"
        )
    return report

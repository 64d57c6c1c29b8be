"""What the ledger keeps about a processed file, and the report a quarantined file gets: bounded.

A hostile file can hold millions of findings, or one element of 60 MB that each finding quoted
whole: a 60 MB element became a 126 MB ``.error.json``, as much again in the file's ledger
detail (and its event) and in its document's error list, and 580 MB of daemon memory. So,
whatever the input, a report lists at most :data:`REPORT_FINDINGS` findings and
:data:`REPORT_BYTES` of them (errors before warnings, in the order of the file), each text cut
at :data:`TEXT_LIMIT` characters, and at most :data:`REPORT_DOCUMENTS` documents; what it leaves
off, it counts. A finding kept still says where it is (segment position, element) and what was
expected: the parser bounds what each quotes (``adapters.formats.x12.findings``), this module
bounds whatever a parser hands over.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .ports import ParsedDocument, ParseResult

REPORT_FINDINGS: Final = 200
"""Findings a report lists at most."""
REPORT_BYTES: Final = 256 * 1024
"""Bytes of findings (as JSON) a report lists at most."""
REPORT_DOCUMENTS: Final = 100
"""Documents a report (and a file's summary, its replies) lists at most."""
TEXT_LIMIT: Final = 2000
"""Characters of any text of a report at most."""


def file_summary(result: ParseResult, published: int) -> dict[str, Any]:
    """What the ledger keeps of a parsed file (its report, when it is bad, is added to it)."""
    summary: dict[str, Any] = {
        "documents": len(result.documents),
        "published": published,
        "replies": [r.name for r in result.replies[:REPORT_DOCUMENTS]],
        "errors": _count(result, "error"),
    }
    if len(result.replies) > REPORT_DOCUMENTS:
        summary["replies_left_off"] = len(result.replies) - REPORT_DOCUMENTS
    if result.unreadable:
        summary["unreadable"] = cut(result.unreadable)
    if result.refused:
        summary["refused"] = cut(result.refused)
    return summary


def error_report(
    *, file: str, partner: str, sha256: str, claim_id: str, result: ParseResult
) -> dict[str, Any]:
    """The report of a bad file (its ``.error.json``, kept in the ledger too)."""
    errors = _count(result, "error")
    findings, left_off = _listed(result)
    report: dict[str, Any] = {
        "file": file,
        "partner": partner,
        "sha256": sha256,
        "claim_id": claim_id,
        "why": cut(result.why or f"{errors:,} error(s) found; see findings"),
        "documents": [_document(d) for d in result.documents[:REPORT_DOCUMENTS]],
        "findings": findings,
    }
    if len(result.documents) > REPORT_DOCUMENTS:
        report["documents_left_off"] = len(result.documents) - REPORT_DOCUMENTS
    if left_off:
        report["findings_left_off"] = left_off
    return report


def cut(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text``, or its start and its length when longer than ``limit``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text):,} characters)"


def _count(result: ParseResult, severity: str) -> int:
    kept = sum(1 for f in result.findings if f.get("severity") == severity)
    return kept + result.left_off.get(severity, 0)


def _listed(result: ParseResult) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The findings a report lists (errors first, then warnings, within its bounds; in the
    order of the file), and how many of each severity it leaves off."""
    chosen: set[int] = set()
    budget = REPORT_BYTES
    ordered = sorted(
        range(len(result.findings)), key=lambda i: result.findings[i].get("severity") != "error"
    )
    bounded: dict[int, dict[str, Any]] = {}
    for index in ordered:
        if len(chosen) >= REPORT_FINDINGS:
            break
        finding = _bounded(result.findings[index])
        size = len(json.dumps(finding, default=str))
        if size > budget:
            continue
        budget -= size
        chosen.add(index)
        bounded[index] = finding
    left_off = dict(result.left_off)
    for index, finding in enumerate(result.findings):
        if index not in chosen:
            severity = str(finding.get("severity", "unknown"))
            left_off[severity] = left_off.get(severity, 0) + 1
    return [bounded[index] for index in sorted(chosen)], left_off


def _bounded(finding: dict[str, Any]) -> dict[str, Any]:
    return {key: cut(value) if isinstance(value, str) else value for key, value in finding.items()}


def _document(doc: ParsedDocument) -> dict[str, Any]:
    return {"document_id": cut(doc.document_id), "kind": cut(doc.kind), "accepted": doc.accepted}

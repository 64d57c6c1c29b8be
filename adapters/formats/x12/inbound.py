"""The X12 :class:`~adapters.base.Parser`: one file's bytes -> documents, findings and acks."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import UnreadableInput

from ...base import ParsedDocument, ParseResult, Reply
from .findings import Finding
from .report import Document, draft_owed, scan
from .structure import GroupHeader, InterchangeHeader, TechnicalAck
from .translation import translate_or_report


class X12Parser:
    """The :class:`~adapters.base.Parser` of X12 files: read, validate and translate; then the
    997/999/TA1 each interchange is owed."""

    def parse(self, data: bytes, *, file_name: str) -> ParseResult:
        return _parse(data, file_name)

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        for draft in result.owed:
            isa13, text = draft.numbered(counter)
            result.replies.append(Reply(f"{'-'.join(draft.kinds)}-{isa13}.x12", text))
        result.owed = []


def parse_x12(data: bytes, *, file_name: str, counter: ControlNumberCounter) -> ParseResult:
    """Read, validate and translate ``data``; render the acknowledgements it is owed."""
    parser = X12Parser()
    result = parser.parse(data, file_name=file_name)
    parser.reply(result, counter)
    return result


MAX_DOCUMENT_ERRORS: Final = 50
"""Errors a document keeps at most (the last line then says how many more there were)."""


def _described_errors(findings: list[Finding]) -> tuple[str, ...]:
    """The errors among ``findings``, one line each, at most :data:`MAX_DOCUMENT_ERRORS`."""
    errors = [f for f in findings if f.is_error]
    if len(errors) <= MAX_DOCUMENT_ERRORS:
        return tuple(f.describe() for f in errors)
    kept = MAX_DOCUMENT_ERRORS - 1
    more = f"error: ... and {len(errors) - kept:,} more error(s) in this document, left off"
    return (*(f.describe() for f in errors[:kept]), more)


def _parse(data: bytes, file_name: str) -> ParseResult:
    result = ParseResult()
    envelopes: list[tuple[GroupHeader | None, InterchangeHeader]] = []  # each document's
    rejected: dict[int, str] = {}  # id() of a rejected group or interchange header -> why

    def collect(document: Document) -> list[Finding]:
        message, problems = translate_or_report(document)
        if isinstance(document, TechnicalAck):
            kind, isa13, gs06, st02 = "ta1", document.interchange.control_number, "", ""
            findings = problems
        else:
            kind, isa13 = document.set_id, document.interchange.control_number
            gs06, st02 = document.group.control_number, document.control_number
            findings = [*document.findings, *problems]
        errors = _described_errors(findings)
        if message is not None:
            document_id = message.document_id
        elif not isinstance(document, TechnicalAck):
            document_id = document.envelope().document_id
        else:
            document_id = ""
        if document_id:
            result.documents.append(
                ParsedDocument(
                    document_id=document_id,
                    kind=kind,
                    interchange=isa13.strip(),
                    group=gs06,
                    transaction=st02,
                    message=None if errors else message,  # never published: not carried
                    errors=errors,
                )
            )
            group = None if isinstance(document, TechnicalAck) else document.group
            envelopes.append((group, document.interchange))
        return problems

    def reject(envelope: InterchangeHeader | GroupHeader, why: str) -> None:
        rejected[id(envelope)] = why  # by identity: an equal header elsewhere is another one

    try:
        report = scan(
            data, file_name=file_name, on_document=collect, on_rejected=reject, defer_acks=True
        )
    except UnreadableInput as error:
        result.unreadable = str(error)
        return result
    for index, envelope in enumerate(envelopes):  # rejected: to be sent again, not taken
        whys = tuple(rejected[id(header)] for header in envelope if id(header) in rejected)
        if whys:
            doc = result.documents[index]
            result.documents[index] = replace(doc, message=None, errors=(*doc.errors, *whys))
    result.findings = [f.to_dict() for f in report.findings]
    result.left_off = {severity.value: n for severity, n in report.left_off.items()}
    for owed in report.owed:  # rendered here, in the parse (a worker): numbered in reply()
        draft = draft_owed(owed)
        if isinstance(draft, Finding):
            result.findings.append(draft.to_dict())
        else:
            result.owed.append(draft)
            result.draws += draft.sequences
    return result

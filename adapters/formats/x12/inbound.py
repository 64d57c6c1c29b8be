"""The X12 :class:`~adapters.base.Parser`: one file's bytes -> documents, findings and acks."""

from __future__ import annotations

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import UnreadableInput

from ...base import ParsedDocument, ParseResult, Reply
from .findings import Finding
from .report import Document, scan
from .structure import TechnicalAck
from .translation import translate_or_report


def parse_x12(data: bytes, *, file_name: str, counter: ControlNumberCounter) -> ParseResult:
    """Read, validate and translate ``data``; render the acknowledgements it is owed."""
    result = ParseResult()

    def collect(document: Document) -> list[Finding]:
        message, problems = translate_or_report(document)
        if isinstance(document, TechnicalAck):
            kind, isa13, gs06, st02 = "ta1", document.interchange.control_number, "", ""
            findings = problems
        else:
            kind, isa13 = document.set_id, document.interchange.control_number
            gs06, st02 = document.group.control_number, document.control_number
            findings = [*document.findings, *problems]
        errors = tuple(f.describe() for f in findings if f.is_error)
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
                    message=message,
                    errors=errors,
                )
            )
        return problems

    try:
        report = scan(data, file_name=file_name, on_document=collect, counter=counter)
    except UnreadableInput as error:
        result.unreadable = str(error)
        return result
    result.findings = [f.to_dict() for f in report.findings]
    for ack in report.acknowledgements:
        kinds = {a.kind for a in ack.functional} | ({"TA1"} if ack.technical else set())
        name = f"{'-'.join(sorted(kinds))}-{ack.interchange_control_number}.x12"
        result.replies.append(Reply(name, ack.text))
    return result

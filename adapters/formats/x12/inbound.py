"""The X12 :class:`~gateway.ports.Parser`: one file's bytes -> documents, findings and acks.

What a partner's profile (``[x12]``, :class:`~.profile.X12Profile`) says about the X12 it
sends is applied here, in the parse:

- **Its ids.** Every interchange of a file from a partner whose profile declares its ids must
  come from one of them (ISA05/ISA06, and GS02). A file under any other sender id is refused
  whole: nothing of it is accepted, and no acknowledgement goes to an id the gateway cannot
  trust.
- **Sets the gateway does not translate** are rejected in the 997/999 (AK5/IK5 ``R``, code 1),
  or passed through as their segments for a partner that opts in.
- **Its validation policy** (``[x12.validation]``): the findings it names are warnings for
  the partner, before its 997/999 is decided (:mod:`.validation_policy`); each one downgraded
  is a line of the document's :attr:`~gateway.ports.ParsedDocument.downgraded`.
- **Refused envelopes.** The pipeline may ask to refuse documents by their envelope key (the
  partner's policy rejects control numbers reused for other content): their interchange is
  rejected with a TA1 ``R``, code 025 (duplicate interchange control number).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import UnreadableInput
from gateway.messages import Envelope, document_id_of
from gateway.ports import ParsedDocument, ParseResult, Reply

from .findings import Finding, Level
from .profile import X12Profile
from .report import ISA_LENGTH, Document, draft_owed, scan
from .structure import GroupHeader, InterchangeHeader, TechnicalAck, TransactionSet
from .translation import former_reading, translate_or_report
from .validation_policy import ValidationPolicy, timeline_lines
from .writer import interchange_file_name


@dataclass(frozen=True, slots=True)
class SenderRules:
    """What a partner's profile says about the X12 it sends (the parse's share of it)."""

    sender_ids: frozenset[tuple[str, str]] | None = None
    """(ISA05, ISA06) pairs it sends under (qualifier ``""``: any); None: not checked."""
    application_ids: frozenset[str] = frozenset()
    """GS02 codes it sends under, besides the ids of :attr:`sender_ids`."""
    pass_through: bool = False
    """Sets without a translator are published as their segments instead of rejected."""
    validation: ValidationPolicy = field(default_factory=ValidationPolicy)
    """The findings that are only warnings for the partner (strict: none)."""

    @classmethod
    def of(cls, x12: X12Profile) -> SenderRules:
        return cls(
            sender_ids=x12.sender_ids(),
            application_ids=frozenset(code.strip() for code in x12.application_ids),
            pass_through=x12.unsupported_sets == "pass_through",
            validation=x12.validation,
        )

    def untrusted(self, interchange: InterchangeHeader, group: GroupHeader | None) -> str | None:
        """Why ``interchange`` (and ``group``) cannot be from this partner; None when they can."""
        if self.sender_ids is None:
            return None
        qualifier, sender = interchange.sender_qualifier.strip(), interchange.sender_id.strip()
        if (qualifier, sender) not in self.sender_ids and ("", sender) not in self.sender_ids:
            return f"the interchange's sender {qualifier}:{sender} (ISA05:ISA06) is not {self}"
        if group is not None:
            code = group.application_sender.strip()
            codes = self.application_ids | {value for _, value in self.sender_ids}
            if code not in codes:
                return f"the group's sender {code!r} (GS02) is not {self}"
        return None

    def __str__(self) -> str:
        ids = sorted(f"{q}:{value}" if q else value for q, value in self.sender_ids or ())
        return (
            f"among the ids its profile declares ({', '.join(ids + sorted(self.application_ids))})"
        )


class X12Parser:
    """The :class:`~gateway.ports.Parser` of X12 files: read, validate and translate; then the
    997/999/TA1 each interchange is owed. ``rules``: each partner's :class:`SenderRules`
    (a partner without any is checked for nothing, and its untranslated sets are rejected)."""

    def __init__(self, rules: Mapping[str, SenderRules] | None = None) -> None:
        self.rules = dict(rules or {})

    @classmethod
    def for_partners(cls, profiles: Mapping[str, X12Profile]) -> X12Parser:
        """The parser for partners whose ``[x12]`` settings are ``profiles`` (by name)."""
        return cls({name: SenderRules.of(x12) for name, x12 in profiles.items()})

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        rules = self.rules.get(partner or "", SenderRules())
        return _parse(data, file_name, partner, rules, refuse or {})

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        for draft in result.owed:
            isa13, text = draft.numbered(counter)
            name = interchange_file_name("-".join(draft.kinds), *_parties(text), isa13)
            result.replies.append(Reply(name, text))
        result.owed = []


def _parties(interchange: str) -> tuple[str, str]:
    """ISA06 and ISA08 of an interchange the gateway wrote: the sender (our id), the receiver."""
    elements = interchange[:ISA_LENGTH].split(interchange[3])
    return elements[6], elements[8]


def parse_x12(data: bytes, *, file_name: str, counter: ControlNumberCounter) -> ParseResult:
    """Read, validate and translate ``data``; render the acknowledgements it is owed."""
    parser = X12Parser()
    result = parser.parse(data, file_name=file_name)
    parser.reply(result, counter)
    return result


ACKNOWLEDGEMENTS: Final = frozenset({"997", "999", "ta1"})
"""Partners' acknowledgements: the format's document hook reconciles them (their canonical
messages come back from the parse workers as models, :attr:`ParsedDocument.for_hook`)."""

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


def _parse(
    data: bytes,
    file_name: str,
    partner: str | None,
    rules: SenderRules,
    refuse: Mapping[str, str],
) -> ParseResult:
    result = ParseResult()
    envelopes: list[tuple[GroupHeader | None, InterchangeHeader]] = []  # each document's
    rejected: dict[int, str] = {}  # id() of a rejected group or interchange header -> why
    refused: dict[int, str] = {}  # id() of an interchange header -> why the pipeline refuses it
    untrusted: list[str] = []  # why the file cannot be from this partner

    def collect(document: Document) -> list[Finding]:
        group = None if isinstance(document, TechnicalAck) else document.group
        downgraded: tuple[str, ...] = ()
        if isinstance(document, TransactionSet):  # before its 997/999 is decided (scan)
            done = rules.validation.downgrade(document.findings, document.set_id)
            downgraded = timeline_lines(partner, done, MAX_DOCUMENT_ERRORS)
        why = rules.untrusted(document.interchange, group)
        if why is not None and why not in untrusted:
            untrusted.append(why)
        message, problems = translate_or_report(document, pass_through=rules.pass_through)
        envelope: Envelope  # the message's when there is one (made already)
        isa13 = document.interchange.control_number.strip()
        if isinstance(document, TechnicalAck):
            envelope = message.envelope if message is not None else document.interchange.envelope()
            kind, gs06, st02 = "ta1", "", ""
            findings = problems
        else:
            envelope = message.envelope if message is not None else document.envelope()
            kind = document.set_id
            gs06, st02 = document.group.control_number, document.control_number
            findings = [*document.findings, *problems]
        envelope_key = envelope.envelope_key
        if envelope_key in refuse:
            refused.setdefault(id(document.interchange), refuse[envelope_key])
        errors = _described_errors(findings)
        former = None
        if message is not None:
            document_id = message.document_id
            if isinstance(document, TransactionSet):
                former = former_reading(document, pass_through=rules.pass_through)
        elif isinstance(document, TransactionSet):
            document_id = document_id_of(envelope, _raw_digest(document))
        else:
            document_id = ""
        if document_id:
            result.documents.append(
                ParsedDocument(
                    document_id=document_id,
                    kind=kind,
                    interchange=isa13,
                    group=gs06,
                    transaction=st02,
                    message=None if errors else message,  # never published: not carried
                    errors=errors,
                    envelope_key=envelope_key,
                    test=envelope.test,
                    for_hook=kind in ACKNOWLEDGEMENTS,  # reconciled by reconcile.py
                    downgraded=downgraded,
                    former_document_id=former.document_id if former else "",
                    former_content_digest=former.content_digest if former else "",
                )
            )
            envelopes.append((group, document.interchange))
        return problems

    def reject(envelope: InterchangeHeader | GroupHeader, why: str) -> None:
        rejected[id(envelope)] = why  # by identity: an equal header elsewhere is another one

    def refusal(header: InterchangeHeader) -> list[Finding]:
        untrusted_sender = rules.untrusted(header, None)  # an interchange without documents too
        if untrusted_sender is not None and untrusted_sender not in untrusted:
            untrusted.append(untrusted_sender)
        why = refused.get(id(header))
        if why is None:
            return []
        return [
            Finding(
                "envelope.control_numbers_reused",
                why,
                Level.INTERCHANGE,
                file=file_name,
                interchange=header.control_number.strip(),
                segment_id="ISA",
                element="ISA13",
                found=header.control_number.strip(),
                ta1_code="025",
            )
        ]

    try:
        report = scan(
            data,
            file_name=file_name,
            partner=partner,
            on_document=collect,
            on_rejected=reject,
            on_interchange_end=refusal,
            defer_acks=True,
        )
    except UnreadableInput as error:
        result.unreadable = str(error)
        return result
    result.findings = [f.to_dict() for f in report.findings]
    result.left_off = {severity.value: n for severity, n in report.left_off.items()}
    if untrusted:  # refused whole: nothing accepted, nothing acknowledged
        why = f"refused: not from partner {partner}: {'; '.join(untrusted)}"
        result.refused = why
        result.findings.append(
            Finding("envelope.sender_not_allowed", why, Level.FILE, file=file_name).to_dict()
        )
        result.documents = [
            replace(doc, message=None, errors=(*doc.errors, why)) for doc in result.documents
        ]
        return result
    for index, envelope in enumerate(envelopes):  # rejected: to be sent again, not taken
        whys = tuple(rejected[id(header)] for header in envelope if id(header) in rejected)
        if whys:
            doc = result.documents[index]
            result.documents[index] = replace(doc, message=None, errors=(*doc.errors, *whys))
    for owed in report.owed:  # rendered here, in the parse (a worker): numbered in reply()
        draft = draft_owed(owed)
        if isinstance(draft, Finding):
            result.findings.append(draft.to_dict())
        else:
            result.owed.append(draft)
            result.draws += draft.sequences
    return result


def _raw_digest(tx: TransactionSet) -> str:
    """A digest of a set's segments as read (for a set without a canonical message)."""
    digest = hashlib.sha256()
    for segment in tx.segments[1:-1]:
        digest.update("\x1f".join([segment.tag, *segment.elements]).encode(errors="replace"))
        digest.update(b"\x1e")
    return "raw:" + digest.hexdigest()

"""What the X12 parser makes of each document of a file as the scan reads it, whether the file is
read whole (:meth:`~.inbound.X12Parser.parse`) or as a stream (:mod:`.streaming`).

:class:`FileDocuments` is the scan's three callbacks (:func:`~.report.scanning`): each
transaction set and TA1 becomes a :class:`~gateway.ports.ParsedDocument` (translated, with its
ids and errors); a group or interchange found rejected, a sender the partner does not use and an
envelope the pipeline refuses are noted. Read whole, the rejections are applied to the
documents at the end (:meth:`FileDocuments.apply_rejections`); read as a stream, they are known
before the file's documents are read (:func:`~.streaming.envelope_verdicts`) and applied to
each document as it is made, so that no document is held past its part. The file's verdict
(refused whole, or its 997/999/TA1 owed) is :func:`refused_whole` and :func:`owed_replies`.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from gateway.duplicates import business_key
from gateway.messages import Envelope, document_id_of
from gateway.ports import ParsedDocument, ParseResult

from .findings import Finding, Level
from .report import Document, DraftAcks
from .structure import GroupHeader, InterchangeHeader, TechnicalAck, TransactionSet
from .translation import former_identity, translate_or_report
from .validation_policy import timeline_lines

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .inbound import SenderRules

ACKNOWLEDGEMENTS: Final = frozenset({"997", "999", "ta1"})
"""Partners' acknowledgements: the format's document hook reconciles them (their canonical
messages come back from the parse workers as models, :attr:`ParsedDocument.for_hook`)."""

MAX_DOCUMENT_ERRORS: Final = 50
"""Errors a document keeps at most (the last line then says how many more there were)."""

Header = GroupHeader | InterchangeHeader


class FileDocuments:
    """The documents of one file from ``partner`` (whose rules are ``rules``), in the order of
    the file. ``refuse`` maps envelope keys to why the pipeline refuses them. With ``ahead``,
    :attr:`rejected` is filled before the documents of a rejected envelope are read (and emptied
    when it ends), and each document is made with its envelope's rejection."""

    def __init__(
        self,
        file_name: str,
        partner: str | None,
        rules: SenderRules,
        refuse: Mapping[str, str],
        *,
        ahead: bool = False,
    ) -> None:
        self.file_name = file_name
        self.partner = partner
        self.rules = rules
        self.refuse = refuse
        self.ahead = ahead
        self.documents: list[ParsedDocument] = []
        self.envelopes: list[tuple[GroupHeader | None, InterchangeHeader]] = []
        """Each document's group and interchange (read whole: rejections are applied at the
        end)."""
        self.rejected: dict[int, str] = {}
        """id() of a rejected group or interchange header -> why (by identity: an equal header
        elsewhere is another one)."""
        self.refused: dict[int, str] = {}
        """id() of an interchange header -> why the pipeline refuses it."""
        self.untrusted: list[str] = []
        """Why the file cannot be from this partner."""

    def collect(self, document: Document) -> list[Finding]:
        """The scan's ``on_document``: ``document`` made a :class:`ParsedDocument`; returns the
        findings its translation adds."""
        rules = self.rules
        group = None if isinstance(document, TechnicalAck) else document.group
        downgraded: tuple[str, ...] = ()
        if isinstance(document, TransactionSet):  # before its 997/999 is decided (scan)
            done = rules.validation.downgrade(document.findings, document.set_id)
            downgraded = timeline_lines(self.partner, done, MAX_DOCUMENT_ERRORS)
        self._trust(document.interchange, group)
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
        if envelope_key in self.refuse:
            self.refused.setdefault(id(document.interchange), self.refuse[envelope_key])
        errors = described_errors(findings)
        former_id = former_digest = ""
        if message is not None:
            document_id = message.document_id
            if isinstance(document, TransactionSet):
                former_id, former_digest = former_identity(
                    document, message, pass_through=rules.pass_through
                )
        elif isinstance(document, TransactionSet):
            document_id = document_id_of(envelope, _raw_digest(document))
        else:
            document_id = ""
        if not document_id:
            return problems
        kept = None if errors else message  # never published: not carried
        parsed = ParsedDocument(
            document_id=document_id,
            kind=kind,
            interchange=isa13,
            group=gs06,
            transaction=st02,
            message=kept,
            errors=errors,
            envelope_key=envelope_key,
            test=envelope.test,
            for_hook=kind in ACKNOWLEDGEMENTS,  # reconciled by reconcile.py
            downgraded=downgraded,
            former_document_id=former_id,
            former_content_digest=former_digest,
            **_business_facts(kept),
        )
        if self.ahead:
            parsed = self._with_rejections(parsed, (group, document.interchange))
        else:
            self.envelopes.append((group, document.interchange))
        self.documents.append(parsed)
        return problems

    def reject(self, envelope: Header, why: str) -> None:
        """The scan's ``on_rejected`` (read whole; ahead, the rejections are known already)."""
        if not self.ahead:
            self.rejected[id(envelope)] = why

    def refusal(self, header: InterchangeHeader) -> list[Finding]:
        """The scan's ``on_interchange_end``: the finding of an interchange the pipeline
        refuses (its TA1 rejects it, code 025)."""
        self._trust(header, None)  # an interchange without documents too
        why = self.refused.get(id(header))
        if why is None:
            return []
        return [
            Finding(
                "envelope.control_numbers_reused",
                why,
                Level.INTERCHANGE,
                file=self.file_name,
                interchange=header.control_number.strip(),
                segment_id="ISA",
                element="ISA13",
                found=header.control_number.strip(),
                ta1_code="025",
            )
        ]

    def apply_rejections(self) -> None:
        """Read whole: each document of a rejected group or interchange is to be sent again,
        not taken."""
        for index, envelope in enumerate(self.envelopes):
            self.documents[index] = self._with_rejections(self.documents[index], envelope)

    def _with_rejections(
        self, doc: ParsedDocument, envelope: tuple[GroupHeader | None, InterchangeHeader]
    ) -> ParsedDocument:
        whys = tuple(
            self.rejected[id(h)] for h in envelope if h is not None and id(h) in self.rejected
        )
        return _not_carried(doc, *whys) if whys else doc

    def _trust(self, interchange: InterchangeHeader, group: GroupHeader | None) -> None:
        why = self.rules.untrusted(interchange, group)
        if why is not None and why not in self.untrusted:
            self.untrusted.append(why)


def _business_facts(message: object) -> dict[str, str]:
    """The business key and content digest of a document carrying ``message`` (None: none),
    as :class:`gateway.partner_formats.PartnerFormats` gives them: given here, the document is
    not made again there to hold them."""
    if message is None:
        return {}
    return {
        "business_key": business_key(message) or "",
        "content_digest": getattr(message, "content_digest", ""),
    }


def _not_carried(doc: ParsedDocument, *whys: str) -> ParsedDocument:
    """``doc`` not accepted, for ``whys``: without its message, nor the facts read from it."""
    return replace(
        doc, message=None, errors=(*doc.errors, *whys), business_key="", content_digest=""
    )


def described_errors(findings: list[Finding]) -> tuple[str, ...]:
    """The errors among ``findings``, one line each, at most :data:`MAX_DOCUMENT_ERRORS`."""
    errors = [f for f in findings if f.is_error]
    if len(errors) <= MAX_DOCUMENT_ERRORS:
        return tuple(f.describe() for f in errors)
    kept = MAX_DOCUMENT_ERRORS - 1
    more = f"error: ... and {len(errors) - kept:,} more error(s) in this document, left off"
    return (*(f.describe() for f in errors[:kept]), more)


def refused_whole(
    result: ParseResult, untrusted: list[str], partner: str | None, file_name: str
) -> None:
    """``result`` refused whole (a sender the partner does not use): nothing of it is accepted,
    nothing acknowledged."""
    why = f"refused: not from partner {partner}: {'; '.join(untrusted)}"
    result.refused = why
    result.findings.append(
        Finding("envelope.sender_not_allowed", why, Level.FILE, file=file_name).to_dict()
    )
    result.documents = [_not_carried(doc, why) for doc in result.documents]


def owed_replies(result: ParseResult, drafts: Iterable[DraftAcks | Finding]) -> None:
    """The 997/999/TA1 the file is owed, rendered in the parse (a worker) as ``drafts``
    (:func:`~.report.draft_owed`), into ``result``: numbered in
    :meth:`~.inbound.X12Parser.reply`; a draft that could not be written is a finding."""
    for draft in drafts:
        if isinstance(draft, Finding):
            result.findings.append(draft.to_dict())
        else:
            result.owed.append(draft)
            result.draws += draft.sequences


def _raw_digest(tx: TransactionSet) -> str:
    """A digest of a set's segments as read (for a set without a canonical message)."""
    digest = hashlib.sha256()
    for segment in tx.segments[1:-1]:
        digest.update("\x1f".join([segment.tag, *segment.elements]).encode(errors="replace"))
        digest.update(b"\x1e")
    return "raw:" + digest.hexdigest()

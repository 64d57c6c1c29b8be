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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import UnreadableInput
from gateway.ports import ParseResult, Reply

from . import streaming
from .documents import MAX_DOCUMENT_ERRORS as MAX_DOCUMENT_ERRORS
from .documents import FileDocuments, owed_replies, refused_whole
from .huge_set_scan import holds_huge_set
from .profile import X12Profile
from .report import ISA_LENGTH, draft_owed, scan
from .structure import GroupHeader, InterchangeHeader
from .validation_policy import ValidationPolicy
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

    streams_over_limit_only = True
    """A file is read as a stream only when it is over a limit (``max_file_size``, or 64 MiB:
    :data:`gateway.streamed.WHOLE_AT_MOST`), or holds a huge 846 or 856
    (:meth:`holds_document_in_parts`): otherwise it is read whole in a parse worker, as before
    streaming, because a stream runs in the daemon's own process and reads each set whole but
    a huge 846 or 856 (:mod:`.huge_sets`: one huge set of another kind, a 30 MB element, would
    grow the daemon rather than a worker)."""

    def __init__(self, rules: Mapping[str, SenderRules] | None = None) -> None:
        self.rules = dict(rules or {})

    def holds_document_in_parts(self, path: Path) -> bool:
        """Whether the file at ``path`` holds a set read in parts: an 846 or 856 of more than
        :data:`~.huge_sets.HUGE_SEGMENTS` segments (:mod:`.huge_set_scan`), which read whole
        would take some 80 times its size."""
        return holds_huge_set(path)

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

    def parse_stream(
        self, source: BinaryIO, *, file_name: str, partner: str | None = None
    ) -> Iterator[ParseResult]:
        """The file ``source`` holds, a few hundred documents at a time (:mod:`.streaming`):
        ``collect`` of the parts is :meth:`parse` of its bytes."""
        rules = self.rules.get(partner or "", SenderRules())
        return streaming.parts(source, file_name, partner, rules)

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


def _parse(
    data: bytes,
    file_name: str,
    partner: str | None,
    rules: SenderRules,
    refuse: Mapping[str, str],
) -> ParseResult:
    result = ParseResult()
    documents = FileDocuments(file_name, partner, rules, refuse)
    try:
        report = scan(
            data,
            file_name=file_name,
            partner=partner,
            on_document=documents.collect,
            on_rejected=documents.reject,
            on_interchange_end=documents.refusal,
            defer_acks=True,
        )
    except UnreadableInput as error:
        result.unreadable = str(error)
        return result
    result.documents = documents.documents
    result.findings = [f.to_dict() for f in report.findings]
    result.left_off = {severity.value: n for severity, n in report.left_off.items()}
    if documents.untrusted:  # refused whole: nothing accepted, nothing acknowledged
        refused_whole(result, documents.untrusted, partner, file_name)
        return result
    documents.apply_rejections()  # rejected: to be sent again, not taken
    owed_replies(result, map(draft_owed, report.owed))
    return result

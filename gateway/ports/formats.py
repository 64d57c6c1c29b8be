"""The format port: what the core asks of a format (X12, a flat file, XML...).

A :class:`Format` is declared once (a subclass with a ``kind`` and a ``Config``, the partner
profile's section of that name) and registered in ``adapters/__init__.py``. Inbound, the pipeline
(``gateway.pipeline``) never knows X12 from XML: a format's :class:`Parser` turns one file's
bytes into :class:`ParsedDocument` values (each with its stable id, its business keys, its
canonical message when it could be made, and its findings) and the :class:`Reply` files owed to
the sender (997/999/TA1 for X12). Parsing needs nothing but the bytes, so it may run in another
process; the replies are rendered afterwards, in the ledger transaction that draws their control
numbers.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ..control_numbers import ControlNumberCounter
from ..errors import DocumentRefused
from ..messages import Message


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    document_id: str
    kind: str
    """What the document is, for routing: ``850``, ``856``, ``997``, ``ta1``..."""
    interchange: str
    """ISA13 (or the file's own id for formats without one)."""
    group: str
    transaction: str
    message: Any | None
    """The canonical message (a pydantic model with ``document_id``); None when it failed or
    has errors (it is never published, and a message of a 60 MB element is 60 MB to carry). From
    a parse worker (:mod:`gateway.runtime.workers`), all but partners' acknowledgements come
    serialized for their CloudEvent (:class:`gateway.bus.cloudevents.SerializedMessage`)."""
    errors: tuple[str, ...] = ()
    """Human-readable error findings about this document (a parser may keep only so many);
    empty when it is accepted."""
    envelope_key: str = ""
    """The id of the document's envelope references alone (both parties' ids and its control
    numbers, without partner or content): a document with the same key and another
    ``document_id`` reuses those numbers for other content. A document without references (a
    flat file's order) has its ``document_id`` here: a copy of it is a duplicate, and no other
    document can reuse what it does not have. Empty: not looked at."""
    test: bool = False
    """A test document (X12: ISA15 ``T`` or ``I``), kept apart from production unless the
    partner's profile says otherwise."""
    for_hook: bool = False
    """Its format's document hook needs its canonical message itself (a partner's
    acknowledgement, to reconcile): it comes back from a parse worker as the model, where the
    others come back serialized for their CloudEvent (lighter to send, nothing left to
    serialize in the daemon)."""
    business_key: str = ""
    """What the document is in business terms (``PurchaseOrder:4500012345``), from its canonical
    message (:func:`gateway.duplicates.business_key`); empty when it has none."""
    content_digest: str = ""
    """The digest of its canonical message's content; empty without a message."""
    former_document_id: str = ""
    former_content_digest: str = ""
    """The id and digest canonical schema 2.0 gave the same document, where 2.1 reads it
    otherwise (:mod:`gateway.messages.upgrade`); empty where they are the same."""
    downgraded: tuple[str, ...] = ()
    """Findings its partner's validation policy made warnings, one line each naming the
    finding and the policy (a ``downgraded`` event each on the document's timeline)."""
    ahead: str = ""
    """The key its item parts were given as they were read (:class:`PartAhead`: a document too
    large to hold, read in parts); empty for any other document."""

    @property
    def accepted(self) -> bool:
        return self.message is not None and not self.errors


@dataclass(frozen=True, slots=True)
class PartAhead:
    """An item part of a document still being read (one huge transaction set, read a segment
    at a time): its entries, as JSON text, given before the document's id and its number of
    parts are known, to be held durably until the document is read to its end (then published
    under its id, or forgotten with it). ``key`` says which document of its file (the same at
    every read of the file); ``number`` is its part's number (2, 3...: part 1, the header, is
    the document's own message, made at its end)."""

    key: str
    number: int
    entries: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A file owed to the sender (an acknowledgement), to be written to its outbox folder."""

    name: str
    text: str


@dataclass(slots=True)
class ParseResult:
    """What a format made of one file."""

    documents: list[ParsedDocument] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    """The findings, as dictionaries (for reports and the ledger); a parser may keep only so
    many (a hostile file can hold millions) and count the others in :attr:`left_off`."""
    left_off: dict[str, int] = field(default_factory=dict)
    """Findings not kept in :attr:`findings`, counted by severity (``error``, ``warning``)."""
    unreadable: str | None = None
    """Why the file could not be read at all; None when it could."""
    refused: str | None = None
    """Why the file is refused as a whole although it could be read (a sender the partner's
    profile does not know): nothing of it is accepted nor acknowledged."""
    owed: list[Any] = field(default_factory=list)
    """Replies owed but not rendered yet (the parser's own values; :meth:`Parser.reply`)."""
    format: str = ""
    """The kind of the format that read the file (set by :class:`gateway.partner_formats.
    PartnerFormats`: its replies are that format's to render)."""
    draws: list[str] = field(default_factory=list)
    """The control-number sequences :meth:`Parser.reply` will draw from, once per number, in
    order: the pipeline takes a whole batch's numbers in one statement before replying."""
    seconds: float = 0.0
    """How long reading the file took, in the process that read it (set by
    :class:`gateway.partner_formats.PartnerFormats`; the metrics' parse latency)."""
    ahead: list[PartAhead] = field(default_factory=list)
    """A part of a file read as a stream: the item parts of a document not read to its end yet
    (:class:`PartAhead`), in order; the document they belong to comes in a later part."""

    @property
    def has_errors(self) -> bool:
        return (
            self.unreadable is not None
            or self.refused is not None
            or self.left_off.get("error", 0) > 0
            or any(f.get("severity") == "error" for f in self.findings)
        )

    @property
    def why(self) -> str | None:
        """Why the file is not accepted as a whole, in a sentence; None when nothing says so."""
        return self.unreadable or self.refused


class Parser(Protocol):
    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        """Read one file that ``partner`` sent. Pure (bytes in, picklable result out): it may
        run in another process. ``refuse`` maps envelope keys (:attr:`ParsedDocument.
        envelope_key`) to a reason: their documents are refused (the pipeline asks when the
        partner's policy rejects control numbers reused for other content)."""
        ...

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        """Render the replies ``result`` owes into ``result.replies``, numbered by ``counter``
        (a reply that cannot be written becomes a finding)."""
        ...


@runtime_checkable
class StreamingParser(Parser, Protocol):
    """A parser that reads a file of any size as it goes (a flat file, a row or a record at a
    time), holding one part of its documents at a time."""

    def parse_stream(
        self, source: BinaryIO, *, file_name: str, partner: str | None = None
    ) -> Iterator[ParseResult]:
        """The file ``source`` holds, read in parts, in order, each with the documents and
        findings read since the one before (a format keeps its parts small). A part with a
        :attr:`~ParseResult.why` ends the stream and is the whole file's verdict: the documents
        of the parts before it are not to be taken (:func:`collect`). ``parse`` is
        ``collect(parse_stream(...))`` over the file's bytes."""
        ...


def collect(parts: Iterable[ParseResult]) -> ParseResult:
    """The result of a whole file from the parts a :class:`StreamingParser` read it in."""
    whole = ParseResult()
    for part in parts:
        if part.why is not None:
            return ParseResult(
                unreadable=part.unreadable,
                refused=part.refused,
                findings=part.findings,
                left_off=part.left_off,
                owed=part.owed,
                draws=part.draws,
            )
        whole.documents += part.documents
        whole.findings += part.findings
        whole.owed += part.owed
        whole.draws += part.draws
        for severity, count in part.left_off.items():
            whole.left_off[severity] = whole.left_off.get(severity, 0) + count
    return whole


DocumentHook = Callable[[Session, str, ParsedDocument], None]
"""Called with the session, the partner and an accepted document, before the commit (a format
reconciles the partner's acknowledgements of what the gateway sent with it)."""


# -- a partner's settings for its format ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboundPolicy:
    """What the pipeline does with a partner's documents that are valid but need a decision."""

    reject_reused_control_numbers: bool = False
    """Refuse (rather than take as new) a document under control numbers used before for
    other content."""
    test_apart: bool = True
    """Publish test documents under their own routing keys (``edi.test.<kind>.<partner>``)."""
    publish_business_duplicates: bool = False
    """Publish a document the partner sent before with the same business key and content under
    other control numbers (by default it is recorded and announced, not published again)."""
    reference_kinds: frozenset[str] = frozenset()
    """The kinds of document checked against the partner's reference data (items, locations):
    one naming what it does not know is withheld as an exception (:mod:`gateway.references`)."""


class FormatConfig(BaseModel):
    """Base of a format's section in a partner profile (``[<kind>]``): what every format
    shares. A format adds its own settings; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: dict[str, list[str]] = Field(
        default_factory=dict,
        description="fields the partner requires in what we send it, by document kind: "
        '{"856" = ["carrier.scac"]} (dotted paths into the canonical message)',
    )
    ack_deadline_hours: float = Field(
        default=24.0, gt=0, description="an acknowledgement not received by then is overdue"
    )

    @property
    def expects_acknowledgement(self) -> bool:
        """Whether the partner answers what we send with an acknowledgement (then a document
        not acknowledged within ``ack_deadline_hours`` is overdue)."""
        return False

    def inbound_policy(self) -> InboundPolicy:
        """What the pipeline does with this partner's documents (the default policy)."""
        return InboundPolicy()


# -- outbound: a canonical message rendered for a partner ----------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """A request rendered for its partner and validated, with draft control numbers until
    :meth:`Format.number` gives it those drawn from the ledger (nothing else in the text depends
    on them). Drafts are made in the worker processes, without the ledger."""

    kind: str
    group_kind: str
    """The kind of group the document travels in (X12: GS01, ``SH`` for an 856)."""
    text: str
    content_digest: str
    """The digest of the document's content (:func:`gateway.messages.content_digest`): with
    its references, its ``document_id``."""


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """A document numbered and ready to write to ``outbox/<partner>/<file_name>``."""

    document_id: str
    """The stable id of the document, as the gateway's reader gives it (without a partner
    name: the document is our own, its receiver's ids name the partner)."""
    text: str
    group_kind: str
    interchange: str
    """The references the partner's acknowledgement will quote: interchange, group and
    transaction control numbers (X12: ISA13 as nine digits, GS06, ST02)."""
    group: str
    transaction: str
    file_name: str
    sender_id: str
    """Our id, as the partner knows us (X12: ISA06), and its qualifier (ISA05) when the format
    has one; then the partner's."""
    receiver_id: str
    sender_qualifier: str | None = None
    receiver_qualifier: str | None = None
    format: str = ""
    """The kind of the format that rendered it."""
    encoding: str = "utf-8"
    """The character set its file is written in (a Python codec name): its text is kept as
    text, and encoded when the file is written."""


# -- the port ------------------------------------------------------------------------------------


class Format(ABC):
    """A file format the gateway reads and writes.

    A subclass declares ``kind`` (the name partner profiles use: ``format = "<kind>"`` and the
    ``[<kind>]`` section) and ``Config`` (that section's model), and is registered in
    ``adapters/__init__.py``. Instances hold no state of their own: they are sent to the worker
    processes."""

    kind: ClassVar[str]
    Config: ClassVar[type[FormatConfig]]
    signature: ClassVar[bytes | None] = None
    """How its files begin (after a byte order mark and white space): X12 ``ISA``, XML ``<``.
    A partner whose files come in several formats has each file read by the first of them whose
    signature the file begins with, or else by the first without a signature (CSV, fixed
    width)."""
    read_here_under: ClassVar[int] = 0
    """Bytes: a file smaller than this, arriving while nothing else is ready, is read in the
    daemon's own thread rather than handed to a parse worker process (the hand-over costs more
    than reading a small file: :meth:`gateway.pipeline.Pipeline.begin`). 0: always in a worker.
    Only for a format whose reader is Python through and through, whose small input can neither
    crash the process (a library in C could) nor take much of its memory."""

    @abstractmethod
    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        """A parser of files in this format, for partners whose settings are ``configs`` (by
        partner name; a partner without settings is read without its checks). It must pickle:
        it may parse in another process."""

    def warm_up(self) -> None:
        """Load what parsing needs (maps...) once, in a process that will parse."""
        return None

    def on_document(self, s: Session, partner: str, doc: ParsedDocument) -> None:
        """Sees each accepted document of a partner using this format, in the transaction that
        records it (:data:`DocumentHook`): acknowledgements are reconciled here."""
        return None

    def draft(self, message: Message, kind: str, config: FormatConfig, at: dt.datetime) -> Draft:
        """``message`` rendered for the partner whose settings are ``config``, validated, with
        draft numbers; :class:`DocumentRefused` when it cannot be written or fails the maps."""
        raise DocumentRefused(f"the {self.kind} format does not write {kind} documents")

    def number(
        self, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        """``draft`` with its control numbers drawn from ``counter``."""
        raise DocumentRefused(f"the {self.kind} format does not write {draft.kind} documents")

"""What the core asks of a format adapter: bytes in, documents and acknowledgements out.

The pipeline (``gateway.pipeline``) never knows X12 from XML: a :class:`Parser` turns one file's
bytes into :class:`ParsedDocument` values (each with its stable id, its business keys, its
canonical message when it could be made, and its findings) and the :class:`Reply` files owed to
the sender (997/999/TA1 for X12). Parsing needs nothing but the bytes, so it may run in another
process; the replies are rendered afterwards, in the ledger transaction that draws their control
numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.control_numbers import ControlNumberCounter


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
    ``document_id`` reuses those numbers for other content. Empty: it has no references."""
    test: bool = False
    """A test document (X12: ISA15 ``T`` or ``I``), kept apart from production unless the
    partner's profile says otherwise."""

    @property
    def accepted(self) -> bool:
        return self.message is not None and not self.errors


@dataclass(frozen=True, slots=True)
class Reply:
    """A file owed to the sender (an acknowledgement), to be written to its outbox folder."""

    name: str
    text: str


@dataclass(slots=True)
class ParseResult:
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
    draws: list[str] = field(default_factory=list)
    """The control-number sequences :meth:`Parser.reply` will draw from, once per number, in
    order: the pipeline takes a whole batch's numbers in one statement before replying."""

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

"""The fixed-width format: a partner's fixed-width files (one record a line, its type in
columns the layout names, its fields in columns) read through a declarative mapping
(:mod:`.mapping`, ``mappings/fixed/<name>.toml``): records nest into documents by the layout
(:mod:`.records`), each document a canonical message.

Options (the profile's ``[fixed]`` section, :class:`FixedConfig`): ``mapping``, the mapping's
name (``mappings/fixed/<name>.toml`` of the home, else of those shipped); ``partner_ids``, the
sender ids its files may carry (none: not checked); ``encoding`` (over the mapping's) and
``bad_characters`` (``refuse`` or ``replace``: :mod:`..charset`); for what the gateway sends it,
``render`` (the mapping of each kind: ``{"850" = "bots-orders"}``), ``sender_id`` (ours) and
``receiver_id`` (the partner's).

A document written for a partner (:mod:`.rendering`) is read back through its mapping before it
may leave, and must give the canonical message it was written from. Numbering draws from the
ledger's sequence ``fixed.file``: the number is the document's reference (in the envelope's
reference field, when the mapping has one, its last digits when the field is shorter) and in
its file name, ``<kind>-<number>.txt``.

Errors name the line, the record, the field and its columns, what was expected and what was
found: a line that does not fit the layout spoils its document (the others are read), and a
bad file is refused with its reasons, never raised.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from gateway.control_numbers import ControlNumberCounter
from gateway.messages import Message
from gateway.ports import (
    DocumentRefused,
    Draft,
    Format,
    FormatConfig,
    ParsedDocument,
    Parser,
    ParseResult,
    RenderedDocument,
    collect,
)

from .. import flat_in_parts as flat
from ..charset import Charset, Undecodable
from ..field_map import MappingError
from ..field_writing import (
    RenderingConfig,
    check_read_back,
    encoded,
    numbered_file,
    the_one_document,
    write_envelope,
    write_fields,
    writing_for,
)
from ..mappings import (
    DocumentReader,
    document_reader,
    readable,
    resolve_mapping,
    untrusted_sender,
)
from .mapping import FixedMapping, FixedNode, FixedPaths, Layout, load_mapping
from .records import Document, Problem, read_documents
from .rendering import FixedWriting, render_mapping
from .untracked import UntrackedReader, untracked_reader

KIND = "fixed"
FILE_SEQUENCE = "fixed.file"
"""The ledger's sequence the files the gateway writes are numbered from."""
DRAFT_REFERENCE = "draft"
FINDINGS = 100
"""Findings a file's result lists at most (a hostile file can hold millions); the others are
counted in ``left_off``."""


class FixedConfig(RenderingConfig, Charset):
    """A partner's ``[fixed]`` section (with ``encoding`` and ``bad_characters``:
    :class:`~adapters.formats.charset.Charset`)."""

    mapping_folder: ClassVar[str] = "fixed"

    mapping: str = Field(
        description="the mapping its files are read with: mappings/fixed/<name>.toml of the "
        "home, else of those shipped"
    )
    partner_ids: list[str] = Field(
        default_factory=list, description="the sender ids its files may carry; none: not checked"
    )

    @field_validator("mapping")
    @classmethod
    def _found(cls, name: str, info: ValidationInfo) -> str:
        return readable(resolve_mapping(name, "fixed", info), load_mapping)

    def load_for_rendering(self, name: str) -> FixedWriting:
        return render_mapping(name)


PART = 250
"""Documents a part of a file read as a stream holds at most."""
PART_LINES = 1_000
"""The lines of its documents a part holds at most (a part is full at :data:`PART` documents or
at this many lines, whichever comes first): the memory of a part stays bounded whatever its
documents' size, and a part's models die before the cyclic collector passes over them many
times (a part of 250 orders of 10 lines, some 60,000 objects alive, outlived a collection of
the youngest generation: ``bench/flat_xml.py`` read 20% fewer lines per CPU second)."""


@dataclass(frozen=True)
class FixedParser:
    """Reads fixed-width files with each partner's mapping, as a stream; picklable."""

    mappings: Mapping[str, FixedMapping]
    senders: Mapping[str, frozenset[str]]
    charsets: Mapping[str, Charset] = field(default_factory=dict)

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        return collect(self._read(io.BytesIO(data), file_name, partner, None))

    def parse_stream(
        self, source: BinaryIO, *, file_name: str, partner: str | None = None
    ) -> Iterator[ParseResult]:
        """The file's documents, a part at a time (:data:`PART`, :data:`PART_LINES`; the last
        part has the file's verdict); a file keeps :data:`FINDINGS` findings, counting the
        others. A document is held whole to be translated: one of more records than
        :data:`~adapters.formats.flat_in_parts.HUGE_ROWS` is refused (``fixed.too_large``,
        its lines passed over, not held) and the others read on; :meth:`parse` (the bytes in
        hand: a small file, the command line, a rendered file read back) holds any."""
        return self._read(source, file_name, partner, flat.HUGE_ROWS)

    def _read(
        self, source: BinaryIO, file_name: str, partner: str | None, most: int | None
    ) -> Iterator[ParseResult]:
        mapping = self.mappings.get(partner or "")
        if mapping is None:
            why = f"{file_name}: no fixed-width mapping for partner {partner!r}"
            yield ParseResult(unreadable=why)
            return
        layout = mapping.layout
        charset = self.charsets.get(partner or "", Charset())
        allowed = self.senders.get(partner or "", frozenset())
        lines = charset.lines_of(source, layout.encoding, "fixed-width file")
        part, findings, held = ParseResult(), _Findings(file_name), 0
        slices: dict[str, tuple[str, slice]] = {}
        read = (
            untracked_reader(KIND, mapping, partner),
            document_reader(KIND, mapping, partner, FixedPaths.of(layout)),
        )
        try:
            for found in read_documents(lines, layout, most):
                problems = [found] if isinstance(found, Problem) else found.problems
                for problem in problems:
                    where = "" if problem.line is None else f"line {problem.line}"
                    findings.add(part, problem.code, problem.line, where, problem.message)
                if not isinstance(found, Document):
                    continue
                if found.left_off:
                    part.left_off["error"] = part.left_off.get("error", 0) + found.left_off
                if found.problems:
                    continue
                document = self._translate(part, layout, read, found, slices, findings)
                if document is None:
                    continue
                refusal = untrusted_sender([document], allowed, file_name)
                if refusal is not None:
                    finding = _error("fixed.sender", refusal, None)
                    yield ParseResult(refused=refusal, findings=[finding])
                    return
                part.documents.append(document)
                held += found.last_line - found.root.line + 1
                if len(part.documents) >= PART or held >= PART_LINES:
                    yield part
                    part, held = ParseResult(), 0
        except Undecodable as error:
            yield ParseResult(unreadable=f"{file_name}: {error}")
            return
        if not (findings.seen or findings.documents):
            yield ParseResult(unreadable=f"{file_name}: no records")
            return
        if lines.warning:
            message = f"{file_name}: {lines.warning}"
            part.findings.append(
                {"code": "fixed.charset", "severity": "warning", "message": message}
            )
        yield part

    def _translate(
        self,
        part: ParseResult,
        layout: Layout,
        read: tuple[UntrackedReader, DocumentReader],
        document: Document,
        slices: dict[str, tuple[str, slice]],
        findings: _Findings,
    ) -> ParsedDocument | None:
        """The document read through the mapping (``read``: untracked, then, if it cannot be,
        tracked, for an error naming the lines its values came from:
        :mod:`.untracked`); None, its finding added, when it cannot be."""
        findings.documents += 1
        untracked, tracked = read
        try:
            return untracked(document.root)
        except (MappingError, KeyError):
            pass
        node = FixedNode.of(document.root, layout, slices)
        try:
            return tracked(node)
        except (MappingError, KeyError) as error:
            problem = str(error.args[0]) if isinstance(error, KeyError) else str(error)
            first, last = document.root.line, document.last_line
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            findings.add(part, "fixed.mapping", first, where, node.place(problem))
            return None

    def reply(self, result: ParseResult, counter: object) -> None:
        """Fixed-width files get no acknowledgement from the gateway (yet)."""


@dataclass
class _Findings:
    """A file's findings: at most :data:`FINDINGS` listed (over all its parts), the others
    counted."""

    file_name: str
    seen: int = 0
    documents: int = 0
    """Documents translated (or tried)."""

    def add(self, part: ParseResult, code: str, line: int | None, where: str, message: str) -> None:
        self.seen += 1
        if self.seen > FINDINGS:
            part.left_off["error"] = part.left_off.get("error", 0) + 1
            return
        name = self.file_name
        text = f"{name}, {where}: {message}" if where else f"{name}: {message}"
        part.findings.append(_error(code, text, line))


def _error(code: str, message: str, line: int | None) -> dict[str, Any]:
    finding: dict[str, Any] = {"code": code, "severity": "error", "message": message}
    if line is not None:
        finding["line"] = line
    return finding


class FixedFormat(Format):
    """Fixed-width files through declarative mappings (``format = "fixed"``, settings in
    ``[fixed]``)."""

    kind: ClassVar[str] = KIND
    Config: ClassVar[type[FormatConfig]] = FixedConfig

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        mine = {name: c for name, c in configs.items() if isinstance(c, FixedConfig)}
        mappings = {name: load_mapping(c.mapping) for name, c in mine.items()}
        named = {n for c in mine.values() for n in (c.mapping, *c.render.values())}
        if len(named) == 1:  # nobody's (the gateway's own files): read with the only one
            mappings[""] = load_mapping(named.pop())
        return FixedParser(
            mappings=mappings,
            senders={name: frozenset(c.partner_ids) for name, c in mine.items()},
            charsets=mine,
        )

    def draft(self, message: Message, kind: str, config: FormatConfig, at: dt.datetime) -> Draft:
        settings = _fixed(config)
        writing = _writing(settings, kind, message)
        document = writing.new_document()
        try:
            write_envelope(document, writing.mapping.envelope, settings.facts(DRAFT_REFERENCE))
        except ValueError as error:
            raise DocumentRefused(f"the envelope: {error}") from None
        values = message.model_dump(exclude={"envelope", "document_id"})
        write_fields(document, writing.mapping.fields, values)
        text = writing.serialize(document)
        encoding = settings.encoding or writing.mapping.layout.encoding
        reader = FixedParser({"": writing.mapping}, {}, {"": Charset(encoding=encoding)})
        result = reader.parse(encoded(text, encoding, kind), file_name=f"the rendered {kind}")
        back, problems = the_one_document(result, f"{writing.header} records")
        check_read_back(message, back, problems, kind, writing.name)
        return Draft(kind, "", text, message.content_digest)

    def number(
        self, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        settings = _fixed(config)
        writing = _writing(settings, draft.kind)
        number = counter.next(FILE_SEQUENCE)
        reference = f"{number:09d}"
        numbered = writing.with_reference(draft.text, reference)
        encoding = settings.encoding or writing.mapping.layout.encoding
        name = f"{draft.kind}-{reference}.txt"
        return numbered_file(KIND, draft, settings, numbered, reference, name, encoding)


def _fixed(config: FormatConfig) -> FixedConfig:
    if not isinstance(config, FixedConfig):
        raise TypeError(f"fixed-width settings expected, got {type(config).__name__}")
    return config


def _writing(config: FixedConfig, kind: str, message: Message | None = None) -> FixedWriting:
    return writing_for(config, kind, KIND, render_mapping, message)

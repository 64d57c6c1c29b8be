"""Which format each partner's files are read and written in.

:class:`PartnerFormats` is what the pipelines hold instead of one format: a
:class:`~gateway.ports.Parser` that reads each file with its partner's format (a file of a partner
without a profile with the default one), renders the replies with the format that read the file,
and passes each accepted document to that format's hook. It pickles (the parse may run in worker
processes), and so do the formats it holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from .control_numbers import ControlNumberCounter
from .duplicates import business_key
from .messages import Message
from .partners import PartnerProfile
from .ports import (
    Draft,
    Format,
    FormatConfig,
    ParsedDocument,
    Parser,
    ParseResult,
    RenderedDocument,
    StreamingParser,
)
from .registry import Registry


class PartnerFormats:
    """Each partner's :class:`~gateway.ports.Format`, and one parser per format."""

    def __init__(
        self, formats: Mapping[str, Format], profiles: Mapping[str, PartnerProfile], default: str
    ) -> None:
        self.formats = dict(formats)
        self.default = default
        self.partner_format = {name: profile.format for name, profile in profiles.items()}
        self.partner_inbound = {
            name: tuple(profile.inbound_formats)
            for name, profile in profiles.items()
            if len(profile.inbound_formats) > 1
        }
        self.parsers: dict[str, Parser] = {
            kind: format_.parser(
                {name: p.formats[kind] for name, p in profiles.items() if kind in p.formats}
            )
            for kind, format_ in self.formats.items()
        }

    @classmethod
    def of(cls, registry: Registry, profiles: Mapping[str, PartnerProfile]) -> PartnerFormats:
        """Every registered format, for ``profiles``."""
        formats = {kind: cls_() for kind, cls_ in registry.formats.items()}
        return cls(formats, profiles, registry.default_format)

    def kind_of(self, partner: str | None) -> str:
        return self.partner_format.get(partner or "", self.default)

    def format_of(self, partner: str | None) -> Format:
        return self.formats[self.kind_of(partner)]

    def kind_of_file(self, partner: str | None, data: bytes) -> str:
        """The kind of format that reads ``data`` from ``partner``: of the partner's inbound
        formats, the first whose signature the file begins with, else the first without one
        (:attr:`~gateway.ports.Format.signature`)."""
        kinds = self.partner_inbound.get(partner or "")
        if kinds is None:
            return self.kind_of(partner)
        head = data[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
        signatures = {kind: self.formats[kind].signature for kind in kinds}
        return next(
            (kind for kind, mark in signatures.items() if mark and head.startswith(mark)),
            next((kind for kind, mark in signatures.items() if mark is None), kinds[0]),
        )

    # -- inbound (the Parser protocol, and the pipeline's document hook) -------------------------

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        started = time.perf_counter()
        kind = self.kind_of_file(partner, data)
        result = self.parsers[kind].parse(data, file_name=file_name, partner=partner, refuse=refuse)
        result.format = kind
        result.documents = [_with_business_facts(doc) for doc in result.documents]
        result.seconds = time.perf_counter() - started
        return result

    def reads_here(self, partner: str | None, data: bytes) -> bool:
        """Whether ``partner``'s file ``data`` is small enough for its format to be read in the
        daemon's own process (:attr:`~gateway.ports.Format.read_here_under`)."""
        return len(data) < self.formats[self.kind_of_file(partner, data)].read_here_under

    def streams(self, partner: str | None, head: bytes) -> bool:
        """Whether the file of ``partner`` that begins with ``head`` is read as a stream (its
        format is a :class:`~gateway.ports.StreamingParser`), not whole."""
        return isinstance(self.parsers[self.kind_of_file(partner, head)], StreamingParser)

    def streams_over_limit_only(self, partner: str | None, head: bytes) -> bool:
        """Whether that file's format reads it as a stream only when it is over a limit (its
        parser's ``streams_over_limit_only``; the limit: :func:`gateway.streamed.streams`), and
        whole below it."""
        parser = self.parsers[self.kind_of_file(partner, head)]
        return bool(getattr(parser, "streams_over_limit_only", False))

    def holds_document_in_parts(self, partner: str | None, head: bytes, path: Path) -> bool:
        """Whether that file, at ``path``, holds a document its format reads in parts (its
        parser's ``holds_document_in_parts(path)``): read whole, it would take many times its
        size, so it is read as a stream whatever its size."""
        parser = self.parsers[self.kind_of_file(partner, head)]
        holds = getattr(parser, "holds_document_in_parts", None)
        return holds is not None and bool(holds(path))

    def parse_stream(
        self, source: BinaryIO, *, file_name: str, partner: str | None = None
    ) -> Iterator[ParseResult]:
        """The file ``source`` holds, read in parts by the partner's format when it reads
        streams (:class:`~gateway.ports.StreamingParser`: a file of any size in the memory of a
        part), else read whole as one part; as :meth:`parse` gives them."""
        head = source.read(64)
        source.seek(0)
        kind = self.kind_of_file(partner, head)
        parser = self.parsers[kind]
        if isinstance(parser, StreamingParser):
            parts = parser.parse_stream(source, file_name=file_name, partner=partner)
        else:
            parts = iter([parser.parse(source.read(), file_name=file_name, partner=partner)])
        for part in parts:
            part.format = kind
            part.documents = [_with_business_facts(doc) for doc in part.documents]
            yield part
            del part  # not held while the format reads the next one (the documents alive, halved)

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        self.parsers[result.format or self.default].reply(result, counter)

    def on_document(self, s: Session, partner: str, doc: ParsedDocument) -> None:
        envelope = getattr(doc.message, "envelope", None)  # the format that read it says
        kind = getattr(envelope, "format", None)
        format_ = self.formats.get(kind) if isinstance(kind, str) else None
        (format_ or self.format_of(partner)).on_document(s, partner, doc)

    def warm_up(self) -> None:
        """Every format's :meth:`~gateway.ports.Format.warm_up` (in a process that parses)."""
        for format_ in self.formats.values():
            format_.warm_up()

    @property
    def modules(self) -> tuple[str, ...]:
        """The modules of the formats and their parsers, and this one: what a process that
        parses needs (:attr:`gateway.runtime.workers.WorkerPool.preload`)."""
        objects = [self, *self.formats.values(), *self.parsers.values()]
        return tuple(sorted({type(thing).__module__ for thing in objects}))

    # -- outbound --------------------------------------------------------------------------------

    def draft(
        self, partner: str, message: Message, kind: str, config: FormatConfig, at: dt.datetime
    ) -> Draft:
        return self.format_of(partner).draft(message, kind, config, at)

    def number(
        self, partner: str, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        format_ = self.format_of(partner)
        return dataclasses.replace(format_.number(draft, config, counter), format=format_.kind)


def _with_business_facts(doc: ParsedDocument) -> ParsedDocument:
    """``doc`` with its business key and content digest, from its canonical message."""
    message = doc.message
    if message is None:
        return doc
    key, digest = business_key(message) or "", getattr(message, "content_digest", "")
    if doc.business_key == key and doc.content_digest == digest:
        return doc  # its format gave them
    return dataclasses.replace(doc, business_key=key, content_digest=digest)

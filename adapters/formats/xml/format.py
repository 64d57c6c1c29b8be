"""The XML format: a partner's XML documents (cXML and partners' own) read through a declarative
mapping (:mod:`.mapping`, ``mappings/xml/<name>.toml``), after a safe parse (:mod:`.safe`), and
canonical messages written for it through the same mappings (:mod:`.rendering`).

Options (the profile's ``[xml]`` section, :class:`XmlConfig`): ``mappings``, the names of the
mappings its documents are read with (each finds its own documents in a file: an OrderRequest
and a ShipNoticeRequest are told apart by their paths); ``partner_ids``, the sender ids the
partner's documents may carry (none: not checked); ``reply = "cxml-status"``, a cXML Response
with each file's status (:mod:`.status_reply`); for what the gateway sends it, ``render``
(the mapping of each kind: ``{"856" = "cxml-ship-notice-request"}``), ``sender_id`` (ours) and
``receiver_id`` (the partner's) with their optional qualifiers (cXML: the Credential's
``domain``), and ``payload_domain`` (the end of the payloadIDs: ``<time>.<number>@<domain>``).

Files are read as streams (:meth:`XmlParser.parse_stream`, :class:`.safe.ElementStream`) when
every mapping of the partner finds its documents by child steps from the root; otherwise whole.

A document written for a partner is read back through its mapping before it may leave: it must
give the canonical message it was written from (a field the mapping does not carry refuses it,
named). Its payloadID takes a number from the ledger's sequence ``xml.payload`` when it is
numbered, and its file is ``<kind>-<number>.xml``. A file read as nobody's (the gateway's own
documents read back) is read with every mapping the partners' profiles name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, Literal

from lxml import etree
from pydantic import Field, ValidationInfo, field_validator

from gateway.control_numbers import ControlNumberCounter
from gateway.messages import Message
from gateway.ports import (
    Draft,
    Format,
    FormatConfig,
    ParsedDocument,
    Parser,
    ParseResult,
    RenderedDocument,
    collect,
)

from ..field_map import MappingError
from ..field_writing import (
    RenderingConfig,
    check_read_back,
    numbered_file,
    write_fields,
    writing_for,
)
from ..mappings import (
    DocumentReader,
    document_reader,
    envelope_facts,
    mapped_document,
    readable,
    resolve_mapping,
    untrusted_sender,
)
from .mapping import XmlMapping, XmlNode, load_mapping
from .rendering import XmlTarget, XmlWriting, render_mapping
from .safe import ElementStream, XmlRefused, parse_xml
from .status_reply import SEQUENCE, StatusOwed, owed_status, render_status

KIND = "xml"
PAYLOAD_SEQUENCE = "xml.payload"
"""The ledger's sequence the payloadIDs of what the gateway writes are numbered from."""
DRAFT_REFERENCE = "draft"


class XmlConfig(RenderingConfig):
    """A partner's ``[xml]`` section."""

    mapping_folder: ClassVar[str] = "xml"

    mappings: list[str] = Field(
        min_length=1,
        description="the mappings its documents are read with: mappings/xml/<name>.toml of the "
        "home, else of those shipped",
    )

    @field_validator("mappings")
    @classmethod
    def _found(cls, names: list[str], info: ValidationInfo) -> list[str]:
        return [readable(resolve_mapping(name, "xml", info), load_mapping) for name in names]

    partner_ids: list[str] = Field(
        default_factory=list,
        description="the sender ids its documents may carry (cXML: From/Credential/Identity); "
        "none: not checked",
    )
    reply: Literal["none", "cxml-status"] = Field(
        default="none",
        description='"cxml-status": a cXML Response with the status of each file it sends '
        "(200 OK, or 400 with the problems)",
    )

    payload_domain: str = Field(
        default="edi-gateway",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,18}$",
        description="the domain ending the payloadIDs of what we send: <time>.<number>@<domain>",
    )

    def load_for_rendering(self, name: str) -> XmlWriting:
        return render_mapping(name)


PART = 100
"""Documents a part of a file read as a stream holds at most."""
SIMPLE_PATH = re.compile(r"^(/([A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)+$")
"""A mapping's ``documents`` that a stream can follow: child steps from the root, no more."""


@dataclass(frozen=True)
class XmlParser:
    """Reads XML documents with each partner's mapping, as a stream where the mappings allow;
    picklable."""

    mappings: Mapping[str, tuple[XmlMapping, ...]]
    senders: Mapping[str, frozenset[str]]
    replies: frozenset[str] = frozenset()
    """The partners who get a cXML status reply for each file."""

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        return collect(self.parse_stream(io.BytesIO(data), file_name=file_name, partner=partner))

    def parse_stream(
        self, source: BinaryIO, *, file_name: str, partner: str | None = None
    ) -> Iterator[ParseResult]:
        """The file's documents, :data:`PART` at a time, read with ``iterparse`` when every
        mapping of the partner finds its documents by child steps from the root
        (``/cXML/Request/OrderRequest``): each document is dropped once read, so the file takes
        the memory of its largest document (a mapping's paths read inside their document, or
        before it). Otherwise the file is read whole (at most ``MAX_BYTES``)."""
        taken, errors = 0, []
        last: ParseResult | None = None
        for part in self._parts(source, file_name, partner):
            if last is not None:
                yield last
            taken += len(part.documents)
            errors += [f for f in part.findings if f.get("severity") == "error"]
            last = part
        assert last is not None  # _parts ends with the file's last part
        if partner in self.replies:
            verdict = ParseResult(unreadable=last.unreadable, refused=last.refused, findings=errors)
            owed = owed_status(verdict, file_name, taken)
            if owed is not None:
                last.owed.append(owed)
                last.draws.append(SEQUENCE)
        yield last

    def _parts(
        self, source: BinaryIO, file_name: str, partner: str | None
    ) -> Iterator[ParseResult]:
        """The file read, in parts (the last one always comes, with the file's verdict)."""
        mappings = self.mappings.get(partner or "")
        if not mappings:
            yield ParseResult(unreadable=f"{file_name}: no XML mapping for partner {partner!r}")
            return
        allowed = self.senders.get(partner or "", frozenset())
        paths = _document_paths(mappings)
        part, number = ParseResult(), 0
        readers: dict[int, DocumentReader] = {}
        """Each mapping's reader, made once for the file (by the mapping's identity)."""
        try:
            found: Iterable[tuple[XmlMapping, XmlNode]]
            if paths is None:
                root = parse_xml(source.read())
                found = [(m, node) for m in mappings for node in m.documents_of(root)]
            else:
                stream = ElementStream(source, paths)
                found = (
                    (m, XmlNode(element, m.namespaces))
                    for path, element in stream
                    for m in paths[path]
                )
            for mapping, node in found:
                number += 1
                reader = readers.get(id(mapping))
                if reader is None:
                    reader = readers[id(mapping)] = document_reader(KIND, mapping, partner)
                document = _document(part, mapping, reader, node, number, file_name)
                if document is None:
                    continue
                why = untrusted_sender([document], allowed, file_name)
                if why is not None:
                    yield ParseResult(refused=why, findings=[_error(file_name, why)])
                    return
                part.documents.append(document)
                if len(part.documents) >= PART:
                    yield part
                    part = ParseResult()
        except XmlRefused as refused:
            yield ParseResult(unreadable=f"{file_name}: {refused} ({refused.code})")
            return
        except etree.XPathError as error:  # a mapping's path the compile could not fault
            yield ParseResult(unreadable=f"{file_name}: a mapping's XPath failed: {error}")
            return
        if not number:
            whole = stream.root if paths is not None else root
            looked = ", ".join(mapping.documents for mapping in mappings)
            outline = _outline(whole) if whole is not None else "nothing"
            yield ParseResult(
                unreadable=f"{file_name}: {outline}: none of the partner's mappings reads it "
                f"(they look for {looked})"
            )
            return
        yield part

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        """The status replies owed (:mod:`.status_reply`), numbered from ``counter``."""
        now = dt.datetime.now(dt.UTC)
        for owed in result.owed:
            if isinstance(owed, StatusOwed):
                result.replies.append(render_status(owed, counter, now))
        result.owed = []


def _document(
    part: ParseResult,
    mapping: XmlMapping,
    reader: DocumentReader,
    node: XmlNode,
    number: int,
    file_name: str,
) -> ParsedDocument | None:
    """The document ``reader`` (``mapping``'s) makes of ``node``; None, with its finding in
    ``part``, when it makes none."""
    where = f"{file_name}, document {number} ({mapping.documents})"
    try:
        return reader(node)
    except (MappingError, XmlRefused) as error:
        part.findings.append(_error(where, f"{where}: {error}"))
    except etree.XPathError as error:
        part.findings.append(_error(where, f"the mapping's XPath failed: {error}"))
    return None


def _document_paths(
    mappings: Sequence[XmlMapping],
) -> dict[tuple[str, ...], list[XmlMapping]] | None:
    """Each mapping's documents' path as tags from the root (Clark notation), the mappings
    finding their documents there; None when a mapping's ``documents`` is more than child
    steps from the root."""
    paths: dict[tuple[str, ...], list[XmlMapping]] = {}
    for mapping in mappings:
        if not SIMPLE_PATH.match(mapping.documents):
            return None
        tags = []
        for step in mapping.documents.strip("/").split("/"):
            prefix, _, name = step.rpartition(":")
            if prefix and prefix not in mapping.namespaces:
                return None
            tags.append(f"{{{mapping.namespaces[prefix]}}}{name}" if prefix else name)
        paths.setdefault(tuple(tags), []).append(mapping)
    return paths


def _outline(root: etree._Element) -> str:
    """What the file holds, for a refusal: its root and the elements under it, two levels deep
    (``<cXML> holding Header/From, Request/StatusUpdateRequest``)."""
    paths = []
    for child in root.iterchildren(tag=etree.Element):
        grandchild = next(child.iterchildren(tag=etree.Element), None)
        name = etree.QName(child).localname
        paths.append(name if grandchild is None else f"{name}/{etree.QName(grandchild).localname}")
    held = ", ".join(paths[:6]) + (", ..." if len(paths) > 6 else "")
    return f"<{etree.QName(root).localname}> holding {held or 'nothing'}"


def _error(where: str, message: str) -> dict[str, str]:
    return {"code": "xml.mapping", "severity": "error", "message": message, "file": where}


class XmlFormat(Format):
    """XML through declarative mappings (``format = "xml"``, settings in ``[xml]``)."""

    kind: ClassVar[str] = KIND
    signature: ClassVar[bytes | None] = b"<"
    Config: ClassVar[type[FormatConfig]] = XmlConfig

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        xml = {name: c for name, c in configs.items() if isinstance(c, XmlConfig)}
        everyone = dict.fromkeys(n for c in xml.values() for n in (*c.mappings, *c.render.values()))
        return XmlParser(
            mappings={
                **{name: tuple(map(load_mapping, c.mappings)) for name, c in xml.items()},
                "": tuple(map(load_mapping, everyone)),  # nobody's: the gateway's own documents
            },
            senders={name: frozenset(c.partner_ids) for name, c in xml.items()},
            replies=frozenset(name for name, c in xml.items() if c.reply == "cxml-status"),
        )

    def draft(self, message: Message, kind: str, config: FormatConfig, at: dt.datetime) -> Draft:
        xml = _xml(config)
        writing = _writing(xml, kind, message)
        root, top = writing.new_document()
        document = writing.write_head(top, xml.facts(DRAFT_REFERENCE), at)
        values = message.model_dump(exclude={"envelope", "document_id"})
        write_fields(document, writing.mapping.fields, values, derived=writing.derived)
        text = writing.serialize(root)
        back, problems = _read_back(text, writing.mapping)
        check_read_back(message, back, problems, kind, writing.name)
        return Draft(kind, "", text, message.content_digest)

    def number(
        self, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        xml = _xml(config)
        writing = _writing(xml, draft.kind)
        number = counter.next(PAYLOAD_SEQUENCE)
        now = dt.datetime.now(dt.UTC)
        reference = f"{int(now.timestamp())}.{number}@{xml.payload_domain}"
        root = parse_xml(draft.text.encode("utf-8"))
        writing.renumber(XmlTarget(root, writing.path), reference, now)
        [document] = writing.mapping.documents_of(root)
        facts = envelope_facts(writing.mapping.envelope, document)
        numbered = (writing.serialize(root), facts)
        name = f"{draft.kind}-{number:09d}.xml"
        return numbered_file(KIND, draft, xml, numbered, reference, name)


def _xml(config: FormatConfig) -> XmlConfig:
    if not isinstance(config, XmlConfig):
        raise TypeError(f"XML settings expected, got {type(config).__name__}")
    return config


def _writing(config: XmlConfig, kind: str, message: Message | None = None) -> XmlWriting:
    return writing_for(config, kind, KIND, render_mapping, message)


def _read_back(text: str, mapping: XmlMapping) -> tuple[Message | None, list[str]]:
    """The message ``text`` reads back as through ``mapping`` (None, and why, when it does not)."""
    try:
        root = parse_xml(text.encode("utf-8"))
        found = mapping.documents_of(root)
        if len(found) != 1:
            return None, [f"{len(found)} documents at {mapping.documents}"]
        message = mapped_document(KIND, mapping, found[0], None).message
    except (XmlRefused, MappingError, etree.XPathError) as error:
        return None, [str(error)]
    return message, []

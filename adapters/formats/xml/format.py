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

A document written for a partner is read back through its mapping before it may leave: it must
give the canonical message it was written from (a field the mapping does not carry refuses it,
named). Its payloadID takes a number from the ledger's sequence ``xml.payload`` when it is
numbered, and its file is ``<kind>-<number>.xml``. A file read as nobody's (the gateway's own
documents read back) is read with every mapping the partners' profiles name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from lxml import etree
from pydantic import Field, ValidationInfo, field_validator

from gateway.control_numbers import ControlNumberCounter
from gateway.messages import Message
from gateway.ports import (
    Draft,
    Format,
    FormatConfig,
    Parser,
    ParseResult,
    RenderedDocument,
)

from ..field_map import (
    MappingError,
    envelope_facts,
    mapped_document,
    resolve_mapping,
    untrusted_sender,
)
from ..field_writing import (
    RenderingConfig,
    check_read_back,
    rendered_document_id,
    write_fields,
    writing_for,
)
from .mapping import XmlMapping, load_mapping
from .rendering import XmlTarget, XmlWriting, render_mapping
from .safe import XmlRefused, parse_xml
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
        return [resolve_mapping(name, "xml", info) for name in names]

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


@dataclass(frozen=True)
class XmlParser:
    """Reads XML documents with each partner's mapping; picklable."""

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
        result = self._read(data, file_name, partner)
        owed = owed_status(result, file_name) if partner in self.replies else None
        if owed is not None:
            result.owed.append(owed)
            result.draws.append(SEQUENCE)
        return result

    def _read(self, data: bytes, file_name: str, partner: str | None) -> ParseResult:
        mappings = self.mappings.get(partner or "")
        if not mappings:
            return ParseResult(unreadable=f"{file_name}: no XML mapping for partner {partner!r}")
        try:
            root = parse_xml(data)
        except XmlRefused as refused:
            return ParseResult(unreadable=f"{file_name}: {refused} ({refused.code})")
        try:
            found = [(m, node) for m in mappings for node in m.documents_of(root)]
        except etree.XPathError as error:  # a mapping's path the compile could not fault
            return ParseResult(unreadable=f"{file_name}: a mapping's XPath failed: {error}")
        if not found:
            looked = ", ".join(mapping.documents for mapping in mappings)
            return ParseResult(
                unreadable=f"{file_name}: {_outline(root)}: none of the partner's mappings reads "
                f"it (they look for {looked})"
            )
        result = ParseResult()
        for number, (mapping, node) in enumerate(found, start=1):
            where = f"{file_name}, document {number} ({mapping.documents})"
            try:
                result.documents.append(mapped_document(KIND, mapping, node, partner))
            except (MappingError, XmlRefused) as error:
                result.findings.append(_error(where, f"{where}: {error}"))
            except etree.XPathError as error:
                result.findings.append(_error(where, f"the mapping's XPath failed: {error}"))
        why = untrusted_sender(
            result.documents, self.senders.get(partner or "", frozenset()), file_name
        )
        if why is not None:
            return ParseResult(refused=why, findings=[_error(file_name, why)])
        return result

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        """The status replies owed (:mod:`.status_reply`), numbered from ``counter``."""
        now = dt.datetime.now(dt.UTC)
        for owed in result.owed:
            if isinstance(owed, StatusOwed):
                result.replies.append(render_status(owed, counter, now))
        result.owed = []


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
        return RenderedDocument(
            document_id=rendered_document_id(KIND, facts, draft.content_digest),
            text=writing.serialize(root),
            group_kind="",
            interchange=reference,
            group="",
            transaction="",
            file_name=f"{draft.kind}-{number:09d}.xml",
            sender_id=xml.sender_id or "",
            receiver_id=xml.receiver_id or "",
            sender_qualifier=xml.sender_qualifier,
            receiver_qualifier=xml.receiver_qualifier,
        )


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

"""The XML format: a partner's XML documents (cXML and partners' own) read through a declarative
mapping (:mod:`.mapping`, ``mappings/xml/<name>.toml``), after a safe parse (:mod:`.safe`).

Options (the profile's ``[xml]`` section, :class:`XmlConfig`): ``mappings``, the names of the
mappings its documents are read with (each finds its own documents in a file: an OrderRequest
and a ShipNoticeRequest are told apart by their paths);
``partner_ids``, the sender ids the partner's documents may carry (none: not checked);
``reply = "cxml-status"``, a cXML Response with each file's status (:mod:`.status_reply`).
Rendering comes with the mappings' mirrors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from lxml import etree
from pydantic import Field, ValidationInfo, field_validator

from gateway.control_numbers import ControlNumberCounter
from gateway.ports import Format, FormatConfig, Parser, ParseResult

from ..field_map import MappingError, mapped_document, resolve_mapping, untrusted_sender
from .mapping import XmlMapping, load_mapping
from .safe import XmlRefused, parse_xml
from .status_reply import SEQUENCE, StatusOwed, owed_status, render_status

KIND = "xml"


class XmlConfig(FormatConfig):
    """A partner's ``[xml]`` section."""

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
        why = untrusted_sender(result, self.senders.get(partner or "", frozenset()), file_name)
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
        return XmlParser(
            mappings={name: tuple(map(load_mapping, c.mappings)) for name, c in xml.items()},
            senders={name: frozenset(c.partner_ids) for name, c in xml.items()},
            replies=frozenset(name for name, c in xml.items() if c.reply == "cxml-status"),
        )

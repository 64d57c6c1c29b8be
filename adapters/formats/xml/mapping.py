"""Declarative XML mappings: ``mappings/xml/<name>.toml``, read by people and reviewed like code.

A mapping says which elements are documents (``documents``, an XPath), which canonical message
each becomes (``message``, routed as ``kind``), where the envelope's facts are (``[envelope]``),
and where each field comes from (``[fields]``, :mod:`adapters.formats.field_map`), by XPath 1.0
from the document's element (absolute paths from the root; XPath functions too: ``local-name(..)``)
with the ``namespaces`` the mapping declares (prefix -> URI). A mapping that also writes documents
for partners may say in ``[render]`` how, besides its fields (:class:`XmlRender`;
:mod:`.rendering` says how paths are written).

A bad mapping is a :class:`~gateway.errors.ConfigError` naming its file and key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from pydantic import Field, ValidationInfo, field_validator

from ..field_map import FieldSpec, Strict, read_fields, spec_of
from ..mappings import EnvelopeSpec, MappingFile, envelope_facts, mapping_path, read_mapping_file

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings" / "xml"
"""The mappings the project ships (``mappings/xml/`` of the source tree)."""


Fact = Literal[
    "interchange_reference", "sender", "sender_qualifier", "receiver", "receiver_qualifier"
]


class XmlRender(Strict):
    """How documents written with the mapping are written besides their fields."""

    doctype: str | None = Field(
        default=None,
        pattern=r"^<!DOCTYPE [^<>\[\]]+>$",
        description="the DOCTYPE written after the XML declaration (a DTD named, no internal "
        "subset)",
    )
    timestamp: str | None = Field(
        default=None,
        description="where the time the document is numbered at is written (/cXML/@timestamp)",
    )
    envelope: dict[str, Fact] = Field(
        default_factory=dict,
        description="more paths envelope facts are written at: path -> fact (cXML: the "
        "Sender's Credential)",
    )
    constants: dict[str, str] = Field(
        default_factory=dict,
        description="path -> text written in every document, after the envelope "
        "(cXML: /cXML/@version)",
    )
    derived: list[str] = Field(
        default_factory=list,
        description="fields (full dotted names) read but not written: their paths are XPath "
        "functions of what other fields write; reading the document back still checks them",
    )


@dataclass(frozen=True)
class XmlNode:
    """An element, its paths XPaths (:class:`~adapters.formats.field_map.Node`)."""

    element: etree._Element
    namespaces: Mapping[str, str]

    def texts(self, path: str) -> list[str]:
        found = _compiled(path, tuple(self.namespaces.items()))(self.element)
        if not isinstance(found, list):
            return [str(found).strip()]
        return [
            (item.text or "").strip() if isinstance(item, etree._Element) else str(item).strip()
            for item in found
        ]

    def children(self, path: str) -> Sequence[XmlNode]:
        found = _compiled(path, tuple(self.namespaces.items()))(self.element)
        if not isinstance(found, list):
            return []
        return [
            XmlNode(item, self.namespaces) for item in found if isinstance(item, etree._Element)
        ]


@functools.lru_cache(maxsize=2048)
def _compiled(path: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    """``path`` compiled once (lxml compiles a string XPath at every call)."""
    return etree.XPath(path, namespaces=dict(namespaces))


class XmlMapping(MappingFile):
    """One mapping file."""

    namespaces: dict[str, str] = Field(default_factory=dict, description="prefix -> URI")
    documents: str = Field(description="XPath of the documents' elements")
    envelope: EnvelopeSpec
    fields: dict[str, FieldSpec | str]
    render: XmlRender | None = None

    @field_validator("documents", "envelope", "fields")
    @classmethod
    def _paths_compile(cls, value: Any, info: ValidationInfo) -> Any:
        namespaces = info.data.get("namespaces") or {}
        if isinstance(value, str):
            paths = {"documents": [value]}
        elif isinstance(value, EnvelopeSpec):
            paths = {name: [path] for name, path in value.model_dump().items() if path}
        else:
            paths = {name: spec_of(spec).paths() for name, spec in value.items()}
        for name, found in paths.items():
            for path in found:
                try:
                    etree.XPath(path, namespaces=namespaces)
                except (etree.XPathSyntaxError, etree.XPathEvalError) as error:
                    raise ValueError(f"{name}: not an XPath: {path!r} ({error})") from None
        return value

    def documents_of(self, root: etree._Element) -> Sequence[XmlNode]:
        return XmlNode(root, self.namespaces).children(self.documents)

    def envelope_of(self, node: XmlNode) -> dict[str, str | None]:
        return envelope_facts(self.envelope, node)

    def values_of(self, node: XmlNode) -> dict[str, Any]:
        """The message's fields of the document at ``node`` (before validation)."""
        return read_fields(node, self.fields)


def load_mapping(name: str, directory: Path = MAPPINGS_DIR) -> XmlMapping:
    """The mapping ``name`` (``<directory>/<name>.toml``); :class:`ConfigError` naming file and
    key when it is bad."""
    return XmlMapping.model_validate(read_mapping_file(mapping_path(name, directory), XmlMapping))

"""Declarative XML mappings: ``mappings/xml/<name>.toml``, read by people and reviewed like code.

A mapping says which elements are documents (``documents``, an XPath), which canonical message
each becomes (``message``, routed as ``kind``), where the envelope's facts are (``[envelope]``),
and each field of the message as an XPath from the document's element (``[fields]``; nested
fields by dotted names, ``address.city``), with lists of repeated elements (``[[lists]]``: a
``field`` of the message, ``each`` element, its ``fields``). A field is a path (its first
match: an element's text, an attribute's value) or a table: ``path``, ``value`` (a constant),
``type`` (``date``: the date part of an ISO date-time), ``codes`` (the partner's code -> the
canonical one), ``default``, ``many`` (every match, a list). ``mappings/xml/
cxml-order-request.toml`` is one.

Errors name the place: a bad mapping its file and key, a document the field and the XPath that
did not give what the message needs (:class:`MappingError`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.errors import ConfigError, InputError
from gateway.messages import CANONICAL_MESSAGES, Message

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings" / "xml"
"""The mappings the project ships (``mappings/xml/`` of the source tree)."""


MESSAGES: Mapping[str, type[Message]] = {
    cls.__name__: cls for cls in CANONICAL_MESSAGES if issubclass(cls, Message)
}
"""The canonical messages a mapping may make, by name."""


class MappingError(InputError):
    """A document the mapping cannot turn into its message; the message names the field and its
    XPath."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """Where one field of the message comes from."""

    path: str | None = None
    value: str | None = None
    type: Literal["text", "date"] = "text"
    codes: dict[str, str] | None = None
    default: str | None = None
    many: bool = False

    @field_validator("path")
    @classmethod
    def _compiles(cls, path: str | None) -> str | None:
        if path is not None:
            try:
                etree.XPath(path)
            except etree.XPathSyntaxError as error:
                raise ValueError(f"not an XPath: {path!r} ({error})") from None
        return path


FieldOrPath = FieldSpec | str


class ListSpec(_Strict):
    """A list field of the message: one item per ``each`` element."""

    field: str
    each: str
    fields: dict[str, FieldOrPath]


class EnvelopeSpec(_Strict):
    interchange_reference: str | None = None
    sender: str
    sender_qualifier: str | None = None
    receiver: str
    receiver_qualifier: str | None = None


class XmlMapping(_Strict):
    """One mapping file."""

    description: str = ""
    message: str = Field(description="the canonical message each document becomes")
    kind: str = Field(description="its routing kind: edi.in.<kind>.<partner>")
    documents: str = Field(description="XPath of the documents' elements")
    envelope: EnvelopeSpec
    fields: dict[str, FieldOrPath]
    lists: list[ListSpec] = Field(default_factory=list)

    @field_validator("message")
    @classmethod
    def _known_message(cls, message: str) -> str:
        if message not in MESSAGES:
            raise ValueError(
                f"unknown canonical message {message!r} (known: {', '.join(MESSAGES)})"
            )
        return message

    @property
    def message_class(self) -> type[Message]:
        return MESSAGES[self.message]

    def documents_of(self, root: etree._Element) -> list[etree._Element]:
        found = root.xpath(self.documents)
        return (
            [node for node in found if isinstance(node, etree._Element)]
            if isinstance(found, list)
            else []
        )

    def envelope_of(self, node: etree._Element) -> dict[str, str | None]:
        spec = self.envelope
        return {
            name: _first(node, path, name) if path is not None else None
            for name, path in spec.model_dump().items()
        }

    def values_of(self, node: etree._Element) -> dict[str, Any]:
        """The message's fields of the document at ``node`` (before validation)."""
        values = _fields(node, self.fields)
        for spec in self.lists:
            items = node.xpath(spec.each)
            elements = (
                [i for i in items if isinstance(i, etree._Element)]
                if isinstance(items, list)
                else []
            )
            values.setdefault(spec.field, []).extend(
                _fields(item, spec.fields) for item in elements
            )
        return values

    def where(self, location: tuple[int | str, ...]) -> str:
        """Where the field of a validation error comes from (its XPath), for the message."""
        head = str(location[0]) if location else ""
        spec = self.fields.get(head)
        if spec is not None:
            return _path_of(spec)
        for listed in self.lists:
            if listed.field == head:
                number = (
                    int(location[1]) + 1
                    if len(location) > 1 and isinstance(location[1], int)
                    else 1
                )
                inner = listed.fields.get(".".join(str(p) for p in location[2:]))
                return f"{listed.each}[{number}]" + (f"/{_path_of(inner)}" if inner else "")
        return self.documents


def _elements(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path)
    return (
        [item for item in found if isinstance(item, etree._Element)]
        if isinstance(found, list)
        else []
    )


def _path_of(spec: FieldOrPath) -> str:
    return spec if isinstance(spec, str) else spec.path or "(a constant)"


def _fields(node: etree._Element, specs: Mapping[str, FieldOrPath]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        value = _value(node, name, spec if isinstance(spec, FieldSpec) else FieldSpec(path=spec))
        if value is None:
            continue
        target = values
        *parents, last = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return values


def _value(node: etree._Element, name: str, spec: FieldSpec) -> Any:
    if spec.value is not None:
        return spec.value
    assert spec.path is not None, f"{name}: a field needs a path or a value"
    if spec.many:
        return [text for text in _texts(node, spec.path) if text] or None
    text = _first(node, spec.path, name)
    if text is None:
        text = spec.default
    if text is None:
        return None
    if spec.codes is not None:
        if text not in spec.codes:
            known = ", ".join(sorted(spec.codes))
            raise MappingError(f"{name} ({spec.path}): {text!r} is not one of {known}")
        text = spec.codes[text]
    if spec.type == "date":
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise MappingError(
                f"{name} ({spec.path}): expected a date (YYYY-MM-DD...), found {text[:40]!r}"
            ) from None
    return text


def _texts(node: etree._Element, path: str) -> list[str]:
    found = node.xpath(path)
    if not isinstance(found, list):
        return [str(found)]
    texts = []
    for item in found:
        if isinstance(item, etree._Element):
            texts.append((item.text or "").strip())
        else:
            texts.append(str(item).strip())
    return texts


def _first(node: etree._Element, path: str, name: str) -> str | None:
    texts = [text for text in _texts(node, path) if text]
    return texts[0] if texts else None


def load_mapping(name: str, directory: Path = MAPPINGS_DIR) -> XmlMapping:
    """The mapping ``name`` (``<directory>/<name>.toml``); :class:`ConfigError` naming file and
    key when it is bad."""
    path = directory / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        return XmlMapping.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{path}: {'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        ]
        raise ConfigError("\n".join(problems)) from None

"""Declarative XML mappings: ``mappings/xml/<name>.toml``, read by people and reviewed like code.

A mapping says which elements are documents (``documents``, an XPath), which canonical message
each becomes (``message``, routed as ``kind``), where the envelope's facts are (``[envelope]``),
and where each field of the message comes from (``[fields]``), as XPath 1.0 from the document's
element (absolute paths from the root), with the ``namespaces`` it declares (prefix -> URI).
Nested fields have dotted names (``address.city``). A field is a path (its first match: an
element's text, an attribute's value, or what an XPath function returns) or a table:

- ``path``; ``value`` (a constant); ``default`` (when the path finds nothing);
- ``codes`` (the partner's code -> the canonical one; an unknown code is an error);
- ``type``: ``text``, ``date`` (the date part of an ISO date or date-time) or ``time`` (its time
  of day as HHMM);
- ``many = true``: every match, as a list of texts;
- ``each`` and ``fields``: a list, one item per element ``each`` finds, its fields read from that
  element (lists nest: an order's lines, a line's ids).

Errors name the place: a bad mapping its file and key; a document the field and the XPath that
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

Namespaces = Mapping[str, str]


class MappingError(InputError):
    """A document the mapping cannot turn into its message; the message names the field and its
    XPath."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(path: str | None) -> str | None:
    if path is not None:
        try:
            etree.XPath(path)
        except etree.XPathSyntaxError as error:
            raise ValueError(f"not an XPath: {path!r} ({error})") from None
    return path


class FieldSpec(_Strict):
    """Where one field of the message comes from."""

    path: str | None = None
    value: str | None = None
    default: str | None = None
    codes: dict[str, str] | None = None
    type: Literal["text", "date", "time"] = "text"
    many: bool = False
    each: str | None = None
    fields: dict[str, FieldSpec | str] | None = None

    _paths_compile = field_validator("path", "each")(_compiles)

    @property
    def where(self) -> str:
        return self.each or self.path or "(a constant)"

    def read(self, node: etree._Element, name: str, namespaces: Namespaces) -> Any:
        """This field's value at ``node`` (None: absent)."""
        if self.value is not None:
            return self.value
        if self.each is not None:
            return [
                read_fields(item, self.fields or {}, namespaces)
                for item in _elements(node, self.each, namespaces)
            ] or None
        if self.path is None:
            raise MappingError(f"{name}: the mapping gives it neither a path nor a value")
        if self.many:
            return [text for text in _texts(node, self.path, namespaces) if text] or None
        texts = [text for text in _texts(node, self.path, namespaces) if text]
        text = texts[0] if texts else self.default
        if text is None:
            return None
        if self.codes is not None:
            if text not in self.codes:
                known = ", ".join(sorted(self.codes))
                raise MappingError(f"{name} ({self.path}): {text!r} is not one of {known}")
            text = self.codes[text]
        if self.type == "date":
            try:
                return dt.date.fromisoformat(text[:10])
            except ValueError:
                raise MappingError(
                    f"{name} ({self.path}): expected a date (YYYY-MM-DD...), found {text[:40]!r}"
                ) from None
        if self.type == "time":
            clock = text.partition("T")[2][:5]
            if len(clock) != 5 or not clock.replace(":", "").isdigit():
                raise MappingError(
                    f"{name} ({self.path}): expected a date-time (...THH:MM...), found "
                    f"{text[:40]!r}"
                )
            return clock.replace(":", "")
        return text


def spec_of(spec: FieldSpec | str) -> FieldSpec:
    return spec if isinstance(spec, FieldSpec) else FieldSpec(path=spec)


def read_fields(
    node: etree._Element, specs: Mapping[str, FieldSpec | str], namespaces: Namespaces
) -> dict[str, Any]:
    """The fields ``specs`` describe, read at ``node``, nested by their dotted names."""
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        value = spec_of(spec).read(node, name, namespaces)
        if value is None:
            continue
        target = values
        *parents, last = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return values


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
    namespaces: dict[str, str] = Field(default_factory=dict, description="prefix -> URI")
    envelope: EnvelopeSpec
    fields: dict[str, FieldSpec | str]

    @field_validator("message")
    @classmethod
    def _known_message(cls, message: str) -> str:
        if message not in MESSAGES:
            known = ", ".join(MESSAGES)
            raise ValueError(f"unknown canonical message {message!r} (known: {known})")
        return message

    @property
    def message_class(self) -> type[Message]:
        return MESSAGES[self.message]

    def documents_of(self, root: etree._Element) -> list[etree._Element]:
        return _elements(root, self.documents, self.namespaces)

    def envelope_of(self, node: etree._Element) -> dict[str, str | None]:
        facts: dict[str, str | None] = {}
        for name, path in self.envelope.model_dump().items():
            texts = [t for t in _texts(node, path, self.namespaces) if t] if path else []
            facts[name] = texts[0] if texts else None
        return facts

    def values_of(self, node: etree._Element) -> dict[str, Any]:
        """The message's fields of the document at ``node`` (before validation)."""
        return read_fields(node, self.fields, self.namespaces)

    def where(self, location: tuple[int | str, ...]) -> str:
        """The XPath the field of a validation error comes from, for the message."""
        specs: Mapping[str, FieldSpec | str] | None = self.fields
        steps: list[str] = []
        parts = [str(part) for part in location]
        while parts and specs is not None:
            for size in range(len(parts), 0, -1):  # dotted names: the longest that is a field
                spec = specs.get(".".join(parts[:size]))
                if spec is not None:
                    break
            else:
                break
            spec = spec_of(spec)
            parts = parts[size:]
            if spec.each is not None and parts and parts[0].isdigit():
                steps.append(f"{spec.each}[{int(parts.pop(0)) + 1}]")
                specs = spec.fields
            else:
                steps.append(spec.where)
                specs = None
        return "/".join(steps) or self.documents


def _elements(node: etree._Element, path: str, namespaces: Namespaces) -> list[etree._Element]:
    found = node.xpath(path, namespaces=dict(namespaces))
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, etree._Element)]


def _texts(node: etree._Element, path: str, namespaces: Namespaces) -> list[str]:
    found = node.xpath(path, namespaces=dict(namespaces))
    if not isinstance(found, list):
        return [str(found).strip()]
    return [
        (item.text or "").strip() if isinstance(item, etree._Element) else str(item).strip()
        for item in found
    ]


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

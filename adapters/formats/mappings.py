"""A declarative mapping file, what every format's mapping (XML, CSV, fixed width) starts with:
the canonical message its documents become and their routing kind (:class:`MappingFile`), where
their envelope's facts are (:class:`EnvelopeSpec`), where the file is found
(:func:`resolve_mapping`, :func:`mapping_path`) and how it is read and checked
(:func:`read_mapping_file`); and the document a mapping reads at a node of a file
(:func:`mapped_document`), its fields read by :mod:`.field_map`.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from gateway.duplicates import business_key
from gateway.errors import ConfigError
from gateway.messages import CANONICAL_MESSAGES, Envelope, Message, PartyId, document_id_of
from gateway.ports import ParsedDocument

from .field_map import NODE_PATHS, FieldSpec, MappingError, Node, Paths, Strict, compiled, where
from .mapped_digest import MappedDigest

MESSAGES: Mapping[str, type[Message]] = {
    cls.__name__: cls for cls in CANONICAL_MESSAGES if issubclass(cls, Message)
}
"""The canonical messages a mapping may make, by name."""


def message_class(name: str) -> type[Message]:
    """The canonical message called ``name``; :class:`ValueError` naming the known ones."""
    try:
        return MESSAGES[name]
    except KeyError:
        known = ", ".join(MESSAGES)
        raise ValueError(f"unknown canonical message {name!r} (known: {known})") from None


class MappingFile(Strict):
    """What every declarative mapping file starts with: the canonical message its documents
    become and the kind they are routed as (a format's mapping adds where they are)."""

    description: str = ""
    message: str = Field(description="the canonical message each document becomes")
    kind: str = Field(description="its routing kind: edi.in.<kind>.<partner>")

    @field_validator("message")
    @classmethod
    def _known_message(cls, message: str) -> str:
        message_class(message)
        return message


class EnvelopeSpec(Strict):
    """Where a document's envelope facts are: its own reference, both parties' ids and
    qualifiers (paths of the format)."""

    interchange_reference: str | None = None
    sender: str
    sender_qualifier: str | None = None
    receiver: str
    receiver_qualifier: str | None = None


def resolve_mapping(name: str, folder: str, info: ValidationInfo) -> str:
    """Where the mapping ``name`` of a profile is: ``<home>/mappings/<folder>/<name>.toml``
    (the profile's folder's sibling) when the home has it, as a path; else the name, of a
    mapping the project ships. The profile's folder comes as the validation context
    ``profiles`` (:func:`gateway.partners.parse_profile`)."""
    profiles = (info.context or {}).get("profiles")
    if profiles is None or "/" in name or name.endswith(".toml"):
        return name
    own = Path(profiles).parent / folder / f"{name}.toml"
    return str(own) if own.is_file() else name


def readable(name: str, load: Callable[[str], object]) -> str:
    """``name`` once its mapping loads with ``load``; a :class:`ValueError` naming the mapping
    file and its key when it does not, so that the profile naming it is bad (its partner is
    disabled and ``check-config`` says why) rather than the daemon stopping when it builds the
    partners' parsers."""
    try:
        load(name)
    except ConfigError as error:
        raise ValueError(str(error)) from None
    return name


Loaded = TypeVar("Loaded")
Loaded_co = TypeVar("Loaded_co", covariant=True)


class MappingLoader(Protocol[Loaded_co]):
    """Loads the mapping ``name`` of ``directory`` (by default, those shipped)."""

    def __call__(self, name: str, directory: Path = ...) -> Loaded_co: ...


def until_changed(
    shipped: Path,
) -> Callable[[Callable[[str, Path], Loaded]], MappingLoader[Loaded]]:
    """A mapping loader ``load(name, directory=shipped)`` cached until the mapping's file
    changes (its size or its time of change): a mapping edited on disk is read again by the
    next document, in every process, without a restart."""

    def decorate(load: Callable[[str, Path], Loaded]) -> MappingLoader[Loaded]:
        @functools.lru_cache(maxsize=64)
        def loaded(name: str, directory: Path, _version: tuple[int, int] | None) -> Loaded:
            return load(name, directory)

        @functools.wraps(load)
        def cached(name: str, directory: Path = shipped) -> Loaded:
            try:
                found = os.stat(mapping_path(name, directory))
                version: tuple[int, int] | None = (found.st_mtime_ns, found.st_size)
            except OSError:
                version = None  # load says why
            return loaded(name, directory, version)

        return cached

    return decorate


def mapping_path(name: str, shipped: Path) -> Path:
    """The file of a mapping named ``name`` (a path when :func:`resolve_mapping` found it in
    the home), else ``<shipped>/<name>.toml``."""
    return Path(name) if name.endswith(".toml") else shipped / f"{name}.toml"


def read_mapping_file(path: Path, model: type[Strict]) -> dict[str, Any]:
    """The table of the mapping file ``path``, checked against ``model``; :class:`ConfigError`
    naming the file and the key when it is bad."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        model.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{path}: {'.'.join(str(p) for p in problem['loc']) or '(top level)'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        ]
        raise ConfigError("\n".join(problems)) from None
    return data


def envelope_facts(
    spec: EnvelopeSpec, node: Node, paths: Paths = NODE_PATHS
) -> dict[str, str | None]:
    """The envelope's facts at ``node``: each path's first non-empty value, or None (read
    through the field map's compiled readers, as the message's fields are)."""
    return {**_NO_FACTS, **compiled(_fields_of(spec), paths)(node)}


_NO_FACTS: Mapping[str, None] = dict.fromkeys(EnvelopeSpec.model_fields)


@functools.cache
def _fields_of(spec: EnvelopeSpec) -> Mapping[str, FieldSpec | str]:
    """The envelope's facts as a field map (made once per mapping: compiled readers are kept by
    the map's identity)."""
    return {name: path for name, path in spec.model_dump().items() if path}


def mapped_document(
    format_kind: str,
    mapping: MappedMessage,
    node: Node,
    partner: str | None,
    paths: Paths = NODE_PATHS,
) -> ParsedDocument:
    """The document ``mapping`` reads at ``node`` (its paths read as ``paths`` says): its
    envelope and canonical message, as the pipeline takes it; :class:`MappingError` naming the
    fields (and their paths) that do not give what the message needs. A format reading many
    documents with one mapping makes their :func:`document_reader` once."""
    return document_reader(format_kind, mapping, partner, paths)(node)


DocumentReader = Callable[[Any], ParsedDocument]


def document_reader(
    format_kind: str, mapping: MappedMessage, partner: str | None, paths: Paths = NODE_PATHS
) -> DocumentReader:
    """:func:`mapped_document` of ``mapping`` at any node, what does not depend on the node
    worked out once (the readers of the envelope's facts and of the fields, the message's
    class, how its content digest is written from the fields' values: :mod:`.mapped_digest`).
    A document whose envelope's facts are those of the document before gets the same
    envelope (validated once: it is immutable), as a file's documents mostly do. A path
    ``paths`` does not know (a column the header lacks) fails each document, as it would
    with :func:`mapped_document`."""
    message_type = message_class(mapping.message)
    try:
        facts_of = compiled(_fields_of(mapping.envelope), paths)
        fields_of = compiled(mapping.fields, paths)
    except (KeyError, MappingError) as error:
        failure = error

        def fails(node: Any) -> ParsedDocument:
            raise type(failure)(*failure.args)

        return fails
    looked = f"{mapping.envelope.sender}, {mapping.envelope.receiver}"
    last: list[tuple[dict[str, Any], Envelope]] = []

    def envelope_of(node: Any) -> Envelope:
        found = facts_of(node)
        if last and last[0][0] == found:  # the facts of the document before, found good
            return last[0][1]
        facts = {**_NO_FACTS, **found}
        if not facts["sender"] or not facts["receiver"]:
            raise MappingError(f"no sender or receiver ({looked})")
        envelope = Envelope(
            partner=partner,
            format=format_kind,
            sender=PartyId(id=facts["sender"], qualifier=facts["sender_qualifier"]),
            receiver=PartyId(id=facts["receiver"], qualifier=facts["receiver_qualifier"]),
            interchange_reference=facts["interchange_reference"],
        )
        last[:] = [(found, envelope)]
        return envelope

    digest = MappedDigest.of(message_type, mapping.fields)
    validate = message_type.__pydantic_validator__.validate_python  # model_validate's own

    def read(node: Any) -> ParsedDocument:
        envelope = envelope_of(node)
        values = fields_of(node)  # a dict of its own: the envelope is added, then taken out
        values["envelope"] = envelope
        try:
            message = validate(values)
        except ValidationError as error:
            problems = [
                f"{'.'.join(str(p) for p in problem['loc'])} "
                f"({where(mapping.fields, problem['loc']) or 'the document'}): {problem['msg']}"
                for problem in error.errors(include_url=False)[:5]
            ]
            raise MappingError("; ".join(problems)) from None
        del values["envelope"]
        if digest is not None:  # what message.content_digest would work out, from the values
            found = message.__dict__["content_digest"] = digest(values)
            # and what its document_id would (the cached property, without its lock)
            message.__dict__["document_id"] = document_id_of(envelope, found)
        return mapped_parsed(mapping.kind, message)

    return read


def mapped_parsed(kind: str, head: Message, message: Any = None, ahead: str = "") -> ParsedDocument:
    """The document of ``head``, a message read through a mapping, as the pipeline takes it
    (``message``: what is published of it, when not ``head`` itself: the message in parts whose
    header ``head`` is, its parts held ahead under ``ahead``)."""
    envelope = head.envelope
    return ParsedDocument(
        document_id=head.document_id,
        kind=kind,
        interchange=envelope.interchange_reference or "",
        group="",
        transaction="",
        message=head if message is None else message,
        # without a reference, every document of the partner would share one key (and each
        # file after the first "reuse" it): its own id, so only a copy of it matches
        envelope_key=envelope.envelope_key if envelope.interchange_reference else head.document_id,
        # what the pipeline would add (PartnerFormats): made here, the document is made once
        business_key=business_key(head) or "",
        content_digest=head.content_digest,
        ahead=ahead,
    )


class MappedMessage(Protocol):
    """What :func:`mapped_document` reads of a format's mapping."""

    @property
    def message(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def envelope(self) -> EnvelopeSpec: ...
    @property
    def fields(self) -> dict[str, FieldSpec | str]: ...


def untrusted_sender(
    documents: Iterable[ParsedDocument], allowed: frozenset[str], file_name: str
) -> str | None:
    """Why ``documents`` cannot be from the partner: one sent under an id outside ``allowed``
    (empty: not checked); None when they can."""
    if not allowed:
        return None
    for doc in documents:
        sender = doc.message.envelope.sender.id if doc.message is not None else ""
        if sender not in allowed:
            return f"{file_name}: sent as {sender!r}, not among the partner's ids"
    return None

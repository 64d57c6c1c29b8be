"""The field map written in reverse (:mod:`.field_map`): a canonical message's fields put where a
mapping reads them, in a :class:`Target` a format supplies (an XML element, CSV rows).

- a path gets the field's value as text: codes inverted (the canonical code -> the partner's;
  when several partner codes read as one canonical code, the first listed is written), dates by
  their ``format`` (``strftime``) or ISO, a ``time`` written with the ``date`` at the same path
  as one ISO date-time (``2026-12-05T14:30:00``), decimals as plain numbers (``1234,5`` with
  ``decimal_comma``), anything else as its text;
- ``value`` (a constant) is written at its path when it has one; an absent value is not
  written, even when the field has a ``default`` (reading it back tells the difference);
- ``many``: every value at the path; ``each``: one new node per item, its fields written there.

What a mapping cannot write is found when it is loaded for rendering (:func:`unwritable`:
formats name their paths that cannot be written, this module the fields whose types cannot);
what a message holds that its mapping does not carry is found by reading the rendered text back
(:func:`differences`), and refused naming the fields. A partner's settings for rendering are
:class:`RenderingConfig`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gateway.errors import ConfigError
from gateway.messages import Envelope, Message, PartyId, document_id_of
from gateway.ports import DocumentRefused, Draft, FormatConfig, ParseResult, RenderedDocument

from .field_map import FieldSpec, spec_of
from .mappings import EnvelopeSpec, MappedMessage, resolve_mapping

MAX_SHOWN = 5
"""At most this many differences or problems are quoted."""
FACTS = ("interchange_reference", "sender", "sender_qualifier", "receiver", "receiver_qualifier")
"""The envelope's facts, in the order they are written."""


class Target(Protocol):
    """Where fields are written: an XML element, CSV rows..."""

    def put(
        self, path: str, texts: Sequence[str], *, many: bool = False, number: bool = False
    ) -> None:
        """Write ``texts`` at ``path`` (``many``: each value a node of its own; ``number``:
        they are numbers, for a format that aligns them)."""
        ...

    def add(self, path: str) -> Target:
        """A new item of the list whose items ``path`` finds."""
        ...


class RenderingConfig(FormatConfig):
    """What a declarative format's section says about the documents the gateway writes for the
    partner: the mapping of each kind and the ids of both sides."""

    render: dict[str, str] = Field(
        default_factory=dict,
        description='the mapping each kind of document is written with: {"856" = "<mapping>"}; '
        "a kind without one is refused",
    )
    sender_id: str | None = Field(
        default=None, min_length=1, description="our id, as the partner knows us (the sender)"
    )
    sender_qualifier: str | None = Field(
        default=None, min_length=1, description="what kind of id ours is (cXML: its domain)"
    )
    receiver_id: str | None = Field(
        default=None, min_length=1, description="the partner's id (the receiver)"
    )
    receiver_qualifier: str | None = Field(
        default=None, min_length=1, description="what kind of id the partner's is"
    )

    mapping_folder: ClassVar[str] = ""
    """Where the format's mappings are: ``mappings/<folder>/`` of the home, else those shipped."""

    @field_validator("render")
    @classmethod
    def _render_found(cls, render: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return {
            kind: resolve_mapping(name, cls.mapping_folder, info) for kind, name in render.items()
        }

    @model_validator(mode="after")
    def _ids_to_render_with(self) -> RenderingConfig:
        if self.render and (self.sender_id is None or self.receiver_id is None):
            raise ValueError("render needs sender_id (ours) and receiver_id (the partner's)")
        return self

    @model_validator(mode="after")
    def _render_mappings_write(self) -> RenderingConfig:
        for kind, name in self.render.items():
            try:
                writing = self.load_for_rendering(name)
            except ConfigError as error:
                raise ValueError(f'render "{kind}": {error}') from None
            if writing.mapping.kind != kind:
                raise ValueError(
                    f'render "{kind}": the mapping {name} writes {writing.mapping.kind} documents'
                )
        return self

    def load_for_rendering(self, name: str) -> Loaded:
        """The mapping ``name`` loaded for rendering, by the format (:class:`ConfigError` when
        it cannot be written)."""
        raise NotImplementedError

    def mapping_for(self, kind: str, section: str) -> str:
        """The name of the mapping ``kind`` is written with; :class:`DocumentRefused` naming
        the profile's key when there is none."""
        try:
            return self.render[kind]
        except KeyError:
            known = ", ".join(sorted(self.render)) or "none"
            raise DocumentRefused(
                f"no mapping writes {kind} documents for the partner: [{section}] render has "
                f'no "{kind}" (it has: {known})'
            ) from None

    def facts(self, reference: str) -> dict[str, str | None]:
        """The envelope's facts of a document we send under ``reference``."""
        return {
            "interchange_reference": reference,
            "sender": self.sender_id,
            "sender_qualifier": self.sender_qualifier,
            "receiver": self.receiver_id,
            "receiver_qualifier": self.receiver_qualifier,
        }


class Loaded(Protocol):
    """A mapping loaded for rendering (a format's own kind of it)."""

    @property
    def mapping(self) -> MappedMessage: ...


LoadedT = TypeVar("LoadedT", bound=Loaded)


def writing_for(
    config: RenderingConfig,
    kind: str,
    section: str,
    load: Callable[[str], LoadedT],
    message: Message | None = None,
) -> LoadedT:
    """The mapping the partner's ``kind`` documents are written with, loaded by ``load``;
    :class:`DocumentRefused` when it has none, or one for another message than ``message``."""
    name = config.mapping_for(kind, section)
    try:
        writing = load(name)
    except ConfigError as error:  # changed since the profile was loaded
        raise DocumentRefused(str(error)) from None
    if message is not None and type(message).__name__ != writing.mapping.message:
        raise DocumentRefused(
            f"the mapping {name} writes {writing.mapping.message}, not {type(message).__name__}"
        )
    return writing


# -- writing -------------------------------------------------------------------------------------


def write_envelope(target: Target, spec: EnvelopeSpec, facts: Mapping[str, str | None]) -> None:
    """Each envelope fact the mapping has a path for, written there."""
    for name in FACTS:
        path, value = getattr(spec, name), facts.get(name)
        if path is not None and value is not None:
            target.put(path, [value])


def write_fields(
    target: Target,
    specs: Mapping[str, FieldSpec | str],
    values: Mapping[str, Any],
    where: str = "",
    *,
    derived: Collection[str] = (),
    names: str = "",
) -> None:
    """The fields ``specs`` describe, taken from ``values`` (a message's dump, nested by the
    dotted names), written at ``target``, except the ``derived`` ones (their full dotted names:
    read from what the others write, not written); :class:`DocumentRefused` naming the field
    when a value cannot be written."""
    fields = {name: spec_of(spec) for name, spec in specs.items()}
    times = {spec.path: name for name, spec in fields.items() if spec.type == "time"}
    for name, spec in fields.items():
        if spec.type == "time" or f"{names}{name}" in derived:
            continue  # a time is written with its date
        field = f"{where}{name} ({spec.where})"
        if spec.value is not None:
            if spec.path is not None:
                _put(target, spec.path, [spec.value], False, field)
            continue
        value = value_at(values, name)
        if value is None or value == []:
            continue
        if spec.each is not None:
            for number, item in enumerate(value if isinstance(value, list) else [value]):
                write_fields(
                    target.add(spec.each),
                    spec.fields or {},
                    item,
                    f"{where}{name}[{number}].",
                    derived=derived,
                    names=f"{names}{name}.",
                )
            continue
        assert spec.path is not None  # a field without path, value nor each fails its check
        if isinstance(value, list) and not spec.many:
            raise DocumentRefused(f"{field}: {len(value)} values where the mapping writes one")
        texts = [
            text_of(spec, item, field) for item in (value if isinstance(value, list) else [value])
        ]
        clock = value_at(values, times[spec.path]) if spec.path in times else None
        if clock is not None:
            texts = [f"{text}T{_clock(str(clock), field)}" for text in texts]
        _put(target, spec.path, texts, spec.many, field, number=spec.type == "decimal")


def _put(
    target: Target, path: str, texts: list[str], many: bool, field: str, number: bool = False
) -> None:
    try:
        target.put(path, texts, many=many, number=number)
    except ValueError as error:  # a text the format cannot hold (a control character in XML)
        raise DocumentRefused(f"{field}: {error}") from None


def value_at(values: Mapping[str, Any], name: str) -> Any:
    """The value of the dotted field ``name`` in ``values`` (None: absent)."""
    value: Any = values
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def text_of(spec: FieldSpec, value: Any, field: str) -> str:
    """``value`` as the partner's text: typed, then its code."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dt.date):
        text = value.strftime(spec.format) if spec.format else value.isoformat()[:10]
    elif isinstance(value, Decimal) and spec.implied_decimals:
        digits = value.scaleb(spec.implied_decimals)
        if digits != digits.to_integral_value():
            raise DocumentRefused(
                f"{field}: {value} has more decimals than the {spec.implied_decimals} implied"
            )
        text = format(digits.to_integral_value(), "f")
    elif isinstance(value, Decimal):
        text = format(value, "f")
        text = text.replace(".", ",") if spec.decimal_comma else text
    else:
        text = str(value)
    if spec.codes is None:
        return text
    for partners, canonical in spec.codes.items():  # the first partner code listed wins
        if canonical == text:
            return partners
    known = ", ".join(sorted(set(spec.codes.values())))
    raise DocumentRefused(f"{field}: {text[:40]!r} has no code of the partner's (it has {known})")


def _clock(hhmm: str, field: str) -> str:
    """A time of the canonical message (HHMM or HHMMSS) as ISO's HH:MM:SS."""
    if len(hhmm) not in (4, 6) or not hhmm.isdigit():
        raise DocumentRefused(f"{field}: expected a time HHMM[SS], found {hhmm[:20]!r}")
    return f"{hhmm[:2]}:{hhmm[2:4]}:{hhmm[4:6] or '00'}"


# -- what a mapping cannot write ---------------------------------------------------------------


def unwritable(
    mapping: MappedMessage,
    problem_of: Callable[[str], str | None],
    where: str,
    derived: Collection[str] = (),
) -> None:
    """:class:`ConfigError` naming ``where`` (the mapping's file) and each field of
    ``mapping`` that cannot be written: its path (``problem_of`` says why, None: writable), a
    time without an ISO date at the same path; ``derived`` fields (not written) must be among
    its fields."""
    unknown = sorted(set(derived) - set(field_names(mapping.fields)))
    problems = [f"render.derived: {name!r} is not one of its fields" for name in unknown]
    problems += [
        f"envelope.{name} ({path}): {why}"
        for name in FACTS
        if (path := getattr(mapping.envelope, name)) is not None
        and (why := problem_of(path)) is not None
    ]
    problems += _field_problems(mapping.fields, problem_of, "fields.", derived)
    if problems:
        shown = "; ".join(problems[:MAX_SHOWN])
        more = f" (and {len(problems) - MAX_SHOWN} more)" if len(problems) > MAX_SHOWN else ""
        raise ConfigError(f"{where}: cannot be written (rendering): {shown}{more}")


def field_names(specs: Mapping[str, FieldSpec | str], prefix: str = "") -> list[str]:
    """The full dotted names of the fields ``specs`` describe, their lists' fields too."""
    found: list[str] = []
    for name, spec in specs.items():
        found.append(f"{prefix}{name}")
        found += field_names(spec_of(spec).fields or {}, f"{prefix}{name}.")
    return found


def _field_problems(
    specs: Mapping[str, FieldSpec | str],
    problem_of: Callable[[str], str | None],
    prefix: str,
    derived: Collection[str],
) -> list[str]:
    problems: list[str] = []
    fields = {name: spec_of(spec) for name, spec in specs.items()}
    dates = {spec.path: spec for spec in fields.values() if spec.type == "date"}
    for name, spec in fields.items():
        field = f"{prefix}{name} ({spec.where})"
        if (spec.value is not None and spec.path is None) or (
            f"{prefix.removeprefix('fields.')}{name}" in derived
        ):
            continue
        if spec.each is not None:
            why = problem_of(spec.each)
            if why is not None:
                problems.append(f"{field}: {why}")
            problems += _field_problems(spec.fields or {}, problem_of, f"{prefix}{name}.", derived)
            continue
        if spec.path is None:
            problems.append(f"{field}: neither a path nor a value")
            continue
        why = problem_of(spec.path)
        if why is not None:
            problems.append(f"{field}: {why}")
        date = dates.get(spec.path)
        if spec.type == "time" and (date is None or date.format is not None or date.many):
            problems.append(f"{field}: a time is written with an ISO date at the same path")
    return problems


# -- reading back ---------------------------------------------------------------------------------


def differences(wanted: Message, found: Message) -> list[str]:
    """The fields whose values differ between two messages' content (``orders[0].packs``)."""
    exclude = {"envelope", "document_id"}
    paths: list[str] = []
    _compare(wanted.model_dump(exclude=exclude), found.model_dump(exclude=exclude), "", paths)
    return paths


def _compare(a: Any, b: Any, where: str, paths: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(key for key in b if key not in a)]:
            _compare(a.get(key), b.get(key), f"{where}.{key}" if where else key, paths)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(x, y, f"{where}[{index}]", paths)
    elif a != b:  # decimals by value, as the content digest compares them
        paths.append(where)


def encoded(text: str, encoding: str, kind: str) -> bytes:
    """``text`` in the partner's character set; :class:`DocumentRefused` naming the line of a
    character it cannot hold."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as error:
        line = text[: error.start].count("\n") + 1
        raise DocumentRefused(
            f"the rendered {kind}, line {line}: {text[error.start]!r} cannot be written in "
            f"{encoding} (the partner's character set)"
        ) from None


def the_one_document(result: ParseResult, split_by: str) -> tuple[Message | None, list[str]]:
    """The message of a rendered text read back (``result``: one document, ``split_by`` saying
    what made more), and the problems when it is not one document."""
    problems = [result.why or "", *(str(f.get("message")) for f in result.findings)]
    if len(result.documents) > 1:
        problems.append(f"{len(result.documents)} documents (by {split_by})")
    found = result.documents[0].message if len(result.documents) == 1 else None
    return found, [problem for problem in problems if problem]


def check_read_back(
    wanted: Message, found: Message | None, problems: Sequence[str], kind: str, mapping: str
) -> None:
    """:class:`DocumentRefused` unless ``found`` (the rendered text read back through
    ``mapping``; None: it did not read, for ``problems``) is the message ``wanted``."""
    if found is None:
        shown = "; ".join(problems[:MAX_SHOWN]) or "no document in it"
        raise DocumentRefused(f"the rendered {kind} does not read back through {mapping}: {shown}")
    if found.content_digest != wanted.content_digest:
        fields = differences(wanted, found) or ["its content"]
        shown = ", ".join(fields[:MAX_SHOWN])
        more = f" (and {len(fields) - MAX_SHOWN} more)" if len(fields) > MAX_SHOWN else ""
        raise DocumentRefused(
            f"the mapping {mapping} does not carry the {kind} as it is: {shown}{more} would "
            "read back otherwise"
        )


def numbered_file(
    format_kind: str,
    draft: Draft,
    settings: RenderingConfig,
    numbered: tuple[str, Mapping[str, str | None]],
    reference: str,
    file_name: str,
    encoding: str = "utf-8",
) -> RenderedDocument:
    """A document drafted for a partner through a mapping (XML, CSV, fixed width),
    ``numbered``: its text under ``reference`` and the envelope's facts read back from it."""
    text, facts = numbered
    return RenderedDocument(
        document_id=rendered_document_id(format_kind, facts, draft.content_digest),
        text=text,
        group_kind="",
        interchange=facts["interchange_reference"] or reference,
        group="",
        transaction="",
        file_name=file_name,
        sender_id=settings.sender_id or "",
        receiver_id=settings.receiver_id or "",
        sender_qualifier=settings.sender_qualifier,
        receiver_qualifier=settings.receiver_qualifier,
        encoding=encoding,
    )


def rendered_document_id(
    format_kind: str, facts: Mapping[str, str | None], content_digest: str
) -> str:
    """The id the gateway's reader gives the document whose envelope facts are ``facts`` (read
    back from its text, as nobody's: the document is our own)."""
    envelope = Envelope(
        format=format_kind,
        sender=PartyId(id=facts["sender"] or "", qualifier=facts["sender_qualifier"]),
        receiver=PartyId(id=facts["receiver"] or "", qualifier=facts["receiver_qualifier"]),
        interchange_reference=facts["interchange_reference"],
    )
    return document_id_of(envelope, content_digest)

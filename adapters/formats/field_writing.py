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
(:mod:`.rendered_documents`), and refused naming the fields. A partner's settings for rendering
are :class:`~.rendering_config.RenderingConfig`. The formats import the names of both from here,
as before they had modules of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from gateway.errors import ConfigError
from gateway.ports import DocumentRefused

from .field_map import FieldSpec, spec_of
from .mappings import EnvelopeSpec, MappedMessage
from .rendered_documents import (
    MAX_SHOWN,
    check_read_back,
    differences,
    encoded,
    numbered_file,
    rendered_document_id,
    the_one_document,
)
from .rendering_config import Loaded, RenderingConfig, writing_for

__all__ = [
    "FACTS",
    "MAX_SHOWN",
    "Loaded",
    "RenderingConfig",
    "Target",
    "check_read_back",
    "differences",
    "encoded",
    "field_names",
    "numbered_file",
    "rendered_document_id",
    "text_of",
    "the_one_document",
    "unwritable",
    "value_at",
    "write_envelope",
    "write_fields",
    "writing_for",
]

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

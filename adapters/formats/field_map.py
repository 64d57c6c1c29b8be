"""The field map every declarative format shares (XML, CSV, fixed width): where each field of a
canonical message comes from, written in a mapping file (``[fields]``), read from a :class:`Node`.

A format supplies nodes: an XML element whose paths are XPaths, a group of CSV rows whose paths
are columns, a fixed-width record whose paths are its records' fields. A field is a path (its
first non-empty value) or a table:

- ``path``; ``value`` (a constant); ``default`` (when the path finds nothing);
- ``codes`` (the partner's code -> the canonical one; an unknown code is an error);
- ``type``: ``text``, ``date`` (an ISO date or date-time's date, or ``format``, a
  ``strptime`` pattern such as ``%Y%m%d``), ``time`` (an ISO date-time's time of day as HHMM),
  ``decimal`` (``decimal_comma = true`` reads ``1.234,5``; ``implied_decimals = 2`` reads
  ``000000012345`` as ``123.45``: digits only, a sign before or after them, as fixed-width
  files write amounts);
- ``many = true``: every value, as a list;
- ``each`` and ``fields``: a list, one item per node ``each`` finds, its fields read there
  (lists nest: an order's lines, a line's ids).

Nested fields have dotted names (``address.city``); an object whose fields found nothing in
the document but constants is left out (a date's qualifier without its date). Errors name the
field and its path (:class:`MappingError`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from gateway.errors import InputError

from .field_code import FieldsReader, InlinePaths, Steps, generated_reader


class MappingError(InputError):
    """A document a mapping cannot turn into its message; the message names the field and
    where it was looked for."""


class Node(Protocol):
    """Where fields are read: an XML element, a group of CSV rows..."""

    def texts(self, path: str) -> Sequence[str]:
        """The values ``path`` finds here, in order."""
        ...

    def children(self, path: str) -> Sequence[Node]:
        """The nodes ``path`` finds here (the items of a list field)."""
        ...


class Paths(Protocol):
    """How a format reads its paths at its nodes, each path worked out once (a CSV file's
    columns by their header, say), for the field map's compiled readers; hashable (readers are
    kept by map and paths). :data:`NODE_PATHS` asks the :class:`Node` each time."""

    def texts(self, path: str) -> Callable[[Any], Sequence[str]]:
        """The values ``path`` finds at a node."""
        ...

    def first(self, path: str) -> Callable[[Any], str | None]:
        """The first non-empty value ``path`` finds at a node (None: none)."""
        ...

    def children(self, path: str) -> Callable[[Any], Sequence[Any]]:
        """The nodes ``path`` finds at a node."""
        ...


class _NodePaths:
    def texts(self, path: str) -> Callable[[Any], Sequence[str]]:
        return lambda node: node.texts(path)

    def first(self, path: str) -> Callable[[Any], str | None]:
        def first(node: Node) -> str | None:
            for text in node.texts(path):
                if text:
                    return text
            return None

        return first

    def children(self, path: str) -> Callable[[Any], Sequence[Any]]:
        return lambda node: node.children(path)


NODE_PATHS: Paths = _NodePaths()
"""Paths read by asking the node (:class:`Node`): what every format does unless it compiles
its paths."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(Strict):
    """Where one field of the message comes from."""

    path: str | None = None
    value: str | None = None
    default: str | None = None
    codes: dict[str, str] | None = None
    type: Literal["text", "date", "time", "decimal"] = "text"
    format: str | None = None
    decimal_comma: bool = False
    implied_decimals: int = Field(default=0, ge=0)
    many: bool = False
    each: str | None = None
    fields: dict[str, FieldSpec | str] | None = None

    @property
    def where(self) -> str:
        return self.each or self.path or "(a constant)"

    def paths(self) -> list[str]:
        """Every path of this field and of its list's fields (a format checks them)."""
        found = [p for p in (self.path, self.each) if p is not None]
        for spec in (self.fields or {}).values():
            found += spec_of(spec).paths()
        return found

    def read(self, node: Node, name: str) -> Any:
        """This field's value at ``node`` (None: absent)."""
        return self.reader(name, NODE_PATHS)(node)

    def steps(self, name: str, paths: Paths) -> Steps:
        """How this field's value is read at a node, worked out once, its paths read as
        ``paths`` says (:class:`~.field_code.Steps`)."""
        if self.value is not None:
            return Steps("value", default=self.value)
        if self.each is not None:
            item, each = compiled(self.fields or {}, paths), self.each
            inline = None
            if isinstance(paths, InlinePaths):
                inline = functools.partial(paths.items_source, each)
            return Steps("children", paths.children(each), convert=item, inline=inline)
        if self.path is None:
            raise MappingError(f"{name}: the mapping gives it neither a path nor a value")
        typed = None if self.type == "text" and self.codes is None else self._converter(name)
        if self.many:
            return Steps("texts", paths.texts(self.path), convert=typed)
        first, path = paths.first(self.path), self.path
        inline = None
        if isinstance(paths, InlinePaths):
            inline = functools.partial(paths.first_source, path)
        return Steps("first", first, self.default, typed, inline)

    def reader(self, name: str, paths: Paths) -> Callable[[Any], Any]:
        """How this field's value is read at a node (None: absent): its :meth:`steps`."""
        return _reader(self.steps(name, paths))

    def _converter(self, name: str) -> Callable[[str], Any]:
        """How a text found for this field becomes its value (codes, then type), worked out
        once; :class:`MappingError` naming the field and its path."""
        where = f"{name} ({self.path})"
        convert = self._typed(where)
        codes = self.codes
        if codes is None:
            return convert

        def coded(text: str) -> Any:
            if text not in codes:
                known = ", ".join(sorted(codes))
                raise MappingError(f"{where}: {text!r} is not one of {known}")
            return convert(codes[text])

        return coded

    def _typed(self, where: str) -> Callable[[str], Any]:
        """The conversion of this field's ``type`` (text stays as it is)."""
        pattern = self.format
        if self.type == "date":

            def date(text: str) -> dt.date:
                try:
                    if pattern is not None:
                        return _date(text, pattern)
                    return dt.date.fromisoformat(text[:10])
                except ValueError:
                    expected = pattern or "YYYY-MM-DD..."
                    raise MappingError(
                        f"{where}: expected a date ({expected}), found {text[:40]!r}"
                    ) from None

            return date
        if self.type == "time":

            def time(text: str) -> str:
                clock = text.partition("T")[2][:5]
                if len(clock) != 5 or not clock.replace(":", "").isdigit():
                    raise MappingError(
                        f"{where}: expected a date-time (...THH:MM...), found {text[:40]!r}"
                    )
                return clock.replace(":", "")

            return time
        if self.type == "decimal":
            if self.implied_decimals:
                return functools.partial(self._implied, where=where)
            comma = self.decimal_comma

            def decimal(text: str) -> Decimal:
                known = _DECIMALS.get(text) if not comma else None
                if known is not None:
                    return known
                plain = text.replace(".", "").replace(",", ".") if comma else text
                try:
                    value = Decimal(plain.strip())
                except InvalidOperation:
                    raise MappingError(f"{where}: expected a number, found {text[:40]!r}") from None
                if not comma:
                    if len(_DECIMALS) >= 4096:
                        _DECIMALS.clear()
                    _DECIMALS[text] = value
                return value

            return decimal
        return str

    def _implied(self, text: str, where: str) -> Decimal:
        """``000000012345`` with 2 implied decimals: 123.45 (a sign before or after)."""
        digits, sign = text.strip(), ""
        if digits[-1:] in ("+", "-"):
            digits, sign = digits[:-1], digits[-1]
        elif digits[:1] in ("+", "-"):
            digits, sign = digits[1:], digits[0]
        if not (digits.isascii() and digits.isdigit()):
            raise MappingError(
                f"{where}: expected digits with {self.implied_decimals} implied decimals, "
                f"found {text[:40]!r}"
            )
        return Decimal(sign + digits).scaleb(-self.implied_decimals)


def _reader(steps: Steps) -> Callable[[Any], Any]:
    """A field's value at a node (None: absent), read as ``steps`` say."""
    how, source, default, typed, _ = steps
    if how == "value":
        return lambda node: default
    assert source is not None  # every other field reads its paths
    if how == "children":
        assert typed is not None  # the reader of its items
        return lambda node: [typed(child) for child in source(node)] or None
    if how == "texts":
        if typed is None:  # as read
            return lambda node: [text for text in source(node) if text] or None
        return lambda node: [typed(text) for text in source(node) if text] or None
    if typed is None:
        if default is None:
            return source
        return lambda node: source(node) or default
    if default is None:

        def first_typed(node: Any) -> Any:
            text = source(node)
            return None if text is None else typed(text)

        return first_typed
    return lambda node: typed(source(node) or default)


def spec_of(spec: FieldSpec | str) -> FieldSpec:
    return spec if isinstance(spec, FieldSpec) else _path_spec(spec)


@functools.lru_cache(maxsize=1024)
def _path_spec(path: str) -> FieldSpec:
    """The field of a mapping written as its path alone (made once, not once per document)."""
    return FieldSpec(path=path)


_DECIMALS: dict[str, Decimal] = {}
"""Each decimal read (without a decimal comma), by its text: a file repeats its quantities and
prices, and a decimal is immutable, so one object serves them all (``Decimal()`` of a text cost
three times the lookup)."""


@functools.lru_cache(maxsize=4096)
def _date(text: str, pattern: str) -> dt.date:
    """``strptime`` (which looks the locale up at every call) once per distinct date: a file
    repeats its few dates on every row."""
    return dt.datetime.strptime(text, pattern).date()


def read_fields(node: Node, specs: Mapping[str, FieldSpec | str]) -> dict[str, Any]:
    """The fields ``specs`` describe, read at ``node``, nested by their dotted names. A nested
    object whose fields found nothing but constants is left out (``delivery_date.qualifier``
    is a constant: without a ``delivery_date.date`` in the document there is no date)."""
    return compiled(specs)(node)


_COMPILED: dict[tuple[int, Paths], tuple[Mapping[str, FieldSpec | str], FieldsReader]] = {}
"""Each field map's reader, by the map's id and the paths (the map is kept, so its id is not
reused)."""


def compiled(specs: Mapping[str, FieldSpec | str], paths: Paths = NODE_PATHS) -> FieldsReader:
    """:func:`read_fields` for ``specs``, its paths read as ``paths`` says; each field's reader
    worked out once per map and paths (not once per document): a file of a million rows reads
    them through the same closures."""
    key = (id(specs), paths)
    known = _COMPILED.get(key)
    if known is not None and known[0] is specs:
        return known[1]
    constants: dict[str, Any] = {}
    plain: list[tuple[str, Steps]] = []
    nested: list[tuple[tuple[str, ...], str, Steps, bool]] = []
    for name, spec in specs.items():
        field = spec_of(spec)
        *parents, last = name.split(".")
        if parents:
            nested.append((tuple(parents), last, field.steps(name, paths), field.value is None))
        elif field.value is not None:
            constants[name] = field.value
        else:
            plain.append((name, field.steps(name, paths)))
    objects = {parents[0] for parents, _, _, _ in nested}
    named = {*constants, *(name for name, _ in plain)}
    if not objects & named and all(len(p) == 1 and finds for p, _, _, finds in nested):
        one_deep = [(parents[0], last, steps) for parents, last, steps, _ in nested]
        prologue = paths.prologue if isinstance(paths, InlinePaths) else ()
        read_flat = generated_reader(constants, plain, one_deep, prologue)
        return _kept(specs, paths, read_flat)  # the commonest
    readers = [(name, _reader(steps)) for name, steps in plain]
    nested_readers = [(p, last, _reader(steps), finds) for p, last, steps, finds in nested]

    def read(node: Any) -> dict[str, Any]:
        values = constants.copy()
        for name, reader in readers:
            value = reader(node)
            if value is not None:
                values[name] = value
        if not nested_readers:
            return values
        found: set[str] = set()
        """The objects (first names) with a field read from the document."""
        for parents, last, reader, finds in nested_readers:
            value = reader(node)
            if value is None:
                continue
            target = values
            for parent in parents:
                target = target.setdefault(parent, {})
            target[last] = value
            if finds:
                found.add(parents[0])
        for name in objects - found:
            values.pop(name, None)
        return values

    return _kept(specs, paths, read)


def _kept(specs: Mapping[str, FieldSpec | str], paths: Paths, read: FieldsReader) -> FieldsReader:
    if len(_COMPILED) >= 1024:  # CSV files of ever new headers: start again
        _COMPILED.clear()
    _COMPILED[(id(specs), paths)] = (specs, read)
    return read


def where(specs: Mapping[str, FieldSpec | str], location: Sequence[int | str]) -> str:
    """The path the field of a validation error (``location``) comes from, for the message:
    ``ItemOut[2]/@quantity``, ``row[3]/5``."""
    steps: list[str] = []
    parts = [str(part) for part in location]
    current: Mapping[str, FieldSpec | str] | None = specs
    while parts and current is not None:
        for size in range(len(parts), 0, -1):  # dotted names: the longest that is a field
            found = current.get(".".join(parts[:size]))
            if found is not None:
                break
        else:
            break
        spec = spec_of(found)
        parts = parts[size:]
        if spec.each is not None and parts and parts[0].isdigit():
            steps.append(f"{spec.each}[{int(parts.pop(0)) + 1}]")
            current = spec.fields
        else:
            steps.append(spec.where)
            current = None
    return "/".join(steps)

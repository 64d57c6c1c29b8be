"""Declarative fixed-width mappings: ``mappings/fixed/<name>.toml``, read by people and reviewed
like code.

``[layout]`` says how the file is written: ``encoding`` (``utf-8``, a BOM tolerated;
``latin-1``; ``cp1252``), ``tag = { start, length }``, the columns (1-based) where each line's
record type is read, and ``[layout.records.<TAG>]``, one table per record type:

- ``fields``: name -> ``{ start, length }``, 1-based columns (fields may overlap: a date and
  time field ``199811021030`` can also be read as its date ``19981102`` and its time ``1030``);
- ``parent``: the type of the record it nests under (the nearest one before it); none: it
  starts a document (a header);
- ``min``/``max``: how many it may have under each parent record (a type without a parent:
  in the file), ``max`` unbounded when not given (a document read as a stream is refused all
  the same past :data:`~adapters.formats.flat_in_parts.HUGE_ROWS` records, 20,000: it is held
  whole to be translated);
- ``length``: how long its lines are; a longer line is an error, and a shorter one too, unless
  ``pad = true`` (for the record, or for every record in ``[layout]``) reads it as if padded
  with spaces (many files lose their trailing spaces).

Columns count the characters of a decoded line (a UTF-8 ``é`` is one column; a byte order mark
is no column), a partner's profile may set another ``encoding``, and lines end at ``\n`` or
``\r\n``; blank lines are skipped. The order of sibling records of different types is not
checked, only their nesting and counts.

Paths are ``TAG.field``: the field of the record the node stands for when it has that tag,
else of the records with that tag below it (in file order: the first is read, or all of them
with ``many = true``), else of the nearest record above it with that tag. ``each = "TAG"``
makes a list of one item per record with that tag below the node (or the node's record
itself, when it has that tag: ``each = "LIN"`` read from a line is that line). ``[envelope]``
and ``[fields]`` are as for every declarative format (:mod:`adapters.formats.field_map`);
``mappings/fixed/bots-orders.toml`` is one.

A bad mapping is a :class:`~gateway.errors.ConfigError` naming its file and key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from pydantic import Field, model_validator

from ..field_map import FieldSpec, Strict, spec_of
from ..mappings import EnvelopeSpec, MappingFile, mapping_path, read_mapping_file

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings" / "fixed"
"""The mappings the project ships (``mappings/fixed/`` of the source tree)."""


class Columns(Strict):
    """Where a value is in a line: 1-based columns."""

    start: int = Field(ge=1, description="the column of its first character (1 = the first)")
    length: int = Field(ge=1, description="how many characters")

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    def of(self, line: str) -> str:
        return line[self.start - 1 : self.end].strip()

    def __str__(self) -> str:
        return f"column {self.start}" if self.length == 1 else f"columns {self.start}-{self.end}"


class RecordLayout(Strict):
    """One record type."""

    parent: str | None = Field(default=None, description="the tag it nests under; none: a header")
    min: int = Field(default=0, ge=0, description="at least this many under each parent")
    max: int | None = Field(default=None, ge=1, description="at most this many; none: unbounded")
    length: int = Field(ge=1, description="the length of its lines")
    pad: bool | None = Field(default=None, description="shorter lines read as space-padded")
    fields: dict[str, Columns] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fits(self) -> RecordLayout:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is more than max {self.max}")
        for name, columns in self.fields.items():
            if columns.end > self.length:
                raise ValueError(f"field {name} ({columns}) ends past the length {self.length}")
        return self


class Layout(Strict):
    encoding: Literal["utf-8", "latin-1", "cp1252"] = "utf-8"
    tag: Columns = Field(description="where each line's record type is")
    pad: bool = Field(default=False, description="every record's shorter lines read as padded")
    records: dict[str, RecordLayout] = Field(min_length=1)

    @model_validator(mode="after")
    def _a_tree(self) -> Layout:
        if not any(record.parent is None for record in self.records.values()):
            raise ValueError("no record type without a parent: nothing starts a document")
        for tag, record in self.records.items():
            if record.length < self.tag.end:
                raise ValueError(f"records.{tag}: length {record.length} ends before the tag")
            seen = [tag]
            parent = record.parent
            while parent is not None:
                if parent not in self.records:
                    known = ", ".join(self.records)
                    raise ValueError(f"records.{tag}: unknown parent {parent!r} (known: {known})")
                if parent in seen:
                    raise ValueError(f"records.{tag}: parents in a circle: {' -> '.join(seen)}")
                seen.append(parent)
                parent = self.records[parent].parent
        return self

    def pads(self, record: RecordLayout) -> bool:
        return self.pad if record.pad is None else record.pad

    def children_of(self) -> dict[str, list[tuple[str, RecordLayout]]]:
        """Each record type's child types, with their layouts."""
        children: dict[str, list[tuple[str, RecordLayout]]] = {tag: [] for tag in self.records}
        for tag, record in self.records.items():
            if record.parent is not None:
                children[record.parent].append((tag, record))
        return children

    def columns(self, path: str) -> Columns:
        """The columns of ``TAG.field``; :class:`KeyError` naming what it does not know."""
        tag, _, name = path.partition(".")
        record = self.records.get(tag)
        if record is None:
            raise KeyError(f"{path!r}: no record type {tag!r} (known: {', '.join(self.records)})")
        if name not in record.fields:
            known = ", ".join(record.fields) or "none"
            raise KeyError(f"{path!r}: {tag} records have no field {name!r} (known: {known})")
        return record.fields[name]

    def field_slice(self, path: str) -> tuple[str, slice]:
        """The record tag of ``TAG.field`` and the slice of a line its :meth:`columns` are."""
        columns = self.columns(path)
        return path.partition(".")[0], slice(columns.start - 1, columns.end)


class FixedMapping(MappingFile):
    """One mapping file."""

    layout: Layout
    envelope: EnvelopeSpec
    fields: dict[str, FieldSpec | str]

    @model_validator(mode="after")
    def _paths_known(self) -> FixedMapping:
        problems = [
            f"envelope.{name}: {error.args[0]}"
            for name, path in self.envelope.model_dump().items()
            if path
            for error in _path_errors(self.layout, path, each=False)
        ]
        problems += [f"fields.{p}" for p in _field_errors(self.layout, self.fields)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _field_errors(layout: Layout, specs: Mapping[str, FieldSpec | str]) -> Iterator[str]:
    for name, raw in specs.items():
        spec = spec_of(raw)
        for path, each in ((spec.path, False), (spec.each, True)):
            if path is not None:
                for error in _path_errors(layout, path, each=each):
                    yield f"{name}: {error.args[0]}"
        for problem in _field_errors(layout, spec.fields or {}):
            yield f"{name}.{problem}"


def _path_errors(layout: Layout, path: str, *, each: bool) -> list[KeyError]:
    if each:
        if path in layout.records:
            return []
        known = ", ".join(layout.records)
        return [KeyError(f'"each" is a record tag; no record type {path!r} (known: {known})')]
    try:
        layout.columns(path)
    except KeyError as error:
        return [error]
    return []


def load_mapping(name: str, directory: Path = MAPPINGS_DIR) -> FixedMapping:
    """The mapping ``name`` (``<directory>/<name>.toml``, or a path found in the home:
    :func:`~adapters.formats.field_map.resolve_mapping`); a ConfigError naming file and key when
    it is bad."""
    path = mapping_path(name, directory)
    return FixedMapping.model_validate(read_mapping_file(path, FixedMapping))


# -- the records of a document, as the field map reads them --------------------------------------


@dataclass(eq=False, slots=True)
class Record:
    """One line of the file: its record type, its number (1 = the first line), its text and
    the records nested under it."""

    tag: str
    line: int
    text: str
    children: list[Record] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """Its children by tag: how many."""


class FixedNode:
    """A record and the records below it (:class:`~adapters.formats.field_map.Node`), its paths
    ``TAG.field`` (see the module's docstring). A plain class with slots: a file of a million
    lines makes a node per line."""

    __slots__ = ("ancestors", "layout", "reads", "record", "slices")

    def __init__(
        self,
        record: Record,
        ancestors: tuple[Record, ...],
        layout: Layout,
        reads: dict[str, Record | list[tuple[int, str]]],
        slices: dict[str, tuple[str, slice]],
    ) -> None:
        self.record = record
        self.ancestors = ancestors
        self.layout = layout
        self.reads = reads
        """What each path read last (line, value), shared by a document's nodes: an error
        about a path names the line its value came from (:meth:`place`). A field of a node's own
        record notes the record alone (its value sliced again only for an error): a file of a
        million records reads millions of fields, and an error is rare."""
        self.slices = slices
        """Each path's tag and columns, worked out once per file (shared by its nodes)."""

    @classmethod
    def of(
        cls, root: Record, layout: Layout, slices: dict[str, tuple[str, slice]] | None = None
    ) -> FixedNode:
        """The node of a document whose first record is ``root``; ``slices``, a dict its file's
        documents share."""
        return cls(root, (), layout, {}, {} if slices is None else slices)

    def texts(self, path: str) -> list[str]:
        found = self.slices.get(path)
        if found is None:
            found = self.slices[path] = self.layout.field_slice(path)
        tag, columns_of = found
        record = self.record
        if record.tag == tag:  # the commonest: a field of the node's own record
            self.reads[path] = record
            return [record.text[columns_of].strip()]
        read = [(other.line, other.text[columns_of].strip()) for other in self._records(tag)]
        self.reads[path] = read
        return [value for _, value in read]

    def children(self, path: str) -> Sequence[FixedNode]:
        if self.record.tag == path:
            return [self]
        layout = self.layout.records.get(path)
        if layout is None:
            raise KeyError(f'"each" is a record tag; no record type {path!r}')
        record = self.record
        if layout.parent == record.tag:  # the commonest: its own lines, say (none further down:
            above = (*self.ancestors, record)  # a record's type is once among its ancestors')
            return [
                FixedNode(child, above, self.layout, self.reads, self.slices)
                for child in record.children
                if child.tag == path
            ]
        return [
            FixedNode(found, ancestors, self.layout, self.reads, self.slices)
            for found, ancestors in _below(record, path, self.ancestors)
        ]

    def _records(self, tag: str) -> list[Record]:
        if self.record.tag == tag:
            return [self.record]
        found = [record for record, _ in _below(self.record, tag, self.ancestors)]
        return found or [record for record in self.ancestors[::-1] if record.tag == tag][:1]

    def place(self, message: str) -> str:
        """``message`` (a field map's error) with each path it names placed in the file:
        ``(HEA.DATE)`` -> ``(HEA.DATE at line 3, columns 14-21)``."""
        return _PLACE.sub(lambda match: self._placed(match.group(1), message), message)

    def _placed(self, inner: str, message: str) -> str:
        parts = [self._where(part, message) for part in inner.split(", ")]
        if any(part is None for part in parts):
            return f"({inner})"
        return "(" + ", ".join(part for part in parts if part is not None) + ")"

    def _where(self, part: str, message: str) -> str | None:
        *steps, path = part.split("/")
        try:
            columns = self.layout.columns(path)
        except KeyError:
            return None
        node: FixedNode | None = self
        for step in steps:  # a list's item: LIN[2]
            tag, _, index = step.rstrip("]").partition("[")
            items = node.children(tag) if node is not None and tag in self.layout.records else []
            fits = index.isdigit() and 0 < int(index) <= len(items)
            node = items[int(index) - 1] if fits else None
        line = None
        if node is self and path in self.reads:  # the value read last for this path
            read = self.reads[path]
            if isinstance(read, Record):
                read = [(read.line, read.text[columns.start - 1 : columns.end].strip())]
            quoted = [n for n, value in read if value and f"{value[:40]!r}" in message]
            filled = [n for n, value in read if value]
            line = next(iter(quoted + filled + [n for n, _ in read]), None)
        elif node is not None:
            line = next((record.line for record in node._records(path.partition(".")[0])), None)
        at = f" at line {line}" if line is not None else ""
        return f"{part}{at}, {columns}"


_PLACE = re.compile(r"\(([^()]+)\)")


@dataclass(frozen=True, eq=False)
class FixedPaths:
    """A layout's paths ``TAG.field`` worked out once for the field map's compiled readers
    (:class:`~adapters.formats.field_map.Paths`): a field of the node's own record is sliced
    from its line at once (and noted in the node's ``reads``, as :meth:`FixedNode.texts`
    does), any other is asked of the node. One per layout (:meth:`of`): readers are kept by
    map and paths."""

    layout: Layout

    @classmethod
    def of(cls, layout: Layout) -> FixedPaths:
        return one_per_layout(_PATHS, layout, cls)

    def texts(self, path: str) -> Callable[[FixedNode], list[str]]:
        return lambda node: node.texts(path)

    def first(self, path: str) -> Callable[[FixedNode], str | None]:
        tag, sliced = self.layout.field_slice(path)

        def first(node: FixedNode) -> str | None:
            record = node.record
            if record.tag == tag:  # the commonest: a field of the node's own record
                node.reads[path] = record
                return record.text[sliced].strip() or None
            for text in node.texts(path):
                if text:
                    return text
            return None

        return first

    def children(self, path: str) -> Callable[[FixedNode], Sequence[FixedNode]]:
        """:meth:`FixedNode.children`, its two commonest cases (a node's own record, the
        records right under it: an order's lines) without asking the node."""
        layout = self.layout.records.get(path)
        if layout is None:  # not a record type: the node says so (KeyError), each document
            return lambda node: node.children(path)
        parent = layout.parent

        def children(node: FixedNode) -> Sequence[FixedNode]:
            record = node.record
            if record.tag == path:
                return [node]
            if record.tag != parent:
                return node.children(path)
            above = (*node.ancestors, record)
            file_layout, reads, slices = node.layout, node.reads, node.slices
            return [
                FixedNode(child, above, file_layout, reads, slices)
                for child in record.children
                if child.tag == path
            ]

        return children


_PATHS: dict[int, FixedPaths] = {}


class _OfLayout(Protocol):
    @property
    def layout(self) -> Layout: ...


_Paths = TypeVar("_Paths", bound=_OfLayout)


def one_per_layout(
    known: dict[int, _Paths], layout: Layout, make: Callable[[Layout], _Paths]
) -> _Paths:
    """The paths ``make`` makes of ``layout``, made once and kept in ``known`` (by the layout's
    identity: a layout is kept by its mapping, so its id is not reused while it is in use)."""
    paths = known.get(id(layout))
    if paths is None or paths.layout is not layout:
        if len(known) >= 64:  # mappings edited again and again: start again
            known.clear()
        paths = known[id(layout)] = make(layout)
    return paths


def _below(
    record: Record, tag: str, ancestors: tuple[Record, ...]
) -> Iterator[tuple[Record, tuple[Record, ...]]]:
    """The records with ``tag`` below ``record``, in file order, each with its ancestors (a
    record type never nests under itself: the search stops at each found)."""
    above = (*ancestors, record)
    for child in record.children:
        if child.tag == tag:
            yield child, above
        else:
            yield from _below(child, tag, above)

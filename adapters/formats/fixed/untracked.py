"""A fixed-width document read without noting in its nodes what each path read
(:attr:`~.mapping.FixedNode.reads`, for the place of an error): a file's documents are read so
(:func:`untracked_reader`), and a document that cannot be is read again with
:class:`~.mapping.FixedPaths`, whose error names the lines its values came from
(:class:`~.format.FixedParser`).

A mapping that reads no field of a record above the node it is read at (the commonest: an
order's fields at its header, a line's at the line) reads the records themselves
(:class:`RecordPaths`: no node made per record); any other, nodes that know their ancestors
(:class:`UntrackedPaths`). Both write the fields of a node's own record as code, read in the
field map's reader itself (:class:`~adapters.formats.field_code.InlinePaths`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from gateway.ports import ParsedDocument

from ..field_map import FieldSpec, spec_of
from ..mappings import document_reader
from .mapping import FixedMapping, FixedNode, FixedPaths, Layout, Record, one_per_layout

UntrackedReader = Callable[[Record], ParsedDocument]


def untracked_reader(kind: str, mapping: FixedMapping, partner: str | None) -> UntrackedReader:
    """The document a mapping reads from a document's first record, read without noting (a
    :class:`~adapters.formats.mappings.DocumentReader` of the records themselves when the
    mapping reads no record above a node)."""
    layout = mapping.layout
    if not reads_above(layout, mapping.fields):
        return document_reader(kind, mapping, partner, RecordPaths.of(layout))
    read = document_reader(kind, mapping, partner, UntrackedPaths.of(layout))
    slices: dict[str, tuple[str, slice]] = {}
    return lambda root: read(FixedNode.of(root, layout, slices))


def reads_above(layout: Layout, fields: Mapping[str, FieldSpec | str]) -> bool:
    """Whether a field of ``fields`` (the envelope's are read at a document's first record, a
    type with nothing above it) is read at a node from a record of a type above the node's."""

    def above(tag: str) -> set[str]:
        types: set[str] = set()
        parent = layout.records[tag].parent
        while parent is not None:
            types.add(parent)
            parent = layout.records[parent].parent
        return types

    def reads(specs: Mapping[str, FieldSpec | str], tags: set[str]) -> bool:
        for raw in specs.values():
            spec = spec_of(raw)
            if spec.value is not None:
                continue
            if spec.each is not None:
                if spec.each not in layout.records or reads(spec.fields or {}, {spec.each}):
                    return True
            elif spec.path is not None:
                tag = spec.path.partition(".")[0]
                if tag not in layout.records or any(tag in above(t) for t in tags):
                    return True
        return False

    return reads(fields, {tag for tag, record in layout.records.items() if record.parent is None})


@dataclass(frozen=True, eq=False)
class RecordPaths:
    """A layout's paths read at the records themselves (:class:`~adapters.formats.field_map.
    Paths`), as :class:`~.mapping.FixedNode` reads them, for a mapping that reads no record
    above a node (:func:`reads_above`): a field of the record's own, else of the records below
    it, in file order; one per layout (:meth:`of`)."""

    layout: Layout

    @classmethod
    def of(cls, layout: Layout) -> RecordPaths:
        return one_per_layout(_RECORDS, layout, cls)

    def texts(self, path: str) -> Callable[[Record], list[str]]:
        tag, sliced = self.layout.field_slice(path)

        def texts(record: Record) -> list[str]:
            if record.tag == tag:
                return [record.text[sliced].strip()]
            return [other.text[sliced].strip() for other in _below(record, tag)]

        return texts

    def first(self, path: str) -> Callable[[Record], str | None]:
        tag, sliced = self.layout.field_slice(path)

        def first(record: Record) -> str | None:
            if record.tag == tag:  # the commonest: a field of the node's own record
                return record.text[sliced].strip() or None
            for other in _below(record, tag):
                text = other.text[sliced].strip()
                if text:
                    return text
            return None

        return first

    def children(self, path: str) -> Callable[[Record], Sequence[Record]]:
        layout = self.layout.records.get(path)
        if layout is None:  # as a FixedNode says, each document (read again: its error)
            why = f'"each" is a record tag; no record type {path!r}'

            def unknown(record: Record) -> Sequence[Record]:
                raise KeyError(why)

            return unknown
        parent = layout.parent

        def children(record: Record) -> Sequence[Record]:
            if record.tag == path:
                return [record]
            if record.tag == parent:  # the commonest: the records right under it
                return [child for child in record.children if child.tag == path]
            return list(_below(record, path))

        return children

    @property
    def prologue(self) -> Sequence[str]:
        """None: the node is the record."""
        return ()

    def first_source(self, path: str, source: str) -> str:
        """:meth:`first` as an expression: a field of the record's own sliced from its line,
        any other asked of :meth:`first`'s reader (called ``source``)."""
        tag, sliced = self.layout.field_slice(path)
        own = f"(node.text[{sliced.start}:{sliced.stop}].strip() or None)"
        return f"({own} if node.tag == {tag!r} else {source}(node))"

    def items_source(self, path: str, source: str, item: str) -> str:
        """The item read at the record itself when it has the tag ``path`` (``each = "LIN"``
        read at a line), else at each record :meth:`children` finds."""
        return f"([{item}(node)] if node.tag == {path!r} else [*map({item}, {source}(node))])"


_RECORDS: dict[int, RecordPaths] = {}


def _below(record: Record, tag: str) -> Iterator[Record]:
    """The records with ``tag`` below ``record``, in file order (a record type never nests
    under itself: the search stops at each found)."""
    for child in record.children:
        if child.tag == tag:
            yield child
        else:
            yield from _below(child, tag)


@dataclass(frozen=True, eq=False)
class UntrackedPaths(FixedPaths):
    """:class:`~.mapping.FixedPaths` that note nothing; one per layout (:meth:`of`)."""

    @classmethod
    def of(cls, layout: Layout) -> UntrackedPaths:
        return one_per_layout(_UNTRACKED, layout, cls)

    def first(self, path: str) -> Callable[[FixedNode], str | None]:
        tag, sliced = self.layout.field_slice(path)

        def first(node: FixedNode) -> str | None:
            record = node.record
            if record.tag == tag:  # the commonest: a field of the node's own record
                return record.text[sliced].strip() or None
            for text in node.texts(path):
                if text:
                    return text
            return None

        return first

    @property
    def prologue(self) -> Sequence[str]:
        """The local of :meth:`first_source`: the node's record."""
        return ("record = node.record",)

    def first_source(self, path: str, source: str) -> str:
        """:meth:`first` as an expression: a field of the node's own record sliced from its
        line, any other asked of :meth:`first`'s reader (called ``source``)."""
        tag, sliced = self.layout.field_slice(path)
        own = f"(record.text[{sliced.start}:{sliced.stop}].strip() or None)"
        return f"({own} if record.tag == {tag!r} else {source}(node))"

    def items_source(self, path: str, source: str, item: str) -> str:
        """The item read at the node itself when its record has the tag ``path``, else at
        each node :meth:`children` finds."""
        same = f"[{item}(node)] if node.record.tag == {path!r}"
        return f"({same} else [*map({item}, {source}(node))])"


_UNTRACKED: dict[int, UntrackedPaths] = {}

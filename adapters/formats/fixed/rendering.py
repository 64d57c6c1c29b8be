"""Writing fixed width through a mapping (:mod:`.mapping`): the mirror of reading it.

A document is its header record (the record type without a parent that the envelope's sender
is read from) and the records under it. A path ``TAG.field`` is written into the record the
item stands for when it has that type, else into the record of that type under it (made when
there is none yet; with ``many``, one record per value), else into the nearest record of that
type above it; ``each = "TAG"`` writes each item of the list into a new record of that type
under the item (or into the item's own record, when it has that type).

A value is written left-aligned in its columns, padded with spaces; a decimal right-aligned
and filled with zeros (a minus sign first), with ``implied_decimals`` as its digits alone; a
value longer than its columns, or a field given two values, refuses the document naming the
field. Records are written in the order they were made, each under its parent, each line its
record's full length, ending with CRLF, in the partner's ``encoding``, else the layout's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..field_writing import unwritable
from ..mappings import envelope_facts, mapping_path, until_changed
from .mapping import MAPPINGS_DIR, FixedMapping, FixedNode, Layout, load_mapping
from .records import Document, read_documents


@dataclass(eq=False)
class FixedRecord:
    """A record being written (:class:`~adapters.formats.field_writing.Target`): its type, the
    texts of its fields, the records under it."""

    tag: str
    layout: Layout
    parent: FixedRecord | None = None
    values: dict[str, str] = field(default_factory=dict)
    children: list[FixedRecord] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)
    """Its fields that hold numbers (right-aligned, zero-filled)."""

    def put(
        self, path: str, texts: Sequence[str], *, many: bool = False, number: bool = False
    ) -> None:
        tag, _, name = path.partition(".")
        if self.tag == tag or not self._holds(tag):
            if len(texts) != 1:
                raise ValueError(f"{len(texts)} values: a field holds one")
            self._record_of(tag)._set(name, texts[0], number)
            return
        records = [self._new(tag) for _ in texts] if many else [self._first(tag)]
        for record, text in zip(records, texts, strict=True):
            record._set(name, text, number)

    def add(self, path: str) -> FixedRecord:
        return self if self.tag == path else self._new(path)

    def lines(self) -> Iterator[str]:
        """Its line and those of the records under it, in order, without line ends."""
        spec = self.layout.records[self.tag]
        line = [" "] * spec.length
        tag = self.layout.tag
        line[tag.start - 1 : tag.end] = self.tag.ljust(tag.length)
        for name, text in self.values.items():
            columns = spec.fields[name]
            fitted = _zero_filled(text, columns.length) if name in self.numbers else text
            line[columns.start - 1 : columns.end] = fitted.ljust(columns.length)
        yield "".join(line)
        for child in self.children:
            yield from child.lines()

    def _set(self, name: str, text: str, number: bool) -> None:
        columns = self.layout.records[self.tag].fields[name]
        if len(text) > columns.length:
            raise ValueError(
                f"{text[:40]!r} is {len(text)} characters, {columns} of {self.tag} hold "
                f"{columns.length}"
            )
        known = self.values.get(name)
        if known is not None and known != text:
            raise ValueError(f"the {self.tag} record holds {known[:40]!r} there already")
        self.values[name] = text
        if number:
            self.numbers.add(name)

    def _holds(self, tag: str) -> bool:
        """Whether records of type ``tag`` nest under this record's type."""
        parent = self.layout.records[tag].parent
        while parent is not None:
            if parent == self.tag:
                return True
            parent = self.layout.records[parent].parent
        return False

    def _record_of(self, tag: str) -> FixedRecord:
        """This record, or the nearest above it of type ``tag``."""
        record: FixedRecord | None = self
        while record is not None and record.tag != tag:
            record = record.parent
        if record is None:
            raise ValueError(f"no {tag} record here or above (a {self.tag} record is written)")
        return record

    def _first(self, tag: str) -> FixedRecord:
        for child in self.children:
            if child.tag == tag:
                return child
        return self._new(tag)

    def _new(self, tag: str) -> FixedRecord:
        spec = self.layout.records.get(tag)
        if spec is None or spec.parent != self.tag:
            raise ValueError(f"a {tag} record is not written under a {self.tag} record")
        record = FixedRecord(tag, self.layout, self)
        self.children.append(record)
        return record


def _zero_filled(text: str, width: int) -> str:
    """A number right-aligned in ``width`` characters, filled with zeros after its sign."""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    return sign + digits.rjust(width - len(sign), "0")


@dataclass(frozen=True)
class FixedWriting:
    """A mapping loaded for rendering: the type of its documents' header record."""

    name: str
    mapping: FixedMapping
    header: str

    def new_document(self) -> FixedRecord:
        return FixedRecord(self.header, self.mapping.layout)

    def serialize(self, document: FixedRecord) -> str:
        return "".join(f"{line}\r\n" for line in document.lines())

    def with_reference(self, text: str, reference: str) -> tuple[str, dict[str, str | None]]:
        """``text`` (a draft) with ``reference`` in the envelope's reference field, and the
        envelope's facts it gives then."""
        layout = self.mapping.layout
        lines = text.split("\r\n")
        path = self.mapping.envelope.interchange_reference
        if path is not None:
            tag, columns = path.partition(".")[0], layout.columns(path)
            if len(reference) > columns.length:
                reference = reference[-columns.length :]  # the number's last digits
            for index, line in enumerate(lines):
                if layout.tag.of(line) == tag:
                    start, end = columns.start - 1, columns.end
                    lines[index] = line[:start] + reference.ljust(columns.length) + line[end:]
        text = "\r\n".join(lines)
        [document] = [
            found
            for found in read_documents(text.splitlines(keepends=True), layout)
            if isinstance(found, Document)
        ][:1]
        node = FixedNode.of(document.root, layout)
        return text, envelope_facts(self.mapping.envelope, node)


@until_changed(MAPPINGS_DIR)
def render_mapping(name: str, directory: Path) -> FixedWriting:
    """The mapping ``name`` loaded for rendering (its documents' header record: the type the
    envelope's sender is read from, or the type it nests under); :class:`ConfigError` naming
    its file and each field that cannot be written."""
    mapping = load_mapping(name, directory)
    where = str(mapping_path(name, directory))
    layout = mapping.layout
    header = mapping.envelope.sender.partition(".")[0]
    while (parent := layout.records[header].parent) is not None:
        header = parent
    unwritable(mapping, lambda path: None, where)
    return FixedWriting(name, mapping, header)

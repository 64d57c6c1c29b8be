"""Writing CSV through a mapping (:mod:`.mapping`): the mirror of reading it.

A document is a file of its own. Each item of a list read from ``"rows"`` (or from
``"rows by <column>"``: an order's rows, by its number) is a row, or the rows of the items
listed in it; every row holds the fields of the items it is in and the document's own fields,
repeated as partners write them (so the ``group_by`` columns group the rows back into one
document). A document without such a list is one row; ``"this"`` writes an item in its row.
The header row, when the layout has one, names the columns: ``[render] columns`` in that order,
or else the names the mapping's paths use, in the order they first appear. Values are quoted
with the layout's ``quote`` where they need it; lines end with CRLF; the file is in the
partner's ``encoding``, else the layout's (UTF-8 without a byte order mark, Latin-1, cp1252).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..field_writing import unwritable
from ..mappings import envelope_facts, mapping_path, until_changed
from .mapping import MAPPINGS_DIR, CsvMapping, CsvNode, CsvPaths, grouped_by, load_mapping


def column_index(path: str, columns: Mapping[str, int]) -> int:
    """The 0-based column of ``path``: a position from 1, or a header name."""
    if path.isdigit():
        return int(path) - 1
    try:
        return columns[path]
    except KeyError:
        raise ValueError(f"no column {path!r} in the header") from None


@dataclass
class CsvTarget:
    """A document, or an item of one, being written (:class:`~adapters.formats.field_writing.
    Target`): the values of its columns, and its items that are rows."""

    columns: Mapping[str, int]
    values: dict[int, str] = field(default_factory=dict)
    items: list[CsvTarget] = field(default_factory=list)

    def put(
        self, path: str, texts: Sequence[str], *, many: bool = False, number: bool = False
    ) -> None:
        if len(texts) != 1:
            raise ValueError(f"{len(texts)} values: a column holds one")
        self.values[column_index(path, self.columns)] = texts[0]

    def add(self, path: str) -> CsvTarget:
        if path == "this":
            return self
        item = CsvTarget(self.columns)
        self.items.append(item)
        return item

    def rows(self, inherited: Mapping[int, str] | None = None) -> list[dict[int, str]]:
        """Its rows: one per item that has none of its own, with the values of all it is in."""
        merged = {**(inherited or {}), **self.values}
        if not self.items:
            return [merged]
        return [row for item in self.items for row in item.rows(merged)]


@dataclass(frozen=True)
class CsvWriting:
    """A mapping loaded for rendering: the columns of its header row."""

    name: str
    mapping: CsvMapping
    columns: Mapping[str, int]
    """Header names -> positions (0-based)."""

    def new_document(self) -> CsvTarget:
        return CsvTarget(self.columns)

    def serialize(self, rows: Sequence[Mapping[int, str]]) -> str:
        layout = self.mapping.layout
        width = max([index + 1 for row in rows for index in row] + [len(self.columns)])
        out = io.StringIO()
        writer = csv.writer(
            out, delimiter=layout.delimiter, quotechar=layout.quote, lineterminator="\r\n"
        )
        if layout.header:
            header = [""] * width
            for name, index in self.columns.items():
                header[index] = name
            writer.writerow(header)
        writer.writerows([row.get(index, "") for index in range(width)] for row in rows)
        return out.getvalue()

    def with_reference(self, text: str, reference: str) -> tuple[str, dict[str, str | None]]:
        """``text`` (a draft) with ``reference`` in the envelope's reference column of every
        row, and the envelope's facts it gives then (as its first row is read)."""
        layout = self.mapping.layout
        rows = list(
            csv.reader(io.StringIO(text), delimiter=layout.delimiter, quotechar=layout.quote)
        )
        if layout.header:
            rows.pop(0)
        path = self.mapping.envelope.interchange_reference
        if path is not None:
            index = column_index(path, self.columns)
            for row in rows:
                row.extend([""] * (index + 1 - len(row)))
                row[index] = reference
        node = CsvNode([(1, rows[0])], CsvPaths.of(self.columns))
        facts = envelope_facts(self.mapping.envelope, node)
        return self.serialize([dict(enumerate(row)) for row in rows]), facts


@until_changed(MAPPINGS_DIR)
def render_mapping(name: str, directory: Path) -> CsvWriting:
    """The mapping ``name`` loaded for rendering; :class:`ConfigError` naming its file and each
    field that cannot be written."""
    mapping = load_mapping(name, directory)
    where = str(mapping_path(name, directory))
    layout = mapping.layout
    declared = list(mapping.render.columns) if mapping.render is not None else []
    names = list(declared)

    def problem_of(path: str) -> str | None:
        if path in ("rows", "this"):
            return None
        column = grouped_by(path)
        if column.isdigit():
            return None if int(column) >= 1 else "columns are numbered from 1"
        if not layout.header:
            return "a column by name needs a header row (layout.header = true)"
        if declared and column not in declared:
            return "not among the [render] columns"
        if column not in names:
            names.append(column)
        return None

    unwritable(mapping, problem_of, where)
    return CsvWriting(name, mapping, {name: index for index, name in enumerate(names)})

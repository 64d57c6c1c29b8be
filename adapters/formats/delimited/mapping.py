"""Declarative CSV mappings: ``mappings/csv/<name>.toml``, read by people and reviewed like code.

``[layout]`` says how the file is written: ``delimiter``, ``quote``, ``header`` (the first row
names the columns), ``encoding`` (``utf-8``, a BOM tolerated; ``latin-1``; ``cp1252``) and
``group_by``: the columns whose values make one document of each run of consecutive rows that
share them (a partner writes one row per line, its order's fields repeated on each, an order's
rows together; as Bots' ``nextmessageblock``, the same values further on start another
document: so a file of any size is read as a stream). Paths are columns: a
1-based position (``"5"``), or a name from the header row. The fields of a document are read
from its first row; ``each = "rows"`` makes a list of one item per row of the document (or of
the item's rows), ``each = "rows by <column>"`` one item per value of the column, holding the
rows that have it (a ship notice's orders, each with its rows), and ``each = "this"`` one item of
the row itself. ``[render] columns`` names the header row's columns, in order, for the files
the gateway writes with the mapping (:mod:`.rendering`). ``[envelope]`` and ``[fields]`` are as
for every declarative format (:mod:`adapters.formats.field_map`);
``mappings/csv/example-orders.toml`` is one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..field_map import FieldSpec, Strict
from ..mappings import EnvelopeSpec, MappingFile, mapping_path, read_mapping_file

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings" / "csv"
"""The mappings the project ships (``mappings/csv/`` of the source tree)."""

ROWS_BY = "rows by "
Row = tuple[int, Sequence[str]]
"""A row's number in the file (1 = the first) and its values."""


def grouped_by(each: str) -> str:
    """The column a list read ``rows by <column>`` (``each``) puts its rows together by."""
    return each.removeprefix(ROWS_BY).strip()


@dataclass(frozen=True)
class CsvPaths:
    """A CSV mapping's paths as the columns of a file with this header row
    (:class:`~adapters.formats.field_map.Paths`): a path is a 1-based position (``"5"``) or a
    header name; a field reads a document's first row."""

    header: tuple[tuple[str, int], ...] = ()
    """Header names -> positions (0-based), in order."""

    @classmethod
    def of(cls, columns: Mapping[str, int]) -> CsvPaths:
        return cls(tuple(columns.items()))

    def column(self, path: str) -> int:
        if path.isdigit() and int(path) >= 1:
            return int(path) - 1
        for name, index in self.header:
            if name == path:
                return index
        raise KeyError(f"no column {path!r} in the header")

    def texts(self, path: str) -> Callable[[CsvNode], list[str]]:
        index = self.column(path)

        def texts(node: CsvNode) -> list[str]:
            values = node.rows[0][1]
            return [values[index].strip()] if index < len(values) else []

        return texts

    @property
    def prologue(self) -> Sequence[str]:
        """The locals of :meth:`first_source`: the document's first row's values and their
        count."""
        return ("row = node.rows[0][1]", "size = len(row)")

    def first_source(self, path: str, source: str) -> str:
        """:meth:`first` as an expression (:class:`~..field_code.InlinePaths`)."""
        index = self.column(path)
        return f"((row[{index}].strip() or None) if {index} < size else None)"

    def items_source(self, path: str, source: str, item: str) -> str | None:
        """``each = "this"``: the item read at the node itself (no list of it first)."""
        return f"[{item}(node)]" if path == "this" else None

    def first(self, path: str) -> Callable[[CsvNode], str | None]:
        index = self.column(path)

        def first(node: CsvNode) -> str | None:
            values = node.rows[0][1]
            return (values[index].strip() or None) if index < len(values) else None

        return first

    def row_key(self, each: str) -> Callable[[Row], str]:
        """A row's value of the column a ``rows by <column>`` list (``each``) puts its rows
        together by ('' where the row is short of it)."""
        index = self.column(grouped_by(each))

        def key_of(row: Row) -> str:
            values = row[1]
            return values[index].strip() if index < len(values) else ""

        return key_of

    def children(self, path: str) -> Callable[[CsvNode], list[CsvNode]]:
        if path == "rows":
            return lambda node: [CsvNode((row,), self) for row in node.rows]
        if path == "this":
            return lambda node: [node]
        if path.startswith(ROWS_BY):
            key_of = self.row_key(path)

            def runs(node: CsvNode) -> list[CsvNode]:
                groups: dict[str, list[Row]] = {}
                for row in node.rows:
                    groups.setdefault(key_of(row), []).append(row)
                return [CsvNode(rows, self) for rows in groups.values()]

            return runs
        raise KeyError(
            f'"each" in a CSV mapping is "rows", "rows by <column>" or "this", not {path!r}'
        )


class CsvNode:
    """Rows of a document (a group), read through its file's :class:`CsvPaths`
    (:class:`~adapters.formats.field_map.Node`). A plain class with slots: a file of a million
    rows makes a node per row."""

    __slots__ = ("paths", "rows")

    def __init__(self, rows: Sequence[Row], paths: CsvPaths) -> None:
        self.rows = rows
        self.paths = paths

    def texts(self, path: str) -> list[str]:
        return self.paths.texts(path)(self)

    def children(self, path: str) -> list[CsvNode]:
        return self.paths.children(path)(self)


class Layout(Strict):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', min_length=1, max_length=1)
    header: bool = False
    encoding: Literal["utf-8", "latin-1", "cp1252"] = "utf-8"
    group_by: list[str] = Field(min_length=1, description="the columns that make a document")


class CsvRender(Strict):
    columns: list[str] = Field(
        default_factory=list,
        description="the header row of the files written with the mapping, in order (none: "
        "the names its paths use, in the order they first appear)",
    )


class CsvMapping(MappingFile):
    """One mapping file."""

    layout: Layout
    envelope: EnvelopeSpec
    fields: dict[str, FieldSpec | str]
    render: CsvRender | None = None


def load_mapping(name: str, directory: Path = MAPPINGS_DIR) -> CsvMapping:
    """The mapping ``name`` (``<directory>/<name>.toml``); a ConfigError naming file and key
    when it is bad."""
    return CsvMapping.model_validate(read_mapping_file(mapping_path(name, directory), CsvMapping))

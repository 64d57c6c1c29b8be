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

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..field_map import (
    EnvelopeSpec,
    FieldSpec,
    MappingFile,
    Strict,
    mapping_path,
    read_mapping_file,
)

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings" / "csv"
"""The mappings the project ships (``mappings/csv/`` of the source tree)."""

ROWS_BY = "rows by "
Row = tuple[int, Sequence[str]]
"""A row's number in the file (1 = the first) and its values."""


class CsvNode:
    """Rows of a document (a group), its paths columns (:class:`~adapters.formats.field_map.
    Node`): a value is read from the first row. (A plain class with slots: a file of a million
    rows makes a node per row.)"""

    __slots__ = ("columns", "resolved", "rows")

    def __init__(
        self,
        rows: Sequence[Row],
        columns: Mapping[str, int],
        resolved: dict[str, int] | None = None,
    ) -> None:
        self.rows = rows
        self.columns = columns
        """Header names -> positions (0-based)."""
        self.resolved = {} if resolved is None else resolved
        """Paths -> positions, as found (shared by the nodes of a file: each path is looked up
        once)."""

    def column(self, path: str) -> int:
        index = self.resolved.get(path)
        if index is not None:
            return index
        if path.isdigit() and int(path) >= 1:
            index = int(path) - 1
        elif path in self.columns:
            index = self.columns[path]
        else:
            raise KeyError(f"no column {path!r} in the header")
        self.resolved[path] = index
        return index

    def texts(self, path: str) -> list[str]:
        index = self.resolved.get(path)
        if index is None:
            index = self.column(path)
        values = self.rows[0][1]
        return [values[index].strip()] if index < len(values) else []

    def children(self, path: str) -> Sequence[CsvNode]:
        if path == "rows":
            return [CsvNode([row], self.columns, self.resolved) for row in self.rows]
        if path == "this":
            return [self]
        if path.startswith(ROWS_BY):
            index = self.column(path.removeprefix(ROWS_BY).strip())
            groups: dict[str, list[Row]] = {}
            for number, values in self.rows:
                key = values[index].strip() if index < len(values) else ""
                groups.setdefault(key, []).append((number, values))
            return [CsvNode(rows, self.columns, self.resolved) for rows in groups.values()]
        raise KeyError(
            f'"each" in a CSV mapping is "rows", "rows by <column>" or "this", not {path!r}'
        )


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

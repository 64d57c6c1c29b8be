"""A CSV document too large to hold, read in parts (issue 22; :mod:`..flat_in_parts`).

:meth:`.format.CsvParser.parse_stream` groups a file's rows into documents; a group that passes
:data:`~adapters.formats.flat_in_parts.HUGE_ROWS` rows is not held but read here, an item at a
time (:func:`read_group`): its first row gives the envelope and the fields around its list,
each item of the list is read as its rows come (:class:`_Items`: a row, ``each = "rows"``; or
a run of rows sharing a column's value, ``each = "rows by <column>"``), the parts given as they
fill; its outcome (:class:`GroupRead`) is what the group read whole gives, the document or why
it fails, with the rows it spans, and its rows when the partner wants them back (a
rejected-rows reply: spooled while it is read, to a temporary file past a few MB).

Read whole, the rows of a ``rows by`` item are put together wherever they are in the document;
read in parts, an item is a run of rows, so a value that comes back after its run ended
(:class:`~.run_keys.RunKeys`) fails the document, naming the value and both rows; and a run
of more than ``HUGE_ROWS`` rows, held to read as one item, fails it too (``csv.too_large``).
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, Final

from gateway.ports.formats import ParsedDocument, ParseResult, PartAhead

from ..field_map import MappingError
from ..flat_in_parts import DocumentInParts, ListInParts
from .mapping import ROWS_BY, CsvNode, CsvPaths, Row, grouped_by
from .run_keys import RunKeys

SPOOLED_IN_MEMORY: Final = 4 << 20
"""Bytes of rows kept in memory for a reply before they go to their file."""
MAPPING: Final = "csv.mapping"
TOO_LARGE: Final = "csv.too_large"


def reads_in_parts(each: str) -> bool:
    """Whether :func:`read_group` cuts a document into the items of a list read at ``each``
    (for :meth:`~..flat_in_parts.ListInParts.of`)."""
    return each == "rows" or each.startswith(ROWS_BY)


@dataclass
class GroupRead:
    """A group of rows read in parts: its document, or why it has none."""

    document: ParsedDocument | None
    problem: str | None
    first: int
    """Its first row's number, and its last's."""
    last: int
    ahead: list[PartAhead] = field(default_factory=list)
    """The parts its end completed."""
    rows: list[Row] = field(default_factory=list)
    """Its rows, when it failed and they were kept."""
    code: str = MAPPING
    """The finding's code, when it failed."""


def read_group(
    reader: ListInParts, members: Iterator[Row], paths: CsvPaths, keep_rows: bool, most: int
) -> Generator[ParseResult, None, GroupRead]:
    """The group of rows ``members``, read an item at a time: its parts as they fill are
    yielded (a part of the file that holds them alone), its outcome returned; ``keep_rows``: a
    failed group's rows come back with it (else they are not kept); ``most``: the rows an item
    may hold."""
    first = next(members)
    rows = itertools.chain((first,), members)
    spool = _RowSpool() if keep_rows else None
    items = _Items(reader.each, paths, spool, most)
    document: DocumentInParts | None = None
    problem: str | None = None
    code = MAPPING
    try:
        try:
            document = reader.begin(CsvNode((first,), paths), str(first[0]))
        except (MappingError, KeyError) as error:
            problem = _problem(error)
        for item in items.nodes(rows):
            if document is None:
                continue
            try:
                ahead = document.add(item)
            except (MappingError, KeyError) as error:
                problem = _problem(error)
                document.close()
                document = None
                continue
            if ahead:
                yield ParseResult(ahead=ahead)
        cut = items.why_not_as_whole()
        if cut is not None:
            code, problem = cut
        elif document is not None:
            try:
                parsed, ahead = document.finish()
            except (MappingError, KeyError) as error:
                problem = _problem(error)
            else:
                return GroupRead(parsed, None, first[0], items.last, ahead)
        kept = list(spool.rows()) if spool is not None else []
        return GroupRead(None, problem, first[0], items.last, rows=kept, code=code)
    finally:
        if document is not None:
            document.close()
        if spool is not None:
            spool.close()
        items.close()


class _Items:
    """The items of a document's list as its rows come (:meth:`nodes`): a node of each row
    (``each = "rows"``), or of each run of rows sharing a column's value (``rows by``); the
    rows spooled for a reply, when they are; whether they are the items the document read whole
    has (:meth:`why_not_as_whole`)."""

    def __init__(self, each: str, paths: CsvPaths, spool: _RowSpool | None, most: int) -> None:
        self.each = each
        self.paths = paths
        self.spool = spool
        self.most = most
        self.last = 0
        """The last row read."""
        self.keys: RunKeys | None = None
        self.too_long: str | None = None
        """Why an item held too many rows."""

    def nodes(self, rows: Iterator[Row]) -> Iterator[CsvNode]:
        return self._rows(rows) if self.each == "rows" else self._runs(rows)

    def _rows(self, rows: Iterator[Row]) -> Iterator[CsvNode]:
        paths, spool = self.paths, self.spool
        for row in rows:
            self.last = row[0]
            if spool is not None:
                spool.add(row)
            yield CsvNode((row,), paths)

    def _runs(self, rows: Iterator[Row]) -> Iterator[CsvNode]:
        paths, spool, most = self.paths, self.spool, self.most
        column = grouped_by(self.each)
        key_of = paths.row_key(self.each)  # its column known: ListInParts.of asked for it
        keys = self.keys = RunKeys()
        for key, run in itertools.groupby(rows, key=key_of):
            held = list(itertools.islice(run, most + 1))
            if spool is not None:
                for row in held:
                    spool.add(row)
            self.last = held[-1][0]
            if self.too_long is None and len(held) > most:
                self.too_long = (
                    f"{column} {key!r} holds more than {most:,} rows, from row {held[0][0]} "
                    f"(row {self.last} passes them): an item's rows are held to be read "
                    "together, and so many are refused"
                )
            if self.too_long is not None:  # the rest passed over, not held
                del held
                for row in run:
                    self.last = row[0]
                    if spool is not None:
                        spool.add(row)
                continue
            keys.add(key, held[0][0])
            yield CsvNode(held, paths)

    def why_not_as_whole(self) -> tuple[str, str] | None:
        """The finding's code and problem when the items read are not those of the document
        read whole (an item too long to hold, or a value that came back); None when they are."""
        if self.too_long is not None:
            return TOO_LARGE, self.too_long
        returned = self.keys.returned() if self.keys is not None else None
        if returned is None:
            return None
        key, earlier, later = returned
        column = grouped_by(self.each)
        return MAPPING, (
            f"{column} {key!r} comes back at row {later}, after its rows from row {earlier} "
            "ended: a document this large is read in parts, an item at a time, so an item's "
            "rows must come together (read whole, they would be put together)"
        )

    def close(self) -> None:
        if self.keys is not None:
            self.keys.close()


def _problem(error: MappingError | KeyError) -> str:
    """What the finding says (as of a group read whole)."""
    return str(error.args[0]) if isinstance(error, KeyError) else str(error)


class _RowSpool:
    """Rows kept in their order, a JSON text a line: in memory up to
    :data:`SPOOLED_IN_MEMORY` bytes, then in a temporary file."""

    def __init__(self) -> None:
        self.file: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - close()
            SPOOLED_IN_MEMORY, mode="w+", encoding="utf-8"
        )

    def add(self, row: Row) -> None:
        self.file.write(json.dumps([row[0], list(row[1])], ensure_ascii=False))
        self.file.write("\n")

    def rows(self) -> Iterator[Row]:
        self.file.seek(0)
        for line in self.file:
            number, values = json.loads(line)
            yield number, values

    def close(self) -> None:
        self.file.close()

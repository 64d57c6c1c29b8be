"""A CSV document too large to hold, read in parts (issue 22; :mod:`..flat_in_parts`).

:meth:`.format.CsvParser.parse_stream` groups a file's rows into documents; a group that passes
:data:`~adapters.formats.flat_in_parts.HUGE_ROWS` rows is not held but read here, a row at a
time (:func:`read_group`): its first row gives the envelope and the fields around its list,
each row an item, the parts given as they fill; its outcome (:class:`GroupRead`) is what the
group read whole gives, the document or why it fails, with the rows it spans, and its rows when
the partner wants them back (a rejected-rows reply: spooled while it is read, to a temporary
file past a few MB).
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
from .mapping import CsvNode, CsvPaths, Row

SPOOLED_IN_MEMORY: Final = 4 << 20
"""Bytes of rows kept in memory for a reply before they go to their file."""


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


def read_group(
    reader: ListInParts, members: Iterator[Row], paths: CsvPaths, keep_rows: bool
) -> Generator[ParseResult, None, GroupRead]:
    """The group of rows ``members``, read a row at a time: its parts as they fill are yielded
    (a part of the file that holds them alone), its outcome returned; ``keep_rows``: a failed
    group's rows come back with it (else they are not kept)."""
    first = next(members)
    rows = itertools.chain((first,), members)
    spool = _RowSpool() if keep_rows else None
    document: DocumentInParts | None = None
    problem: str | None = None
    last = first[0]
    try:
        try:
            document = reader.begin(CsvNode((first,), paths), str(first[0]))
        except (MappingError, KeyError) as error:
            problem = _problem(error)
        for row in rows:
            last = row[0]
            if spool is not None:
                spool.add(row)
            if document is None:
                continue
            try:
                ahead = document.add(CsvNode((row,), paths))
            except (MappingError, KeyError) as error:
                problem = _problem(error)
                document.close()
                document = None
                continue
            if ahead:
                yield ParseResult(ahead=ahead)
        if document is not None:
            try:
                parsed, ahead = document.finish()
            except (MappingError, KeyError) as error:
                problem = _problem(error)
            else:
                return GroupRead(parsed, None, first[0], last, ahead)
        kept = list(spool.rows()) if spool is not None else []
        return GroupRead(None, problem, first[0], last, rows=kept)
    finally:
        if document is not None:
            document.close()
        if spool is not None:
            spool.close()


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

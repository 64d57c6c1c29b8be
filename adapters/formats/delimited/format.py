"""The CSV format: a partner's delimited files read through a declarative mapping
(:mod:`.mapping`, ``mappings/csv/<name>.toml``): rows grouped into documents by the mapping's
key columns, each document a canonical message.

Options (the profile's ``[csv]`` section, :class:`CsvConfig`): ``mapping``, the mapping's name;
``partner_ids``, the sender ids its files may carry (none: not checked); ``encoding`` (over the
mapping's) and ``bad_characters`` (``refuse`` or ``replace``: :mod:`..charset`); ``reply =
"rejected-rows"``, a CSV of the rows not taken from each file (:mod:`.reply`); for what the
gateway sends it, ``render`` (the mapping of each kind: ``{"856" = "example-asn"}``),
``sender_id`` (ours) and ``receiver_id`` (the partner's), with optional qualifiers. Errors name
the row and the column (or the field and its path) and what was found.

A document written for a partner (:mod:`.rendering`) is read back through its mapping before it
may leave: it must give the canonical message it was written from (a field the mapping does not
carry refuses it, named). Numbering draws from the ledger's sequence ``csv.file``: the number is
the document's reference (in the envelope's reference column, when the mapping has one) and in
its file name, ``<kind>-<number>.csv``. A file read as nobody's (the gateway's own files read
back) is read with the mapping when the partners' profiles name only one.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from gateway.control_numbers import ControlNumberCounter
from gateway.messages import Message
from gateway.ports import (
    Draft,
    Format,
    FormatConfig,
    Parser,
    ParseResult,
    RenderedDocument,
    collect,
)

from .. import flat_in_parts as flat
from ..charset import Charset, Undecodable
from ..field_map import MappingError
from ..field_writing import (
    RenderingConfig,
    check_read_back,
    encoded,
    numbered_file,
    the_one_document,
    write_envelope,
    write_fields,
    writing_for,
)
from ..flat_in_parts import ListInParts
from ..mappings import document_reader, readable, resolve_mapping, untrusted_sender
from .in_parts import MAPPING, TOO_LARGE, read_group, reads_in_parts
from .mapping import CsvMapping, CsvNode, CsvPaths, Row, load_mapping
from .rendering import CsvWriting, render_mapping
from .reply import RejectedRows, render_rejected, rows_of

KIND = "csv"
FILE_SEQUENCE = "csv.file"
"""The ledger's sequence the files the gateway writes are numbered from."""
DRAFT_REFERENCE = "draft"


class CsvConfig(RenderingConfig, Charset):
    """A partner's ``[csv]`` section (with ``encoding`` and ``bad_characters``:
    :class:`~adapters.formats.charset.Charset`)."""

    mapping_folder: ClassVar[str] = "csv"

    mapping: str = Field(
        description="the mapping its files are read with: mappings/csv/<name>.toml of the home, "
        "else of those shipped"
    )
    partner_ids: list[str] = Field(
        default_factory=list, description="the sender ids its files may carry; none: not checked"
    )
    reply: Literal["none", "rejected-rows"] = Field(
        default="none",
        description='"rejected-rows": a CSV of the rows not taken from each file, with the reason',
    )

    @field_validator("mapping")
    @classmethod
    def _found(cls, name: str, info: ValidationInfo) -> str:
        return readable(resolve_mapping(name, "csv", info), load_mapping)

    def load_for_rendering(self, name: str) -> CsvWriting:
        return render_mapping(name)


PART = 250
"""Documents a part of a file read as a stream holds at most."""
PART_ROWS = 1_000
"""The rows of its documents a part holds at most (a part is full at :data:`PART` documents or
at this many rows, whichever comes first): the memory of a part stays bounded whatever its
documents' size, and a part's models die before the cyclic collector passes over them many
times (a part of 250 orders of 10 rows, some 60,000 objects alive, outlived a collection of
the youngest generation: ``bench/flat_xml.py`` read 20% fewer rows per CPU second)."""


@dataclass(frozen=True)
class CsvParser:
    """Reads CSV files with each partner's mapping, as a stream; picklable."""

    mappings: Mapping[str, CsvMapping]
    senders: Mapping[str, frozenset[str]]
    charsets: Mapping[str, Charset]
    replies: frozenset[str] = frozenset()
    """The partners who get a CSV of the rows not taken from each file."""

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        source = io.BytesIO(data)
        return collect(self._read(source, file_name, partner, in_parts=False))

    def parse_stream(
        self, source: BinaryIO, *, file_name: str, partner: str | None = None
    ) -> Iterator[ParseResult]:
        """The file's documents, a part at a time (:data:`PART`, :data:`PART_ROWS`): a
        document is the run of rows that
        share the mapping's ``group_by`` values (a partner writes an order's rows together;
        the same values further on start another document). A document of more rows than
        :data:`~adapters.formats.flat_in_parts.HUGE_ROWS` is read in parts, never held
        (:mod:`.in_parts`), where its mapping allows it: its item parts come ahead of it
        (:attr:`~gateway.ports.ParseResult.ahead`), and it is their header
        (:class:`~gateway.messages.parts.MessageInParts`); where it does not, the document is
        refused (``csv.too_large``, its rows passed over, not held; a rejected-rows reply gets
        one row naming them and why) and the others read on. :meth:`parse` (the bytes in
        hand: a small file, the command line, a rendered file read back) reads every document
        whole."""
        return self._read(source, file_name, partner, in_parts=True)

    def _read(
        self, source: BinaryIO, file_name: str, partner: str | None, in_parts: bool
    ) -> Iterator[ParseResult]:
        mapping = self.mappings.get(partner or "")
        if mapping is None:
            yield ParseResult(unreadable=f"{file_name}: no CSV mapping for partner {partner!r}")
            return
        rejected: list[tuple[str, str, tuple[str, ...]]] = []
        header: list[tuple[str, ...]] = []
        last = yield from self._parts(
            source, file_name, partner, mapping, rejected, header, in_parts
        )
        if partner in self.replies and last.refused is None:
            if last.unreadable is not None:
                rejected = [("", last.unreadable, ())]
            if rejected:
                layout = mapping.layout
                names = header[0] if header else None
                owed = RejectedRows(file_name, layout.delimiter, layout.quote, names, (*rejected,))
                last.owed.append(owed)
        yield last

    def _parts(
        self,
        source: BinaryIO,
        file_name: str,
        partner: str | None,
        mapping: CsvMapping,
        rejected: list[tuple[str, str, tuple[str, ...]]],
        header: list[tuple[str, ...]],
        in_parts: bool = False,
    ) -> Generator[ParseResult, None, ParseResult]:
        """The file read with ``mapping``: its full parts yielded, its last one (with the
        file's verdict) returned, so that no part is held back to learn whether it is the last
        (a part held back doubled the documents alive, and reading slowed with them); the rows
        of documents not taken are added to ``rejected`` with their reason, the header row (if
        any) to ``header``; ``in_parts``: a huge document is read in parts."""
        layout = mapping.layout
        charset = self.charsets.get(partner or "", Charset())
        allowed = self.senders.get(partner or "", frozenset())
        lines = charset.lines_of(source, layout.encoding, "CSV file")
        reader = csv.reader(lines, delimiter=layout.delimiter, quotechar=layout.quote)
        rows: Iterator[Row] = filter(_has_values, enumerate(reader, start=1))
        part, documents, held = ParseResult(), 0, 0
        try:
            columns: dict[str, int] = {}
            if layout.header:
                for _, names in itertools.islice(rows, 1):
                    columns = {name.strip(): index for index, name in enumerate(names)}
                    header.append(tuple(names))
            paths = CsvPaths.of(columns)
            try:
                key_of = _key(layout.group_by, paths)
            except KeyError as error:
                return ParseResult(unreadable=f"{file_name}: {error.args[0]}")
            read = document_reader(KIND, mapping, partner, paths)
            most = flat.HUGE_ROWS
            huge = (
                ListInParts.of(KIND, mapping, partner, paths, reads_in_parts, flat.HUGE_PART_ITEMS)
                if in_parts
                else None
            )
            limit = most if in_parts else -1
            for key, run in itertools.groupby(rows, key=key_of):
                group, rest = _first_rows(run, limit)
                documents += 1
                if rest is not None and huge is None:  # too large to read whole
                    first, passed = group[0][0], group[-1][0]
                    del group
                    tail = collections.deque(rest, maxlen=1)  # passed over, not held
                    last = tail[0][0] if tail else passed
                    why = flat.whole_because(mapping, reads_in_parts, paths)
                    problem = (
                        f"more than {most:,} rows (row {passed} passes them), and its mapping "
                        f"cannot read it in parts: {why}; a document read whole this large is "
                        "refused"
                    )
                    where = (first, last)
                    part.findings.append(_finding(TOO_LARGE, file_name, where, key, problem))
                    rejected.append((f"{first}-{last}", problem, ()))
                    continue
                if rest is not None:
                    keep_rows = partner in self.replies
                    members = itertools.chain(group, rest)  # its first rows let go once read
                    del group
                    assert huge is not None
                    read_in_parts = yield from read_group(huge, members, paths, keep_rows, most)
                    part.ahead += read_in_parts.ahead
                    if read_in_parts.document is None:
                        problem = read_in_parts.problem or ""
                        where = (read_in_parts.first, read_in_parts.last)
                        code = read_in_parts.code
                        part.findings.append(_finding(code, file_name, where, key, problem))
                        rejected += rows_of(read_in_parts.rows, problem)
                        continue
                    document = read_in_parts.document
                else:
                    try:
                        document = read(CsvNode(group, paths))
                    except (MappingError, KeyError) as error:
                        problem = error.args[0] if isinstance(error, KeyError) else str(error)
                        where = (group[0][0], group[-1][0])
                        part.findings.append(_finding(MAPPING, file_name, where, key, problem))
                        rejected += rows_of(group, problem)
                        continue
                    held += len(group)
                refusal = untrusted_sender([document], allowed, file_name)
                if refusal is not None:
                    return ParseResult(refused=refusal)
                part.documents.append(document)
                if len(part.documents) >= PART or held >= PART_ROWS:
                    yield part
                    part, held = ParseResult(), 0
        except Undecodable as error:
            return ParseResult(unreadable=f"{file_name}: {error}")
        except csv.Error as error:
            why = f"line {reader.line_num}: not {layout.delimiter!r}-delimited: {error}"
            return ParseResult(unreadable=f"{file_name}: {why}")
        if not documents:
            return ParseResult(unreadable=f"{file_name}: no rows")
        if lines.warning:
            part.findings.append(
                {
                    "code": "csv.charset",
                    "severity": "warning",
                    "message": f"{file_name}: {lines.warning}",
                }
            )
        return part

    def reply(self, result: ParseResult, counter: object) -> None:
        """The rejected-rows replies owed (:mod:`.reply`)."""
        result.replies += [render_rejected(o) for o in result.owed if isinstance(o, RejectedRows)]
        result.owed = []


def _first_rows(run: Iterator[Row], limit: int) -> tuple[list[Row], Iterator[Row] | None]:
    """The rows of a group, all of them when they are no more than ``limit`` (or ``limit`` is
    -1); else its first ``limit + 1`` and the others, to be read."""
    if limit < 0:
        return list(run), None
    group = list(itertools.islice(run, limit + 1))
    return group, (run if len(group) > limit else None)


def _finding(
    code: str, file_name: str, rows: tuple[int, int], key: tuple[str, ...], problem: str
) -> dict[str, str]:
    """The finding of a document not read (``csv.mapping``: its mapping cannot read it;
    ``csv.too_large``): its rows, its key and why."""
    where = f"{file_name}, rows {rows[0]}-{rows[1]} ({' '.join(key)})"
    return {"code": code, "severity": "error", "message": f"{where}: {problem}"}


def _has_values(row: Row) -> bool:
    """Whether a row holds a value (a blank line, or one of delimiters alone, does not)."""
    return any(row[1])


def _key(group_by: list[str], paths: CsvPaths) -> Callable[[Row], tuple[str, ...]]:
    """The values of the ``group_by`` columns of a row (:class:`KeyError` naming a column the
    header does not have)."""
    indexes = [paths.column(path) for path in group_by]
    if len(indexes) == 1:  # the commonest: an order's number (a call per row, made cheap)
        [index] = indexes

        def one(row: Row) -> tuple[str, ...]:
            values = row[1]
            return (values[index].strip(),) if index < len(values) else ("",)

        return one

    def key(row: Row) -> tuple[str, ...]:
        values = row[1]
        return tuple(values[i].strip() if i < len(values) else "" for i in indexes)

    return key


class CsvFormat(Format):
    """Delimited files through declarative mappings (``format = "csv"``, settings in ``[csv]``)."""

    kind: ClassVar[str] = KIND
    Config: ClassVar[type[FormatConfig]] = CsvConfig

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        mine = {name: c for name, c in configs.items() if isinstance(c, CsvConfig)}
        mappings = {name: load_mapping(c.mapping) for name, c in mine.items()}
        named = {n for c in mine.values() for n in (c.mapping, *c.render.values())}
        if len(named) == 1:  # nobody's (the gateway's own files): read with the only one
            mappings[""] = load_mapping(named.pop())
        return CsvParser(
            mappings=mappings,
            senders={name: frozenset(c.partner_ids) for name, c in mine.items()},
            charsets=mine,
            replies=frozenset(name for name, c in mine.items() if c.reply == "rejected-rows"),
        )

    def draft(self, message: Message, kind: str, config: FormatConfig, at: dt.datetime) -> Draft:
        settings = _csv(config)
        writing = _writing(settings, kind, message)
        document = writing.new_document()
        write_envelope(document, writing.mapping.envelope, settings.facts(DRAFT_REFERENCE))
        values = message.model_dump(exclude={"envelope", "document_id"})
        write_fields(document, writing.mapping.fields, values)
        text = writing.serialize(document.rows())
        encoding = settings.encoding or writing.mapping.layout.encoding
        reader = CsvParser(
            mappings={"": writing.mapping}, senders={}, charsets={"": Charset(encoding=encoding)}
        )
        result = reader.parse(encoded(text, encoding, kind), file_name=f"the rendered {kind}")
        back, problems = the_one_document(result, str(writing.mapping.layout.group_by))
        check_read_back(message, back, problems, kind, writing.name)
        return Draft(kind, "", text, message.content_digest)

    def number(
        self, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        settings = _csv(config)
        writing = _writing(settings, draft.kind)
        number = counter.next(FILE_SEQUENCE)
        reference = f"{number:09d}"
        numbered = writing.with_reference(draft.text, reference)
        encoding = settings.encoding or writing.mapping.layout.encoding
        name = f"{draft.kind}-{reference}.csv"
        return numbered_file(KIND, draft, settings, numbered, reference, name, encoding)


def _csv(config: FormatConfig) -> CsvConfig:
    if not isinstance(config, CsvConfig):
        raise TypeError(f"CSV settings expected, got {type(config).__name__}")
    return config


def _writing(config: CsvConfig, kind: str, message: Message | None = None) -> CsvWriting:
    return writing_for(config, kind, KIND, render_mapping, message)

"""The CSV format: a partner's delimited files read through a declarative mapping
(:mod:`.mapping`, ``mappings/csv/<name>.toml``): rows grouped into documents by the mapping's
key columns, each document a canonical message.

Options (the profile's ``[csv]`` section, :class:`CsvConfig`): ``mapping``, the mapping's name;
``partner_ids``, the sender ids its files may carry (none: not checked); ``encoding`` (over the
mapping's) and ``bad_characters`` (``refuse`` or ``replace``: :mod:`..charset`); ``reply =
"rejected-rows"``, a CSV of the rows not taken from each file (:mod:`.reply`). Errors name the
row and the column (or the field and its path) and what was found.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from gateway.ports import Format, FormatConfig, Parser, ParseResult

from ..charset import Charset, Undecodable, decode
from ..field_map import MappingError, mapped_document, resolve_mapping, untrusted_sender
from .mapping import CsvMapping, CsvNode, Row, load_mapping
from .reply import RejectedRows, render_rejected, rows_of

KIND = "csv"


class CsvConfig(FormatConfig, Charset):
    """A partner's ``[csv]`` section (with ``encoding`` and ``bad_characters``:
    :class:`~adapters.formats.charset.Charset`)."""

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
        return resolve_mapping(name, "csv", info)


@dataclass(frozen=True)
class CsvParser:
    """Reads CSV files with each partner's mapping; picklable."""

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
        mapping = self.mappings.get(partner or "")
        if mapping is None:
            return ParseResult(unreadable=f"{file_name}: no CSV mapping for partner {partner!r}")
        rejected: list[tuple[str, str, tuple[str, ...]]] = []
        header: list[tuple[str, ...]] = []
        result = self._read(data, file_name, partner, mapping, rejected, header)
        if partner in self.replies and result.refused is None:
            if result.unreadable is not None:
                rejected = [("", result.unreadable, ())]
            if rejected:
                layout = mapping.layout
                names = header[0] if header else None
                owed = RejectedRows(file_name, layout.delimiter, layout.quote, names, (*rejected,))
                result.owed.append(owed)
        return result

    def _read(
        self,
        data: bytes,
        file_name: str,
        partner: str | None,
        mapping: CsvMapping,
        rejected: list[tuple[str, str, tuple[str, ...]]],
        header: list[tuple[str, ...]],
    ) -> ParseResult:
        """The file read with ``mapping``; the rows of documents not taken are added to
        ``rejected`` with their reason, the header row (if any) to ``header``."""
        layout = mapping.layout
        charset = self.charsets.get(partner or "", Charset())
        try:
            text, warning = decode(
                data, charset.encoding or layout.encoding, charset.bad_characters
            )
        except Undecodable as error:
            return ParseResult(unreadable=f"{file_name}: {error}")
        if "\x00" in text:
            return ParseResult(unreadable=f"{file_name}: a NUL character: not a CSV file")
        reader = csv.reader(io.StringIO(text), delimiter=layout.delimiter, quotechar=layout.quote)
        try:
            rows = list(reader)
        except csv.Error as error:
            why = f"line {reader.line_num}: not {layout.delimiter!r}-delimited: {error}"
            return ParseResult(unreadable=f"{file_name}: {why}")
        numbered: list[Row] = [(n, row) for n, row in enumerate(rows, start=1) if any(row)]
        columns: dict[str, int] = {}
        if layout.header and numbered:
            _, names = numbered.pop(0)
            columns = {name.strip(): index for index, name in enumerate(names)}
            header.append(tuple(names))
        if not numbered:
            return ParseResult(unreadable=f"{file_name}: no rows")
        try:
            groups = _groups(numbered, layout.group_by, columns)
        except KeyError as error:
            return ParseResult(unreadable=f"{file_name}: {error.args[0]}")
        result = ParseResult()
        if warning:
            result.findings.append(
                {"code": "csv.charset", "severity": "warning", "message": f"{file_name}: {warning}"}
            )
        for key, group in groups.items():
            where = f"{file_name}, rows {group[0][0]}-{group[-1][0]} ({' '.join(key)})"
            try:
                node = CsvNode(group, columns)
                result.documents.append(mapped_document(KIND, mapping, node, partner))
            except (MappingError, KeyError) as error:
                problem = error.args[0] if isinstance(error, KeyError) else str(error)
                result.findings.append(
                    {"code": "csv.mapping", "severity": "error", "message": f"{where}: {problem}"}
                )
                rejected += rows_of(group, problem)
        refusal = untrusted_sender(result, self.senders.get(partner or "", frozenset()), file_name)
        return ParseResult(refused=refusal) if refusal is not None else result

    def reply(self, result: ParseResult, counter: object) -> None:
        """The rejected-rows replies owed (:mod:`.reply`)."""
        result.replies += [render_rejected(o) for o in result.owed if isinstance(o, RejectedRows)]
        result.owed = []


def _groups(
    rows: list[Row], group_by: list[str], columns: Mapping[str, int]
) -> dict[tuple[str, ...], list[Row]]:
    """The rows by the values of the ``group_by`` columns, in the order keys first appear."""
    node = CsvNode(rows, columns)
    indexes = [node.column(path) for path in group_by]
    groups: dict[tuple[str, ...], list[Row]] = {}
    for number, values in rows:
        key = tuple(values[i].strip() if i < len(values) else "" for i in indexes)
        groups.setdefault(key, []).append((number, values))
    return groups


class CsvFormat(Format):
    """Delimited files through declarative mappings (``format = "csv"``, settings in ``[csv]``)."""

    kind: ClassVar[str] = KIND
    Config: ClassVar[type[FormatConfig]] = CsvConfig

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        mine = {name: c for name, c in configs.items() if isinstance(c, CsvConfig)}
        return CsvParser(
            mappings={name: load_mapping(c.mapping) for name, c in mine.items()},
            senders={name: frozenset(c.partner_ids) for name, c in mine.items()},
            charsets=mine,
            replies=frozenset(name for name, c in mine.items() if c.reply == "rejected-rows"),
        )

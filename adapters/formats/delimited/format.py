"""The CSV format: a partner's delimited files read through a declarative mapping
(:mod:`.mapping`, ``mappings/csv/<name>.toml``): rows grouped into documents by the mapping's
key columns, each document a canonical message.

Options (the profile's ``[csv]`` section, :class:`CsvConfig`): ``mapping``, the mapping's name;
``partner_ids``, the sender ids its files may carry (none: not checked). Reading only, for now.
Errors name the row and the column (or the field and its path) and what was found.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field, ValidationError

from gateway.messages import Envelope, PartyId
from gateway.ports import Format, FormatConfig, ParsedDocument, Parser, ParseResult

from ..field_map import MappingError
from .mapping import CsvMapping, CsvNode, Row, load_mapping

KIND = "csv"


class CsvConfig(FormatConfig):
    """A partner's ``[csv]`` section."""

    mapping: str = Field(
        description="the mapping its files are read with: mappings/csv/<name>.toml"
    )
    partner_ids: list[str] = Field(
        default_factory=list, description="the sender ids its files may carry; none: not checked"
    )


@dataclass(frozen=True)
class CsvParser:
    """Reads CSV files with each partner's mapping; picklable."""

    mappings: Mapping[str, CsvMapping]
    senders: Mapping[str, frozenset[str]]

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
        layout = mapping.layout
        encoding = "utf-8-sig" if layout.encoding == "utf-8" else layout.encoding
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            return ParseResult(
                unreadable=f"{file_name}: line {line}: not {layout.encoding} ({error.reason})"
            )
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
        if not numbered:
            return ParseResult(unreadable=f"{file_name}: no rows")
        try:
            groups = _groups(numbered, layout.group_by, columns)
        except KeyError as error:
            return ParseResult(unreadable=f"{file_name}: {error.args[0]}")
        result = ParseResult()
        for key, group in groups.items():
            where = f"{file_name}, rows {group[0][0]}-{group[-1][0]} ({' '.join(key)})"
            try:
                result.documents.append(self._document(mapping, CsvNode(group, columns), partner))
            except (MappingError, KeyError) as error:
                why = error.args[0] if isinstance(error, KeyError) else str(error)
                result.findings.append(
                    {"code": "csv.mapping", "severity": "error", "message": f"{where}: {why}"}
                )
        allowed = self.senders.get(partner or "")
        for doc in result.documents:
            sender = doc.message.envelope.sender.id if doc.message is not None else ""
            if allowed and sender not in allowed:
                why = f"{file_name}: sent as {sender!r}, not among the partner's ids"
                return ParseResult(refused=why)
        return result

    def _document(self, mapping: CsvMapping, node: CsvNode, partner: str | None) -> ParsedDocument:
        facts: dict[str, str | None] = {}
        for name, path in mapping.envelope.model_dump().items():
            texts = [text for text in node.texts(path) if text] if path else []
            facts[name] = texts[0] if texts else None
        if not facts["sender"] or not facts["receiver"]:
            columns = f"{mapping.envelope.sender}, {mapping.envelope.receiver}"
            raise MappingError(f"no sender or receiver (columns {columns})")
        envelope = Envelope(
            partner=partner,
            format=KIND,
            sender=PartyId(id=facts["sender"], qualifier=facts["sender_qualifier"]),
            receiver=PartyId(id=facts["receiver"], qualifier=facts["receiver_qualifier"]),
            interchange_reference=facts["interchange_reference"],
        )
        try:
            message = mapping.message_class.model_validate(
                {**mapping.values_of(node), "envelope": envelope}
            )
        except ValidationError as error:
            problems = [
                f"{'.'.join(str(p) for p in problem['loc'])} (at "
                f"{mapping.where(problem['loc'])}): {problem['msg']}"
                for problem in error.errors(include_url=False)[:5]
            ]
            raise MappingError("; ".join(problems)) from None
        return ParsedDocument(
            document_id=message.document_id,
            kind=mapping.kind,
            interchange=envelope.interchange_reference or "",
            group="",
            transaction="",
            message=message,
            envelope_key=envelope.envelope_key,
        )

    def reply(self, result: ParseResult, counter: object) -> None:
        """CSV files get no acknowledgement from the gateway (yet)."""


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
        )

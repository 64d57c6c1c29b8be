"""The fixed-width format: a partner's fixed-width files (one record a line, its type in
columns the layout names, its fields in columns) read through a declarative mapping
(:mod:`.mapping`, ``mappings/fixed/<name>.toml``): records nest into documents by the layout
(:mod:`.records`), each document a canonical message.

Options (the profile's ``[fixed]`` section, :class:`FixedConfig`): ``mapping``, the mapping's
name (``mappings/fixed/<name>.toml`` of the home, else of those shipped); ``partner_ids``, the
sender ids its files may carry (none: not checked); ``encoding`` (over the mapping's) and
``bad_characters`` (``refuse`` or ``replace``: :mod:`..charset`). Reading only, for now.

Errors name the line, the record, the field and its columns, what was expected and what was
found: a line that does not fit the layout spoils its document (the others are read), and a
bad file is refused with its reasons, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from gateway.ports import Format, FormatConfig, Parser, ParseResult

from ..charset import Charset, Undecodable
from ..field_map import MappingError, mapped_document, resolve_mapping, untrusted_sender
from .mapping import FixedMapping, FixedNode, load_mapping
from .records import Document, Problem, read_documents

KIND = "fixed"
FINDINGS = 100
"""Findings a file's result lists at most (a hostile file can hold millions); the others are
counted in ``left_off``."""


class FixedConfig(FormatConfig, Charset):
    """A partner's ``[fixed]`` section (with ``encoding`` and ``bad_characters``:
    :class:`~adapters.formats.charset.Charset`)."""

    mapping: str = Field(
        description="the mapping its files are read with: mappings/fixed/<name>.toml of the "
        "home, else of those shipped"
    )
    partner_ids: list[str] = Field(
        default_factory=list, description="the sender ids its files may carry; none: not checked"
    )

    @field_validator("mapping")
    @classmethod
    def _found(cls, name: str, info: ValidationInfo) -> str:
        return resolve_mapping(name, "fixed", info)


@dataclass(frozen=True)
class FixedParser:
    """Reads fixed-width files with each partner's mapping; picklable."""

    mappings: Mapping[str, FixedMapping]
    senders: Mapping[str, frozenset[str]]
    charsets: Mapping[str, Charset] = field(default_factory=dict)

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
            why = f"{file_name}: no fixed-width mapping for partner {partner!r}"
            return ParseResult(unreadable=why)
        layout = mapping.layout
        charset = self.charsets.get(partner or "", Charset())
        try:
            text, warning = charset.text_of(data, layout.encoding, "fixed-width file")
        except Undecodable as error:
            return ParseResult(unreadable=f"{file_name}: {error}")
        result = ParseResult()
        slices: dict[str, tuple[str, slice]] = {}
        if warning:
            message = f"{file_name}: {warning}"
            result.findings.append(
                {"code": "fixed.charset", "severity": "warning", "message": message}
            )
        for found in read_documents(text, layout):
            problems = [found] if isinstance(found, Problem) else found.problems
            for problem in problems:
                where = "" if problem.line is None else f"line {problem.line}"
                _finding(result, "fixed.layout", file_name, problem.line, where, problem.message)
            if isinstance(found, Document):
                if found.left_off:
                    result.left_off["error"] = result.left_off.get("error", 0) + found.left_off
                if not found.problems:
                    self._translate(result, mapping, found, file_name, partner, slices)
        if not (result.documents or result.findings or result.left_off):
            return ParseResult(unreadable=f"{file_name}: no records")
        refusal = untrusted_sender(result, self.senders.get(partner or "", frozenset()), file_name)
        if refusal is not None:
            return ParseResult(refused=refusal, findings=[_error("fixed.sender", refusal, None)])
        return result

    def _translate(
        self,
        result: ParseResult,
        mapping: FixedMapping,
        document: Document,
        file_name: str,
        partner: str | None,
        slices: dict[str, tuple[str, slice]],
    ) -> None:
        node = FixedNode.of(document.root, mapping.layout, slices)
        try:
            result.documents.append(mapped_document(KIND, mapping, node, partner))
        except (MappingError, KeyError) as error:
            problem = str(error.args[0]) if isinstance(error, KeyError) else str(error)
            first, last = document.root.line, document.last_line
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            _finding(result, "fixed.mapping", file_name, first, where, node.place(problem))

    def reply(self, result: ParseResult, counter: object) -> None:
        """Fixed-width files get no acknowledgement from the gateway (yet)."""


def _finding(
    result: ParseResult, code: str, file_name: str, line: int | None, where: str, message: str
) -> None:
    if len(result.findings) >= FINDINGS:
        result.left_off["error"] = result.left_off.get("error", 0) + 1
        return
    text = f"{file_name}, {where}: {message}" if where else f"{file_name}: {message}"
    result.findings.append(_error(code, text, line))


def _error(code: str, message: str, line: int | None) -> dict[str, Any]:
    finding: dict[str, Any] = {"code": code, "severity": "error", "message": message}
    if line is not None:
        finding["line"] = line
    return finding


class FixedFormat(Format):
    """Fixed-width files through declarative mappings (``format = "fixed"``, settings in
    ``[fixed]``)."""

    kind: ClassVar[str] = KIND
    Config: ClassVar[type[FormatConfig]] = FixedConfig

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        mine = {name: c for name, c in configs.items() if isinstance(c, FixedConfig)}
        return FixedParser(
            mappings={name: load_mapping(c.mapping) for name, c in mine.items()},
            senders={name: frozenset(c.partner_ids) for name, c in mine.items()},
            charsets=mine,
        )

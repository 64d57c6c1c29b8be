"""Mapping cases: ``mappings/cases/<name>.toml``, each a file read through one mapping and what
it must give, so that a change to a mapping is reviewed like code (``edi-gateway mapping test``).

A case names its ``mapping`` as ``<format>/<name>`` (``xml/cxml-order-request``,
``csv/example-orders``) and checks one direction:

- reading: its ``input`` file and either ``expect``, a JSON file holding the list of canonical
  messages the input gives, or ``finding``, a text the refusal of the input must contain;
- writing: ``render``, a JSON file holding one canonical message of the mapping's ``kind``, and
  ``rendered``, the file the mapping writes for it (as drafted, before numbering: its reference
  the draft's, its time :data:`RENDERED_AT`), with the profile's other keys in ``[settings]``
  (``sender_id``, ``receiver_id``...).

``--update`` writes the expected JSON or file, to be reviewed in the diff. Paths are relative to
the case file. Files are read and written as the daemon does for a partner called
:data:`PARTNER` whose profile uses that one mapping.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from gateway.errors import ConfigError, DocumentRefused
from gateway.partner_formats import PartnerFormats
from gateway.partners import PartnerProfile, parse_profile
from gateway.ports import ParseResult
from gateway.registry import Registry

from .field_map import Strict
from .mappings import MESSAGES, read_mapping_file

CASES_DIR = Path(__file__).resolve().parents[2] / "mappings" / "cases"
"""The cases the project ships (``mappings/cases/`` of the source tree)."""
PARTNER = "mapping-case"
"""The partner a case's input is read for (its name is in the messages' envelopes and ids)."""


RENDERED_AT = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
"""When a writing case's file is drafted (its dates and times are this, not the clock's)."""


class Case(Strict):
    """One case file."""

    description: str = ""
    mapping: str = Field(pattern=r"^[a-z0-9]+/[A-Za-z0-9._-]+$", description="<format>/<name>")
    input: str | None = None
    expect: str | None = None
    finding: str | None = None
    render: str | None = None
    kind: str | None = None
    rendered: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_outcome(self) -> Case:
        reading = self.input is not None
        if reading and (self.expect is None) == (self.finding is None):
            raise ValueError("give either expect (a JSON file) or finding (a text), not both")
        writing = (self.render, self.kind, self.rendered)
        if reading == any(value is not None for value in writing):
            raise ValueError("give an input (reading) or render, kind and rendered (writing)")
        if not reading and None in writing:
            raise ValueError("a writing case needs render, kind and rendered")
        return self


@dataclass(frozen=True)
class Outcome:
    """What running a case gave."""

    name: str
    passed: bool
    detail: str
    """One line when it passed; what differs (a diff of the JSON, or the findings) otherwise."""


def load_case(path: Path) -> Case:
    """The case in ``path``; :class:`ConfigError` naming the file and key when it is bad."""
    return Case.model_validate(read_mapping_file(path, Case))


def with_mapping(
    registry: Registry, mapping: str, settings: Mapping[str, Any] | None = None
) -> tuple[PartnerFormats, PartnerProfile]:
    """The formats and profile of a partner whose profile uses the one ``mapping``
    (``<format>/<name>``), with its other ``settings``; :class:`ConfigError` when no format or
    mapping has that name, or the settings are bad."""
    kind, _, name = mapping.partition("/")
    try:
        format_ = registry.format(kind)
    except ConfigError as error:
        raise ConfigError(f"mapping {mapping!r}: {error}") from None
    fields = format_.Config.model_fields
    if "mappings" in fields:
        section: dict[str, Any] = {"mappings": [name]}
    elif "mapping" in fields:
        section = {"mapping": name}
    else:
        raise ConfigError(f"mapping {mapping!r}: the {kind} format reads no mappings")
    try:
        profile = parse_profile(
            PARTNER, {"format": kind, kind: {**section, **(settings or {})}}, registry
        )
    except ValueError as error:
        raise ConfigError(f"mapping {mapping!r}: {error}") from None
    return PartnerFormats.of(registry, {PARTNER: profile}), profile


def read_with_mapping(registry: Registry, mapping: str, data: bytes, file_name: str) -> ParseResult:
    """``data`` read as the files of a partner whose profile uses the one ``mapping``."""
    formats, _ = with_mapping(registry, mapping)
    return formats.parse(data, file_name=file_name, partner=PARTNER)


def problems_of(result: ParseResult) -> list[str]:
    """Every reason ``result`` gives for not accepting (part of) its file."""
    problems = [result.why] if result.why else []
    problems += [_said(finding) for finding in result.findings]
    problems += [error for doc in result.documents for error in doc.errors]
    return problems


def _said(finding: dict[str, Any]) -> str:
    """A finding's message; one a partner's policy made a warning says so, and by which key."""
    key = finding.get("downgraded_by")
    message = str(finding.get("message"))
    return f"{message} (a warning: downgraded by {key})" if key else message


def messages_of(result: ParseResult) -> list[dict[str, Any]]:
    """The canonical messages of ``result``'s accepted documents, as JSON values."""
    return [
        doc.message.model_dump(mode="json") for doc in result.documents if doc.message is not None
    ]


def run_case(
    registry: Registry, case: Case, base: Path, *, name: str, update: bool = False
) -> Outcome:
    """Run ``case`` (its paths relative to ``base``); with ``update``, write what it gives as
    its expected JSON or file instead of comparing."""
    if case.input is None:
        return _run_writing(registry, case, base, name=name, update=update)
    source = base / case.input
    try:
        data = source.read_bytes()
    except OSError as error:
        return Outcome(name, False, f"cannot read {source}: {error.strerror}")
    result = read_with_mapping(registry, case.mapping, data, source.name)
    problems = problems_of(result)
    if case.finding is not None:
        if any(case.finding in problem for problem in problems):
            return Outcome(name, True, f"refused as expected: {case.finding}")
        said = "; ".join(problems) or "nothing: it was accepted"
        return Outcome(name, False, f"expected a finding with {case.finding!r}, got {said}")
    assert case.expect is not None
    if problems:
        return Outcome(name, False, "refused: " + "; ".join(problems))
    got = _pretty(messages_of(result))
    expected_path = base / case.expect
    if update:
        expected_path.write_text(got, encoding="utf-8")
        return Outcome(name, True, f"wrote {expected_path}")
    try:
        expected = _pretty(json.loads(expected_path.read_text(encoding="utf-8")))
    except OSError as error:
        return Outcome(name, False, f"cannot read {expected_path}: {error.strerror} (--update)")
    except ValueError as error:
        return Outcome(name, False, f"{expected_path}: not JSON: {error}")
    if expected == got:
        return Outcome(name, True, f"{len(result.documents)} message(s) as expected")
    return Outcome(name, False, _diff(expected, got, expected_path))


def _run_writing(registry: Registry, case: Case, base: Path, *, name: str, update: bool) -> Outcome:
    assert case.render is not None and case.kind is not None and case.rendered is not None
    source = base / case.render
    try:
        values = json.loads(source.read_text(encoding="utf-8"))
        values.pop("document_id", None)  # its id is worked out, as a request's is
        message = MESSAGES[values.get("message_type", "")].model_validate(values)
    except OSError as error:
        return Outcome(name, False, f"cannot read {source}: {error.strerror}")
    except (ValueError, KeyError) as error:  # pydantic's ValidationError is a ValueError
        return Outcome(name, False, f"{source}: not a canonical message: {error}")
    settings = {"render": {case.kind: case.mapping.partition("/")[2]}, **case.settings}
    formats, profile = with_mapping(registry, case.mapping, settings)
    config = profile.format_config
    assert config is not None
    try:
        got = formats.draft(PARTNER, message, case.kind, config, RENDERED_AT).text
    except DocumentRefused as error:
        return Outcome(name, False, f"refused: {error}")
    expected_path = base / case.rendered
    if update:  # as written, line ends and all (a CSV's are CRLF)
        with expected_path.open("w", encoding="utf-8", newline="") as out:
            out.write(got)
        return Outcome(name, True, f"wrote {expected_path}")
    try:
        with expected_path.open(encoding="utf-8", newline="") as handle:
            expected = handle.read()
    except OSError as error:
        return Outcome(name, False, f"cannot read {expected_path}: {error.strerror} (--update)")
    if expected == got:
        return Outcome(name, True, f"written as expected ({len(got):,} characters)")
    return Outcome(name, False, _diff(expected, got, expected_path))


def _diff(expected: str, got: str, path: Path) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), got.splitlines(), str(path), "what it gives", lineterm=""
    )
    return "\n".join(lines)


def run_cases(registry: Registry, paths: Iterable[Path], *, update: bool = False) -> list[Outcome]:
    """Run the cases in ``paths`` (case files, or folders of them), in name order."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.toml")) if path.is_dir() else [path]
    outcomes = []
    for file in files:
        try:
            case = load_case(file)
            outcomes.append(run_case(registry, case, file.parent, name=file.stem, update=update))
        except ConfigError as error:
            outcomes.append(Outcome(file.stem, False, str(error)))
    return outcomes


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

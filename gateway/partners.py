"""Partner profiles: ``mappings/partners/<partner>.toml``, one file per partner.

The file name (without ``.toml``) is the partner's name, the same as its ``inbox/<partner>/`` and
``outbox/<partner>/`` folders. A profile says which format the partner's documents are in
(``format = "<kind>"``; without it, the format whose section the profile has, or the registry's
default) and holds one section per format or channel it uses, each named by its kind and checked
by that kind's ``Config`` (the registry, :mod:`gateway.registry`, knows them): for example
``[x12]`` for how X12 is written for the partner and ``[sftp]`` for its server. Unknown keys and
sections are errors, and every error names the file and the key::

    mappings/partners/acme.toml: sftp.inbound.after: Input should be 'delete', 'move' or 'keep'
    mappings/partners/acme.toml: [sfpt]: unknown section 'sfpt': did you mean 'sftp'? (known: ...)
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .bus.topology import KIND_MESSAGES
from .errors import PartnerConfigError, UnknownKind, did_you_mean
from .ports import ChannelConfig, FormatConfig, InboundPolicy
from .references.check import names_items
from .registry import Registry, unknown

PARTNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""What a partner may be called: it names folders (same rule as the folder source)."""

PARTNERS_DIR = Path("mappings/partners")
"""Where the profiles are, relative to the settings' ``home``."""

SettingsT = TypeVar("SettingsT", bound=BaseModel)
TOP_LEVEL = (
    "description",
    "format",
    "inbound",
    "business_duplicates",
    "asn_check",
    "reference_check",
)
"""A profile's own keys; every other key is a section of a format or channel."""


class PartnerProfile(BaseModel):
    """A partner as its profile declares it: its format and the settings of each format and
    channel it uses (the sections of its file, by kind)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="the partner's name: its profile file's name without .toml")
    description: str = ""
    format: str = Field(description="the kind of format of the partner's documents")
    inbound: list[str] = Field(
        default_factory=list,
        description="the kinds of format the partner's files may come in, when more than its "
        'format (a 3PL sending CSV ship notices and X12 997s: ["csv", "x12"]); each file is '
        "read by the one whose signature it begins with (gateway.ports.Format.signature)",
    )
    business_duplicates: Literal["skip", "publish"] = Field(
        default="skip",
        description="a document the partner sends again with the same business key (order "
        'number, shipment id) and the same content under other control numbers: "skip" '
        'records and announces it without publishing it again; "publish" publishes it too',
    )
    asn_check: Literal["off", "warn", "refuse"] = Field(
        default="warn",
        description="a ship notice (856) requested for a PO the partner sent (850), checked "
        'for items not ordered and more than ordered (gateway.fulfilment.asn): "warn" sends it '
        'with the findings on its timeline and an event; "refuse" refuses it (an exception to '
        'retry or dismiss); "off" does not check',
    )
    reference_check: list[str] = Field(
        default_factory=list,
        description="the kinds of document checked against the reference data "
        "(mappings/reference/<partner>.toml and all.toml, and the lists the modern layer "
        'publishes: gateway.references), e.g. ["846", "945"]: one naming an item or location '
        "it does not know goes to the exceptions instead of being published",
    )
    formats: dict[str, FormatConfig] = Field(
        default_factory=dict, description="the settings of each format, by kind"
    )
    channels: dict[str, ChannelConfig] = Field(
        default_factory=dict, description="the settings of each channel, by kind"
    )
    delivered_by: list[str] = Field(
        default_factory=list,
        description="the kinds of its channels that deliver its outbox files (none: the "
        "partner collects them from its outbox folder)",
    )

    @property
    def inbound_formats(self) -> list[str]:
        """The kinds of format its files may come in: ``inbound``, else its format."""
        return self.inbound or [self.format]

    @property
    def format_config(self) -> FormatConfig | None:
        """The settings of the partner's format; None when its profile has no such section."""
        return self.formats.get(self.format)

    @property
    def inbound_policy(self) -> InboundPolicy:
        config = self.format_config
        policy = config.inbound_policy() if config is not None else InboundPolicy()
        return dataclasses.replace(
            policy,
            publish_business_duplicates=self.business_duplicates == "publish",
            reference_kinds=frozenset(self.reference_check),
        )

    @field_validator("reference_check")
    @classmethod
    def _kinds_name_items(cls, kinds: list[str]) -> list[str]:
        checked = [k for k, message in KIND_MESSAGES.items() if names_items(message)]
        for kind in kinds:
            if kind not in checked:
                raise ValueError(
                    f"{kind!r} is no kind of document naming items{did_you_mean(kind, checked)} "
                    f"(known: {', '.join(checked)})"
                )
        return kinds

    def settings(self, kind: str, model: type[SettingsT]) -> SettingsT | None:
        """The ``[kind]`` section as ``model`` (the adapter's own ``Config``); None without one."""
        section = self.formats.get(kind) or self.channels.get(kind)
        return section if isinstance(section, model) else None


def parse_profile(
    name: str, data: Mapping[str, Any], registry: Registry, *, folder: Path | None = None
) -> PartnerProfile:
    """The profile of partner ``name`` from a profile's table; :class:`ValueError` naming the
    key when it is bad. ``folder``, the folder the profile was read from, is handed to each
    section's validation (context ``profiles``): a format finds its own files beside it (a
    partner's mappings in ``<home>/mappings/<format>/``)."""
    problems: list[str] = []
    fields: dict[str, Any] = {"name": name}
    formats: dict[str, FormatConfig] = {}
    channels: dict[str, ChannelConfig] = {}
    for key, value in data.items():
        if key in TOP_LEVEL:
            fields[key] = value
            continue
        try:
            model = registry.section(key)
        except UnknownKind as error:
            plain = did_you_mean(key, TOP_LEVEL, cutoff=0.8)  # a profile's own key, misspelt
            problems.append(f"{key}: unknown key{plain}" if plain else f"[{key}]: {error}")
            continue
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a section [{key}], got a value")
            continue
        try:
            section = model.model_validate(value, context={"profiles": folder})
        except ValidationError as error:
            problems += _problems(error, prefix=(key,), model=model)
            continue
        if isinstance(section, FormatConfig):
            formats[key] = section
        elif isinstance(section, ChannelConfig):
            channels[key] = section
    fields["delivered_by"] = [kind for kind in channels if registry.channel(kind).delivers]
    chosen = fields.get("format")
    if chosen is None:
        fields["format"] = next(iter(formats), registry.default_format)
    elif isinstance(chosen, str):
        try:
            registry.format(chosen)
        except UnknownKind as error:
            problems.append(f"format: {error}")
    inbound = fields.get("inbound")
    kinds = inbound if isinstance(inbound, list) else []  # not a list: the model says so
    for index, kind in enumerate(kinds):
        if isinstance(kind, str) and kind not in registry.formats:
            problems.append(f"inbound.{index}: {unknown('format', kind, registry.formats)}")
    if problems:
        raise ValueError("\n".join(problems))
    try:
        return PartnerProfile.model_validate({**fields, "formats": formats, "channels": channels})
    except ValidationError as error:
        raise ValueError("\n".join(_problems(error, model=PartnerProfile))) from None


def load_partner(path: Path, registry: Registry) -> PartnerProfile:
    """The profile in ``path``; :class:`PartnerConfigError` naming file and key when it is bad."""
    name = path.name.removesuffix(".toml")
    if not PARTNER_NAME.fullmatch(name):
        raise PartnerConfigError(
            f"{path}: {name!r} is not a usable partner name (letters, digits, '._-', at most 64)"
        )
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as error:
        raise PartnerConfigError(f"{path}: cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PartnerConfigError(f"{path}: not valid TOML: {error}") from None
    if "name" in data:
        raise PartnerConfigError(f"{path}: name: not allowed (the file name is the partner name)")
    try:
        return parse_profile(name, data, registry, folder=path.parent)
    except ValueError as error:
        raise PartnerConfigError(
            "\n".join(_placed(path, text, line) for line in str(error).splitlines())
        ) from None


def _placed(path: Path, text: str, problem: str) -> str:
    """``problem`` (``key: message``) with the file and the line its key is on."""
    key = problem.partition(": ")[0].strip("[]")
    line = _line_of(text, key) if key and " " not in key else None
    return f"{path}, line {line}: {problem}" if line else f"{path}: {problem}"


def _line_of(text: str, key: str) -> int | None:
    """The line of the dotted ``key`` in a TOML ``text``: the key under its table's header,
    else the header of the table holding it (a missing key), else none."""
    parts = key.split(".")
    while parts and parts[-1].isdigit():  # a list's index; inside, a table's name ("850")
        parts.pop()
    *tables, leaf = parts or [""]
    lines = text.splitlines()

    def header(table: str) -> int | None:  # a part may be quoted: [x12.validation.sets."850"]
        names = r"\s*\.\s*".join(rf'"?{re.escape(name)}"?' for name in table.split("."))
        pattern = re.compile(rf"^\s*\[\s*{names}\s*\]")
        return next((n for n, line in enumerate(lines) if pattern.match(line)), None)

    if not tables and (found := header(leaf)) is not None:  # a table of its own: [leaf]
        return found + 1
    tables_found = (header(".".join(tables[:depth])) for depth in range(len(tables), 0, -1))
    start = next((n for n in tables_found if n is not None), 0)  # the nearest table there is
    assignment = re.compile(rf"^\s*\"?{re.escape(leaf)}\"?\s*=")
    for number in range(start, len(lines)):
        if assignment.match(lines[number]):
            return number + 1
        if number > start and lines[number].lstrip().startswith("["):
            break
    return start + 1 if tables else None


def load_partners(directory: Path, registry: Registry) -> dict[str, PartnerProfile]:
    """Every profile in ``directory`` (``*.toml``), by partner name; the first bad one raises."""
    if not directory.is_dir():
        return {}
    profiles = [load_partner(path, registry) for path in sorted(directory.glob("*.toml"))]
    return {profile.name: profile for profile in profiles}


def load_partners_apart(
    directory: Path, registry: Registry
) -> tuple[dict[str, PartnerProfile], dict[str, str]]:
    """The good profiles in ``directory``, by partner name, and why each bad one is, by the
    partner its file names (the daemon runs the others: :class:`PartnerConfigError` of one
    partner never stops every partner)."""
    profiles: dict[str, PartnerProfile] = {}
    bad: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        try:
            profile = load_partner(path, registry)
        except PartnerConfigError as error:
            bad[path.name.removesuffix(".toml")] = str(error)
            continue
        profiles[profile.name] = profile
    return profiles, bad


def partner_file(directory: Path, partner: str) -> Path:
    return directory / f"{partner}.toml"


def _problems(
    error: ValidationError, prefix: tuple[str, ...] = (), model: type[BaseModel] | None = None
) -> list[str]:
    lines = []
    for problem in error.errors(include_url=False):
        key = ".".join(str(part) for part in (*prefix, *problem["loc"])) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden" and model is not None:
            known = _fields_at(model, problem["loc"][:-1])
            if known:
                message = str(unknown("key", str(problem["loc"][-1]), known))
        lines.append(f"{key}: {message}")
    return lines


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the (nested) model at ``loc`` of ``model``; none when not a model."""
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        models = [
            kind
            for kind in (annotation, *typing.get_args(annotation))  # X | None: X
            if isinstance(kind, type) and issubclass(kind, BaseModel)
        ]
        if not models:
            return []
        model = models[0]
    return list(model.model_fields)

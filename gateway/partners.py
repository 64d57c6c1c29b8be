"""Partner profiles: ``mappings/partners/<partner>.toml``, one file per partner.

The file name (without ``.toml``) is the partner's name, the same as its ``inbox/<partner>/`` and
``outbox/<partner>/`` folders. A profile declares the partner's channels (``[sftp]``:
:class:`adapters.transport.sftp_config.SftpChannel` lists its options; without one, files stay
in the local folders) and how the gateway writes X12 for it (``[x12]``: :class:`X12Profile`).
Unknown keys are errors, and every error names the file and the key::

    mappings/partners/acme.toml: sftp.inbound.after: Input should be 'delete', 'move' or 'keep'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from adapters.transport.sftp_config import SftpChannel

from .errors import GatewayError

PARTNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""What a partner may be called: it names folders (same rule as the folder source)."""


class PartnerConfigError(GatewayError):
    """A partner profile cannot be used; the message names the file and the key."""


class X12Profile(BaseModel):
    """How documents for this partner are written (``[x12]``), and what it answers with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender_qualifier: str = Field(default="ZZ", description="ISA05: our id's qualifier")
    sender_id: str = Field(description="ISA06 and GS02: our id, as the partner knows us")
    receiver_qualifier: str = Field(default="ZZ", description="ISA07: the partner's qualifier")
    receiver_id: str = Field(description="ISA08 and GS03: the partner's id")
    version: Literal["004010", "005010"] = Field(default="004010", description="GS08")
    usage_indicator: Literal["P", "T"] = Field(default="P", description="ISA15: production/test")
    element_separator: str = Field(default="*", min_length=1, max_length=1)
    component_separator: str = Field(default=">", min_length=1, max_length=1)
    segment_terminator: str = Field(default="~", min_length=1, max_length=1)
    repetition_separator: str | None = Field(
        default=None, min_length=1, max_length=1, description="ISA11 from 005010 (default ^)"
    )
    line_break: bool = Field(default=True, description="a line break after each segment")
    acknowledgement: Literal["997", "999", "none"] = Field(
        default="997", description="what the partner sends back for our documents"
    )
    ack_deadline_hours: float = Field(
        default=24.0, gt=0, description="an acknowledgement not received by then is overdue"
    )
    required: dict[str, list[str]] = Field(
        default_factory=dict,
        description='fields the partner requires, by set: {"856" = ["carrier.scac"]} '
        "(dotted paths into the canonical message)",
    )
    # -- what the partner sends us
    partner_ids: list[str] = Field(
        default_factory=list,
        description="other ids the partner sends under (ISA05/ISA06), besides "
        'receiver_qualifier:receiver_id: "QUALIFIER:ID", or "ID" for any qualifier. A file in '
        "its inbox under any other sender id is refused (quarantined, no acknowledgement)",
    )
    application_ids: list[str] = Field(
        default_factory=list,
        description="GS02 codes the partner sends under, besides the ids above",
    )
    control_numbers_reused: Literal["accept", "reject"] = Field(
        default="accept",
        description="a document under the control numbers of an earlier one with other content "
        '(counters reset): "accept" processes it as a new document, noted on its timeline and '
        'announced; "reject" refuses its interchange (TA1 R, code 025)',
    )
    unsupported_sets: Literal["reject", "pass_through"] = Field(
        default="reject",
        description="a transaction set the gateway does not translate (810, 945...): "
        '"reject" in the 997/999 (AK5 R, code 1); "pass_through" publishes its segments as '
        "an UntranslatedTransaction message",
    )
    test_interchanges: Literal["separate", "production"] = Field(
        default="separate",
        description='documents of test interchanges (ISA15 T or I): "separate" publishes them '
        "under the routing keys edi.test.<kind>.<partner>, apart from production; "
        '"production" as production documents',
    )

    @field_validator("partner_ids")
    @classmethod
    def _ids_have_one_qualifier(cls, ids: list[str]) -> list[str]:
        for text in ids:
            if text.count(":") > 1 or not text.rpartition(":")[2].strip():
                raise ValueError(f'{text!r}: expected "QUALIFIER:ID" or "ID"')
        return ids

    def sender_ids(self) -> frozenset[tuple[str, str]]:
        """(qualifier, id) pairs the partner sends under; qualifier ``""`` matches any."""
        ids = {(self.receiver_qualifier.strip(), self.receiver_id.strip())}
        for text in self.partner_ids:
            qualifier, _, value = text.rpartition(":")
            ids.add((qualifier.strip(), value.strip()))
        return frozenset(ids)

    @model_validator(mode="after")
    def _separators_differ(self) -> X12Profile:
        used = [self.element_separator, self.component_separator, self.segment_terminator]
        if self.repetition_separator is not None:
            used.append(self.repetition_separator)
        if len(set(used)) != len(used) or any(ch.isalnum() or ch == " " for ch in used):
            raise ValueError("separators must be distinct and neither letters, digits nor spaces")
        return self


class PartnerProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="the partner's name: its profile file's name without .toml")
    description: str = ""
    sftp: SftpChannel | None = None
    x12: X12Profile | None = None


@dataclass(frozen=True, slots=True)
class InboundPolicy:
    """What the pipeline does with a partner's documents that are valid but need a decision."""

    reject_reused_control_numbers: bool = False
    """Refuse (rather than take as new) a document under control numbers used before for
    other content."""
    test_apart: bool = True
    """Publish test documents under their own routing keys (``edi.test.<kind>.<partner>``)."""

    @classmethod
    def of(cls, profile: PartnerProfile | None) -> InboundPolicy:
        x12 = profile.x12 if profile is not None else None
        if x12 is None:
            return cls()
        return cls(
            reject_reused_control_numbers=x12.control_numbers_reused == "reject",
            test_apart=x12.test_interchanges == "separate",
        )


def load_partner(path: Path) -> PartnerProfile:
    """The profile in ``path``; :class:`PartnerConfigError` naming file and key when it is bad."""
    name = path.name.removesuffix(".toml")
    if not PARTNER_NAME.fullmatch(name):
        raise PartnerConfigError(
            f"{path}: {name!r} is not a usable partner name (letters, digits, '._-', at most 64)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PartnerConfigError(f"{path}: cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PartnerConfigError(f"{path}: not valid TOML: {error}") from None
    if "name" in data:
        raise PartnerConfigError(f"{path}: name: not allowed (the file name is the partner name)")
    try:
        return PartnerProfile.model_validate({"name": name, **data})
    except ValidationError as error:
        raise PartnerConfigError(_describe(path, error)) from None


def load_partners(directory: Path) -> dict[str, PartnerProfile]:
    """Every profile in ``directory`` (``*.toml``), by partner name; the first bad one raises."""
    if not directory.is_dir():
        return {}
    profiles = [load_partner(path) for path in sorted(directory.glob("*.toml"))]
    return {profile.name: profile for profile in profiles}


def partner_file(directory: Path, partner: str) -> Path:
    return directory / f"{partner}.toml"


def _describe(path: Path, error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{path}: {key}: {problem['msg']}")
    return "\n".join(lines)

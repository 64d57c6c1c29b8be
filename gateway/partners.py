"""Partner profiles: ``mappings/partners/<partner>.toml``, one file per partner.

The file name (without ``.toml``) is the partner's name, the same as its ``inbox/<partner>/`` and
``outbox/<partner>/`` folders. A profile declares the partner's channels; today the one channel
kind is ``[sftp]`` (:class:`adapters.transport.sftp_config.SftpChannel` lists its options).
Unknown keys are errors, and every error names the file and the key::

    mappings/partners/acme.toml: sftp.inbound.after: Input should be 'delete', 'move' or 'keep'
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.transport.sftp_config import SftpChannel

from .errors import GatewayError

PARTNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""What a partner may be called: it names folders (same rule as the folder source)."""


class PartnerConfigError(GatewayError):
    """A partner profile cannot be used; the message names the file and the key."""


class PartnerProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="the partner's name: its profile file's name without .toml")
    description: str = ""
    sftp: SftpChannel | None = None


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

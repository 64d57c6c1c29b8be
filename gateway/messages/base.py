"""What every canonical model shares: strictness, immutability, the schema version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.1"
"""Version of the canonical message schemas; bumped on any incompatible change (CHANGELOG.md)."""

Text = Annotated[str, Field(min_length=1)]


class CanonicalModel(BaseModel):
    """Base of every canonical model: strict about unknown fields, immutable once built.

    A model's validator is built when it is first used, not when its module is imported
    (``defer_build``): a process uses a few of the sixty models, and building them all took
    a third of the time to import the gateway, paid by every command line."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (with ``update``), its ``document_id`` worked out anew: a copy of the id an
        original had computed (it is cached) would be wrong for other content."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("document_id", None)
        copy.__dict__.pop("content_digest", None)
        return copy

"""The base of the top-level canonical messages."""

from __future__ import annotations

from functools import cached_property

from pydantic import computed_field

from .base import CanonicalModel
from .envelope import Envelope
from .identity import content_digest, document_id_of


class Message(CanonicalModel):
    """Base of the top-level canonical messages.

    Each subclass has a ``message_type`` field holding its own name: the discriminator a consumer
    reads first.
    """

    envelope: Envelope

    @computed_field(  # type: ignore[prop-decorator]
        description="Stable id of this document: partner, both parties' ids, the document's "
        "references (X12: control numbers) and a digest of the content (equal ids mean the same "
        "document)"
    )
    @cached_property
    def document_id(self) -> str:
        return document_id_of(self.envelope, self.content_digest)

    @cached_property
    def content_digest(self) -> str:
        """:func:`~.identity.content_digest` of this message, worked out once."""
        return content_digest(self)

"""Transaction sets passed through untranslated, as their segments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import CanonicalModel, Text
from .message import Message

# ----------------------------------------------------------------------------------------------
# Transaction sets passed through untranslated


class RawSegment(CanonicalModel):
    id: Text = Field(description="segment id, e.g. BIG")
    elements: list[str] = Field(
        description="the elements' text in order (01 first), composites and repetitions as "
        "received (split them at the message's separators); trailing empty elements left out"
    )


class UntranslatedTransaction(Message):
    """A transaction set the gateway reads, checks and acknowledges but does not translate into
    a business message, passed through as its segments. Only for partners whose profile opts in
    (``[x12] unsupported_sets = "pass_through"``); others get such sets rejected in their
    997/999 (AK5/IK5 ``R``, code 1)."""

    message_type: Literal["UntranslatedTransaction"] = "UntranslatedTransaction"
    transaction_set_id: Text = Field(description="ST01, e.g. 810")
    component_separator: str = Field(description="ISA16: separates an element's components")
    repetition_separator: str | None = Field(
        default=None, description="ISA11 from version 00402: separates repeated elements"
    )
    segments: list[RawSegment] = Field(description="the segments between ST and SE, in order")

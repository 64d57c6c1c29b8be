"""Acknowledgments: the 997/999 functional acknowledgment and the TA1 interchange acknowledgment."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Literal

from pydantic import Field, computed_field

from .base import CanonicalModel, Text
from .envelope import Envelope
from .identity import content_digest, document_id_of
from .message import Message

# ----------------------------------------------------------------------------------------------
# 997 / 999 Functional acknowledgment and TA1 interchange acknowledgment


class ElementError(CanonicalModel):
    """AK4 (997) / IK4 (999)."""

    position: int = Field(description="AK401-1 / IK401-1 element position in segment")
    component_position: int | None = Field(default=None, description="AK401-2 / IK401-2")
    repetition_position: int | None = Field(default=None, description="IK401-3 (999 only)")
    reference_number: str | None = Field(default=None, description="AK402 / IK402 data element")
    error_code: Text = Field(description="AK403 / IK403 data element syntax error code")
    bad_value: str | None = Field(default=None, description="AK404 / IK404 copy of bad element")


class SegmentError(CanonicalModel):
    """AK3 (997) / IK3 (999)."""

    segment_id: Text = Field(description="AK301 / IK301")
    position: int = Field(description="AK302 / IK302 position in the transaction set (ST = 1)")
    loop_id: str | None = Field(default=None, description="AK303 / IK303 loop identifier")
    error_code: str | None = Field(default=None, description="AK304 / IK304 segment error code")
    elements: list[ElementError] = Field(default_factory=list)


class TransactionSetAck(CanonicalModel):
    """AK2..AK5 (997) / AK2..IK5 (999)."""

    transaction_set_id: Text = Field(description="AK201")
    control_number: Text = Field(description="AK202")
    implementation_reference: str | None = Field(default=None, description="AK203 (999)")
    status: Literal["A", "E", "M", "R", "W", "X"] = Field(
        description="AK501 / IK501: A accepted, E accepted with errors, R rejected, ..."
    )
    error_codes: list[Text] = Field(default_factory=list, description="AK502-AK506 / IK502-506")
    segment_errors: list[SegmentError] = Field(default_factory=list)


class FunctionalAck(Message):
    """A 997 (004010) or 999 (005010) functional acknowledgment of one functional group."""

    message_type: Literal["FunctionalAck"] = "FunctionalAck"
    kind: Literal["997", "999"]
    functional_id: Text = Field(description="AK101 functional identifier code of the group")
    group_control_number: Text = Field(description="AK102 control number of the group")
    group_version: str | None = Field(default=None, description="AK103 (999)")
    status: Literal["A", "E", "M", "P", "R", "W", "X"] = Field(
        description="AK901: A accepted, E accepted with errors, P partially accepted, R rejected"
    )
    transaction_sets_included: int = Field(description="AK902")
    transaction_sets_received: int = Field(description="AK903")
    transaction_sets_accepted: int = Field(description="AK904")
    error_codes: list[Text] = Field(default_factory=list, description="AK905-AK909")
    transactions: list[TransactionSetAck] = Field(default_factory=list)


class InterchangeAck(CanonicalModel):
    """A TA1 interchange acknowledgment, carried by an interchange of its own."""

    message_type: Literal["InterchangeAck"] = "InterchangeAck"
    envelope: Envelope = Field(
        description="the interchange that carries this TA1 (no group nor transaction reference)"
    )
    interchange_control_number: Text = Field(description="TA101 ISA13 being acknowledged")
    interchange_date: dt.date = Field(description="TA102 ISA09 being acknowledged")
    interchange_time: Text = Field(description="TA103 ISA10 being acknowledged")
    status: Literal["A", "E", "R"] = Field(description="TA104: A accepted, E with errors, R rej.")
    note_code: Text = Field(description="TA105 interchange note code (I18), 000 = no error")

    @computed_field(  # type: ignore[prop-decorator]
        description="Stable id of this acknowledgment: partner, both parties' ids, the "
        "interchange reference (ISA13) and a digest of the content"
    )
    @cached_property
    def document_id(self) -> str:
        return document_id_of(self.envelope, self.content_digest)

    @cached_property
    def content_digest(self) -> str:
        """:func:`~.identity.content_digest` of this message, worked out once."""
        return content_digest(self)

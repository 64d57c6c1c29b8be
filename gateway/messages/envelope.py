"""The envelope a canonical message carries: who sent it to whom, under which references."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .base import CanonicalModel
from .identity import document_id_for


class InterchangeEnvelope(CanonicalModel):
    """Envelope facts of an interchange (ISA)."""

    partner: str | None = Field(
        default=None,
        description="the gateway's name for the trading partner (its profile, its folders); "
        "part of document_id; absent outside the gateway's pipeline (edi-gateway translate)",
    )
    sender_qualifier: str = Field(description="ISA05 interchange id qualifier of the sender")
    sender_id: str = Field(description="ISA06 interchange sender id, trailing spaces removed")
    receiver_qualifier: str = Field(description="ISA07 interchange id qualifier of the receiver")
    receiver_id: str = Field(description="ISA08 interchange receiver id, trailing spaces removed")
    interchange_control_number: str = Field(description="ISA13")
    interchange_version: str = Field(description="ISA12, e.g. 00401 or 00501")
    usage_indicator: Literal["P", "T", "I"] = Field(
        default="P", description="ISA15: P production, T test, I information"
    )

    @property
    def envelope_key(self) -> str:
        """The id of the envelope references alone (both parties and the control numbers,
        without partner nor content): two documents with the same key but other ids reuse
        control numbers. (It is what ``document_id`` was before schema 1.1.)"""
        return document_id_for(*self.identifying_parts())

    def identifying_parts(self) -> tuple[str, ...]:
        return (
            self.sender_qualifier,
            self.sender_id,
            self.receiver_qualifier,
            self.receiver_id,
            self.interchange_control_number,
        )


class Envelope(InterchangeEnvelope):
    """Envelope facts of one transaction set: ISA, GS and ST identifiers."""

    application_sender: str = Field(description="GS02 application sender's code")
    application_receiver: str = Field(description="GS03 application receiver's code")
    group_control_number: str = Field(description="GS06")
    version: str = Field(description="GS08 version/release/industry code, e.g. 004010 or 005010")
    transaction_control_number: str = Field(description="ST02")
    implementation_reference: str | None = Field(
        default=None, description="ST03 implementation convention reference (005010)"
    )
    created_at: dt.datetime | None = Field(
        default=None, description="GS04/GS05 date and time the group was created"
    )

    def identifying_parts(self) -> tuple[str, ...]:
        return (
            *super().identifying_parts(),
            self.group_control_number,
            self.transaction_control_number,
        )

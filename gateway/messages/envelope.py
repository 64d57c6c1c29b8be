"""The envelope a canonical message carries: who sent the document to whom, under which of its own
references, and what the gateway knows of its arrival.

The envelope is neutral: a document of any format has one (a CSV file, a cXML document, an X12
transaction set). What only X12 says is in its :attr:`Envelope.x12` part, under the names the
whole envelope had in schema 1.x (``envelope.sender_id`` became ``envelope.x12.sender_id``).
For an X12 document the neutral fields repeat the X12 facts they come from (sender = ISA05/ISA06,
receiver = ISA07/ISA08, references = ISA13/GS06/ST02, test = ISA15 other than ``P``): the model
refuses an envelope where they disagree. :meth:`Envelope.of_x12` makes one from the X12 facts, and
:meth:`Envelope.with_x12` changes them (control numbers drawn) with the neutral fields following.

``received_at`` and ``correlation_id`` are the gateway's, not the document's: they are never part
of an id (:attr:`Envelope.envelope_key`, :func:`~.identity.document_id_of`), nor of its content
digest, which leaves the whole envelope out.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Final, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from .base import CanonicalModel, Text
from .identity import document_id_for

X12: Final = "x12"
"""The :attr:`Envelope.format` of X12 documents."""


class PartyId(CanonicalModel):
    """How a format names one of the two parties exchanging a document."""

    id: str = Field(
        description="the party's id as the document gives it: for X12 ISA06 (sender) or ISA08 "
        "(receiver), trailing spaces removed"
    )
    qualifier: str | None = Field(
        default=None,
        description="what kind of id it is, when the format says: for X12 ISA05 or ISA07 "
        "(ZZ mutually defined, 01 DUNS, 12 phone, ...)",
    )


class X12Envelope(CanonicalModel):
    """What an X12 document's ISA, GS and ST say: the envelope fields of schema 1.x, by the same
    names. The GS and ST fields are absent from the envelope of a TA1 (an interchange holding no
    group)."""

    sender_qualifier: str = Field(description="ISA05 interchange id qualifier of the sender")
    sender_id: str = Field(description="ISA06 interchange sender id, trailing spaces removed")
    receiver_qualifier: str = Field(description="ISA07 interchange id qualifier of the receiver")
    receiver_id: str = Field(description="ISA08 interchange receiver id, trailing spaces removed")
    interchange_control_number: str = Field(description="ISA13 interchange control number")
    interchange_version: str = Field(description="ISA12, e.g. 00401 or 00501")
    usage_indicator: Literal["P", "T", "I"] = Field(
        default="P", description="ISA15: P production, T test, I information"
    )
    application_sender: str | None = Field(
        default=None, description="GS02 application sender's code (absent for a TA1)"
    )
    application_receiver: str | None = Field(
        default=None, description="GS03 application receiver's code (absent for a TA1)"
    )
    group_control_number: str | None = Field(
        default=None, description="GS06 group control number (absent for a TA1)"
    )
    version: str | None = Field(
        default=None,
        description="GS08 version/release/industry code, e.g. 004010 or 005010 (absent for a TA1)",
    )
    transaction_control_number: str | None = Field(
        default=None, description="ST02 transaction set control number (absent for a TA1)"
    )
    implementation_reference: str | None = Field(
        default=None, description="ST03 implementation convention reference (005010)"
    )
    created_at: dt.datetime | None = Field(
        default=None, description="GS04/GS05 date and time the group was created"
    )


class Envelope(CanonicalModel):
    """Who sent a document to whom, under which references, received when; the X12 facts of an
    X12 document."""

    partner: str | None = Field(
        default=None,
        description="the gateway's name for the trading partner (its profile, its folders); "
        "part of document_id; absent outside the gateway's pipeline (edi-gateway translate)",
    )
    format: Text = Field(
        description="the kind of format the document was read from or is written in, as partner "
        "profiles name it: x12, ..."
    )
    sender: PartyId = Field(description="the party that sent the document")
    receiver: PartyId = Field(description="the party the document is for")
    interchange_reference: str | None = Field(
        default=None,
        description="the sender's reference of the exchange that carried the document: X12 ISA13, "
        "a cXML payloadID; absent when the format has none",
    )
    group_reference: str | None = Field(
        default=None,
        description="the sender's reference of the group of documents within the exchange: X12 "
        "GS06; absent when the format has none (and for an X12 TA1)",
    )
    transaction_reference: str | None = Field(
        default=None,
        description="the sender's reference of the document itself: X12 ST02; absent when the "
        "format has none (and for an X12 TA1)",
    )
    test: bool = Field(
        default=False,
        description="a test document, not to be acted on as business (X12: ISA15 T or I)",
    )
    received_at: AwareDatetime | None = Field(
        default=None,
        description="when the gateway received the file holding the document; set when the "
        "gateway publishes it, absent otherwise (edi-gateway translate, outbound requests); never "
        "part of document_id",
    )
    correlation_id: str | None = Field(
        default=None,
        description="the gateway's correlation id of the file holding the document (its "
        "CloudEvents correlationid, the ledger's); set when the gateway publishes it; never part "
        "of document_id",
    )
    x12: X12Envelope | None = Field(
        default=None,
        description="the X12 facts of an X12 document (format x12), absent for any other format",
    )

    @classmethod
    def of_x12(
        cls,
        x12: X12Envelope,
        *,
        partner: str | None = None,
        received_at: dt.datetime | None = None,
        correlation_id: str | None = None,
    ) -> Envelope:
        """The envelope of an X12 document: its neutral fields taken from ``x12``."""
        return cls(
            partner=partner,
            received_at=received_at,
            correlation_id=correlation_id,
            x12=x12,
            **_neutral(x12),
        )

    def with_x12(self, **changes: Any) -> Envelope:
        """This X12 envelope with ``changes`` to its X12 facts (control numbers drawn, the
        creation time), its neutral fields following them."""
        if self.x12 is None:
            raise ValueError(f"a {self.format} envelope has no X12 facts to change")
        facts = X12Envelope.model_validate({**self.x12.model_dump(), **changes})
        return Envelope.of_x12(
            facts,
            partner=self.partner,
            received_at=self.received_at,
            correlation_id=self.correlation_id,
        )

    @model_validator(mode="after")
    def _x12_facts_agree(self) -> Self:
        if (self.format == X12) != (self.x12 is not None):
            raise ValueError("the x12 part is there for an envelope of format x12, and only then")
        if self.x12 is not None and self._plain() != _plain_neutral(self.x12):
            expected = _neutral(self.x12)
            differ = [name for name, value in expected.items() if getattr(self, name) != value]
            raise ValueError(
                f"{', '.join(differ)} must be what the x12 part says: "
                + ", ".join(f"{name} {expected[name]!r}" for name in differ)
            )
        return self

    def _plain(self) -> tuple[object, ...]:
        """The neutral fields an x12 part decides, as plain values (quick to compare)."""
        return (
            self.sender.id,
            self.sender.qualifier,
            self.receiver.id,
            self.receiver.qualifier,
            self.interchange_reference,
            self.group_reference,
            self.transaction_reference,
            self.test,
        )

    @property
    def envelope_key(self) -> str:
        """The id of the envelope references alone (both parties and the document's references,
        without partner nor content): two documents with the same key but other ids reuse
        references (an X12 partner whose control numbers were reset). (It is what
        ``document_id`` was before schema 1.1.)"""
        return document_id_for(*self.identifying_parts())

    def identifying_parts(self) -> tuple[str, ...]:
        """Both parties' qualifiers and ids, then the references the document has (interchange,
        group, transaction; absent ones left out), preceded by the format unless it is X12: for
        X12 the parts (and so every id) are those of schema 1.x."""
        references = (self.interchange_reference, self.group_reference, self.transaction_reference)
        parts = (
            self.sender.qualifier or "",
            self.sender.id,
            self.receiver.qualifier or "",
            self.receiver.id,
            *(reference for reference in references if reference is not None),
        )
        return parts if self.format == X12 else (self.format, *parts)


def _plain_neutral(x12: X12Envelope) -> tuple[object, ...]:
    """:meth:`Envelope._plain` of the envelope :func:`_neutral` makes of ``x12``."""
    return (
        x12.sender_id,
        x12.sender_qualifier,
        x12.receiver_id,
        x12.receiver_qualifier,
        x12.interchange_control_number,
        x12.group_control_number,
        x12.transaction_control_number,
        x12.usage_indicator != "P",
    )


def _neutral(x12: X12Envelope) -> dict[str, Any]:
    """The neutral fields of an X12 document's envelope, from its X12 facts."""
    return {
        "format": X12,
        "sender": _party(x12.sender_id, x12.sender_qualifier),
        "receiver": _party(x12.receiver_id, x12.receiver_qualifier),
        "interchange_reference": x12.interchange_control_number,
        "group_reference": x12.group_control_number,
        "transaction_reference": x12.transaction_control_number,
        "test": x12.usage_indicator != "P",
    }


@functools.lru_cache(maxsize=1024)
def _party(id_: str, qualifier: str) -> PartyId:
    """The :class:`PartyId` of an X12 party, made once (it is immutable): every document of a
    partner names the same two."""
    return PartyId(id=id_, qualifier=qualifier)

"""Canonical messages: what the modern layer receives and sends.

Each message is a pydantic model that is independent of X12 syntax but keeps every business fact of
the document, so that canonical -> X12 -> canonical is the identity. Code lists (purpose codes,
qualifiers, units of measure) keep their X12 code values: they are the lingua franca of the trade,
and every field says which X12 element it comes from.

Every message carries its :class:`Envelope` (who sent it, control numbers, version) and a stable
``document_id`` derived from what really identifies the document: the partner, both parties' ids,
the envelope's control numbers and a digest of the message's content. The same document delivered
again gets the same id; other content under the same control numbers (a partner whose counters
were reset) gets another one, so equal ids always mean the same document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, computed_field

SCHEMA_VERSION = "1.1"
"""Version of the canonical message schemas; bumped on any incompatible change (CHANGELOG.md)."""

DOCUMENT_ID_NAMESPACE = uuid.UUID("6f1d8c57-4c1b-5b8e-9a43-3f1d2b7e0a11")

Text = Annotated[str, Field(min_length=1)]


class CanonicalModel(BaseModel):
    """Base of every canonical model: strict about unknown fields, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (with ``update``), its ``document_id`` worked out anew: a copy of the id an
        original had computed (it is cached) would be wrong for other content."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("document_id", None)
        copy.__dict__.pop("content_digest", None)
        return copy


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


def document_id_for(*parts: str) -> str:
    """A stable id from identifying parts: a UUIDv5 of the parts joined by ``|``."""
    return str(uuid.uuid5(DOCUMENT_ID_NAMESPACE, "|".join(p.strip() for p in parts)))


def document_id_of(envelope: InterchangeEnvelope, content_digest: str) -> str:
    """The ``document_id`` of a document: a UUIDv5 of its partner, its envelope references
    (:attr:`InterchangeEnvelope.envelope_key`'s parts) and the digest of its content."""
    return document_id_for(envelope.partner or "", *envelope.identifying_parts(), content_digest)


def content_digest(message: CanonicalModel) -> str:
    """SHA-256 of a message's content: the message as JSON without its envelope, keys sorted,
    numbers by value (``1.50`` and ``1.5`` are the same quantity). Equal messages have the same
    digest: the same document read twice, or rendered and read back."""
    content = message.model_dump(exclude={"envelope", "document_id"})
    text = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_by_value
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _by_value(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date | dt.time):  # datetimes are dates
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a canonical message")  # pragma: no cover


class Message(CanonicalModel):
    """Base of the top-level canonical messages.

    Each subclass has a ``message_type`` field holding its own name: the discriminator a consumer
    reads first.
    """

    envelope: Envelope

    @computed_field(  # type: ignore[prop-decorator]
        description="Stable id of this document: partner, both parties' ids, control numbers "
        "and a digest of the content (equal ids mean the same document)"
    )
    @cached_property
    def document_id(self) -> str:
        return document_id_of(self.envelope, self.content_digest)

    @cached_property
    def content_digest(self) -> str:
        """:func:`content_digest` of this message, worked out once."""
        return content_digest(self)


# ----------------------------------------------------------------------------------------------
# Shared building blocks


class Address(CanonicalModel):
    lines: list[Text] = Field(default_factory=list, description="N3 address lines, 1 to 4")
    city: str | None = Field(default=None, description="N401")
    state: str | None = Field(default=None, description="N402 state or province code")
    postal_code: str | None = Field(default=None, description="N403")
    country: str | None = Field(default=None, description="N404 country code")


class Contact(CanonicalModel):
    function_code: Text = Field(description="PER01, e.g. BD buyer, IC information contact")
    name: str | None = Field(default=None, description="PER02")
    phone: str | None = Field(default=None, description="PER03=TE / PER04")
    email: str | None = Field(default=None, description="PER05=EM / PER06")


class Party(CanonicalModel):
    """A party named in an N1 loop."""

    role: Text = Field(
        description="N101 entity code: BY buyer, SE selling party, ST ship to, BT bill to, "
        "SF ship from, VN vendor, ..."
    )
    name: str | None = Field(default=None, description="N102")
    id_qualifier: str | None = Field(
        default=None, description="N103: 1 DUNS, 9 DUNS+4, 92 assigned by buyer, UL GLN, ..."
    )
    id: str | None = Field(default=None, description="N104")
    additional_names: list[Text] = Field(default_factory=list, description="N2 names")
    address: Address | None = None
    contacts: list[Contact] = Field(default_factory=list, description="PER segments")


class Reference(CanonicalModel):
    qualifier: Text = Field(description="REF01, e.g. DP department, IA vendor number, BM BOL")
    value: str | None = Field(default=None, description="REF02")
    description: str | None = Field(default=None, description="REF03")


class DateReference(CanonicalModel):
    qualifier: Text = Field(
        description="DTM01: 002 delivery requested, 010 ship requested, 011 shipped, "
        "017 estimated delivery, 037 ship not before, 038 ship no later, ..."
    )
    date: dt.date
    time: str | None = Field(default=None, description="DTM03 HHMM[SS]")


class Note(CanonicalModel):
    text: Text = Field(description="MSG01 (850/855) or NTE02 free-form text")


class ItemId(CanonicalModel):
    qualifier: Text = Field(description="product id qualifier (235): BP, VN, UP, UK, EN, ...")
    value: Text


class ItemIdentification(CanonicalModel):
    """Product ids carried in PO1/ACK/LIN qualifier-value pairs."""

    buyer_item_number: str | None = Field(default=None, description="qualifier BP")
    vendor_item_number: str | None = Field(default=None, description="qualifier VN")
    upc: str | None = Field(default=None, description="qualifier UP (UPC-A, 12 digits)")
    gtin: str | None = Field(default=None, description="qualifier UK (GTIN-14)")
    other_ids: list[ItemId] = Field(
        default_factory=list, description="every other qualifier-value pair, in document order"
    )


class Weight(CanonicalModel):
    qualifier: str | None = Field(default=None, description="TD106 weight qualifier, e.g. G gross")
    value: Decimal
    unit: Text = Field(description="unit of measure, e.g. LB, KG")


# ----------------------------------------------------------------------------------------------
# 850 Purchase Order


class PaymentTerms(CanonicalModel):
    """ITD terms of sale."""

    type_code: str | None = Field(default=None, description="ITD01, e.g. 01 basic, 08 discount")
    basis_date_code: str | None = Field(default=None, description="ITD02, e.g. 3 invoice date")
    discount_percent: Decimal | None = Field(default=None, description="ITD03")
    discount_due_date: dt.date | None = Field(default=None, description="ITD04")
    discount_days_due: int | None = Field(default=None, description="ITD05")
    net_due_date: dt.date | None = Field(default=None, description="ITD06")
    net_days: int | None = Field(default=None, description="ITD07")
    description: str | None = Field(default=None, description="ITD12")


class Carrier(CanonicalModel):
    """TD5 carrier details / routing sequence."""

    routing_sequence_code: str | None = Field(default=None, description="TD501, e.g. B origin")
    id_qualifier: str | None = Field(default=None, description="TD502, 2 = SCAC")
    scac: str | None = Field(default=None, description="TD503 carrier code (SCAC)")
    transport_method: str | None = Field(
        default=None, description="TD504: M motor, A air, U private parcel, ..."
    )
    routing: str | None = Field(default=None, description="TD505 free-form routing")


class PurchaseOrderLine(CanonicalModel):
    line_number: str | None = Field(default=None, description="PO101 assigned identification")
    quantity: Decimal = Field(description="PO102 quantity ordered")
    unit_of_measure: Text = Field(description="PO103, e.g. EA, CA")
    unit_price: Decimal | None = Field(default=None, description="PO104")
    price_basis: str | None = Field(default=None, description="PO105, e.g. PE per each")
    item: ItemIdentification = Field(default_factory=ItemIdentification)
    description: str | None = Field(default=None, description="PID05 item description")
    dates: list[DateReference] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)


class PurchaseOrder(Message):
    """An 850 Purchase Order."""

    message_type: Literal["PurchaseOrder"] = "PurchaseOrder"
    purpose_code: Text = Field(description="BEG01: 00 original, 01 cancellation, 05 replace, ...")
    order_type_code: Text = Field(description="BEG02: SA stand-alone, DS drop ship, RL release...")
    po_number: Text = Field(description="BEG03 purchase order number")
    release_number: str | None = Field(default=None, description="BEG04")
    po_date: dt.date = Field(description="BEG05")
    currency: str | None = Field(default=None, description="CUR02 currency code (CUR01 = BY)")
    references: list[Reference] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list, description="header PER segments")
    terms: list[PaymentTerms] = Field(default_factory=list)
    dates: list[DateReference] = Field(default_factory=list)
    carriers: list[Carrier] = Field(default_factory=list, description="TD5 segments")
    notes: list[Note] = Field(default_factory=list, description="header MSG/NTE notes")
    parties: list[Party] = Field(default_factory=list, description="N1 loops")
    lines: list[PurchaseOrderLine] = Field(min_length=1)


# ----------------------------------------------------------------------------------------------
# 855 Purchase Order Acknowledgment


class LineStatus(StrEnum):
    """ACK01 line item status codes (element 668); the value is the X12 code."""

    ACCEPTED_AND_SHIPPED = "AC"
    ACCEPTED_AND_RELEASED_FOR_SHIPMENT = "AR"
    BACKORDERED_PARTIAL_SHIP = "BP"
    DATE_RESCHEDULED = "DR"
    ACCEPTED = "IA"
    BACKORDERED = "IB"
    CHANGED = "IC"
    DELETED = "ID"
    ACCEPTED_PRICE_PENDING = "IE"
    ON_HOLD_INCOMPLETE_DESCRIPTION = "IF"
    ON_HOLD = "IH"
    PRICE_CHANGED = "IP"
    QUANTITY_CHANGED = "IQ"
    REJECTED = "IR"
    SUBSTITUTED = "IS"
    ON_HOLD_WAIVER_REQUIRED = "IW"
    REJECTED_NOT_CONTRACT_ITEM = "R1"
    REJECTED_INVALID_ITEM = "R2"
    REJECTED_MULTIPLE_ERRORS = "R3"
    REJECTED_DATE_ERROR = "R4"
    REJECTED_UNIT_ERROR = "R5"
    SHIPPED_PARTIAL = "SP"


class LineAcknowledgment(CanonicalModel):
    """One ACK segment: what happens to (part of) an ordered line."""

    status: LineStatus = Field(description="ACK01")
    quantity: Decimal | None = Field(default=None, description="ACK02")
    unit_of_measure: str | None = Field(default=None, description="ACK03")
    date_qualifier: str | None = Field(default=None, description="ACK04, e.g. 068 ship date")
    date: dt.date | None = Field(default=None, description="ACK05")


class PurchaseOrderAckLine(CanonicalModel):
    line_number: str | None = Field(default=None, description="PO101 of the line acknowledged")
    quantity: Decimal = Field(description="PO102 quantity ordered")
    unit_of_measure: Text = Field(description="PO103")
    unit_price: Decimal | None = Field(default=None, description="PO104")
    item: ItemIdentification = Field(default_factory=ItemIdentification)
    description: str | None = Field(default=None, description="PID05")
    acknowledgments: list[LineAcknowledgment] = Field(
        default_factory=list,
        description="ACK segments: status, changed quantity, date or price. Empty when the "
        "partner sent the line without ACK: then BAK02 speaks for it, as for the whole order",
    )


class PurchaseOrderAck(Message):
    """An 855 Purchase Order Acknowledgment."""

    message_type: Literal["PurchaseOrderAck"] = "PurchaseOrderAck"
    purpose_code: Text = Field(description="BAK01: 00 original, 06 confirmation, ...")
    ack_type: Text = Field(
        description="BAK02: AC with detail and change, AD with detail no change, "
        "AK no detail, RD rejected with detail, RJ rejected"
    )
    po_number: Text = Field(description="BAK03 purchase order number acknowledged")
    po_date: dt.date = Field(description="BAK04")
    release_number: str | None = Field(default=None, description="BAK05")
    ack_date: dt.date | None = Field(default=None, description="BAK09 acknowledgment date")
    references: list[Reference] = Field(default_factory=list)
    dates: list[DateReference] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    lines: list[PurchaseOrderAckLine] = Field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# 856 Ship Notice / Manifest


class ShippedItem(CanonicalModel):
    """Item level (HL03 = I): LIN + SN1 (+ PID)."""

    line_number: str | None = Field(default=None, description="LIN01 / PO line number")
    item: ItemIdentification = Field(default_factory=ItemIdentification)
    quantity_shipped: Decimal = Field(description="SN102")
    unit_of_measure: Text = Field(description="SN103")
    quantity_ordered: Decimal | None = Field(default=None, description="SN105")
    ordered_unit_of_measure: str | None = Field(default=None, description="SN106")
    description: str | None = Field(default=None, description="PID05")


class Pack(CanonicalModel):
    """Pack level (HL03 = P): a carton identified by its SSCC-18 (MAN*GM)."""

    sscc: str | None = Field(default=None, description="MAN02 where MAN01 = GM (SSCC-18)")
    tracking_number: str | None = Field(default=None, description="MAN02 where MAN01 = CP")
    weight: Weight | None = Field(default=None, description="TD1 at pack level")
    items: list[ShippedItem] = Field(default_factory=list)


class Tare(CanonicalModel):
    """Tare level (HL03 = T): a pallet holding packs."""

    sscc: str | None = Field(default=None, description="MAN02 where MAN01 = GM")
    packs: list[Pack] = Field(default_factory=list)


class ShipmentOrder(CanonicalModel):
    """Order level (HL03 = O)."""

    po_number: Text = Field(description="PRF01")
    release_number: str | None = Field(default=None, description="PRF02")
    po_date: dt.date | None = Field(default=None, description="PRF04")
    references: list[Reference] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    tares: list[Tare] = Field(default_factory=list)
    packs: list[Pack] = Field(default_factory=list, description="packs directly under the order")
    items: list[ShippedItem] = Field(
        default_factory=list, description="items directly under the order (no pack level)"
    )


class ShipNotice(Message):
    """An 856 Ship Notice/Manifest in the standard shipment/order/(tare)/pack/item hierarchy."""

    message_type: Literal["ShipNotice"] = "ShipNotice"
    purpose_code: Text = Field(description="BSN01: 00 original, 05 replace, ...")
    shipment_id: Text = Field(description="BSN02 shipment identification (ASN number)")
    ship_date: dt.date = Field(description="BSN03 date the notice was created")
    ship_time: str = Field(description="BSN04 HHMM[SS]")
    hierarchy_code: str | None = Field(
        default="0001", description="BSN05: 0001 shipment/order/pack/item, 0002 with tare"
    )
    packaging_code: str | None = Field(default=None, description="TD101, e.g. CTN25")
    lading_quantity: int | None = Field(default=None, description="TD102")
    gross_weight: Weight | None = Field(default=None, description="TD106-TD108")
    carrier_scac: str | None = Field(default=None, description="TD503 with TD502 = 2")
    transport_method: str | None = Field(default=None, description="TD504")
    routing: str | None = Field(default=None, description="TD505")
    bill_of_lading: str | None = Field(default=None, description="REF02 where REF01 = BM")
    pro_number: str | None = Field(default=None, description="REF02 where REF01 = CN")
    tracking_numbers: list[Text] = Field(default_factory=list, description="REF02 where REF01 = 2I")
    references: list[Reference] = Field(default_factory=list, description="other shipment REFs")
    ship_date_time: DateReference | None = Field(
        default=None, description="DTM*011 shipped date at shipment level"
    )
    delivery_date: DateReference | None = Field(
        default=None, description="DTM*017 estimated delivery at shipment level"
    )
    ship_from: Party | None = Field(default=None, description="N1*SF loop")
    ship_to: Party | None = Field(default=None, description="N1*ST loop")
    parties: list[Party] = Field(default_factory=list, description="other N1 loops")
    orders: list[ShipmentOrder] = Field(min_length=1)


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
    envelope: InterchangeEnvelope = Field(description="the interchange that carries this TA1")
    interchange_control_number: Text = Field(description="TA101 ISA13 being acknowledged")
    interchange_date: dt.date = Field(description="TA102 ISA09 being acknowledged")
    interchange_time: Text = Field(description="TA103 ISA10 being acknowledged")
    status: Literal["A", "E", "R"] = Field(description="TA104: A accepted, E with errors, R rej.")
    note_code: Text = Field(description="TA105 interchange note code (I18), 000 = no error")

    @computed_field(  # type: ignore[prop-decorator]
        description="Stable id of this acknowledgment: partner, both parties' ids, ISA13 and "
        "a digest of the content"
    )
    @cached_property
    def document_id(self) -> str:
        return document_id_of(self.envelope, self.content_digest)

    @cached_property
    def content_digest(self) -> str:
        """:func:`content_digest` of this message, worked out once."""
        return content_digest(self)


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


CANONICAL_MESSAGES: tuple[type[CanonicalModel], ...] = (
    PurchaseOrder,
    PurchaseOrderAck,
    ShipNotice,
    FunctionalAck,
    InterchangeAck,
    UntranslatedTransaction,
)

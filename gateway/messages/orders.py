"""Orders: the 850 Purchase Order and the 855 Purchase Order Acknowledgment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from .base import CanonicalModel, Text
from .blocks import (
    AllowanceCharge,
    Contact,
    ControlTotals,
    DateReference,
    ItemDescription,
    ItemIdentification,
    Measurement,
    Note,
    Party,
    Reference,
    Tax,
    UnmappedSegment,
    empty,
)
from .message import Message

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


class FobTerms(CanonicalModel):
    """FOB: who pays the freight and where title passes (2.1)."""

    payment_method: Text = Field(description="FOB01: CC collect, PP prepaid, PB customer pickup..")
    location_qualifier: str | None = Field(default=None, description="FOB02, e.g. OR origin")
    location: str | None = Field(default=None, description="FOB03")
    terms_qualifier: str | None = Field(default=None, description="FOB04, 01 Incoterms")
    terms_code: str | None = Field(default=None, description="FOB05, e.g. FOB, EXW")


class PackagingDescription(CanonicalModel):
    """PKG: how the order is to be packed, marked or palletised (2.1)."""

    type: str | None = Field(default=None, description="PKG01: F free-form, S structured")
    characteristic_code: str | None = Field(default=None, description="PKG02, e.g. 68 pallet")
    agency: str | None = Field(default=None, description="PKG03")
    code: str | None = Field(default=None, description="PKG04")
    text: str | None = Field(default=None, description="PKG05")
    unit_load_option: str | None = Field(default=None, description="PKG06")


class Amount(CanonicalModel):
    """AMT: a monetary amount of the order, e.g. TT its total (2.1)."""

    qualifier: Text = Field(description="AMT01: TT total transaction amount, ...")
    amount: Decimal = Field(description="AMT02")
    credit_debit: str | None = Field(default=None, description="AMT03: C credit, D debit")


class CatalogPrice(CanonicalModel):
    """CTP: a price of the line (sometimes its only one) (2.1)."""

    class_of_trade: str | None = Field(default=None, description="CTP01, e.g. RS resale")
    qualifier: str | None = Field(
        default=None, description="CTP02: RES retail, UCP unit cost, CON contract, ..."
    )
    unit_price: Decimal | None = Field(default=None, description="CTP03")
    quantity: Decimal | None = Field(default=None, description="CTP04")
    unit_of_measure: str | None = Field(default=None, description="CTP05 (C001-01)")
    multiplier_qualifier: str | None = Field(default=None, description="CTP06")
    multiplier: Decimal | None = Field(default=None, description="CTP07")
    amount: Decimal | None = Field(default=None, description="CTP08 monetary amount")
    basis_code: str | None = Field(default=None, description="CTP09 basis of unit price")
    condition_value: str | None = Field(default=None, description="CTP10")
    multiple_price_quantity: int | None = Field(default=None, description="CTP11")


class PackSize(CanonicalModel):
    """PO4: how the line's item is packed (2.1)."""

    pack: int | None = Field(default=None, description="PO401 inner units per outer pack")
    size: Decimal | None = Field(default=None, description="PO402")
    unit_of_measure: str | None = Field(default=None, description="PO403")
    packaging_code: str | None = Field(default=None, description="PO404, e.g. CTN25")
    weight_qualifier: str | None = Field(default=None, description="PO405")
    gross_weight: Decimal | None = Field(default=None, description="PO406")
    weight_unit: str | None = Field(default=None, description="PO407")
    gross_volume: Decimal | None = Field(default=None, description="PO408")
    volume_unit: str | None = Field(default=None, description="PO409")
    length: Decimal | None = Field(default=None, description="PO410")
    width: Decimal | None = Field(default=None, description="PO411")
    height: Decimal | None = Field(default=None, description="PO412")
    dimension_unit: str | None = Field(default=None, description="PO413")
    inner_pack: int | None = Field(default=None, description="PO414")


class DeliverySchedule(CanonicalModel):
    """SCH: a quantity of the line to deliver on a date (2.1)."""

    quantity: Decimal = Field(description="SCH01")
    unit_of_measure: Text = Field(description="SCH02")
    date_qualifier: Text = Field(description="SCH05, e.g. 002 delivery requested")
    date: dt.date = Field(description="SCH06")
    time: str | None = Field(default=None, description="SCH07 HHMM[SS]")
    end_date_qualifier: str | None = Field(default=None, description="SCH08")
    end_date: dt.date | None = Field(default=None, description="SCH09")
    end_time: str | None = Field(default=None, description="SCH10")
    line_number: str | None = Field(default=None, description="SCH12")


class LocationQuantity(CanonicalModel):
    location: Text = Field(description="SDQ03, SDQ05, ...: a store or destination id")
    quantity: Decimal = Field(description="SDQ04, SDQ06, ...")


class DestinationQuantities(CanonicalModel):
    """SDQ: how the line's quantity is split over destinations (stores) (2.1)."""

    unit_of_measure: Text = Field(description="SDQ01")
    id_qualifier: str | None = Field(default=None, description="SDQ02, e.g. 92 buyer's code")
    quantities: list[LocationQuantity] = Field(
        min_length=1, max_length=10, description="SDQ03-SDQ22 pairs"
    )
    area: str | None = Field(default=None, description="SDQ23 unit/area identifier")


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
    descriptions: list[ItemDescription] = Field(
        default_factory=list,
        description="PID segments description does not say whole: every one but the plain "
        "PID*F whose PID05 is description (2.1)",
        exclude_if=empty,
    )
    prices: list[CatalogPrice] = Field(
        default_factory=list, description="CTP segments (2.1)", exclude_if=empty
    )
    packaging: list[PackSize] = Field(
        default_factory=list, description="PO4 (2.1)", exclude_if=empty
    )
    allowances_charges: list[AllowanceCharge] = Field(
        default_factory=list, description="SAC segments (2.1)", exclude_if=empty
    )
    taxes: list[Tax] = Field(
        default_factory=list, description="TXI segments (2.1)", exclude_if=empty
    )
    measurements: list[Measurement] = Field(
        default_factory=list, description="MEA segments (2.1)", exclude_if=empty
    )
    references: list[Reference] = Field(
        default_factory=list, description="line REF segments (2.1)", exclude_if=empty
    )
    schedules: list[DeliverySchedule] = Field(
        default_factory=list, description="SCH segments (2.1)", exclude_if=empty
    )
    destination_quantities: list[DestinationQuantities] = Field(
        default_factory=list, description="SDQ segments (2.1)", exclude_if=empty
    )
    parties: list[Party] = Field(
        default_factory=list, description="N1 loops of the line (2.1)", exclude_if=empty
    )


class PurchaseOrder(Message):
    """An 850 Purchase Order."""

    message_type: Literal["PurchaseOrder"] = "PurchaseOrder"
    purpose_code: Text = Field(description="BEG01: 00 original, 01 cancellation, 05 replace, ...")
    order_type_code: Text = Field(description="BEG02: SA stand-alone, DS drop ship, RL release...")
    po_number: Text = Field(description="BEG03 purchase order number")
    release_number: str | None = Field(default=None, description="BEG04")
    po_date: dt.date = Field(description="BEG05")
    contract_number: str | None = Field(default=None, description="BEG06 (2.1)", exclude_if=empty)
    currency: str | None = Field(default=None, description="CUR02 currency code (CUR01 = BY)")
    references: list[Reference] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list, description="header PER segments")
    terms: list[PaymentTerms] = Field(default_factory=list)
    dates: list[DateReference] = Field(default_factory=list)
    carriers: list[Carrier] = Field(default_factory=list, description="TD5 segments")
    notes: list[Note] = Field(default_factory=list, description="header MSG/NTE notes")
    parties: list[Party] = Field(default_factory=list, description="N1 loops")
    lines: list[PurchaseOrderLine] = Field(min_length=1)
    fob: list[FobTerms] = Field(
        default_factory=list, description="FOB segments (2.1)", exclude_if=empty
    )
    allowances_charges: list[AllowanceCharge] = Field(
        default_factory=list, description="header SAC segments (2.1)", exclude_if=empty
    )
    taxes: list[Tax] = Field(default_factory=list, description="header TXI (2.1)", exclude_if=empty)
    measurements: list[Measurement] = Field(
        default_factory=list, description="header MEA segments (2.1)", exclude_if=empty
    )
    packaging_descriptions: list[PackagingDescription] = Field(
        default_factory=list, description="header PKG segments (2.1)", exclude_if=empty
    )
    extended_references: list[Reference] = Field(
        default_factory=list,
        description="N9 segments (N901 qualifier, N902 value, N903 description) other than the "
        "N9*L1*NOTES that holds the notes; the notes of every N9 loop are in notes (2.1)",
        exclude_if=empty,
    )
    amounts: list[Amount] = Field(
        default_factory=list,
        description="AMT segments, e.g. TT the order total (2.1)",
        exclude_if=empty,
    )
    control_totals: ControlTotals | None = Field(default=None, exclude_if=empty)
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order (2.1)",
        exclude_if=empty,
    )


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
    price_basis: str | None = Field(
        default=None, description="PO105, e.g. PE per each (2.1)", exclude_if=empty
    )
    descriptions: list[ItemDescription] = Field(
        default_factory=list,
        description="PID segments description does not say whole: every one but the plain "
        "PID*F whose PID05 is description (2.1)",
        exclude_if=empty,
    )
    schedules: list[DeliverySchedule] = Field(
        default_factory=list, description="SCH segments (2.1)", exclude_if=empty
    )
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
    request_reference: str | None = Field(
        default=None, description="BAK06 request reference number (2.1)", exclude_if=empty
    )
    contract_number: str | None = Field(default=None, description="BAK07 (2.1)", exclude_if=empty)
    seller_order_number: str | None = Field(
        default=None, description="BAK08 reference identification (2.1)", exclude_if=empty
    )
    references: list[Reference] = Field(default_factory=list)
    dates: list[DateReference] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    lines: list[PurchaseOrderAckLine] = Field(default_factory=list)
    control_totals: ControlTotals | None = Field(default=None, exclude_if=empty)
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order (2.1)",
        exclude_if=empty,
    )

"""Shipments: the 856 Ship Notice/Manifest and its hierarchy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field

from .base import CanonicalModel, Text
from .blocks import (
    ControlTotals,
    DateReference,
    ItemDescription,
    ItemIdentification,
    Measurement,
    Party,
    Reference,
    UnmappedSegment,
    Weight,
    empty,
)
from .message import Message
from .orders import PackSize

# ----------------------------------------------------------------------------------------------
# 856 Ship Notice / Manifest


class ShippedItem(CanonicalModel):
    """Item level (HL03 = I): LIN + SN1 (+ PID)."""

    line_number: str | None = Field(default=None, description="LIN01 / PO line number")
    item: ItemIdentification = Field(default_factory=ItemIdentification)
    quantity_shipped: Decimal = Field(description="SN102")
    unit_of_measure: Text = Field(description="SN103")
    quantity_ordered: Decimal | None = Field(default=None, description="SN105")
    quantity_shipped_to_date: Decimal | None = Field(
        default=None, description="SN104 (2.1)", exclude_if=empty
    )
    ordered_unit_of_measure: str | None = Field(default=None, description="SN106")
    description: str | None = Field(default=None, description="PID05")
    descriptions: list[ItemDescription] = Field(
        default_factory=list,
        description="PID segments description does not say whole: every one but the plain "
        "PID*F whose PID05 is description (2.1)",
        exclude_if=empty,
    )
    packaging: list[PackSize] = Field(
        default_factory=list, description="PO4 at item level (2.1)", exclude_if=empty
    )
    measurements: list[Measurement] = Field(
        default_factory=list,
        description="MEA at item level: the weight and dimensions of what was shipped, e.g. "
        "MEA*PD*N*12.35*LB the net (catch) weight of items that vary in weight (2.1)",
        exclude_if=empty,
    )
    lot_number: str | None = Field(
        default=None, description="REF02 where REF01 = LT at item level (2.1)", exclude_if=empty
    )
    serial_numbers: list[Text] = Field(
        default_factory=list,
        description="REF02 where REF01 = SE at item level, in order (2.1)",
        exclude_if=empty,
    )
    expiration_date: dt.date | None = Field(
        default=None, description="DTM02 where DTM01 = 036 at item level (2.1)", exclude_if=empty
    )
    references: list[Reference] = Field(
        default_factory=list, description="other item-level REFs (2.1)", exclude_if=empty
    )
    dates: list[DateReference] = Field(
        default_factory=list, description="other item-level DTMs (2.1)", exclude_if=empty
    )


class Equipment(CanonicalModel):
    """TD3: a trailer or container of the shipment and its seal (2.1)."""

    description_code: str | None = Field(default=None, description="TD301, e.g. TL trailer")
    initial: str | None = Field(default=None, description="TD302 equipment initial")
    number: str | None = Field(default=None, description="TD303 equipment (trailer) number")
    seal_number: str | None = Field(default=None, description="TD309")


class Volume(CanonicalModel):
    """TD109-TD111 (2.1)."""

    value: Decimal = Field(description="TD109")
    unit: Text = Field(description="TD110, e.g. CF cubic feet, CR cubic meters")


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
    routing_sequence_code: str | None = Field(
        default=None, description="TD501, e.g. B origin carrier (2.1)", exclude_if=empty
    )
    equipment: list[Equipment] = Field(
        default_factory=list, description="TD3 segments at shipment level (2.1)", exclude_if=empty
    )
    volume: Volume | None = Field(
        default=None, description="TD109-TD110 at shipment level (2.1)", exclude_if=empty
    )
    dates: list[DateReference] = Field(
        default_factory=list,
        description="shipment-level DTMs other than the first 011 and the first 017 (2.1)",
        exclude_if=empty,
    )
    control_totals: ControlTotals | None = Field(default=None, exclude_if=empty)
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order (2.1)",
        exclude_if=empty,
    )

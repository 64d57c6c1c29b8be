"""Invoicing: the 810 Invoice a supplier sends for goods shipped, and the gateway sends a retailer.

An :class:`Invoice` is its BIG (invoice date and number, the PO it bills), the parties (remit-to,
bill-to, ship-from, ship-to, buyer, seller... each an N1 loop), the terms of sale (ITD), one
:class:`InvoiceLine` per IT1 loop, and the totals: TDS (the amounts are in currency units: X12
writes them with two implied decimal places, ``TDS*255438`` is 2554.38), invoice-level taxes,
allowances and charges, the carrier (CAD), the shipment summary (ISS) and the CTT control totals.
Every block that exists for the 850 (terms, FOB, SAC, TXI, CTP, PID, PO4, AMT) is reused as is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

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
from .orders import Amount, CatalogPrice, FobTerms, PackSize, PaymentTerms


class ExtendedReference(CanonicalModel):
    """The N9 loop of an invoice's header: a reference and the MSG texts under it."""

    qualifier: Text = Field(description="N901 reference identification qualifier")
    value: str | None = Field(default=None, description="N902")
    description: str | None = Field(default=None, description="N903")
    messages: list[Text] = Field(
        default_factory=list, description="MSG01 of each MSG in the loop", exclude_if=empty
    )


class InvoiceTotals(CanonicalModel):
    """TDS: the invoice's amounts (X12 type N2: two implied decimal places)."""

    total_amount: Decimal = Field(description="TDS01 total invoice amount, allowances included")
    discountable_amount: Decimal | None = Field(
        default=None, description="TDS02 amount subject to terms discount"
    )
    discounted_amount_due: Decimal | None = Field(
        default=None, description="TDS03 discounted amount due"
    )
    terms_discount_amount: Decimal | None = Field(
        default=None, description="TDS04 terms discount amount"
    )


class CarrierDetail(CanonicalModel):
    """CAD: how the invoiced goods were carried."""

    transport_method: str | None = Field(default=None, description="CAD01 (91), e.g. M motor")
    equipment_initial: str | None = Field(default=None, description="CAD02")
    equipment_number: str | None = Field(default=None, description="CAD03")
    scac: str | None = Field(default=None, description="CAD04 standard carrier alpha code")
    routing: str | None = Field(default=None, description="CAD05")
    status_code: str | None = Field(default=None, description="CAD06 shipment/order status")
    reference_qualifier: str | None = Field(default=None, description="CAD07, e.g. BM")
    reference: str | None = Field(default=None, description="CAD08")
    service_level: str | None = Field(default=None, description="CAD09 service level code")


class ShipmentSummary(CanonicalModel):
    """ISS: what was shipped, in units, weight, volume."""

    units_shipped: Decimal | None = Field(default=None, description="ISS01")
    unit_of_measure: str | None = Field(default=None, description="ISS02")
    weight: Decimal | None = Field(default=None, description="ISS03")
    weight_unit: str | None = Field(default=None, description="ISS04")
    volume: Decimal | None = Field(default=None, description="ISS05")
    volume_unit: str | None = Field(default=None, description="ISS06")
    quantity: Decimal | None = Field(default=None, description="ISS07")
    second_weight: Decimal | None = Field(default=None, description="ISS08")


class InvoiceLine(CanonicalModel):
    """An IT1 loop: one line invoiced."""

    line_number: str | None = Field(default=None, description="IT101 assigned identification")
    quantity: Decimal | None = Field(default=None, description="IT102 quantity invoiced")
    unit_of_measure: str | None = Field(default=None, description="IT103, e.g. EA, CA")
    unit_price: Decimal | None = Field(default=None, description="IT104")
    price_basis: str | None = Field(default=None, description="IT105, e.g. PE per each")
    item: ItemIdentification = Field(
        default_factory=ItemIdentification, description="IT106-IT125 product id pairs"
    )
    description: str | None = Field(default=None, description="PID05 of the plain PID*F")
    descriptions: list[ItemDescription] = Field(
        default_factory=list,
        description="PID segments description does not say whole",
        exclude_if=empty,
    )
    prices: list[CatalogPrice] = Field(
        default_factory=list, description="CTP segments", exclude_if=empty
    )
    taxes: list[Tax] = Field(default_factory=list, description="TXI segments", exclude_if=empty)
    measurements: list[Measurement] = Field(
        default_factory=list, description="MEA segments", exclude_if=empty
    )
    packaging: list[PackSize] = Field(
        default_factory=list, description="PO4 segments", exclude_if=empty
    )
    allowances_charges: list[AllowanceCharge] = Field(
        default_factory=list, description="SAC segments of the line", exclude_if=empty
    )
    references: list[Reference] = Field(
        default_factory=list,
        description="REF segments of the line but its lot and serial numbers",
        exclude_if=empty,
    )
    lot_number: str | None = Field(
        default=None, description="REF02 of the first REF*LT", exclude_if=empty
    )
    serial_numbers: list[Text] = Field(
        default_factory=list, description="REF02 of each REF*SE", exclude_if=empty
    )
    dates: list[DateReference] = Field(
        default_factory=list, description="DTM segments of the line", exclude_if=empty
    )
    parties: list[Party] = Field(
        default_factory=list, description="N1 loops of the line", exclude_if=empty
    )


class Invoice(Message):
    """An 810 Invoice."""

    message_type: Literal["Invoice"] = "Invoice"
    invoice_date: dt.date = Field(description="BIG01")
    invoice_number: Text = Field(description="BIG02")
    po_date: dt.date | None = Field(default=None, description="BIG03 purchase order date")
    po_number: str | None = Field(default=None, description="BIG04")
    release_number: str | None = Field(default=None, description="BIG05")
    change_order_sequence: str | None = Field(default=None, description="BIG06")
    transaction_type: str | None = Field(
        default=None, description="BIG07 (640): DI debit invoice, CR credit memo, ..."
    )
    purpose_code: str | None = Field(default=None, description="BIG08 (353): 00 original, ...")
    action_code: str | None = Field(default=None, description="BIG09 (306)", exclude_if=empty)
    currency: str | None = Field(default=None, description="CUR02", exclude_if=empty)
    currency_entity: str | None = Field(
        default=None, description="CUR01, e.g. SE selling party, BY buyer", exclude_if=empty
    )
    notes: list[Note] = Field(
        default_factory=list, description="header NTE (NTE01 code, NTE02 text)", exclude_if=empty
    )
    references: list[Reference] = Field(
        default_factory=list, description="header REF", exclude_if=empty
    )
    contacts: list[Contact] = Field(
        default_factory=list, description="header PER", exclude_if=empty
    )
    parties: list[Party] = Field(
        default_factory=list,
        description="N1 loops: RI remit to, BT bill to, SF ship from, ST ship to, BY, SE, ...",
        exclude_if=empty,
    )
    terms: list[PaymentTerms] = Field(
        default_factory=list, description="ITD terms of sale", exclude_if=empty
    )
    dates: list[DateReference] = Field(
        default_factory=list, description="header DTM, e.g. 011 shipped", exclude_if=empty
    )
    fob: list[FobTerms] = Field(default_factory=list, description="FOB", exclude_if=empty)
    extended_references: list[ExtendedReference] = Field(
        default_factory=list, description="the N9 loop", exclude_if=empty
    )
    lines: list[InvoiceLine] = Field(
        default_factory=list, description="IT1 loops", exclude_if=empty
    )
    totals: InvoiceTotals = Field(description="TDS")
    taxes: list[Tax] = Field(
        default_factory=list, description="TXI after the TDS: the invoice's taxes", exclude_if=empty
    )
    carrier: CarrierDetail | None = Field(default=None, description="CAD", exclude_if=empty)
    amounts: list[Amount] = Field(default_factory=list, description="AMT", exclude_if=empty)
    allowances_charges: list[AllowanceCharge] = Field(
        default_factory=list, description="SAC after the TDS", exclude_if=empty
    )
    shipment_summaries: list[ShipmentSummary] = Field(
        default_factory=list, description="ISS", exclude_if=empty
    )
    control_totals: ControlTotals | None = Field(default=None, exclude_if=empty)
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    @model_validator(mode="after")
    def _currency_named(self) -> Invoice:
        if (self.currency is None) != (self.currency_entity is None):
            raise ValueError("a currency (CUR02) comes with the entity it is of (CUR01)")
        return self

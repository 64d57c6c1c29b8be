"""Building blocks the messages share: parties, addresses, references, dates, item ids, and
what schema 2.1 added: unmapped segments, allowances and charges, taxes, measurements, item
descriptions, control totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field

from .base import CanonicalModel, Text

# ----------------------------------------------------------------------------------------------
# Added in schema 2.1 (issue 25, lossless translation). Every field added to a model that existed
# in 2.0 is left out of the message's JSON while it is empty (``exclude_if=empty``): a document
# whose content has none of them dumps to the very JSON 2.0 wrote, so its content digest, and
# with it its document_id, stay byte-equal across the upgrade (tests/unit/test_content_digest.py,
# tests/integration/test_upgrade_identity.py). A consumer reads an absent field as its default.


def empty(value: object) -> bool:
    """Whether a field added in 2.1 holds nothing (None or an empty list): then it is left out
    of the JSON, as 2.0 wrote the message, see above."""
    return value is None or value == []


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
    fax: str | None = Field(
        default=None,
        description="the number qualified FX, wherever it sits (2.1)",
        exclude_if=empty,
    )


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
    references: list[Reference] = Field(
        default_factory=list, description="REF segments of the loop (2.1)", exclude_if=empty
    )


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
    code: str | None = Field(
        default=None,
        description="MTX01 (005010) or NTE01 note reference code, e.g. GEN, SPH (2.1)",
        exclude_if=empty,
    )


class ItemId(CanonicalModel):
    qualifier: Text = Field(description="product id qualifier (235): BP, VN, UP, UK, EN, ...")
    value: Text


class ItemIdentification(CanonicalModel):
    """Product ids carried in PO1/ACK/LIN qualifier-value pairs."""

    buyer_item_number: str | None = Field(default=None, description="qualifier BP")
    vendor_item_number: str | None = Field(default=None, description="qualifier VN")
    upc: str | None = Field(default=None, description="qualifier UP (UPC-A, 12 digits)")
    gtin: str | None = Field(default=None, description="qualifier UK (GTIN-14)")
    buyer_item_id: str | None = Field(
        default=None, description="qualifier IN, buyer's item number (2.1)", exclude_if=empty
    )
    other_ids: list[ItemId] = Field(
        default_factory=list, description="every other qualifier-value pair, in document order"
    )

    def __eq__(self, other: object) -> bool:
        """Equal fields (what :func:`keep_other_ids_2_0` kept aside is not content)."""
        if not isinstance(other, ItemIdentification):
            return NotImplemented
        return self.__dict__ == other.__dict__


OTHER_IDS_2_0 = "other_ids_2_0"


def keep_other_ids_2_0(ids: ItemIdentification, others: list[ItemId]) -> None:
    """Keep aside, with ``ids``, its ``other_ids`` as schema 2.0 read them, where 2.1 reads some
    of those pairs into fields (IN, an 856 LIN's LT and SN): their place among the others is in
    no field, and the document's 2.0 id needs it (:mod:`.upgrade`). Not content: in the model's
    private slot, out of its fields, its JSON and its equality; kept by ``model_copy`` and
    pickling. (A declared private attribute would do the same at twice the cost of validating
    every item id, read or not.)"""
    object.__setattr__(ids, "__pydantic_private__", {OTHER_IDS_2_0: others})


def other_ids_2_0(ids: ItemIdentification) -> list[ItemId] | None:
    """What :func:`keep_other_ids_2_0` kept with ``ids``; None: nothing."""
    private = ids.__pydantic_private__
    return private.get(OTHER_IDS_2_0) if private else None


class Weight(CanonicalModel):
    qualifier: str | None = Field(default=None, description="TD106 weight qualifier, e.g. G gross")
    value: Decimal
    unit: Text = Field(description="unit of measure, e.g. LB, KG")


class UnmappedSegment(CanonicalModel):
    """A segment of the transaction set that no canonical field holds, kept as read, so that a
    consumer always sees what it did not get as a field."""

    segment_id: str = Field(description="the segment's id, e.g. SAC (as read, even if empty)")
    position: int = Field(
        ge=2, description="its position in the transaction set, ST = 1 (as 997/999 AK3 counts)"
    )
    elements: list[str | list[str]] = Field(
        description="the elements in order (01 first), trailing empty ones left out; a composite "
        "element is the list of its components, a simple one its text (repeated elements of "
        "005010 as received, joined by the interchange's repetition separator)"
    )


class AllowanceCharge(CanonicalModel):
    """SAC: an allowance or a charge, for the whole order or for one line."""

    indicator: Text = Field(description="SAC01: A allowance, C charge, N no allowance or charge")
    code: str | None = Field(default=None, description="SAC02, e.g. D240 freight, C310 discount")
    agency_qualifier: str | None = Field(default=None, description="SAC03, e.g. VI VICS")
    agency_code: str | None = Field(default=None, description="SAC04, the agency's code")
    amount: Decimal | None = Field(default=None, description="SAC05 (N2 in X12: 1.50 is 150)")
    percent_qualifier: str | None = Field(default=None, description="SAC06")
    percent: Decimal | None = Field(default=None, description="SAC07")
    rate: Decimal | None = Field(default=None, description="SAC08")
    unit_of_measure: str | None = Field(default=None, description="SAC09")
    quantity: Decimal | None = Field(default=None, description="SAC10")
    handling_code: str | None = Field(
        default=None, description="SAC12: 02 off invoice, 06 charge to be paid by customer, ..."
    )
    reference: str | None = Field(default=None, description="SAC13")
    description: str | None = Field(default=None, description="SAC15")


class Tax(CanonicalModel):
    """TXI: a tax on the order or a line."""

    type_code: Text = Field(description="TXI01: ST state sales tax, LS local sales tax, ...")
    amount: Decimal | None = Field(default=None, description="TXI02")
    percent: Decimal | None = Field(default=None, description="TXI03")
    jurisdiction_qualifier: str | None = Field(default=None, description="TXI04")
    jurisdiction: str | None = Field(default=None, description="TXI05")
    exempt_code: str | None = Field(default=None, description="TXI06")
    tax_id: str | None = Field(default=None, description="TXI09 tax identification number")


class Measurement(CanonicalModel):
    """MEA: a physical measurement of the order or a line."""

    reference_code: str | None = Field(default=None, description="MEA01, e.g. PD physical")
    qualifier: str | None = Field(default=None, description="MEA02, e.g. WT weight, LN length")
    value: Decimal | None = Field(default=None, description="MEA03")
    unit: str | None = Field(default=None, description="MEA04 (C001-01) unit of measure")


class ItemDescription(CanonicalModel):
    """PID: a free-form (F), structured (S) or mixed (X) description of an item, with what it
    describes (2.1)."""

    type: Text = Field(description="PID01: F free-form, S structured (from industry code list)")
    characteristic_code: str | None = Field(
        default=None, description="PID02, e.g. 08 product, 75 buyer's color, 91 buyer's size"
    )
    agency: str | None = Field(default=None, description="PID03, e.g. VI Voluntary ICS")
    code: str | None = Field(default=None, description="PID04 the agency's code")
    text: str | None = Field(default=None, description="PID05")
    surface_code: str | None = Field(default=None, description="PID06")
    source_subqualifier: str | None = Field(default=None, description="PID07")
    yes_no: str | None = Field(default=None, description="PID08")
    language: str | None = Field(default=None, description="PID09")


class ControlTotals(CanonicalModel):
    """CTT as the partner sent it, when it differs from what the content gives: the number of
    lines (850/855) or of HL segments (856), and the hash total of the quantities (PO102, SN102).
    Absent when it agrees (a CTT without CTT02 agrees when its count does: the hash total is
    optional), as it does in every set the gateway writes: rendering writes these values when
    set, the computed ones otherwise."""

    count: int | None = Field(default=None, description="CTT01")
    hash_total: Decimal | None = Field(default=None, description="CTT02")

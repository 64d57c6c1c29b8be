"""Building blocks the messages share: parties, addresses, references, dates, item ids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field

from .base import CanonicalModel, Text


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

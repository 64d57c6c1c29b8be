"""Inventory: the 846 Inventory Inquiry/Advice, as 3PLs, suppliers and the gateway send it.

An :class:`InventoryAdvice` is a warehouse's (its ``facility``) stock as of a moment, per item
(:class:`InventoryLine`) and, where the sender splits it, per location inside the facility;
each line holds quantities by state (:class:`InventoryQuantity`): on hand, available, allocated,
reserved, in transit, quarantined, backordered, or another X12 quantity qualifier kept as sent.

Snapshot or delta is stated, never guessed: ``semantics = "delta"`` is BIA06 = ``2`` (change),
the one way the 846 says that its quantities are changes since the last advice; anything else is
a snapshot (the quantities are what there is). Each state has the X12 code it is written with
(:data:`STATE_QUALIFIERS`); a quantity names its state, its qualifier, or both when they agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import CanonicalModel, Text
from .blocks import (
    DateReference,
    ItemIdentification,
    Measurement,
    Party,
    Reference,
    UnmappedSegment,
    empty,
)
from .message import Message
from .references import NamedItem, item_ids, locations, named_in


class QuantityState(StrEnum):
    """The state of a quantity of stock (QTY01, through :data:`STATE_QUALIFIERS`)."""

    ON_HAND = "on_hand"
    AVAILABLE = "available"
    ALLOCATED = "allocated"
    RESERVED = "reserved"
    IN_TRANSIT = "in_transit"
    QUARANTINED = "quarantined"
    BACKORDERED = "backordered"


STATE_QUALIFIERS: dict[QuantityState, str] = {
    QuantityState.ON_HAND: "17",  # quantity on hand
    QuantityState.AVAILABLE: "33",  # quantity available for sale (stock quantity)
    QuantityState.ALLOCATED: "27",  # committed quantity
    QuantityState.RESERVED: "XU",  # reserved
    QuantityState.IN_TRANSIT: "IQ",  # in-transit quantity
    QuantityState.QUARANTINED: "QH",  # quantity on hold
    QuantityState.BACKORDERED: "BQ",  # backorder quantity
}
"""The QTY01 quantity qualifier (673) of each state: what is written, and what is read as it."""

QUALIFIER_STATES = {code: state for state, code in STATE_QUALIFIERS.items()}

DELTA_ACTION_CODE = "2"
"""BIA06 action code (306) 2, change: the quantities are changes, not the stock."""


class Lot(CanonicalModel):
    """A lot (batch) a quantity is made of: ``REF*LT`` in the quantity's LS/LE loop."""

    number: Text = Field(description="REF02 where REF01 = LT")
    expiry_date: dt.date | None = Field(
        default=None, description="DTM*036 (expiration) after the lot's REF"
    )


class InventoryQuantity(CanonicalModel):
    """A QTY loop: one quantity of an item in one state, with its lots and serial numbers."""

    qualifier: Text = Field(description="QTY01 quantity qualifier (673), e.g. 17 on hand")
    state: QuantityState | None = Field(
        default=None,
        description="the state QTY01 stands for (STATE_QUALIFIERS); None for another qualifier",
    )
    quantity: Decimal = Field(description="QTY02")
    unit_of_measure: str | None = Field(
        default=None, description="QTY03 (C001-01), or UIT01 after the QTY when QTY03 is empty"
    )
    lots: list[Lot] = Field(default_factory=list, description="REF*LT in the LS/LE loop")
    serial_numbers: list[Text] = Field(default_factory=list, description="REF*SE in the LS/LE loop")

    @model_validator(mode="before")
    @classmethod
    def _state_and_qualifier(cls, data: Any) -> Any:
        """A state without a qualifier gets its code; a qualifier its state; both must agree."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        state, qualifier = data.get("state"), data.get("qualifier")
        if state is not None and not isinstance(state, QuantityState):
            try:
                state = QuantityState(state)
            except ValueError:
                known = ", ".join(s.value for s in QuantityState)
                raise ValueError(f"state {state!r} is not one of {known}") from None
        if qualifier is None and state is not None:
            data["qualifier"] = STATE_QUALIFIERS[state]
        elif isinstance(qualifier, str):
            implied = QUALIFIER_STATES.get(qualifier)
            if state is not None and state != implied:
                expected = STATE_QUALIFIERS[state]
                raise ValueError(
                    f"state {state.value} is written with qualifier {expected}, not {qualifier}"
                )
            data["state"] = implied
        return data


class InventoryLine(CanonicalModel):
    """A LIN loop: one item (at one location, when the sender names one) and its quantities."""

    line_number: str | None = Field(default=None, description="LIN01")
    item: ItemIdentification = Field(description="LIN02/LIN03 ... product id pairs")
    description: str | None = Field(default=None, description="PID05 of the first PID*F")
    location: Party | None = Field(
        default=None,
        description="the LIN loop's N1 loop: where in (or which) facility the stock is, "
        "e.g. N1*WH or N1*LC (N101 entity code)",
    )
    references: list[Reference] = Field(default_factory=list, description="REF in the LIN loop")
    dates: list[DateReference] = Field(default_factory=list, description="DTM in the LIN loop")
    measurements: list[Measurement] = Field(
        default_factory=list,
        description="MEA in the LIN loop: the item's weight and dimensions, e.g. MEA*PD*N*12.35*LB "
        "the net (catch) weight of an item that varies in weight",
        exclude_if=empty,
    )
    quantities: list[InventoryQuantity] = Field(default_factory=list, description="QTY loops")


class InventoryAdvice(Message):
    """An 846 Inventory Inquiry/Advice: a facility's stock, per item, as of a moment."""

    message_type: Literal["InventoryAdvice"] = "InventoryAdvice"
    purpose_code: Text = Field(description="BIA01: 00 original, 05 replace, ...")
    report_type: Text = Field(
        description="BIA02 report type code, e.g. DD distributor inventory report, MM "
        "manufacturer, SI seller inventory report"
    )
    reference: Text = Field(description="BIA03 reference identification (the advice's number)")
    as_of_date: dt.date = Field(description="BIA04: the date the quantities are as of")
    as_of_time: str | None = Field(default=None, description="BIA05 HHMM[SS]")
    semantics: Literal["snapshot", "delta"] = Field(
        default="snapshot",
        description="snapshot: the quantities are the stock; delta: they are changes since the "
        "last advice (BIA06 = 2, change)",
    )
    action_code: str | None = Field(
        default=None, description="BIA06 action code (306) as sent; 2 when the advice is a delta"
    )
    currency: str | None = Field(default=None, description="CUR02 (with CUR01 entity code)")
    currency_entity: str | None = Field(default=None, description="CUR01, e.g. BY buyer")
    references: list[Reference] = Field(default_factory=list, description="header REF")
    dates: list[DateReference] = Field(default_factory=list, description="header DTM")
    facility: Party | None = Field(
        default=None, description="the first header N1 loop with N101 = WH: the warehouse"
    )
    parties: list[Party] = Field(default_factory=list, description="the other header N1 loops")
    lines: list[InventoryLine] = Field(min_length=1, description="LIN loops")
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    @model_validator(mode="before")
    @classmethod
    def _semantics(cls, data: Any) -> Any:
        """``semantics`` and BIA06 say the same: a delta has action code 2, and code 2 is a
        delta (either one given, the other follows)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        semantics, action = data.get("semantics"), data.get("action_code")
        if action == DELTA_ACTION_CODE:
            if semantics not in (None, "delta"):
                raise ValueError("action code 2 (change) makes the advice a delta, not a snapshot")
            data["semantics"] = "delta"
        elif semantics == "delta":
            if action is not None:
                raise ValueError(f"a delta has action code 2 (change), not {action!r}")
            data["action_code"] = DELTA_ACTION_CODE
        return data

    def named_items(self) -> Iterator[NamedItem]:
        """Each line's item, at the facility and the line's own location
        (:class:`~.references.NamesItems`: checked against the reference data)."""
        return named_in(
            (line.line_number, item_ids(line.item), locations(self.facility, line.location))
            for line in self.lines
        )

    @model_validator(mode="after")
    def _facility_first(self) -> InventoryAdvice:
        if self.facility is None and any(p.role == "WH" for p in self.parties):
            raise ValueError("a WH party is the facility: give it as facility, not in parties")
        if self.facility is not None and self.facility.role != "WH":
            raise ValueError(f"the facility is an N1*WH loop, not N1*{self.facility.role}")
        return self

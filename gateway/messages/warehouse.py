"""Warehouse shipping: the 940 Warehouse Shipping Order the gateway sends a 3PL, and the 945
Warehouse Shipping Advice the 3PL answers with once the order has shipped.

Both carry the depositor's order number (W0502, W0602), which ties an advice to its order, and
their lines carry what moves goods: item ids, quantities, lots, serial numbers and, on a 945, the
catch weight of what was shipped (W1210-W1212: the weight of a line whose items vary in weight).
Each order line is an LX loop holding one W01 (940) or W12 (945); a partner's LX loop holding
several is read as several lines with the same ``line_number``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from .base import CanonicalModel, Text
from .blocks import ItemIdentification, Party, Reference, UnmappedSegment, Weight, empty
from .message import Message
from .references import NamedItem, item_ids, locations, named_in


class WarehouseDate(CanonicalModel):
    """G62: a date (and time) by qualifier."""

    qualifier: Text = Field(
        description="G6201 date qualifier (432): 02 delivery requested, 10 requested ship, "
        "11 shipped, ..."
    )
    date: dt.date = Field(description="G6202")
    time_qualifier: str | None = Field(default=None, description="G6203 time qualifier (176)")
    time: str | None = Field(default=None, description="G6204 HHMM[SS]")


class WarehouseNote(CanonicalModel):
    """NTE: free text with its reference code (e.g. WHI warehouse instruction)."""

    code: str | None = Field(default=None, description="NTE01 note reference code (363)")
    text: Text = Field(description="NTE02")


class Transport(CanonicalModel):
    """How the goods travel: W66 on a 940, W27 on a 945."""

    transport_method: Text = Field(description="W6602 / W2701 (91): M motor, H customer pickup")
    payment_method: str | None = Field(
        default=None, description="W6601 (required on a 940) / W2704 (146): PP prepaid, CC collect"
    )
    carrier_scac: str | None = Field(default=None, description="W6610 / W2702")
    routing: str | None = Field(default=None, description="W6605 / W2703")


class WarehouseOrderLine(CanonicalModel):
    """An LX loop of a 940 and its W01: an item to pick and ship."""

    line_number: Text = Field(description="LX01 assigned number")
    quantity: Decimal = Field(description="W0101 quantity ordered")
    unit_of_measure: Text = Field(description="W0102")
    upc_case_code: str | None = Field(default=None, description="W0103 U.P.C. case code")
    item: ItemIdentification = Field(
        default_factory=ItemIdentification, description="W0104/W0105, W0106/W0107 id pairs"
    )
    lot_number: str | None = Field(default=None, description="W0113 warehouse lot number")
    description: str | None = Field(default=None, description="G6901 (the first G69)")
    serial_numbers: list[Text] = Field(default_factory=list, description="N9*SE in the W01 loop")
    references: list[Reference] = Field(
        default_factory=list, description="the other N9 in the W01 loop (N901, N902, N903)"
    )
    weight: Weight | None = Field(
        default=None, description="W2004 weight, W2005 qualifier, W2006 unit (L pounds, K kilos)"
    )


class WarehouseShippingOrder(Message):
    """A 940 Warehouse Shipping Order: the depositor asks its 3PL to ship an order."""

    message_type: Literal["WarehouseShippingOrder"] = "WarehouseShippingOrder"
    order_status: Text = Field(
        default="N", description="W0501 order status code: N original, C cancel, R replace"
    )
    depositor_order_number: Text = Field(description="W0502: the order's number at the depositor")
    po_number: str | None = Field(default=None, description="W0503 the customer's PO number")
    link_sequence: str | None = Field(default=None, description="W0504 link sequence number")
    master_reference: str | None = Field(default=None, description="W0505 master reference")
    transaction_type: str | None = Field(default=None, description="W0506 transaction type")
    warehouse: Party | None = Field(default=None, description="the first N1*WH loop")
    ship_to: Party | None = Field(default=None, description="the first N1*ST loop")
    parties: list[Party] = Field(default_factory=list, description="the other N1 loops")
    references: list[Reference] = Field(default_factory=list, description="header N9")
    dates: list[WarehouseDate] = Field(default_factory=list, description="header G62")
    notes: list[WarehouseNote] = Field(default_factory=list, description="header NTE")
    transport: Transport | None = Field(default=None, description="W66")
    lines: list[WarehouseOrderLine] = Field(min_length=1, description="LX loops")
    total_quantity: Decimal | None = Field(default=None, description="W7601")
    total_weight: Weight | None = Field(default=None, description="W7602 weight, W7603 unit")
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    @model_validator(mode="after")
    def _consistent(self) -> WarehouseShippingOrder:
        _check_roles(self.warehouse, self.ship_to, self.parties)
        if self.transport is not None and self.transport.payment_method is None:
            raise ValueError("a 940's transport (W66) names its payment method (W6601)")
        if self.total_weight is not None and self.total_quantity is None:
            raise ValueError("a total weight (W7602) comes with the total quantity (W7601)")
        return self


class ShippedLine(CanonicalModel):
    """An LX loop of a 945 and its W12: what was shipped of an order line."""

    line_number: Text = Field(description="LX01 assigned number")
    status: Text = Field(
        description="W1201 shipment/order status code (368): CL complete, PR partial, "
        "SH shipped, ..."
    )
    quantity_ordered: Decimal | None = Field(default=None, description="W1202")
    quantity_shipped: Decimal | None = Field(default=None, description="W1203 units shipped")
    quantity_difference: Decimal | None = Field(default=None, description="W1204")
    unit_of_measure: str | None = Field(default=None, description="W1205")
    upc_case_code: str | None = Field(default=None, description="W1206 U.P.C. case code")
    item: ItemIdentification = Field(
        default_factory=ItemIdentification,
        description="W1207/W1208, W1217/W1218, W1221/W1222 id pairs",
    )
    lot_number: str | None = Field(default=None, description="W1209 warehouse lot number")
    catch_weight: Weight | None = Field(
        default=None,
        description="W1210 weight, W1211 qualifier, W1212 unit (L, K): the actual weight shipped",
    )
    description: str | None = Field(default=None, description="G6901 (the first G69)")
    serial_numbers: list[Text] = Field(default_factory=list, description="N9*SE in the W12 loop")
    references: list[Reference] = Field(
        default_factory=list, description="the other N9 in the W12 loop"
    )
    sscc: str | None = Field(default=None, description="MAN*GM in the LX loop (SSCC-18)")


class WarehouseShippingAdvice(Message):
    """A 945 Warehouse Shipping Advice: what the 3PL shipped of an order (a 940's)."""

    message_type: Literal["WarehouseShippingAdvice"] = "WarehouseShippingAdvice"
    report_code: Text = Field(description="W0601 reporting code: F final, P partial, ...")
    depositor_order_number: str | None = Field(
        default=None, description="W0602: the 940's W0502, naming the order shipped"
    )
    ship_date: dt.date | None = Field(default=None, description="W0603 date shipped")
    shipment_id: str | None = Field(default=None, description="W0604 shipment identification")
    agent_shipment_id: str | None = Field(default=None, description="W0605")
    po_number: str | None = Field(default=None, description="W0606")
    warehouse: Party | None = Field(default=None, description="the first N1*WH loop")
    ship_to: Party | None = Field(default=None, description="the first N1*ST loop")
    parties: list[Party] = Field(default_factory=list, description="the other N1 loops")
    references: list[Reference] = Field(default_factory=list, description="header N9")
    dates: list[WarehouseDate] = Field(default_factory=list, description="header G62")
    notes: list[WarehouseNote] = Field(default_factory=list, description="header NTE")
    transport: Transport | None = Field(default=None, description="W27")
    lines: list[ShippedLine] = Field(min_length=1, description="LX loops")
    total_quantity: Decimal | None = Field(default=None, description="W0301 units shipped")
    total_weight: Weight | None = Field(default=None, description="W0302 weight, W0303 unit")
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    def named_items(self) -> Iterator[NamedItem]:
        """Each line's item, at the warehouse it shipped from (:class:`~.references.
        NamesItems`: checked against the reference data)."""
        where = locations(self.warehouse)
        return named_in(
            (line.line_number, item_ids(line.item, line.upc_case_code), where)
            for line in self.lines
        )

    @model_validator(mode="after")
    def _consistent(self) -> WarehouseShippingAdvice:
        _check_roles(self.warehouse, self.ship_to, self.parties)
        if self.warehouse is None and self.ship_to is None and not self.parties:
            raise ValueError("a 945 names at least one party (N1)")
        if self.total_weight is not None and self.total_quantity is None:
            raise ValueError("a total weight (W0302) comes with the total quantity (W0301)")
        return self


def _check_roles(warehouse: Party | None, ship_to: Party | None, parties: list[Party]) -> None:
    """The first WH and ST loops have fields of their own: one left among the parties would be
    read back into its field."""
    for role, named in (("WH", warehouse), ("ST", ship_to)):
        if named is not None and named.role != role:
            raise ValueError(f"this party is an N1*{role} loop, not N1*{named.role}")
        if named is None and any(p.role == role for p in parties):
            raise ValueError(f"an N1*{role} party has a field of its own, not parties")

"""Stock held at a warehouse for a depositor: the 947 Warehouse Inventory Adjustment Advice (the
warehouse tells the depositor that its stock changed: counted, damaged, put on hold, relabelled),
the 943 Warehouse Stock Transfer Shipment Advice (the depositor tells a warehouse what is on its
way to it) and the 944 Warehouse Stock Transfer Receipt Advice it answers with (what came in, in
what condition; its W1704 names the 943's W0602).

Lines carry what moves goods, as the 940/945 lines do (:mod:`.warehouse`): item ids, quantities
with their units, lots, serial numbers (``N9*SE``), weights, and the dates a partner gives for
a line (G62: an expiry or production date by its qualifier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from .base import CanonicalModel, Text
from .blocks import ItemIdentification, Party, Reference, UnmappedSegment, Weight, empty
from .message import Message
from .references import NamedItem, item_ids, locations, named_in
from .warehouse import Transport, WarehouseDate, WarehouseNote


class AdjustedLine(CanonicalModel):
    """A W19 loop of a 947: one item whose quantity or status changed."""

    reason_code: Text = Field(
        description="W1901 quantity or status adjustment reason (181): AA physical count, "
        "AU damaged in facility, 05 put on hold, 55 taken off hold, ..."
    )
    quantity: Decimal = Field(description="W1902 credit/debit quantity (negative: a debit)")
    unit_of_measure: Text = Field(description="W1903")
    upc_case_code: str | None = Field(default=None, description="W1904 U.P.C. case code")
    item: ItemIdentification = Field(
        default_factory=ItemIdentification,
        description="W1905/W1906, W1907/W1908, W1917/W1918 id pairs",
    )
    lot_number: str | None = Field(default=None, description="W1909 warehouse lot number")
    weights: list[Weight] = Field(
        default_factory=list,
        max_length=2,
        description="W1910-W1912 and W1913-W1915 (weight, qualifier, unit L or K): e.g. the "
        "actual (catch) weight of items that vary in weight",
    )
    inventory_transaction_type: str | None = Field(
        default=None, description="W1916 inventory transaction type code (529)"
    )
    description: str | None = Field(default=None, description="G6901 (the first G69)")
    serial_numbers: list[Text] = Field(default_factory=list, description="N9*SE in the W19 loop")
    references: list[Reference] = Field(
        default_factory=list, description="the other N9 in the W19 loop"
    )
    dates: list[WarehouseDate] = Field(
        default_factory=list, description="G62 in the W19 loop (an expiry date, ...)"
    )


class InventoryAdjustment(Message):
    """A 947 Warehouse Inventory Adjustment Advice: what changed in a depositor's stock."""

    message_type: Literal["InventoryAdjustment"] = "InventoryAdjustment"
    adjustment_date: dt.date = Field(description="W1501 date of the adjustment")
    adjustment_number: str | None = Field(
        default=None, description="W1502 the warehouse's adjustment number"
    )
    depositor_adjustment_number: str | None = Field(
        default=None, description="W1503 the depositor's adjustment number"
    )
    purpose_code: str | None = Field(default=None, description="W1504 (353): 00 original, ...")
    transaction_type: str | None = Field(default=None, description="W1505 (640)")
    action_code: str | None = Field(default=None, description="W1506 (306)")
    warehouse: Party | None = Field(default=None, description="the first N1*WH loop")
    parties: list[Party] = Field(default_factory=list, description="the other N1 loops")
    references: list[Reference] = Field(default_factory=list, description="header N9")
    dates: list[WarehouseDate] = Field(default_factory=list, description="header G62")
    notes: list[WarehouseNote] = Field(default_factory=list, description="header NTE")
    lines: list[AdjustedLine] = Field(min_length=1, description="W19 loops")
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    def named_items(self) -> Iterator[NamedItem]:
        """Each line's item, at the warehouse (:class:`~.references.NamesItems`: checked
        against the reference data)."""
        where = locations(self.warehouse)
        return named_in(
            (None, item_ids(line.item, line.upc_case_code), where) for line in self.lines
        )

    @model_validator(mode="after")
    def _consistent(self) -> InventoryAdjustment:
        check_named_parties({"WH": self.warehouse}, self.parties)
        if self.warehouse is None and not self.parties:
            raise ValueError("a 947 names at least one party (N1)")
        return self


class ReceiptException(CanonicalModel):
    """W13: a quantity of a received line that came in otherwise than expected."""

    quantity: Decimal = Field(description="W1301")
    unit_of_measure: Text = Field(description="W1302")
    condition_code: Text = Field(
        description="W1303 receiving condition code (412): 01 damaged, 02 overage, 03 shortage, ..."
    )
    lot_number: str | None = Field(default=None, description="W1304 warehouse lot number")
    damage_reason: str | None = Field(default=None, description="W1305 damage reason code")


class ReceivedLine(CanonicalModel):
    """A W07 loop of a 944: an item received."""

    quantity_received: Decimal = Field(description="W0701")
    unit_of_measure: Text = Field(description="W0702")
    upc_case_code: str | None = Field(default=None, description="W0703 U.P.C. case code")
    item: ItemIdentification = Field(
        default_factory=ItemIdentification, description="W0704/W0705, W0706/W0707, W0710/W0711"
    )
    lot_number: str | None = Field(default=None, description="W0708 warehouse lot number")
    adjustment_code: str | None = Field(
        default=None, description="W0709 warehouse detail adjustment identifier code (893)"
    )
    description: str | None = Field(default=None, description="G6901 (the first G69)")
    serial_numbers: list[Text] = Field(default_factory=list, description="N9*SE in the W07 loop")
    references: list[Reference] = Field(
        default_factory=list, description="the other N9 in the W07 loop"
    )
    weight: Weight | None = Field(
        default=None,
        description="W2004 weight, W2005 qualifier, W2006 unit (L, K): the weight received, a "
        "catch weight for items that vary in weight",
    )
    exceptions: list[ReceiptException] = Field(
        default_factory=list, description="W13: damaged, over or short quantities"
    )


class StockTransferReceipt(Message):
    """A 944 Warehouse Stock Transfer Receipt Advice: what a warehouse received of a transfer
    (a 943's, whose W0602 the W1704 names)."""

    message_type: Literal["StockTransferReceipt"] = "StockTransferReceipt"
    report_code: Text = Field(description="W1701 reporting code: F full detail, ...")
    receipt_date: dt.date = Field(description="W1702 date received")
    warehouse_receipt_number: Text = Field(description="W1703")
    depositor_order_number: Text = Field(description="W1704: the 943's W0602")
    shipment_id: str | None = Field(default=None, description="W1705 shipment identification")
    time_qualifier: str | None = Field(default=None, description="W1706 time qualifier (176)")
    time: str | None = Field(default=None, description="W1707 HHMM[SS]")
    master_reference: str | None = Field(default=None, description="W1708")
    link_sequence: str | None = Field(default=None, description="W1709")
    warehouse: Party | None = Field(default=None, description="the first N1*WH loop")
    parties: list[Party] = Field(default_factory=list, description="the other N1 loops")
    references: list[Reference] = Field(default_factory=list, description="header N9")
    dates: list[WarehouseDate] = Field(default_factory=list, description="header G62")
    notes: list[WarehouseNote] = Field(default_factory=list, description="header NTE")
    lines: list[ReceivedLine] = Field(min_length=1, description="W07 loops")
    total_quantity: Decimal = Field(description="W1401 quantity received")
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    def named_items(self) -> Iterator[NamedItem]:
        """Each line's item, at the warehouse that received it (:class:`~.references.
        NamesItems`: checked against the reference data)."""
        where = locations(self.warehouse)
        return named_in(
            (None, item_ids(line.item, line.upc_case_code), where) for line in self.lines
        )

    @model_validator(mode="after")
    def _consistent(self) -> StockTransferReceipt:
        check_named_parties({"WH": self.warehouse}, self.parties)
        if self.warehouse is None and not self.parties:
            raise ValueError("a 944 names at least one party (N1)")
        return self


class TransferLine(CanonicalModel):
    """A W04 loop of a 943: an item shipped to the warehouse."""

    quantity: Decimal = Field(description="W0401 number of units shipped")
    unit_of_measure: Text = Field(description="W0402")
    upc_case_code: str | None = Field(default=None, description="W0403 U.P.C. case code")
    item: ItemIdentification = Field(
        default_factory=ItemIdentification, description="W0404/W0405, W0406/W0407, W0414/W0415"
    )
    lot_number: str | None = Field(default=None, description="N9*LT in the W04 loop (the first)")
    description: str | None = Field(default=None, description="G6901 (the first G69)")
    serial_numbers: list[Text] = Field(default_factory=list, description="N9*SE in the W04 loop")
    references: list[Reference] = Field(
        default_factory=list, description="the other N9 in the W04 loop"
    )
    weight: Weight | None = Field(
        default=None, description="W2004 weight, W2005 qualifier, W2006 unit (L, K)"
    )


class StockTransferShipment(Message):
    """A 943 Warehouse Stock Transfer Shipment Advice: the depositor tells a warehouse what it
    ships to it (the 944 answers it)."""

    message_type: Literal["StockTransferShipment"] = "StockTransferShipment"
    report_code: Text = Field(default="F", description="W0601 reporting code: F full detail")
    depositor_order_number: Text = Field(description="W0602: the 944's W1704 names it")
    ship_date: dt.date | None = Field(default=None, description="W0603 date shipped")
    shipment_id: str | None = Field(default=None, description="W0604 shipment identification")
    agent_shipment_id: str | None = Field(default=None, description="W0605")
    po_number: str | None = Field(default=None, description="W0606")
    warehouse: Party | None = Field(
        default=None, description="the first N1*WH loop: the warehouse receiving"
    )
    ship_from: Party | None = Field(default=None, description="the first N1*SF loop")
    parties: list[Party] = Field(default_factory=list, description="the other N1 loops")
    references: list[Reference] = Field(default_factory=list, description="header N9")
    dates: list[WarehouseDate] = Field(default_factory=list, description="header G62")
    notes: list[WarehouseNote] = Field(default_factory=list, description="header NTE")
    transport: Transport | None = Field(
        default=None, description="W27 (mandatory in the standard: a 943 the gateway writes has it)"
    )
    lines: list[TransferLine] = Field(min_length=1, description="W04 loops")
    total_quantity: Decimal = Field(description="W0301 units shipped")
    total_weight: Weight | None = Field(default=None, description="W0302 weight, W0303 unit")
    unmapped: list[UnmappedSegment] = Field(
        default_factory=list,
        description="every segment of the set no field holds, in order, as read",
        exclude_if=empty,
    )

    @model_validator(mode="after")
    def _consistent(self) -> StockTransferShipment:
        check_named_parties({"WH": self.warehouse, "SF": self.ship_from}, self.parties)
        if self.warehouse is None and self.ship_from is None and not self.parties:
            raise ValueError("a 943 names at least one party (N1)")
        return self


def check_named_parties(named: dict[str, Party | None], parties: Sequence[Party]) -> None:
    """The first loop of each role in ``named`` has a field of its own: one left among the
    parties would be read back into its field."""
    for role, party in named.items():
        if party is not None and party.role != role:
            raise ValueError(f"this party is an N1*{role} loop, not N1*{party.role}")
        if party is None and any(p.role == role for p in parties):
            raise ValueError(f"an N1*{role} party has a field of its own, not parties")

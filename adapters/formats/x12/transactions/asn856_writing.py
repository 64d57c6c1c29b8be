"""856 Ship Notice/Manifest: :class:`~gateway.messages.ShipNotice` written as X12 (read in
asn856.py, whose docstring says what each level carries; the two mirror each other level by
level, so a change to one needs the same change to the other: tests/unit/x12/test_round_trip.py).

HL01 is numbered 1, 2, 3... in document order with HL02 pointing at the parent and HL04 = 1 when
the level has children; CTT01 is the number of HL segments (the VICS convention) and CTT02 the hash
total of SN102 when it fits, unless the message holds the partner's own ``control_totals``.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.messages import DateReference, Pack, ShipmentOrder, ShipNotice, ShippedItem

from ..envelopes import x12_facts
from ..segments import Segment
from ..writer import TransactionContent
from .asn856_transport import Td1, Td5, render_td1, render_td3, render_td5
from .commercial import render_control_totals, render_measurement, render_pack_size
from .common import (
    format_date,
    format_decimal,
    render_date_reference,
    render_item_ids,
    render_party,
    render_reference,
    seg,
)
from .item_ids import render_descriptions

SET_ID = "856"

LIN_ID_PAIRS = 15
"""LIN02 to LIN31."""


class _Hierarchy:
    """HL segments numbered in document order, with parent pointers and child codes."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.count = 0
        self.shipped: list[Decimal] = []

    def add(self, code: str, parent: int | None, children: bool, content: list[Segment]) -> int:
        self.count += 1
        parent_id = str(parent) if parent else None
        self.segments.append(seg("HL", str(self.count), parent_id, code, "1" if children else "0"))
        self.segments += content
        return self.count

    def item(self, parent: int, item: ShippedItem) -> None:
        self.shipped.append(item.quantity_shipped)
        self.add("I", parent, False, _render_item(item))

    def pack(self, parent: int, pack: Pack) -> None:
        content: list[Segment] = []
        if pack.weight:
            content.append(render_td1(Td1(weight=pack.weight)))
        if pack.sscc:
            content.append(seg("MAN", "GM", pack.sscc))
        if pack.tracking_number:
            content.append(seg("MAN", "CP", pack.tracking_number))
        number = self.add("P", parent, bool(pack.items), content)
        for item in pack.items:
            self.item(number, item)


def render(message: ShipNotice) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "BSN",
            message.purpose_code,
            message.shipment_id,
            format_date(message.ship_date),
            message.ship_time,
            message.hierarchy_code,
        )
    ]
    hierarchy = _Hierarchy()
    shipment = hierarchy.add("S", None, True, _render_shipment(message))
    for order in message.orders:
        number = hierarchy.add(
            "O", shipment, bool(order.tares or order.packs or order.items), _render_order(order)
        )
        for tare in order.tares:
            content = [seg("MAN", "GM", tare.sscc)] if tare.sscc else []
            tare_number = hierarchy.add("T", number, bool(tare.packs), content)
            for pack in tare.packs:
                hierarchy.pack(tare_number, pack)
        for pack in order.packs:
            hierarchy.pack(number, pack)
        for item in order.items:
            hierarchy.item(number, item)
    body += hierarchy.segments
    totals = message.control_totals
    body.append(render_control_totals(totals, hierarchy.count, hierarchy.shipped))
    return TransactionContent(
        SET_ID,
        body,
        control_number=x12_facts(message.envelope).transaction_control_number,
        implementation_reference=x12_facts(message.envelope).implementation_reference,
    )


def _render_shipment(message: ShipNotice) -> list[Segment]:
    """TD1, TD5, TD3, REF, DTM, N1: the order of the segments in the HL loop."""
    content: list[Segment] = []
    td1 = Td1(message.packaging_code, message.lading_quantity, message.gross_weight, message.volume)
    if td1 != Td1():
        content.append(render_td1(td1))
    content += render_td5(
        Td5(
            message.routing_sequence_code,
            message.carrier_scac,
            message.transport_method,
            message.routing,
        )
    )
    content += [render_td3(e) for e in message.equipment]
    if message.bill_of_lading:
        content.append(seg("REF", "BM", message.bill_of_lading))
    if message.pro_number:
        content.append(seg("REF", "CN", message.pro_number))
    content += [seg("REF", "2I", number) for number in message.tracking_numbers]
    content += [render_reference(r) for r in message.references]
    dates: list[DateReference | None] = [message.ship_date_time, message.delivery_date]
    content += [render_date_reference(d) for d in [*dates, *message.dates] if d]
    for party in (message.ship_from, message.ship_to, *message.parties):
        if party:
            content += render_party(party)
    return content


def _render_order(order: ShipmentOrder) -> list[Segment]:
    prf_date = format_date(order.po_date) if order.po_date else None
    content = [seg("PRF", order.po_number, order.release_number, None, prf_date)]
    content += [render_reference(r) for r in order.references]
    for party in order.parties:
        content += render_party(party)
    return content


def _render_item(item: ShippedItem) -> list[Segment]:
    """LIN (when the item has product ids), SN1, PO4, PID, MEA, REF (LT lot, SE serials, others),
    DTM (036 expiration, others)."""
    ids = render_item_ids(item.item, LIN_ID_PAIRS, "LIN")
    content = [seg("LIN", item.line_number, *ids)] if ids else []
    content.append(
        seg(
            "SN1",
            None if ids else item.line_number,
            format_decimal(item.quantity_shipped, 10, "SN102"),
            item.unit_of_measure,
            format_decimal(item.quantity_shipped_to_date, 15, "SN104"),
            format_decimal(item.quantity_ordered, 15, "SN105"),
            item.ordered_unit_of_measure,
        )
    )
    content += [render_pack_size(p) for p in item.packaging]
    content += render_descriptions(item.description, item.descriptions)
    content += [render_measurement(m) for m in item.measurements]
    if item.lot_number:
        content.append(seg("REF", "LT", item.lot_number))
    content += [seg("REF", "SE", number) for number in item.serial_numbers]
    content += [render_reference(r) for r in item.references]
    if item.expiration_date:
        content.append(seg("DTM", "036", format_date(item.expiration_date)))
    content += [render_date_reference(d) for d in item.dates]
    return content

"""856 Ship Notice/Manifest <-> :class:`~gateway.messages.ShipNotice`.

The hierarchy is shipment (S) -> order (O) -> [tare (T)] -> pack (P) -> item (I); packs and items
may also sit directly under an order. What each level carries:

- S: TD1 (packaging code, lading quantity, weight), TD5 (SCAC when TD502 = 2, transport method,
  routing), REF (BM bill of lading, CN PRO number, 2I tracking numbers, others), DTM (011 shipped,
  017 estimated delivery; also read between BSN and the first HL), N1 loops (SF, ST, others);
- O: PRF (PO number, release, PRF04 date), REF, N1 loops;
- T: MAN*GM (SSCC-18); P: MAN*GM (SSCC-18), MAN*CP (tracking number), TD1 weight;
- I: LIN (LIN01 line number, product id pairs), SN1 (SN102/SN103 shipped, SN105/SN106 ordered;
  SN101 is the line number when there is no LIN01), ``PID*F`` description.

Reading tolerates an empty HL02 (the parent is then the nearest earlier level that can hold this
one) and items directly under the shipment, as some suppliers send them: each such item names its
order in its own PRF, and items of the same PRF are gathered into one order.

Writing numbers HL01 1, 2, 3... in document order with HL02 pointing at the parent and HL04 = 1
when the level has children, and closes with CTT01 = the number of HL segments (the VICS
convention) and CTT02 = the hash total of SN102 when it fits.

(Over 400 lines: the 856 read and written, which must mirror each other level by level;
apart, a change to one side would not show the other.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.messages import (
    DateReference,
    ItemIdentification,
    Pack,
    Party,
    Reference,
    ShipmentOrder,
    ShipNotice,
    ShippedItem,
    Tare,
    Weight,
)

from ..envelopes import x12_facts
from ..findings import quote
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import (
    SegmentAt,
    Walked,
    body_of,
    format_date,
    format_decimal,
    format_integer,
    hash_total,
    loop_instances,
    parse_date_reference,
    parse_item_ids,
    parse_party,
    parse_reference,
    render_date_reference,
    render_item_ids,
    render_party,
    render_reference,
    seg,
    split_detail,
    walk,
)

SET_ID = "856"
FUNCTIONAL_ID = "SH"
MESSAGE = ShipNotice

HL_LOOPS = {
    "N1": frozenset({"N2", "N3", "N4", "REF", "PER", "FOB"}),
    "CLD": frozenset({"REF", "DTP"}),
    "LH1": frozenset({"LH2", "LH3", "LFH", "LEP", "LH4", "LHT", "LHR", "PER", "LHE"}),
    "SAC": frozenset({"CUR"}),
    "LM": frozenset({"LQ"}),
    "V1": frozenset({"R4", "DTM"}),
    "TD3": frozenset({"AT9"}),
}
"""Inner loops of an HL loop whose members could be mistaken for segments of the level."""

PARENT_LEVELS = {"S": (), "O": ("S",), "T": ("O",), "P": ("O", "T"), "I": ("O", "P", "S")}
"""HL03 codes a ship notice carries, with the levels each may sit under."""

LEVEL_NAMES = {"S": "shipment", "O": "order", "T": "tare", "P": "pack", "I": "item"}

LIN_ID_PAIRS = 15
"""LIN02 to LIN31."""


# ----------------------------------------------------------------------------------------------
# Reading


@dataclass(slots=True, eq=False)
class _Level:
    """One HL loop being read: its HL, the segments of its own level, what hangs under it."""

    hl: SegmentAt
    code: str
    walked: Walked
    order: _OrderLevel | None = None
    tare: _TareLevel | None = None
    pack: _PackLevel | None = None

    def first(self, tag: str) -> SegmentAt | None:
        return next((s for owner, s in self.walked if owner is None and s.tag == tag), None)

    def all(self, tag: str) -> list[SegmentAt]:
        return [s for owner, s in self.walked if owner is None and s.tag == tag]


@dataclass(slots=True)
class _PackLevel:
    sscc: str | None
    tracking_number: str | None
    weight: Weight | None
    items: list[ShippedItem] = field(default_factory=list)

    def build(self) -> Pack:
        return Pack(
            sscc=self.sscc,
            tracking_number=self.tracking_number,
            weight=self.weight,
            items=self.items,
        )


@dataclass(slots=True)
class _TareLevel:
    sscc: str | None
    packs: list[_PackLevel] = field(default_factory=list)

    def build(self) -> Tare:
        return Tare(sscc=self.sscc, packs=[p.build() for p in self.packs])


@dataclass(slots=True)
class _OrderLevel:
    po_number: str
    release_number: str | None
    po_date: dt.date | None
    references: list[Reference] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    tares: list[_TareLevel] = field(default_factory=list)
    packs: list[_PackLevel] = field(default_factory=list)
    items: list[ShippedItem] = field(default_factory=list)

    def build(self) -> ShipmentOrder:
        return ShipmentOrder(
            po_number=self.po_number,
            release_number=self.release_number,
            po_date=self.po_date,
            references=self.references,
            parties=self.parties,
            tares=[t.build() for t in self.tares],
            packs=[p.build() for p in self.packs],
            items=self.items,
        )


def parse(tx: TransactionSet) -> ShipNotice:
    """The ship notice carried by ``tx``."""
    body = body_of(tx, SET_ID)
    header, loops, _summary = split_detail(body.segments, "HL")
    bsn = next((s for s in header if s.tag == "BSN"), None)
    if bsn is None:
        raise body.missing("BSN", "beginning segment for ship notice")
    purpose_code = bsn.need(bsn.text(1), 1, "transaction set purpose code")
    shipment_id = bsn.need(bsn.text(2), 2, "shipment identification")
    ship_date = bsn.need(bsn.date(3), 3, "date")
    ship_time = bsn.need(bsn.time(4), 4, "time")
    if not loops:
        raise body.missing("HL", "a ship notice has a shipment level")
    levels = _levels(loops)
    shipment = levels[0]
    if shipment.code != "S":
        raise shipment.hl.error("the first HL level is not the shipment (HL03 = S)", 3)
    orders = _orders(levels)
    if not orders:
        raise shipment.hl.error("the ship notice has no order level (HL03 = O)")

    dates = [parse_date_reference(s) for s in header if s.tag == "DTM"]
    dates += [parse_date_reference(s) for s in shipment.all("DTM")]
    references = [parse_reference(s) for s in shipment.all("REF")]
    parties = [parse_party(loop) for loop in loop_instances(shipment.walked, "N1")]
    packaging_code, lading_quantity, weight = _merged_td1(shipment.all("TD1"))
    scac = transport_method = routing = None
    for td5 in shipment.all("TD5"):
        scac = scac or (td5.text(3) if td5.text(2) == "2" else None)
        transport_method = transport_method or td5.text(4)
        routing = routing or td5.text(5)
    bill_of_lading, references = _take(references, "BM")
    pro_number, references = _take(references, "CN")
    ship_from, parties = _take_party(parties, "SF")
    ship_to, parties = _take_party(parties, "ST")
    return ShipNotice(
        envelope=tx.envelope(),
        purpose_code=purpose_code,
        shipment_id=shipment_id,
        ship_date=ship_date,
        ship_time=ship_time,
        hierarchy_code=bsn.text(5),
        packaging_code=packaging_code,
        lading_quantity=lading_quantity,
        gross_weight=weight,
        carrier_scac=scac,
        transport_method=transport_method,
        routing=routing,
        bill_of_lading=bill_of_lading,
        pro_number=pro_number,
        tracking_numbers=[r.value for r in references if r.qualifier == "2I" and r.value],
        references=[r for r in references if not (r.qualifier == "2I" and r.value)],
        ship_date_time=next((d for d in dates if d.qualifier == "011"), None),
        delivery_date=next((d for d in dates if d.qualifier == "017"), None),
        ship_from=ship_from,
        ship_to=ship_to,
        parties=parties,
        orders=[order.build() for order in orders],
    )


def _levels(loops: Sequence[Sequence[SegmentAt]]) -> list[_Level]:
    """The HL loops with their level codes, which must be ones a ship notice carries."""
    levels: list[_Level] = []
    for loop in loops:
        hl = loop[0]
        code = hl.need(hl.text(3), 3, "hierarchical level code")
        if code not in PARENT_LEVELS:
            raise hl.error(
                f"{quote(code)} is not a level a ship notice carries (S, O, T, P or I)", 3
            )
        levels.append(_Level(hl, code, walk(loop[1:], HL_LOOPS)))
    return levels


def _parent(
    level: _Level, by_id: dict[str, _Level], latest: dict[str, tuple[int, _Level]]
) -> _Level:
    """The level ``level`` hangs under: HL02, or when HL02 is empty the nearest earlier one.

    ``by_id`` holds the earlier levels by HL01, ``latest`` the last one of each level code with
    its index.
    """
    allowed = PARENT_LEVELS[level.code]
    hl = level.hl
    pointer = hl.text(2)
    if pointer is None:
        candidates = [latest[code] for code in allowed if code in latest]
        if not candidates:
            raise hl.error(f"the {LEVEL_NAMES[level.code]} level has no parent level", 2)
        return max(candidates, key=lambda found: found[0])[1]
    parent = by_id.get(pointer)
    if parent is None:
        raise hl.error(f"HL02 {quote(pointer)} names no earlier HL", 2)
    if parent.code not in allowed:
        raise hl.error(
            f"the {LEVEL_NAMES[level.code]} level cannot sit under "
            f"the {LEVEL_NAMES[parent.code]} level HL {pointer}",
            2,
        )
    return parent


def _orders(levels: Sequence[_Level]) -> list[_OrderLevel]:
    """Build the order/tare/pack/item tree, in document order."""
    orders: list[_OrderLevel] = []
    by_prf: dict[tuple[str, str | None, dt.date | None], _OrderLevel] = {}
    by_id: dict[str, _Level] = {}
    latest: dict[str, tuple[int, _Level]] = {}
    for index, level in enumerate(levels):
        number = level.hl.need(level.hl.text(1), 1, "hierarchical id number")
        if number in by_id:
            raise level.hl.error(f"HL01 {quote(number)} is used twice", 1)
        if level.code == "S" and index:
            raise level.hl.error("a second shipment level; a ship notice has one", 3)
        parent = _parent(level, by_id, latest) if index else None
        by_id[number] = level
        latest[level.code] = (index, level)
        if parent is None:
            continue
        if level.code == "O":
            level.order = _order(level, level.first("PRF"))
            orders.append(level.order)
        elif level.code == "T":
            level.tare = _TareLevel(_man(level, "GM"))
            _order_of(parent).tares.append(level.tare)
        elif level.code == "P":
            level.pack = _pack(level)
            target = parent.tare.packs if parent.tare else _order_of(parent).packs
            target.append(level.pack)
        elif parent.pack is not None:
            parent.pack.items.append(_item(level))
        elif parent.order is not None:
            parent.order.items.append(_item(level))
        else:  # an item directly under the shipment names its order in its own PRF
            prf = level.first("PRF")
            if prf is None:
                raise level.hl.error("an item directly under the shipment has no PRF (order)")
            po_number = prf.need(prf.text(1), 1, "purchase order number")
            key = (po_number, prf.text(2), prf.date(4))
            if key not in by_prf:
                by_prf[key] = _OrderLevel(*key)
                orders.append(by_prf[key])
            by_prf[key].items.append(_item(level))
    return orders


def _order_of(level: _Level) -> _OrderLevel:
    if level.order is None:  # pragma: no cover - _parent only lets O be the parent here
        raise level.hl.error("not an order level")
    return level.order


def _order(level: _Level, prf: SegmentAt | None) -> _OrderLevel:
    if prf is None:
        raise level.hl.error("the order level has no PRF (purchase order reference)")
    return _OrderLevel(
        po_number=prf.need(prf.text(1), 1, "purchase order number"),
        release_number=prf.text(2),
        po_date=prf.date(4),
        references=[parse_reference(s) for s in level.all("REF")],
        parties=[parse_party(loop) for loop in loop_instances(level.walked, "N1")],
    )


def _man(level: _Level, qualifier: str) -> str | None:
    return next((s.text(2) for s in level.all("MAN") if s.text(1) == qualifier), None)


def _pack(level: _Level) -> _PackLevel:
    _, _, weight = _merged_td1(level.all("TD1"))
    return _PackLevel(_man(level, "GM"), _man(level, "CP"), weight)


def _item(level: _Level) -> ShippedItem:
    sn1 = level.first("SN1")
    if sn1 is None:
        raise level.hl.error("the item level has no SN1 (item detail, shipment)")
    lin = level.first("LIN")
    pid = next((s for s in level.all("PID") if s.text(1) == "F" and s.text(5)), None)
    return ShippedItem(
        line_number=(lin.text(1) if lin else None) or sn1.text(1),
        item=parse_item_ids(lin, 2) if lin else ItemIdentification(),
        quantity_shipped=sn1.need(sn1.decimal(2), 2, "number of units shipped"),
        unit_of_measure=sn1.need(sn1.text(3), 3, "unit of measure"),
        quantity_ordered=sn1.decimal(5),
        ordered_unit_of_measure=sn1.text(6),
        description=pid.text(5) if pid else None,
    )


def _merged_td1(segments: Sequence[SegmentAt]) -> tuple[str | None, int | None, Weight | None]:
    """Packaging code, lading quantity and weight, each from the first TD1 that has it."""
    packaging_code: str | None = None
    lading_quantity: int | None = None
    weight: Weight | None = None
    for td1 in segments:
        packaging_code = packaging_code or td1.text(1)
        if lading_quantity is None:
            lading_quantity = td1.integer(2)
        value = td1.decimal(7)
        if weight is None and value is not None:
            unit = td1.need(td1.text(8), 8, "unit of measure of the weight")
            weight = Weight(qualifier=td1.text(6), value=value, unit=unit)
    return packaging_code, lading_quantity, weight


def _take(references: list[Reference], qualifier: str) -> tuple[str | None, list[Reference]]:
    """REF02 of the first ``qualifier`` reference with a value, and the other references."""
    for index, reference in enumerate(references):
        if reference.qualifier == qualifier and reference.value:
            return reference.value, references[:index] + references[index + 1 :]
    return None, references


def _take_party(parties: list[Party], role: str) -> tuple[Party | None, list[Party]]:
    for index, party in enumerate(parties):
        if party.role == role:
            return party, parties[:index] + parties[index + 1 :]
    return None, parties


# ----------------------------------------------------------------------------------------------
# Writing


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
            content.append(_render_td1(None, None, pack.weight))
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
    body.append(seg("CTT", str(hierarchy.count), hash_total(hierarchy.shipped)))
    return TransactionContent(
        SET_ID,
        body,
        control_number=x12_facts(message.envelope).transaction_control_number,
        implementation_reference=x12_facts(message.envelope).implementation_reference,
    )


def _render_td1(packaging_code: str | None, lading: int | None, weight: Weight | None) -> Segment:
    elements: list[str | None] = [packaging_code, format_integer(lading, 7, "TD102")]
    if weight:
        elements += [None, None, None, weight.qualifier]
        elements += [format_decimal(weight.value, 10, "TD107"), weight.unit]
    return seg("TD1", *elements)


def _render_shipment(message: ShipNotice) -> list[Segment]:
    """TD1, TD5, REF, DTM, N1: the order of the segments in the HL loop."""
    content: list[Segment] = []
    if message.packaging_code or message.lading_quantity is not None or message.gross_weight:
        content.append(
            _render_td1(message.packaging_code, message.lading_quantity, message.gross_weight)
        )
    if message.carrier_scac or message.transport_method or message.routing:
        qualifier = "2" if message.carrier_scac else None
        content.append(
            seg(
                "TD5",
                None,
                qualifier,
                message.carrier_scac,
                message.transport_method,
                message.routing,
            )
        )
    if message.bill_of_lading:
        content.append(seg("REF", "BM", message.bill_of_lading))
    if message.pro_number:
        content.append(seg("REF", "CN", message.pro_number))
    content += [seg("REF", "2I", number) for number in message.tracking_numbers]
    content += [render_reference(r) for r in message.references]
    dates: list[DateReference | None] = [message.ship_date_time, message.delivery_date]
    content += [render_date_reference(d) for d in dates if d]
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
    """LIN (when the item has product ids), SN1, PID."""
    ids = render_item_ids(item.item, LIN_ID_PAIRS, "LIN")
    content = [seg("LIN", item.line_number, *ids)] if ids else []
    content.append(
        seg(
            "SN1",
            None if ids else item.line_number,
            format_decimal(item.quantity_shipped, 10, "SN102"),
            item.unit_of_measure,
            None,
            format_decimal(item.quantity_ordered, 15, "SN105"),
            item.ordered_unit_of_measure,
        )
    )
    if item.description:
        content.append(seg("PID", "F", None, None, None, item.description))
    return content

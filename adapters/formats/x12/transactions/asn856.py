"""856 Ship Notice/Manifest <-> :class:`~gateway.messages.ShipNotice`.

The hierarchy is shipment (S) -> order (O) -> [tare (T)] -> pack (P) -> item (I); packs and items
may also sit directly under an order. What each level carries:

- S: TD1 (packaging code, lading quantity, weight, volume), TD5 (routing sequence, SCAC when
  TD502 = 2, transport method, routing), TD3 (equipment: trailer and seal numbers), REF (BM bill
  of lading, CN PRO number, 2I tracking numbers, others), DTM (011 shipped, 017 estimated
  delivery, others; also read between BSN and the first HL), N1 loops (SF, ST, others), see
  asn856_transport.py for TD1/TD5/TD3;
- O: PRF (PO number, release, PRF04 date), REF, N1 loops;
- T: MAN*GM (SSCC-18); P: MAN*GM (SSCC-18), MAN*CP (tracking number), TD1 weight;
- I: LIN (LIN01 line number, product id pairs), SN1 (SN102/SN103 shipped, SN105/SN106 ordered;
  SN101 is the line number when there is no LIN01), PID descriptions, lot (the LIN's LT pair,
  else REF*LT), serial numbers (the LIN's SN pairs, then each REF*SE), other REFs, DTM (036
  expiration date, others); written back as REF*LT and REF*SE.

Every segment not mapped is kept in ``unmapped`` (common.py, "Lossless"); a CTT that says
otherwise than the HL count and the SN102 hash total is kept in ``control_totals``.

Reading tolerates an empty HL02 (the parent is then the nearest earlier level that can hold this
one) and items directly under the shipment, as some suppliers send them: each such item names its
order in its own PRF, and items of the same PRF are gathered into one order.

Writing: asn856_writing.py (``render`` is re-exported here), which mirrors this level by level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.errors import TranslationError
from gateway.messages import (
    Pack,
    Party,
    Reference,
    ShipmentOrder,
    ShipNotice,
    ShippedItem,
    Tare,
    Weight,
)

from ..findings import quote
from ..structure import TransactionSet
from .asn856_items import read_item
from .asn856_transport import read_td1, read_td3, read_td5
from .asn856_writing import render
from .commercial import parse_control_totals
from .common import (
    Body,
    SegmentAt,
    Walked,
    body_of,
    holds_only,
    loop_instances,
    parse_date_reference,
    parse_party,
    parse_reference,
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

__all__ = ["FUNCTIONAL_ID", "MESSAGE", "SET_ID", "parse", "render"]


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
    """The ship notice carried by ``tx`` (read a segment at a time: asn856_parts.py, with the
    same steps)."""
    body = body_of(tx, SET_ID)
    header, loops, summary = split_detail(body.segments, "HL")
    beginning = read_bsn(header, body)
    if not loops:
        raise no_levels(body)
    levels = _levels(loops)
    shipment = levels[0]
    if shipment.code != "S":
        raise not_shipment_first(shipment)
    orders = _orders(levels)
    if not orders:
        raise no_orders(shipment)
    fields = shipment_fields(header, shipment)
    return ShipNotice(
        envelope=tx.envelope(),
        **beginning,
        **fields,
        orders=(built := [order.build() for order in orders]),
        control_totals=parse_control_totals(summary, len(levels), _shipped(built)),
        unmapped=body.unmapped(),
    )


def read_bsn(header: Sequence[SegmentAt], body: Body) -> dict[str, Any]:
    """The BSN's fields (the first BSN of the segments before the first HL)."""
    bsn = next((s for s in header if s.tag == "BSN"), None)
    if bsn is None:
        raise body.missing("BSN", "beginning segment for ship notice")
    bsn.take((1, 2, 3, 4, 5))
    return {
        "purpose_code": bsn.need(bsn.text(1), 1, "transaction set purpose code"),
        "shipment_id": bsn.need(bsn.text(2), 2, "shipment identification"),
        "ship_date": bsn.need(bsn.date(3), 3, "date"),
        "ship_time": bsn.need(bsn.time(4), 4, "time"),
        "hierarchy_code": bsn.text(5),
    }


def no_levels(body: Body) -> TranslationError:
    return body.missing("HL", "a ship notice has a shipment level")


def not_shipment_first(level: _Level) -> TranslationError:
    return level.hl.error("the first HL level is not the shipment (HL03 = S)", 3)


def no_orders(shipment: _Level) -> TranslationError:
    return shipment.hl.error("the ship notice has no order level (HL03 = O)")


def shipment_fields(header: Sequence[SegmentAt], shipment: _Level) -> dict[str, Any]:
    """The fields of the shipment level (with the DTMs before the first HL): all the ship
    notice's but the BSN's, its orders, control totals and unmapped segments."""
    dates = [parse_date_reference(s) for s in header if s.tag == "DTM"]
    dates += [parse_date_reference(s) for s in shipment.all("DTM")]
    references = [parse_reference(s) for s in shipment.all("REF")]
    parties = [parse_party(loop) for loop in loop_instances(shipment.walked, "N1")]
    td1 = read_td1(shipment.all("TD1"))
    td5 = read_td5(shipment.all("TD5"))
    td3s = [s for owner, s in shipment.walked if s.tag == "TD3"]  # TD3 opens a loop (AT9)
    equipment = [e for s in td3s if (e := read_td3(s))]
    ship_date_time = next((d for d in dates if d.qualifier == "011"), None)
    delivery_date = next((d for d in dates if d.qualifier == "017"), None)
    bill_of_lading, references = _take(references, "BM")
    pro_number, references = _take(references, "CN")
    ship_from, parties = _take_party(parties, "SF")
    ship_to, parties = _take_party(parties, "ST")
    return {
        "packaging_code": td1.packaging_code,
        "lading_quantity": td1.lading_quantity,
        "gross_weight": td1.weight,
        "carrier_scac": td5.scac,
        "transport_method": td5.transport_method,
        "routing": td5.routing,
        "bill_of_lading": bill_of_lading,
        "pro_number": pro_number,
        "tracking_numbers": [r.value for r in references if r.qualifier == "2I" and r.value],
        "references": [r for r in references if not (r.qualifier == "2I" and r.value)],
        "ship_date_time": ship_date_time,
        "delivery_date": delivery_date,
        "ship_from": ship_from,
        "ship_to": ship_to,
        "parties": parties,
        "routing_sequence_code": td5.routing_sequence_code,
        "equipment": equipment,
        "volume": td1.volume,
        "dates": [d for d in dates if d is not ship_date_time and d is not delivery_date],
    }


def _shipped(orders: Sequence[ShipmentOrder]) -> list[Decimal]:
    """SN102 of every item, for the CTT02 hash total."""
    items = [
        item
        for order in orders
        for pack in [*order.packs, *(p for t in order.tares for p in t.packs)]
        for item in pack.items
    ]
    return [item.quantity_shipped for item in [*items, *(i for o in orders for i in o.items)]]


def _levels(loops: Sequence[Sequence[SegmentAt]]) -> list[_Level]:
    """The HL loops with their level codes, which must be ones a ship notice carries."""
    levels: list[_Level] = []
    for loop in loops:
        hl = loop[0].take((1, 2, 3, 4))
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
            prf.take((1, 2, 4))
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
    prf.take((1, 2, 4))
    return _OrderLevel(
        po_number=prf.need(prf.text(1), 1, "purchase order number"),
        release_number=prf.text(2),
        po_date=prf.date(4),
        references=[parse_reference(s) for s in level.all("REF")],
        parties=[parse_party(loop) for loop in loop_instances(level.walked, "N1")],
    )


def _man(level: _Level, qualifier: str) -> str | None:
    """MAN02 of the first MAN with ``qualifier`` (taken; a MAN saying more than MAN01/MAN02, or
    a later one, stays unmapped)."""
    man = next((s for s in level.all("MAN") if s.text(1) == qualifier and s.text(2)), None)
    if man is None:
        return None
    if holds_only(man, frozenset({1, 2})):
        man.take()
    return man.text(2)


def _pack(level: _Level) -> _PackLevel:
    weight = read_td1(level.all("TD1"), frozenset({6, 7, 8})).weight
    return _PackLevel(_man(level, "GM"), _man(level, "CP"), weight)


def _item(level: _Level) -> ShippedItem:
    return read_item(level.hl, [s for owner, s in level.walked if owner is None])


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

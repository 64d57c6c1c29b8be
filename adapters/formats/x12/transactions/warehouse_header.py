"""The header of the warehouse sets (940, 945, 943, 944, 947), read by one reader
(:func:`read_header`, given the set's :class:`HeaderTags`: its W05, W06, W15 or W17, its
transport segment, N1 loops, N9 references, G62 dates and NTE notes, the detail loops and the
summary) and written by the pieces each set's ``render`` puts together: the header N1 loops (the
first of some roles, WH, ST or SF, has a field of its own), the W27 transport, the W06 and W03
of the 943 and 945, the transaction set under the envelope's ST02 and ST03."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.messages import (
    Envelope,
    Party,
    Reference,
    StockTransferShipment,
    Transport,
    WarehouseDate,
    WarehouseNote,
    WarehouseShippingAdvice,
    Weight,
)

from ..envelopes import x12_facts
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .common import (
    Body,
    SegmentAt,
    body_of,
    format_date,
    format_decimal,
    holds_only,
    loop_instances,
    parse_party,
    render_party,
    seg,
    split_detail,
    walk,
)
from .warehouse_common import (
    N1_MEMBERS,
    parse_n9,
    parse_warehouse_date,
    parse_warehouse_note,
    render_n9,
    render_warehouse_date,
    render_warehouse_note,
    wholly,
)

HEADER_LOOPS = {"N1": N1_MEMBERS, "LM": frozenset({"LQ"})}
"""The loops of a warehouse set's header, whose segments the header's own reading skips."""


@dataclass
class HeaderExtras:
    """The N9 references, G62 dates and NTE notes of a warehouse set's header, as read."""

    references: list[Reference] = field(default_factory=list)
    dates: list[WarehouseDate] = field(default_factory=list)
    notes: list[WarehouseNote] = field(default_factory=list)

    def read(self, s: SegmentAt) -> bool:
        """Read ``s`` when it is one of them (an N9 or G62 only when its fields hold it all:
        else it is kept as unmapped); False for any other segment."""
        if s.tag == "N9" and holds_only(s, frozenset({1, 2, 3})):
            self.references.append(parse_n9(s))
        elif s.tag == "G62" and holds_only(s, frozenset({1, 2, 3, 4})):
            self.dates.append(parse_warehouse_date(s))
        elif s.tag == "NTE":
            self.notes.append(parse_warehouse_note(s))
        else:
            return False
        return True


@dataclass(frozen=True)
class HeaderTags:
    """What one warehouse set's header and detail are made of, for :func:`read_header`."""

    set_id: str
    beginning: str
    """The segment naming the document (W05, W06, W15, W17); the first is read."""
    beginning_what: str
    """What it is, for the error when there is none."""
    beginning_held: Sequence[int] | None
    """The elements its fields hold (one carrying any other is kept whole); None: taken whole."""
    detail: str
    """The segment opening each detail loop (LX, W04, W07, W19)."""
    detail_what: str
    """Why a set needs one, for the error when there is none."""
    summary: tuple[str, ...] = ()
    """The segments ending the detail."""
    transport: str | None = None
    """The header's transport segment (W66, W27), if the set has one; the first read wholly."""
    transport_held: Sequence[int] = ()
    """The elements the transport's fields hold."""


@dataclass
class Header:
    """A warehouse set's body as :func:`read_header` found it."""

    body: Body
    beginning: SegmentAt
    transport: SegmentAt | None
    """None when there is none, or when it says more than its fields hold (kept unmapped)."""
    extras: HeaderExtras
    party_loops: list[list[SegmentAt]]
    """The header's N1 loops."""
    lines: list[list[SegmentAt]]
    """One list per detail loop, each opened by its :attr:`HeaderTags.detail` segment."""
    summary: list[SegmentAt]


def read_header(tx: TransactionSet, tags: HeaderTags) -> Header:
    """The header of ``tx`` read as ``tags`` says, its detail loops and its summary.

    :class:`~gateway.errors.TranslationError` when the set has no beginning segment or no
    detail loop."""
    body = body_of(tx, tags.set_id)
    header, lines, summary = split_detail(body.segments, tags.detail, summary=tags.summary)
    walked = walk(header, HEADER_LOOPS)
    beginning: SegmentAt | None = None
    transport: SegmentAt | None = None
    extras = HeaderExtras()
    for owner, s in walked:
        if owner is not None or extras.read(s):
            continue
        if s.tag == tags.beginning and beginning is None:
            beginning = s.take(tags.beginning_held)
        elif s.tag == tags.transport and transport is None:
            transport = wholly(s, tags.transport_held)
    if beginning is None:
        raise body.missing(tags.beginning, tags.beginning_what)
    if not lines:
        raise body.missing(tags.detail, tags.detail_what)
    return Header(body, beginning, transport, extras, loop_instances(walked, "N1"), lines, summary)


def transaction_content(set_id: str, body: list[Segment], envelope: Envelope) -> TransactionContent:
    """The ``set_id`` transaction set of ``body``, under the ST02 and ST03 of ``envelope`` (a
    message read from X12 keeps them; else the writer numbers it)."""
    facts = x12_facts(envelope)
    return TransactionContent(
        set_id,
        body,
        control_number=facts.transaction_control_number,
        implementation_reference=facts.implementation_reference,
    )


def render_w06(message: StockTransferShipment | WarehouseShippingAdvice) -> Segment:
    """The W06 of a 943 or 945: W0601 reporting code, W0602 depositor order number, W0603 ship
    date, W0604 shipment id, W0605 agent shipment id, W0606 PO number."""
    return seg(
        "W06",
        message.report_code,
        message.depositor_order_number,
        format_date(message.ship_date) if message.ship_date else None,
        message.shipment_id,
        message.agent_shipment_id,
        message.po_number,
    )


def render_w03(quantity: Decimal, weight: Weight | None) -> Segment:
    """The W03 summary of a 943 or 945: W0301 units shipped, W0302 weight, W0303 its unit."""
    return seg(
        "W03",
        format_decimal(quantity, 10, "W0301"),
        format_decimal(weight.value if weight else None, 10, "W0302"),
        weight.unit if weight else None,
    )


def render_header_extras(
    references: Sequence[Reference], dates: Sequence[WarehouseDate], notes: Sequence[WarehouseNote]
) -> list[Segment]:
    """The header's N9 references, G62 dates and NTE notes, in that order."""
    return (
        [render_n9(r) for r in references]
        + [render_warehouse_date(d) for d in dates]
        + [render_warehouse_note(n) for n in notes]
    )


def parse_w27(s: SegmentAt) -> Transport:
    """A W27 (W2701 method, W2702 SCAC, W2703 routing, W2704 payment) of a 943 or 945."""
    return Transport(
        transport_method=s.need(s.text(1), 1, "transportation method"),
        carrier_scac=s.text(2),
        routing=s.text(3),
        payment_method=s.text(4),
    )


def render_w27(transport: Transport) -> Segment:
    return seg(
        "W27",
        transport.transport_method,
        transport.carrier_scac,
        transport.routing,
        transport.payment_method,
    )


def parse_header_parties(
    loops: Sequence[Sequence[SegmentAt]],
) -> tuple[Party | None, Party | None, list[Party]]:
    """The warehouse (first N1*WH), the ship-to (first N1*ST) and the other parties."""
    (warehouse, ship_to), parties = parse_parties_by_role(loops, ("WH", "ST"))
    return warehouse, ship_to, parties


def parse_parties_by_role(
    loops: Sequence[Sequence[SegmentAt]], roles: Sequence[str]
) -> tuple[list[Party | None], list[Party]]:
    """The first N1 loop of each of ``roles`` (None where there is none), and the other
    parties."""
    parties = [parse_party(loop) for loop in loops]
    named = [next((p for p in parties if p.role == role), None) for role in roles]
    return named, [p for p in parties if all(p is not n for n in named)]


def render_header_parties(
    warehouse: Party | None, ship_to: Party | None, parties: Sequence[Party]
) -> list[Segment]:
    segments: list[Segment] = []
    for party in (warehouse, ship_to, *parties):
        if party is not None:
            segments += render_party(party)
    return segments

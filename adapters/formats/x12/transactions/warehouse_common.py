"""What the warehouse translations (940, 945, 943, 944, 947) share: the header's reading
(:func:`read_header`: its W05, W06, W15 or W17, its transport segment, N1 loops, N9 references,
G62 dates and NTE notes, the detail loops and the summary), G62 dates, NTE notes, N9 references
and serial numbers, a line's G69 description and W20 weight, product id pairs at fixed positions,
weights, the W27 transport, and the header N1 loops (the first of some roles, WH, ST or SF, has a
field of its own). Segments read into fields
are taken (:meth:`~.common.SegmentAt.take`); an optional one saying more than its fields hold is
left unread, kept as unmapped (:func:`wholly`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.errors import RenderError
from gateway.messages import (
    Envelope,
    ItemId,
    ItemIdentification,
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
    NAMED_ITEM_IDS,
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

N1_MEMBERS = frozenset({"N2", "N3", "N4", "PER"})
"""Segments of a header N1 loop of the 940 and 945."""
HEADER_LOOPS = {"N1": N1_MEMBERS, "LM": frozenset({"LQ"})}
"""The loops of a warehouse set's header, whose segments the header's own reading skips."""

SERIAL_NUMBER = "SE"
"""N901 reference qualifier of a serial number."""


def parse_warehouse_date(s: SegmentAt) -> WarehouseDate:
    s.take()
    return WarehouseDate(
        qualifier=s.need(s.text(1), 1, "date qualifier"),
        date=s.need(s.date(2), 2, "date"),
        time_qualifier=s.text(3),
        time=s.time(4),
    )


def render_warehouse_date(date: WarehouseDate) -> Segment:
    return seg("G62", date.qualifier, format_date(date.date), date.time_qualifier, date.time)


def parse_warehouse_note(s: SegmentAt) -> WarehouseNote:
    s.take()
    return WarehouseNote(code=s.text(1), text=s.need(s.text(2), 2, "note text"))


def render_warehouse_note(note: WarehouseNote) -> Segment:
    return seg("NTE", note.code, note.text)


def parse_n9(s: SegmentAt) -> Reference:
    s.take()
    return Reference(
        qualifier=s.need(s.text(1), 1, "reference identification qualifier"),
        value=s.text(2),
        description=s.text(3),
    )


def render_n9(reference: Reference) -> Segment:
    return seg("N9", reference.qualifier, reference.value, reference.description)


@dataclass
class HeaderExtras:
    """The N9 references, G62 dates and NTE notes of a 940's or 945's header, as read."""

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


@dataclass(frozen=True)
class LineDetails:
    """A line's first G69 description and its N9 references (``N9*SE``: serial numbers)."""

    description: str | None
    serial_numbers: list[str]
    references: list[Reference]


def parse_line_details(segments: Sequence[SegmentAt]) -> LineDetails:
    """The description and references among ``segments`` (a line's loop); a G69 or N9 saying
    more than its fields hold is kept unmapped."""
    g69 = wholly(next((s for s in segments if s.tag == "G69"), None), (1,))
    n9s = [s for s in segments if s.tag == "N9" and holds_only(s, frozenset({1, 2, 3}))]
    serials, references = split_serials([parse_n9(s) for s in n9s])
    return LineDetails(g69.text(1) if g69 else None, serials, references)


def render_line_details(
    description: str | None, serials: Sequence[str], references: Sequence[Reference]
) -> list[Segment]:
    """A line's G69 (when it has a description) and its N9 references, serial numbers last."""
    segments = [seg("G69", description)] if description else []
    return segments + render_line_references(serials, references)


def parse_line_weight(segments: Sequence[SegmentAt]) -> Weight | None:
    """The weight of the first W20 among ``segments`` (W2004 value, W2005 qualifier, W2006
    unit), when it says no more than that."""
    w20 = wholly(next((s for s in segments if s.tag == "W20"), None), (4, 5, 6))
    return parse_weight(w20, 4, 5, 6) if w20 else None


def render_line_weight(weight: Weight | None) -> list[Segment]:
    """A line's W20, when it has a weight."""
    if weight is None:
        return []
    value = format_decimal(weight.value, 10, "W2004")
    return [seg("W20", None, None, None, value, weight.qualifier, weight.unit)]


def split_serials(references: list[Reference]) -> tuple[list[str], list[Reference]]:
    """``N9*SE`` values (serial numbers) apart from the other references."""
    serials = [r.value for r in references if r.qualifier == SERIAL_NUMBER and r.value]
    others = [r for r in references if not (r.qualifier == SERIAL_NUMBER and r.value)]
    return serials, others


def render_line_references(
    serials: Sequence[str], references: Sequence[Reference]
) -> list[Segment]:
    return [render_n9(r) for r in references] + [seg("N9", SERIAL_NUMBER, s) for s in serials]


def parse_id_pairs(s: SegmentAt, pairs: Sequence[int]) -> ItemIdentification:
    """The product id pairs at ``pairs`` (each the qualifier's element; its value follows).

    The first BP, VN, UP and UK go to their fields, every other pair to ``other_ids``."""
    named: dict[str, str] = {}
    others: list[ItemId] = []
    for element in pairs:
        qualifier, value = s.text(element), s.text(element + 1)
        if qualifier is None or value is None:
            continue
        if qualifier in NAMED_ITEM_IDS and qualifier not in named:
            named[qualifier] = value
        else:
            others.append(ItemId(qualifier=qualifier, value=value))
    return ItemIdentification(
        buyer_item_number=named.get("BP"),
        vendor_item_number=named.get("VN"),
        upc=named.get("UP"),
        gtin=named.get("UK"),
        other_ids=others,
    )


def place_id_pairs(
    elements: list[str | None], pairs: Sequence[tuple[str, str]], positions: Sequence[int]
) -> None:
    """Put ``pairs`` (from :func:`id_pairs`) in ``elements`` of a segment, each qualifier at
    the element ``positions`` says (1-based, as in W0104), its value after it."""
    for (qualifier, value), position in zip(pairs, positions, strict=False):
        elements[position - 1], elements[position] = qualifier, value


def id_pairs(item: ItemIdentification, room: int, where: str) -> list[tuple[str, str]]:
    """The id pairs of ``item``, at most ``room`` of them (:class:`RenderError` beyond)."""
    named = [
        (qualifier, value)
        for qualifier, value in (
            ("BP", item.buyer_item_number),
            ("VN", item.vendor_item_number),
            ("UP", item.upc),
            ("UK", item.gtin),
        )
        if value
    ]
    pairs = named + [(other.qualifier, other.value) for other in item.other_ids]
    if len(pairs) > room:
        raise RenderError(f"{where} holds {room} product ids at most, not {len(pairs)}")
    return pairs


def wholly(s: SegmentAt | None, elements: Sequence[int]) -> SegmentAt | None:
    """``s`` taken when the fields it is read into hold every element it carries, else None (it
    is then kept as unmapped)."""
    if s is None or not holds_only(s, frozenset(elements)):
        return None
    return s.take()


def parse_weight(s: SegmentAt, value: int, qualifier: int, unit: int) -> Weight | None:
    """A weight from three elements of ``s``; None when its value is empty."""
    amount = s.decimal(value)
    if amount is None:
        return None
    return Weight(
        value=amount,
        qualifier=s.text(qualifier) if qualifier else None,
        unit=s.need(s.text(unit), unit, "weight unit"),
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


def pair_elements(s: SegmentAt, pairs: Sequence[int]) -> set[int]:
    """The elements of the id pairs at ``pairs`` that :func:`parse_id_pairs` reads (a qualifier
    without its value, or a value without its qualifier, is not read)."""
    return {
        n
        for element in pairs
        if s.text(element) is not None and s.text(element + 1) is not None
        for n in (element, element + 1)
    }


def render_header_parties(
    warehouse: Party | None, ship_to: Party | None, parties: Sequence[Party]
) -> list[Segment]:
    segments: list[Segment] = []
    for party in (warehouse, ship_to, *parties):
        if party is not None:
            segments += render_party(party)
    return segments

"""850 Purchase Order <-> :class:`~gateway.messages.PurchaseOrder`.

Header: BEG (BEG06 too), CUR (CUR02), REF, PER, FOB, SAC, ITD, DTM, MEA, PKG, TD5, TXI, AMT, N9
references, notes, N1 loops (with their REF and PER). Notes are MSG segments in an
``N9*L1*NOTES`` loop in 004010 and MTX segments (MTX01 their code) in 005010 (the header has no
free-standing text segment in either); when reading, MSG/MTX in any N9 loop and NTE of older
versions are notes too, and every N9 but that ``N9*L1*NOTES`` is an extended reference. Detail:
one PO1 loop per line (po850_lines.py). Summary: CTT with the number of PO1 segments and, when it
fits, the hash total of PO102 (a CTT that says otherwise is kept in ``control_totals``); AMT
there (005010) is read as in the header. Every other segment is kept in ``unmapped`` (see
common.py, "Lossless").
"""

from __future__ import annotations

from gateway.messages import (
    Carrier,
    Contact,
    DateReference,
    Note,
    PaymentTerms,
    PurchaseOrder,
    Reference,
)
from gateway.messages.blocks import AllowanceCharge, Measurement, Tax
from gateway.messages.orders import (
    Amount,
    FobTerms,
    PackagingDescription,
)

from ..envelopes import group_version, x12_facts
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .commercial import (
    parse_allowance_charge,
    parse_amount,
    parse_control_totals,
    parse_fob,
    parse_measurement,
    parse_packaging,
    parse_tax,
    render_allowance_charge,
    render_amount,
    render_control_totals,
    render_fob,
    render_measurement,
    render_packaging,
    render_tax,
)
from .common import (
    N1_MEMBERS,
    NOTE_TAGS,
    NOTES_CONTAINER,
    SegmentAt,
    body_of,
    format_date,
    loop_instances,
    parse_contact,
    parse_date_reference,
    parse_note,
    parse_party,
    parse_reference,
    render_contact,
    render_date_reference,
    render_note,
    render_party,
    render_reference,
    seg,
    split_detail,
    take_notes_container,
    walk,
)
from .po850_lines import N9_MEMBERS, add_found, parse_line, render_line
from .terms import parse_terms, render_terms

SET_ID = "850"
FUNCTIONAL_ID = "PO"
MESSAGE = PurchaseOrder


HEADER_LOOPS = {
    "SAC": frozenset({"CUR"}),
    "AMT": frozenset({"REF", "DTM", "PCT", "FA1", "FA2"}),
    "N9": N9_MEMBERS,
    "N1": N1_MEMBERS,
    "LM": frozenset({"LQ"}),
    "SPI": frozenset({"REF", "DTM", "MSG", "MTX", "N1", "N2", "N3", "N4", "G61", "CB1", "LDT"}),
    "ADV": frozenset({"DTM", "MTX"}),
}
"""Inner loops of the 850 header whose members could be mistaken for header segments."""


def parse(tx: TransactionSet) -> PurchaseOrder:
    """The purchase order carried by ``tx``."""
    body = body_of(tx, SET_ID)
    header, lines, summary = split_detail(body.segments, "PO1")
    walked = walk(header, HEADER_LOOPS)
    beg: SegmentAt | None = None
    fob: list[FobTerms] = []
    charges: list[AllowanceCharge] = []
    taxes: list[Tax] = []
    measurements: list[Measurement] = []
    amounts: list[Amount] = []
    packaging: list[PackagingDescription] = []
    extended: list[Reference] = []
    currency: str | None = None
    references: list[Reference] = []
    contacts: list[Contact] = []
    terms: list[PaymentTerms] = []
    dates: list[DateReference] = []
    carriers: list[Carrier] = []
    notes: list[Note] = []
    for owner, s in walked:
        if owner is None and s.tag == "BEG" and beg is None:
            beg = s.take((1, 2, 3, 4, 5, 6))
        elif owner is None and s.tag == "CUR" and currency is None:
            currency = s.take((1, 2) if s.text(1) == "BY" else (2,)).text(2)
        elif owner is None and s.tag == "REF":
            references.append(parse_reference(s))
        elif owner is None and s.tag == "PER":
            contacts.append(parse_contact(s))
        elif owner is None and s.tag == "ITD":
            terms.append(parse_terms(s))
        elif owner is None and s.tag == "DTM":
            dates.append(parse_date_reference(s))
        elif owner is None and s.tag == "TD5":
            carriers.append(_parse_carrier(s))
        elif owner is None and s.tag == "FOB":
            add_found(fob, parse_fob(s))
        elif owner is None and s.tag == "TXI":
            add_found(taxes, parse_tax(s))
        elif owner is None and s.tag == "MEA":
            add_found(measurements, parse_measurement(s))
        elif owner is None and s.tag == "PKG":
            add_found(packaging, parse_packaging(s))
        elif s.tag == "SAC" and owner == "SAC":
            add_found(charges, parse_allowance_charge(s))
        elif s.tag == "AMT" and owner == "AMT":
            add_found(amounts, parse_amount(s))
        elif s.tag == "N9" and owner == "N9":
            extended += _parse_n9(s)
        elif s.tag in NOTE_TAGS and owner in (None, "N9") and (note := parse_note(s)):
            notes.append(note)
    amounts += [a for s in summary if s.tag == "AMT" and (a := parse_amount(s))]
    if beg is None:
        raise body.missing("BEG", "beginning segment for purchase order")
    if not lines:
        raise body.missing("PO1", "an order has at least one line")
    return PurchaseOrder(
        envelope=tx.envelope(),
        purpose_code=beg.need(beg.text(1), 1, "transaction set purpose code"),
        order_type_code=beg.need(beg.text(2), 2, "purchase order type code"),
        po_number=beg.need(beg.text(3), 3, "purchase order number"),
        release_number=beg.text(4),
        po_date=beg.need(beg.date(5), 5, "purchase order date"),
        contract_number=beg.text(6),
        currency=currency,
        references=references,
        contacts=contacts,
        terms=terms,
        dates=dates,
        carriers=carriers,
        notes=notes,
        parties=[parse_party(loop) for loop in loop_instances(walked, "N1")],
        lines=(parsed := [parse_line(loop) for loop in lines]),
        fob=fob,
        allowances_charges=charges,
        taxes=taxes,
        measurements=measurements,
        packaging_descriptions=packaging,
        extended_references=extended,
        amounts=amounts,
        control_totals=parse_control_totals(
            summary, len(parsed), (line.quantity for line in parsed)
        ),
        unmapped=body.unmapped(),
    )


def _parse_n9(s: SegmentAt) -> list[Reference]:
    """An N9 as an extended reference, or none for the N9 holding the gateway's notes."""
    if take_notes_container(s):
        return []
    return [parse_reference(s)]


def _parse_carrier(s: SegmentAt) -> Carrier:
    s.take((1, 2, 3, 4, 5))
    return Carrier(
        routing_sequence_code=s.text(1),
        id_qualifier=s.text(2),
        scac=s.text(3),
        transport_method=s.text(4),
        routing=s.text(5),
    )


def render(message: PurchaseOrder) -> TransactionContent:
    """The body segments of ``message`` for its envelope's version."""
    version = group_version(message.envelope)
    body = [
        seg(
            "BEG",
            message.purpose_code,
            message.order_type_code,
            message.po_number,
            message.release_number,
            format_date(message.po_date),
            message.contract_number,
        )
    ]
    if message.currency:
        body.append(seg("CUR", "BY", message.currency))
    body += [render_reference(r) for r in message.references]
    body += [render_contact(c) for c in message.contacts]
    body += [render_fob(f) for f in message.fob]
    body += [render_allowance_charge(c) for c in message.allowances_charges]
    body += [render_terms(t) for t in message.terms]
    body += [render_date_reference(d) for d in message.dates]
    body += [render_measurement(m) for m in message.measurements]
    body += [render_packaging(p) for p in message.packaging_descriptions]
    body += [_render_carrier(c) for c in message.carriers]
    body += [render_tax(t) for t in message.taxes]
    body += [render_amount(a) for a in message.amounts]
    body += [seg("N9", r.qualifier, r.value, r.description) for r in message.extended_references]
    if message.notes:
        body.append(seg("N9", *NOTES_CONTAINER))
        body += [render_note(n, version) for n in message.notes]
    for party in message.parties:
        body += render_party(party)
    for line in message.lines:
        body += render_line(line, version)
    quantities = (line.quantity for line in message.lines)
    body.append(render_control_totals(message.control_totals, len(message.lines), quantities))
    return TransactionContent(
        SET_ID,
        body,
        control_number=x12_facts(message.envelope).transaction_control_number,
        implementation_reference=x12_facts(message.envelope).implementation_reference,
    )


def _render_carrier(carrier: Carrier) -> Segment:
    return seg(
        "TD5",
        carrier.routing_sequence_code,
        carrier.id_qualifier,
        carrier.scac,
        carrier.transport_method,
        carrier.routing,
    )

"""810 Invoice <-> :class:`~gateway.messages.Invoice`.

Header: BIG (BIG01 invoice date, BIG02 invoice number, BIG03 PO date, BIG04 PO number, BIG05
release, BIG06 change order sequence, BIG07 transaction type, BIG08 purpose, BIG09 action), NTE
notes, CUR (CUR01 entity, CUR02 currency), REF, PER, the N1 loops (with their N2-N4, REF, PER),
ITD terms of sale, DTM, FOB and the N9 loop (N901-N903 and its MSG texts). Detail: one IT1 loop
per line (invoice810_lines.py). Summary: TDS (TDS01-TDS04, amounts with two implied decimal
places), TXI (the invoice's taxes), CAD (carrier), AMT, SAC (allowances and charges; a TXI in
the SAC loop is kept), ISS (shipment summary; its PID is kept) and CTT: the number of IT1
segments and, when it fits, the hash total of IT102 (a CTT saying otherwise is kept in
``control_totals``). The same positions in 004010 and 005010; BIG10 (005010), PID, MEA, PKG,
YNQ, PWK, L7, BAL, INC, PAM and the LM, V1, FA1 loops of the header are kept whole, as every other
segment no field holds, in the message's ``unmapped`` part (see common.py, "Lossless").
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import (
    CarrierDetail,
    Contact,
    DateReference,
    ExtendedReference,
    Invoice,
    InvoiceTotals,
    Note,
    Reference,
    ShipmentSummary,
)
from gateway.messages.blocks import AllowanceCharge, Tax
from gateway.messages.orders import Amount, FobTerms, PaymentTerms

from ..envelopes import x12_facts
from ..segments import Segment
from ..structure import TransactionSet
from ..writer import TransactionContent
from .commercial import (
    parse_allowance_charge,
    parse_amount,
    parse_control_totals,
    parse_fob,
    parse_tax,
    read_implied,
    render_allowance_charge,
    render_amount,
    render_control_totals,
    render_fob,
    render_tax,
)
from .common import (
    SegmentAt,
    body_of,
    format_date,
    format_decimal,
    format_implied,
    holds_only,
    loop_instances,
    parse_contact,
    parse_date_reference,
    parse_note,
    parse_party,
    parse_reference,
    render_contact,
    render_date_reference,
    render_party,
    render_reference,
    seg,
    split_detail,
    walk,
)
from .invoice810_lines import PARTY_MEMBERS, parse_line, render_line
from .po850_lines import add_found
from .terms import parse_terms, render_terms

SET_ID = "810"
FUNCTIONAL_ID = "IN"
MESSAGE = Invoice

HEADER_LOOPS = {
    "N1": PARTY_MEMBERS,
    "LM": frozenset({"LQ"}),
    "N9": frozenset({"MSG"}),
    "V1": frozenset({"R4", "DTM"}),
    "FA1": frozenset({"FA2"}),
}
"""Inner loops of the 810 header whose members could be mistaken for header segments."""

SUMMARY_LOOPS = {"SAC": frozenset({"TXI", "DTM"}), "ISS": frozenset({"PID"})}
"""Loops of the summary: a TXI after a SAC is the charge's tax, not the invoice's."""

CAD_HELD = range(1, 10)
ISS_HELD = range(1, 9)


def parse(tx: TransactionSet) -> Invoice:
    """The invoice carried by ``tx``."""
    body = body_of(tx, SET_ID)
    header, loops, summary = split_detail(body.segments, "IT1", summary=("TDS",))
    walked = walk(header, HEADER_LOOPS)
    big: SegmentAt | None = None
    cur: SegmentAt | None = None
    notes: list[Note] = []
    references: list[Reference] = []
    contacts: list[Contact] = []
    terms: list[PaymentTerms] = []
    dates: list[DateReference] = []
    fob: list[FobTerms] = []
    for owner, s in walked:
        if owner is not None:
            continue
        if s.tag == "BIG" and big is None:
            big = s.take(range(1, 10))
        elif s.tag == "NTE" and (note := parse_note(s)):
            notes.append(note)
        elif s.tag == "CUR" and cur is None:
            cur = s.take((1, 2))
        elif s.tag == "REF":
            references.append(parse_reference(s))
        elif s.tag == "PER":
            contacts.append(parse_contact(s))
        elif s.tag == "ITD":
            terms.append(parse_terms(s))
        elif s.tag == "DTM":
            dates.append(parse_date_reference(s))
        elif s.tag == "FOB":
            add_found(fob, parse_fob(s))
    if big is None:
        raise body.missing("BIG", "beginning segment for invoice")
    tds = next((s for s in summary if s.tag == "TDS"), None)
    if tds is None:
        raise body.missing("TDS", "total monetary value summary")
    lines = [parse_line(loop) for loop in loops]
    summary_parts = _Summary(summary)
    quantities = [line.quantity for line in lines if line.quantity is not None]
    return Invoice(
        envelope=tx.envelope(),
        invoice_date=big.need(big.date(1), 1, "invoice date"),
        invoice_number=big.need(big.text(2), 2, "invoice number"),
        po_date=big.date(3),
        po_number=big.text(4),
        release_number=big.text(5),
        change_order_sequence=big.text(6),
        transaction_type=big.text(7),
        purpose_code=big.text(8),
        action_code=big.text(9),
        currency=cur.need(cur.text(2), 2, "currency code") if cur else None,
        currency_entity=cur.need(cur.text(1), 1, "entity identifier code") if cur else None,
        notes=notes,
        references=references,
        contacts=contacts,
        parties=[parse_party(loop) for loop in loop_instances(walked, "N1")],
        terms=terms,
        dates=dates,
        fob=fob,
        extended_references=[
            n9 for loop in loop_instances(walked, "N9") if (n9 := _parse_n9(loop))
        ],
        lines=lines,
        totals=_parse_totals(tds),
        taxes=summary_parts.taxes,
        carrier=summary_parts.carrier,
        amounts=summary_parts.amounts,
        allowances_charges=summary_parts.charges,
        shipment_summaries=summary_parts.shipments,
        control_totals=parse_control_totals(summary, len(lines), quantities),
        unmapped=body.unmapped(),
    )


def _parse_n9(loop: Sequence[SegmentAt]) -> ExtendedReference | None:
    """The N9 and the texts of its MSGs (an MSG with a carriage control, MSG02, is kept); None
    (the loop kept whole) when the N9 says more than N901-N903."""
    n9 = loop[0]
    if not holds_only(n9, frozenset({1, 2, 3})):
        return None
    messages = [
        text
        for m in loop[1:]
        if (text := m.text(1)) is not None and holds_only(m, frozenset({1})) and m.take()
    ]
    n9.take()
    return ExtendedReference(
        qualifier=n9.need(n9.text(1), 1, "reference identification qualifier"),
        value=n9.text(2),
        description=n9.text(3),
        messages=messages,
    )


def _parse_totals(tds: SegmentAt) -> InvoiceTotals:
    tds.take((1, 2, 3, 4))
    return InvoiceTotals(
        total_amount=tds.need(read_implied(tds, 1, 2), 1, "total invoice amount"),
        discountable_amount=read_implied(tds, 2, 2),
        discounted_amount_due=read_implied(tds, 3, 2),
        terms_discount_amount=read_implied(tds, 4, 2),
    )


class _Summary:
    """What the summary holds after the TDS: TXI, CAD, AMT, SAC, ISS."""

    def __init__(self, summary: Sequence[SegmentAt]) -> None:
        self.taxes: list[Tax] = []
        self.carrier: CarrierDetail | None = None
        self.amounts: list[Amount] = []
        self.charges: list[AllowanceCharge] = []
        self.shipments: list[ShipmentSummary] = []
        for owner, s in walk(summary, SUMMARY_LOOPS):
            if owner is None and s.tag == "TXI":
                add_found(self.taxes, parse_tax(s))
            elif owner is None and s.tag == "CAD" and self.carrier is None:
                self.carrier = _parse_carrier(s)
            elif owner is None and s.tag == "AMT":
                add_found(self.amounts, parse_amount(s))
            elif owner == "SAC" and s.tag == "SAC":
                add_found(self.charges, parse_allowance_charge(s))
            elif owner == "ISS" and s.tag == "ISS" and holds_only(s, frozenset(ISS_HELD)):
                self.shipments.append(_parse_shipment(s.take()))


def _parse_carrier(s: SegmentAt) -> CarrierDetail | None:
    if not holds_only(s, frozenset(CAD_HELD)):
        return None
    s.take()
    return CarrierDetail(
        transport_method=s.text(1),
        equipment_initial=s.text(2),
        equipment_number=s.text(3),
        scac=s.text(4),
        routing=s.text(5),
        status_code=s.text(6),
        reference_qualifier=s.text(7),
        reference=s.text(8),
        service_level=s.text(9),
    )


def _parse_shipment(s: SegmentAt) -> ShipmentSummary:
    return ShipmentSummary(
        units_shipped=s.decimal(1),
        unit_of_measure=s.text(2),
        weight=s.decimal(3),
        weight_unit=s.text(4),
        volume=s.decimal(5),
        volume_unit=s.text(6),
        quantity=s.decimal(7),
        second_weight=s.decimal(8),
    )


def render(message: Invoice) -> TransactionContent:
    """The body segments of ``message`` (the same in 004010 and 005010)."""
    body = [
        seg(
            "BIG",
            format_date(message.invoice_date),
            message.invoice_number,
            format_date(message.po_date) if message.po_date else None,
            message.po_number,
            message.release_number,
            message.change_order_sequence,
            message.transaction_type,
            message.purpose_code,
            message.action_code,
        )
    ]
    body += [seg("NTE", n.code, n.text) for n in message.notes]
    if message.currency:
        body.append(seg("CUR", message.currency_entity, message.currency))
    body += [render_reference(r) for r in message.references]
    body += [render_contact(c) for c in message.contacts]
    for party in message.parties:
        body += render_party(party)
    body += [render_terms(t) for t in message.terms]
    body += [render_date_reference(d) for d in message.dates]
    body += [render_fob(f) for f in message.fob]
    for n9 in message.extended_references:
        body.append(seg("N9", n9.qualifier, n9.value, n9.description))
        body += [seg("MSG", text) for text in n9.messages]
    for line in message.lines:
        body += render_line(line)
    body += _render_summary(message)
    quantities = [line.quantity for line in message.lines if line.quantity is not None]
    body.append(render_control_totals(message.control_totals, len(message.lines), quantities))
    facts = x12_facts(message.envelope)
    return TransactionContent(
        SET_ID,
        body,
        control_number=facts.transaction_control_number,
        implementation_reference=facts.implementation_reference,
    )


def _render_summary(message: Invoice) -> list[Segment]:
    totals = message.totals
    body = [
        seg(
            "TDS",
            format_implied(totals.total_amount, 2, 15, "TDS01"),
            format_implied(totals.discountable_amount, 2, 15, "TDS02"),
            format_implied(totals.discounted_amount_due, 2, 15, "TDS03"),
            format_implied(totals.terms_discount_amount, 2, 15, "TDS04"),
        )
    ]
    body += [render_tax(t) for t in message.taxes]
    carrier = message.carrier
    if carrier is not None:
        body.append(
            seg(
                "CAD",
                carrier.transport_method,
                carrier.equipment_initial,
                carrier.equipment_number,
                carrier.scac,
                carrier.routing,
                carrier.status_code,
                carrier.reference_qualifier,
                carrier.reference,
                carrier.service_level,
            )
        )
    body += [render_amount(a) for a in message.amounts]
    body += [render_allowance_charge(c) for c in message.allowances_charges]
    for iss in message.shipment_summaries:
        body.append(
            seg(
                "ISS",
                format_decimal(iss.units_shipped, 10, "ISS01"),
                iss.unit_of_measure,
                format_decimal(iss.weight, 10, "ISS03"),
                iss.weight_unit,
                format_decimal(iss.volume, 8, "ISS05"),
                iss.volume_unit,
                format_decimal(iss.quantity, 15, "ISS07"),
                format_decimal(iss.second_weight, 10, "ISS08"),
            )
        )
    return body

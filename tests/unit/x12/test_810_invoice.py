"""810 Invoice <-> Invoice: read (the fixture, samples, the corpus 810s), errors with their
location, validated and acknowledged by 997/999, written back, and round trips."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.report import scan
from adapters.formats.x12.transactions import invoice810
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import TranslationError
from gateway.messages import (
    CarrierDetail,
    ExtendedReference,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    Note,
    PaymentTerms,
    Reference,
    ShipmentSummary,
)
from gateway.messages.blocks import AllowanceCharge, Tax
from tests.unit.x12.strategies import (
    CORPUS,
    CURRENCIES,
    UNITS,
    codes,
    contacts,
    date_references,
    decimals,
    envelopes,
    identifiers,
    item_identifications,
    optional,
    parties,
    payment_terms,
    references,
    text,
    transaction_from_text,
)
from tests.unit.x12.strategies_added import (
    allowances_charges,
    amounts,
    catalog_prices,
    descriptions_for,
    fob_terms,
    measurements,
    named_in,
    pack_sizes,
    taxes,
    totals,
    with_references,
)
from tests.unit.x12.test_round_trip import assert_round_trip, interchange_text, read_back

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
FIXTURE = FIXTURES / "810-004010.edi"

INVOICE = """
BIG*20261212*INV-9*20261201*PO-88*R1*3*DI*00~NTE*GEN*PAY BY WIRE~CUR*SE*USD~
REF*IA*V-88~PER*AR*ACCOUNTS*TE*555-0100~
N1*RI*WIDGETCO*9*0614141000005~N3*PO BOX 77~N4*NEWARK*NJ*07101~REF*AP*ACCT-1~
N1*ST*STORE 42*92*0042~
ITD*08*3*2**10**30~DTM*011*20261211~FOB*PP~N9*L1*NOTES~MSG*THANK YOU~
IT1*1*10*CA*24.5*PE*VN*SKU-1*UP*012345678905*IN*B-1~TXI*LS*1.2~CTP**RES*39.99~
PID*F****BLUE WIDGET~PO4*12~REF*LT*LOT-77~REF*SE*SN-1~REF*SE*SN-2~REF*PK*PS-5~
DTM*011*20261211~SAC*A*C310***500*******02~N1*SF*EAST DC*92*DC-EAST~
IT1*2*4*EA*10*PE*VN*SKU-2~
TDS*30713*28000*27440*560~TXI*ST*14.63*5*SP*OH~CAD*M***UPSN*UPS GROUND**BM*BOL-5~
AMT*1*307.13~SAC*C*D240***1250*******06~ISS*14*EA*540*LB~CTT*2*14
"""


def invoice_of(body: str = INVOICE, version: str = "004010") -> Invoice:
    message = translate(transaction_from_text(body, "810", version))
    assert isinstance(message, Invoice)
    return message


def test_big_names_the_invoice_and_the_order_it_bills() -> None:
    invoice = invoice_of()
    assert (invoice.invoice_date, invoice.invoice_number) == (dt.date(2026, 12, 12), "INV-9")
    assert (invoice.po_date, invoice.po_number, invoice.release_number) == (
        dt.date(2026, 12, 1),
        "PO-88",
        "R1",
    )
    assert (invoice.change_order_sequence, invoice.transaction_type, invoice.purpose_code) == (
        "3",
        "DI",
        "00",
    )
    assert (invoice.currency_entity, invoice.currency) == ("SE", "USD")
    assert [(n.code, n.text) for n in invoice.notes] == [("GEN", "PAY BY WIRE")]
    assert invoice.references == [Reference(qualifier="IA", value="V-88")]
    assert invoice.extended_references == [
        ExtendedReference(qualifier="L1", value="NOTES", messages=["THANK YOU"])
    ]


def test_parties_terms_dates_and_fob_are_read() -> None:
    invoice = invoice_of()
    remit, ship_to = invoice.parties
    assert (remit.role, remit.id, remit.references) == (
        "RI",
        "0614141000005",
        [Reference(qualifier="AP", value="ACCT-1")],
    )
    assert remit.address is not None and remit.address.city == "NEWARK"
    assert ship_to.role == "ST"
    assert invoice.terms == [
        PaymentTerms(
            type_code="08",
            basis_date_code="3",
            discount_percent=Decimal(2),
            discount_days_due=10,
            net_days=30,
        )
    ]
    assert [(d.qualifier, d.date) for d in invoice.dates] == [("011", dt.date(2026, 12, 11))]
    assert [f.payment_method for f in invoice.fob] == ["PP"]


def test_each_it1_is_a_line_with_its_ids_prices_lot_serials_and_charges() -> None:
    first, second = invoice_of().lines
    assert (first.line_number, first.quantity, first.unit_of_measure) == ("1", Decimal(10), "CA")
    assert (first.unit_price, first.price_basis) == (Decimal("24.5"), "PE")
    assert (first.item.vendor_item_number, first.item.upc, first.item.buyer_item_id) == (
        "SKU-1",
        "012345678905",
        "B-1",
    )
    assert first.description == "BLUE WIDGET"
    assert [p.unit_price for p in first.prices] == [Decimal("39.99")]
    assert first.taxes == [Tax(type_code="LS", amount=Decimal("1.2"))]
    assert [p.pack for p in first.packaging] == [12]
    assert (first.lot_number, first.serial_numbers) == ("LOT-77", ["SN-1", "SN-2"])
    assert first.references == [Reference(qualifier="PK", value="PS-5")]
    assert first.allowances_charges == [
        AllowanceCharge(indicator="A", code="C310", amount=Decimal(5), handling_code="02")
    ]
    assert [p.role for p in first.parties] == ["SF"]
    assert (second.quantity, second.item.vendor_item_number) == (Decimal(4), "SKU-2")


def test_the_summary_holds_totals_taxes_carrier_charges_and_shipment() -> None:
    invoice = invoice_of()
    assert invoice.totals == InvoiceTotals(
        total_amount=Decimal("307.13"),
        discountable_amount=Decimal("280.00"),
        discounted_amount_due=Decimal("274.40"),
        terms_discount_amount=Decimal("5.60"),
    )
    assert invoice.taxes == [
        Tax(
            type_code="ST",
            amount=Decimal("14.63"),
            percent=Decimal(5),
            jurisdiction_qualifier="SP",
            jurisdiction="OH",
        )
    ]
    assert invoice.carrier == CarrierDetail(
        transport_method="M",
        scac="UPSN",
        routing="UPS GROUND",
        reference_qualifier="BM",
        reference="BOL-5",
    )
    assert [(a.qualifier, a.amount) for a in invoice.amounts] == [("1", Decimal("307.13"))]
    assert [(c.code, c.amount) for c in invoice.allowances_charges] == [("D240", Decimal("12.5"))]
    assert invoice.shipment_summaries == [
        ShipmentSummary(
            units_shipped=Decimal(14),
            unit_of_measure="EA",
            weight=Decimal(540),
            weight_unit="LB",
        )
    ]
    assert invoice.control_totals is None  # CTT*2*14 is what the lines give
    assert invoice.unmapped == []


def test_what_no_field_holds_is_kept_at_its_position() -> None:
    body = INVOICE.replace("FOB*PP~", "FOB*PP~PKG*F*68***PALLETS~").replace(
        "TXI*LS*1.2~", "TXI*LS*1.2~QTY*39*10~"
    )
    body = body.replace("SAC*C*D240***1250*******06~", "SAC*C*D240***1250*******06~TXI*ST*0.6~")
    invoice = invoice_of(body)
    assert [(u.segment_id, u.position) for u in invoice.unmapped] == [
        ("PKG", 15),
        ("QTY", 20),
        ("TXI", 37),
    ]
    assert [t.type_code for t in invoice.taxes] == ["ST"]  # the SAC's TXI is not the invoice's


def test_render_writes_big_the_lines_and_the_implied_decimal_totals() -> None:
    segments = [s.text() for s in invoice810.render(invoice_of()).body]
    assert segments[0] == "BIG*20261212*INV-9*20261201*PO-88*R1*3*DI*00"
    assert "IT1*1*10*CA*24.5*PE*VN*SKU-1*UP*012345678905*IN*B-1" in segments
    assert [s for s in segments if s.startswith(("REF*LT", "REF*SE"))] == [
        "REF*LT*LOT-77",
        "REF*SE*SN-1",
        "REF*SE*SN-2",
    ]
    assert "TDS*30713*28000*27440*560" in segments
    assert segments[-1] == "CTT*2*14"


def test_an_invoice_without_big_or_tds_or_with_a_bad_element_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no BIG segment"):
        invoice_of("IT1*1*1*EA*1~TDS*100")
    with pytest.raises(TranslationError, match="no TDS segment"):
        invoice_of("BIG*20261212*INV-9~IT1*1*1*EA*1")
    with pytest.raises(TranslationError, match=r"segment 2 \(BIG\), element BIG01"):
        invoice_of("BIG*20261312*INV-9~TDS*100")
    with pytest.raises(TranslationError, match=r"segment 3 \(IT1\), element IT102"):
        invoice_of("BIG*20261212*INV-9~IT1*1*TEN*EA*1~TDS*100")


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_810_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    tx = transaction_from_text(INVOICE, "810", version)
    assert Pyx12Validator().validate(tx).findings == []
    text = interchange_text(invoice_of(INVOICE, version))
    report = scan(text.encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted, report.has_errors) == (1, 1, False)
    ack = report.acknowledgements[0].text
    assert "AK2*810*" in ack and ("AK1*IN*" in ack)


@pytest.mark.parametrize(("version", "ack"), [("004010", "AK"), ("005010", "IK")])
def test_an_810_breaking_the_standard_is_rejected_with_the_segment_and_element(
    version: str, ack: str
) -> None:
    """A quantity invoiced without its unit and price breaks syntax note P020304: the 997 (999
    in 005010) rejects the set and says where (the second IT1, segment 29, element 2)."""
    invoice = invoice_of(INVOICE, version)
    short = invoice.lines[1].model_copy(update={"unit_of_measure": None, "unit_price": None})
    broken = invoice.model_copy(update={"lines": [invoice.lines[0], short]})
    report = scan(interchange_text(broken).encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted) == (1, 0)
    text = report.acknowledgements[0].text
    assert f"{ack}3*IT1*29**8~\n{ack}4*2**2~\n{ack}5*R*5~" in text


# ----------------------------------------------------------------------------------------------
# The corpus 810s (read in place)


def corpus_file(name_part: str) -> bytes:
    names = [n for n in (CORPUS / "MANIFEST.tsv").read_text().split() if name_part in n]
    return (CORPUS / names[0]).read_bytes()


def corpus_invoices(name_part: str) -> list[Invoice]:
    found = []
    for tx in transactions_in(corpus_file(name_part)):
        if tx.set_id == "810":
            message = translate(tx)
            assert isinstance(message, Invoice)
            found.append(message)
    return found


def test_the_staedi_810s_are_read_whole_and_accepted() -> None:
    for name in ("staedi__src__test__resources__x12__simple810", "invoice810_po850_dual"):
        first, second = corpus_invoices(name)
        assert (first.invoice_number, first.po_number, len(first.lines)) == (
            "00001",
            "A99999-01",
            7,
        )
        assert first.totals.total_amount == Decimal("2554.38")
        assert [p.role for p in first.parties] == ["ST", "BT", "RE"]
        assert first.terms[0].description == "1/15 NET 30"
        assert first.carrier == CarrierDetail(routing="FREEFORM")
        assert first.shipment_summaries == [
            ShipmentSummary(units_shipped=Decimal(207), unit_of_measure="CA")
        ]
        line = first.lines[0]
        assert (line.quantity, line.unit_price, line.description) == (
            Decimal(16),
            Decimal("12.34"),
            "CRUNCHY CHIPS LSS",
        )
        assert [(i.qualifier, i.value) for i in line.item.other_ids] == [("UA", "002840022222")]
        assert (first.unmapped, second.unmapped, len(second.lines)) == ([], [], 2)
        report = scan(corpus_file(name), counter=InMemoryCounter())
        assert "AK9*A*2*2*2" in report.acknowledgements[0].text


def test_the_bots_004030_810s_are_read_though_no_map_validates_004030() -> None:
    first, second = corpus_invoices("810-004030VICS-01")
    assert (first.invoice_number, first.po_number, len(first.lines)) == ("465266", "539893", 4)
    assert first.lines[0].prices[0].unit_price == Decimal("2.19")
    assert first.lines[0].allowances_charges[0].amount == Decimal("58.87")
    assert first.totals.total_amount == Decimal("8432.02")
    assert first.terms[0].discount_due_date == dt.date(2002, 6, 8)
    assert (second.invoice_number, second.unmapped) == ("465267", [])


def test_the_edinet_810_keeps_the_segments_saying_more_than_their_fields() -> None:
    [invoice] = corpus_invoices("x12.810a")
    assert (invoice.invoice_number, invoice.transaction_type, invoice.purpose_code) == (
        "DO091003TESTINV01",
        "DI",
        "00",
    )
    assert (invoice.currency_entity, invoice.currency) == ("SE", "USD")
    assert len(invoice.terms) == 5 and invoice.terms[3].discount_percent == Decimal(-5)
    assert [p.role for p in invoice.lines[0].parties] == ["SF", "ST"]
    assert invoice.lines[0].references == [Reference(qualifier="FJ", value="1")]
    assert [a.qualifier for a in invoice.amounts] == ["1", "N", "BAP"]
    # DTM04 (a time code), SAC14-SAC16 and SAC16: no field holds them, so those are kept whole
    assert [u.segment_id for u in invoice.unmapped] == ["DTM", "SAC", "SAC", "SAC"]


def test_the_corpus_810s_that_break_the_standard_get_a_finding_that_says_so() -> None:
    """stupidedi's IN810 writes IT102 and IT104 without IT103 (P020304); moov-io's sample writes
    a BIG10, which 004010 does not define; OopFactory's Walmart 810 has its ISS before the TDS.
    Their content still reads."""
    [stupidedi] = corpus_invoices("IN810__pass__1")
    assert (stupidedi.invoice_number, [line.quantity for line in stupidedi.lines]) == (
        "00237058",
        [Decimal(4), Decimal(1)],
    )
    text = scan(corpus_file("IN810__pass__1"), counter=InMemoryCounter()).acknowledgements[0].text
    assert "AK3|IT1|7||8" in text and "AK5|R|5" in text
    moov = corpus_invoices("example_4010_810")
    assert [m.invoice_number for m in moov] == ["654983115", "658089516"]
    assert moov[0].unmapped[0].segment_id == "BIG"  # kept whole: BIG10 has no field
    text = scan(corpus_file("example_4010_810"), counter=InMemoryCounter()).acknowledgements[0].text
    assert "AK3*BIG*2**8" in text and "AK4*10**3*10" in text
    [walmart] = corpus_invoices("Example5_Walmart")
    assert (walmart.invoice_number, walmart.lines[0].item.gtin) == ("6463367", "00221089552284")
    assert [u.segment_id for u in walmart.unmapped] == ["ISS"]  # in the IT1 loop, out of place
    report = scan(corpus_file("Example5_Walmart"), counter=InMemoryCounter())
    assert report.accepted == 0 and report.has_errors


# ----------------------------------------------------------------------------------------------
# The fixture, written by the gateway's renderer


def test_the_810_fixture_is_what_the_gateways_renderer_writes() -> None:
    script = FIXTURES / "generate_invoice.py"
    outcome = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert outcome.returncode == 0, outcome.stderr.decode()
    [tx] = transactions_in(FIXTURE.read_bytes())
    assert tx.findings == [] and Pyx12Validator().validate(tx).findings == []


def test_the_fixture_reads_as_the_invoice_it_was_written_from() -> None:
    [tx] = transactions_in(FIXTURE.read_bytes())
    invoice = translate(tx)
    assert isinstance(invoice, Invoice)
    assert (invoice.invoice_number, invoice.po_number) == ("INV-2026-001", "PO-2026-88")
    assert [p.role for p in invoice.parties] == ["RI", "BT", "SF", "ST"]
    assert invoice.totals.total_amount == Decimal("307.13")
    assert (invoice.lines[0].lot_number, invoice.lines[0].serial_numbers) == ("LOT-77", ["SN-1"])
    assert invoice.unmapped == []


def test_an_invoice_is_named_by_its_invoice_number_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(invoice_of()) == "Invoice:INV-9"


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical

INVOICE_ROLES = ["RI", "BT", "SF", "ST", "BY", "SE", "VN", "RE"]


@st.composite
def invoice_lines(draw: st.DrawFn) -> InvoiceLine:
    """IT1: IT102, IT103 and IT104 all or none (P020304)."""
    priced = draw(st.booleans())
    description = draw(optional(text(80)))
    return InvoiceLine(
        line_number=draw(optional(identifiers(20))),
        quantity=draw(decimals(10)) if priced else None,
        unit_of_measure=draw(codes(UNITS)) if priced else None,
        unit_price=draw(decimals(12)) if priced else None,
        price_basis=draw(optional(codes(["PE", "CP", "QT"]))),
        item=named_in(draw(item_identifications())),
        description=description,
        descriptions=draw(descriptions_for(description)),
        prices=draw(st.lists(catalog_prices(), max_size=2)),
        taxes=draw(st.lists(taxes(), max_size=2)),
        measurements=draw(st.lists(measurements(), max_size=2)),
        packaging=draw(st.lists(pack_sizes(), max_size=1)),
        allowances_charges=draw(st.lists(allowances_charges(), max_size=2)),
        references=draw(st.lists(references(), max_size=2)),
        lot_number=draw(optional(text(30))),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
        dates=draw(st.lists(date_references(), max_size=2)),
        parties=draw(with_references(draw(st.lists(parties(INVOICE_ROLES), max_size=2)))),
    )


@st.composite
def carrier_details(draw: st.DrawFn) -> CarrierDetail:
    """CAD: CAD04 or CAD05 (R0405); CAD08 with CAD07 (C0708)."""
    scac = draw(optional(identifiers(4, min_size=2)))
    qualifier = draw(optional(codes(["BM", "CN", "PK"])))
    return CarrierDetail(
        transport_method=draw(optional(codes(["M", "A", "U", "H"]))),
        equipment_initial=draw(optional(identifiers(4))),
        equipment_number=draw(optional(identifiers(10))),
        scac=scac,
        routing=draw(text(35) if scac is None else optional(text(35))),
        status_code=draw(optional(codes(["CC", "PR", "SH"]))),
        reference_qualifier=qualifier,
        reference=draw(text(30)) if qualifier else None,
        service_level=draw(optional(codes(["ND", "SE", "SG"]))),
    )


@st.composite
def shipment_summaries(draw: st.DrawFn) -> ShipmentSummary:
    """ISS: each quantity with its unit (P0102, P0304, P0506)."""
    units, weight, volume = (draw(optional(decimals(n))) for n in (10, 10, 8))
    return ShipmentSummary(
        units_shipped=units,
        unit_of_measure=draw(codes(UNITS)) if units is not None else None,
        weight=weight,
        weight_unit=draw(codes(["LB", "KG"])) if weight is not None else None,
        volume=volume,
        volume_unit=draw(codes(["CF", "CR"])) if volume is not None else None,
        quantity=draw(optional(decimals(15))),
        second_weight=draw(optional(decimals(10))),
    )


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    lines = draw(st.lists(invoice_lines(), max_size=4))
    currency = draw(optional(codes(CURRENCIES)))
    n9 = st.builds(
        ExtendedReference,
        qualifier=codes(["L1", "ZZ", "PO"]),
        value=text(30),
        description=optional(text(45)),
        messages=st.lists(text(60), min_size=1, max_size=3),
    )
    return Invoice(
        envelope=draw(envelopes()),
        invoice_date=draw(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31))),
        invoice_number=draw(text(22)),
        po_date=draw(optional(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)))),
        po_number=draw(optional(text(22))),
        release_number=draw(optional(text(30))),
        change_order_sequence=draw(optional(text(8))),
        transaction_type=draw(optional(codes(["DI", "CR", "DR", "FD"]))),
        purpose_code=draw(optional(codes(["00", "01", "05"]))),
        action_code=draw(optional(codes(["2", "F", "NA"]))),
        currency=currency,
        currency_entity=draw(codes(["SE", "BY"])) if currency else None,
        notes=draw(
            st.lists(
                st.builds(Note, text=text(80), code=optional(codes(["GEN", "ADD", "PMT"]))),
                max_size=3,
            )
        ),
        references=draw(st.lists(references(), max_size=3)),
        contacts=draw(st.lists(contacts(), max_size=3)),
        parties=draw(with_references(draw(st.lists(parties(INVOICE_ROLES), max_size=3)))),
        terms=draw(st.lists(payment_terms(), max_size=2)),
        dates=draw(st.lists(date_references(["011", "003", "092"]), max_size=3)),
        fob=draw(st.lists(fob_terms(), max_size=1)),
        extended_references=draw(st.lists(n9, max_size=1)),
        lines=lines,
        totals=draw(
            st.builds(
                InvoiceTotals,
                total_amount=decimals(13, 2),
                discountable_amount=optional(decimals(13, 2)),
                discounted_amount_due=optional(decimals(13, 2)),
                terms_discount_amount=optional(decimals(13, 2)),
            )
        ),
        taxes=draw(st.lists(taxes(), max_size=2)),
        carrier=draw(optional(carrier_details())),
        amounts=draw(st.lists(amounts(), max_size=2)),
        allowances_charges=draw(st.lists(allowances_charges(), max_size=2)),
        shipment_summaries=draw(st.lists(shipment_summaries(), max_size=2)),
        control_totals=draw(totals(len(lines))),
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(invoices())
def test_invoice_survives_render_and_parse(message: Invoice) -> None:
    assert_round_trip(message)


def test_rendered_invoices_validate_clean_against_the_maps() -> None:
    validator = Pyx12Validator()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(invoices())
    def validates_clean(message: Invoice) -> None:
        findings = validator.validate(read_back(interchange_text(message))).findings
        assert findings == [], "\n".join(f"{f.code} {f.element}: {f.message}" for f in findings)

    validates_clean()

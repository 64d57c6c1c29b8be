"""945 Warehouse Shipping Advice <-> WarehouseShippingAdvice: read, written, validated, and
round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.transactions import warehouse945
from adapters.formats.x12.translation import translate
from gateway.errors import TranslationError
from gateway.messages import (
    Reference,
    ShippedLine,
    Transport,
    WarehouseShippingAdvice,
    Weight,
)
from tests.unit.x12.strategies import (
    CORPUS,
    UNITS,
    codes,
    dates,
    decimals,
    envelopes,
    identifiers,
    optional,
    text,
    transaction_from_text,
)
from tests.unit.x12.test_940_warehouse_order import (
    ROLES,
    line_items,
    line_numbers,
    n9_references,
    notes,
    warehouse_dates,
    warehouse_parties,
    weights,
)
from tests.unit.x12.test_round_trip import assert_round_trip
from tests.unit.x12.warehouse_checks import (
    assert_rendered_validate_clean,
    assert_sample_is_accepted,
)

ADVICE = """
W06*F*SO-4711*20261211*SHP-900*AG-1*PO-2026-88~
N1*WH*EAST DC*92*DC-EAST~N1*ST*STORE 42*92*0042~N4*DAYTON*OH*45402~
N9*BM*BOL-5~G62*11*20261211*W*1530~W27*M*UPSN*ROUTE 9*PP~
LX*1~MAN*GM*00106141411234567897~W12*PR*12*10*2*CA*000100000010*VN*SKU-1*LOT-77*36.5*G*L~
G69*BLUE WIDGET~N9*SE*SN-1~N9*LI*1000~
LX*2~W12*CL*4*4**EA**VN*SKU-2~W03*14*540*LB
"""


def advice_of(body: str = ADVICE, version: str = "004010") -> WarehouseShippingAdvice:
    message = translate(transaction_from_text(body, "945", version))
    assert isinstance(message, WarehouseShippingAdvice)
    return message


def test_w06_names_the_order_shipped_and_the_shipment() -> None:
    advice = advice_of()
    assert (advice.report_code, advice.depositor_order_number) == ("F", "SO-4711")
    assert (advice.ship_date, advice.shipment_id, advice.agent_shipment_id) == (
        dt.date(2026, 12, 11),
        "SHP-900",
        "AG-1",
    )
    assert advice.po_number == "PO-2026-88"
    assert advice.transport == Transport(
        transport_method="M", carrier_scac="UPSN", routing="ROUTE 9", payment_method="PP"
    )
    assert advice.references == [Reference(qualifier="BM", value="BOL-5")]
    assert (advice.total_quantity, advice.total_weight) == (
        Decimal(14),
        Weight(value=Decimal(540), unit="LB"),
    )


def test_each_w12_is_a_shipped_line_with_its_lot_serials_sscc_and_catch_weight() -> None:
    first, second = advice_of().lines
    assert (first.status, first.quantity_ordered, first.quantity_shipped) == (
        "PR",
        Decimal(12),
        Decimal(10),
    )
    assert (first.quantity_difference, first.unit_of_measure) == (Decimal(2), "CA")
    assert (first.item.vendor_item_number, first.lot_number) == ("SKU-1", "LOT-77")
    assert first.catch_weight == Weight(qualifier="G", value=Decimal("36.5"), unit="L")
    assert first.sscc == "00106141411234567897"
    assert first.serial_numbers == ["SN-1"]
    assert first.references == [Reference(qualifier="LI", value="1000")]
    assert (second.status, second.quantity_shipped, second.catch_weight) == ("CL", Decimal(4), None)


def test_an_advice_without_w06_or_lines_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no W06 segment"):
        advice_of("N1*WH*EAST DC~LX*1~W12*CL")
    with pytest.raises(TranslationError, match="no LX segment"):
        advice_of("W06*F*SO-1~N1*WH*EAST DC")
    with pytest.raises(TranslationError, match=r"\(W12\), element W1212"):
        advice_of("W06*F*SO-1~N1*WH*EAST DC~LX*1~W12*CL*1*1*******36")


def test_render_writes_the_catch_weight_and_the_sscc_of_each_line() -> None:
    segments = [s.text() for s in warehouse945.render(advice_of()).body]
    assert segments[0] == "W06*F*SO-4711*20261211*SHP-900*AG-1*PO-2026-88"
    assert "MAN*GM*00106141411234567897" in segments
    assert "W12*PR*12*10*2*CA*000100000010*VN*SKU-1*LOT-77*36.5*G*L" in segments
    assert segments[-1] == "W03*14*540*LB"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_945_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    assert_sample_is_accepted(ADVICE, "945", version, advice_of(ADVICE, version))


def test_the_corpus_945_translates_though_its_envelope_is_refused() -> None:
    """Its GS08 is ``21`` and its ST02 ten characters long: the envelope checks refuse it (and
    no map validates version 21), but its content reads."""
    names = [n for n in (CORPUS / "MANIFEST.tsv").read_text().split() if "945__inter" in n]
    [tx] = transactions_in((CORPUS / names[0]).read_bytes())
    advice = translate(tx)
    assert isinstance(advice, WarehouseShippingAdvice)
    assert (advice.report_code, advice.shipment_id, len(advice.lines)) == ("N", "2144", 3)
    assert advice.lines[0].catch_weight == Weight(qualifier="A3", value=Decimal(6600), unit="L")
    assert advice.lines[0].lot_number == "19284"
    # the N9*2I before each W12 sits in the LX loop, where no field reads it: kept
    assert [u.segment_id for u in advice.unmapped] == ["N9", "N9", "N9"]


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical


@st.composite
def shipped_lines(draw: st.DrawFn) -> ShippedLine:
    return ShippedLine(
        line_number=draw(line_numbers()),
        status=draw(codes(["CL", "PR", "SH", "CP", "BP"])),
        quantity_ordered=draw(optional(decimals(12))),
        quantity_shipped=draw(optional(decimals(9))),
        quantity_difference=draw(optional(decimals(8))),
        unit_of_measure=draw(optional(codes(UNITS))),
        upc_case_code=draw(optional(identifiers(12, min_size=12))),
        item=draw(line_items()),
        lot_number=draw(optional(text(12))),
        catch_weight=draw(optional(weights(["L", "K"]))),
        description=draw(optional(text(45))),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
        references=draw(st.lists(n9_references(), max_size=2)),
        sscc=draw(optional(st.text("0123456789", min_size=18, max_size=20))),
    )


@st.composite
def shipping_advices(draw: st.DrawFn) -> WarehouseShippingAdvice:
    total = draw(optional(decimals(9)))
    return WarehouseShippingAdvice(
        envelope=draw(envelopes()),
        report_code=draw(codes(["F", "P", "N"])),
        depositor_order_number=draw(optional(text(22))),
        ship_date=draw(optional(dates())),
        shipment_id=draw(optional(text(30))),
        agent_shipment_id=draw(optional(text(12))),
        po_number=draw(optional(text(22))),
        warehouse=draw(warehouse_parties(["WH"])),
        ship_to=draw(optional(warehouse_parties(["ST"]))),
        parties=draw(st.lists(warehouse_parties(ROLES), max_size=2)),
        references=draw(st.lists(n9_references(), max_size=3)),
        dates=draw(st.lists(warehouse_dates(), max_size=3)),
        notes=draw(st.lists(notes(), max_size=3)),
        transport=draw(
            optional(
                st.builds(
                    Transport,
                    transport_method=codes(["M", "H", "A", "U"]),
                    payment_method=optional(codes(["PP", "CC", "TP"])),
                    carrier_scac=optional(identifiers(4, min_size=2)),
                    routing=optional(text(35)),
                )
            )
        ),
        lines=draw(st.lists(shipped_lines(), min_size=1, max_size=4)),
        total_quantity=total,
        total_weight=draw(optional(weights(["LB", "KG"], qualified=False))) if total else None,
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(shipping_advices())
def test_shipping_advice_survives_render_and_parse(message: WarehouseShippingAdvice) -> None:
    assert_round_trip(message)


def test_rendered_shipping_advices_validate_clean_against_the_maps() -> None:
    assert_rendered_validate_clean(shipping_advices())


def test_an_advice_is_named_by_its_shipment_id_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(advice_of()) == "WarehouseShippingAdvice:SHP-900"

"""846 Inventory Inquiry/Advice <-> InventoryAdvice: read, written, validated, and round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.report import scan
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions import inventory846
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import RenderError, TranslationError
from gateway.messages import (
    InventoryAdvice,
    InventoryLine,
    InventoryQuantity,
    ItemIdentification,
    Lot,
    QuantityState,
)
from tests.unit.x12.strategies import (
    CORPUS,
    UNITS,
    codes,
    corpus_files,
    date_references,
    dates,
    envelopes,
    identifiers,
    item_identifications,
    optional,
    parties,
    references,
    text,
    times,
    transaction_from_text,
)
from tests.unit.x12.strategies_added import measurements
from tests.unit.x12.test_round_trip import assert_round_trip, interchange_text, read_back

ADVICE = """
BIA*00*SI*INV-7*20261204*0600*2~CUR*SE*USD~DTM*007*20261204*0600~REF*IA*V-88~
N1*WH*EAST DC*92*DC-EAST~N3*1 DOCK RD~N4*NEWARK*NJ*07101*US~N1*SE*WIDGETCO*92*W1~
LIN*1*UP*012345678905*VN*SKU-1~PID*F****BLUE WIDGET~DTM*036*20270101~REF*ZZ*ASIA~
QTY*17*120*EA~QTY*33*100*EA~LS*LT~REF*LT*L-1~DTM*036*20270630~REF*LT*L-2~REF*SE*S1~LE*LT~
QTY*QH*5~UIT*CA~N1*LC*AISLE 4*92*A4~
LIN**VN*SKU-2~QTY*IQ*7*EA~CTT*2
"""


def advice_of(body: str = ADVICE, version: str = "004010") -> InventoryAdvice:
    message = translate(transaction_from_text(body, "846", version))
    assert isinstance(message, InventoryAdvice)
    return message


def test_bia_gives_the_advice_its_reference_as_of_time_and_delta_semantics() -> None:
    advice = advice_of()
    assert (advice.purpose_code, advice.report_type, advice.reference) == ("00", "SI", "INV-7")
    assert (advice.as_of_date, advice.as_of_time) == (dt.date(2026, 12, 4), "0600")
    assert (advice.semantics, advice.action_code) == ("delta", "2")
    assert (advice.currency_entity, advice.currency) == ("SE", "USD")


def test_an_advice_without_action_code_2_is_a_snapshot() -> None:
    advice = advice_of(ADVICE.replace("*0600*2~", "*0600~"))
    assert (advice.semantics, advice.action_code) == ("snapshot", None)


def test_the_warehouse_n1_is_the_facility_and_the_others_stay_parties() -> None:
    advice = advice_of()
    assert advice.facility is not None and advice.facility.id == "DC-EAST"
    assert advice.facility.address is not None and advice.facility.address.city == "NEWARK"
    assert [p.role for p in advice.parties] == ["SE"]


def test_each_lin_loop_is_an_item_at_its_location_with_quantities_by_state() -> None:
    first, second = advice_of().lines
    assert first.item.upc == "012345678905" and first.item.vendor_item_number == "SKU-1"
    assert first.description == "BLUE WIDGET"
    assert first.location is not None and (first.location.role, first.location.id) == ("LC", "A4")
    assert [r.value for r in first.references] == ["ASIA"]
    assert [(q.state, q.quantity, q.unit_of_measure) for q in first.quantities] == [
        (QuantityState.ON_HAND, Decimal(120), "EA"),
        (QuantityState.AVAILABLE, Decimal(100), "EA"),
        (QuantityState.QUARANTINED, Decimal(5), "CA"),  # the unit from UIT
    ]
    assert second.line_number is None and second.quantities[0].state is QuantityState.IN_TRANSIT


def test_lots_with_expiry_dates_and_serial_numbers_come_from_the_ls_loop() -> None:
    available = advice_of().lines[0].quantities[1]
    assert available.lots == [
        Lot(number="L-1", expiry_date=dt.date(2027, 6, 30)),
        Lot(number="L-2"),
    ]
    assert available.serial_numbers == ["S1"]


def test_segments_no_field_holds_are_kept_in_order_as_read() -> None:
    body = ADVICE.replace("REF*ZZ*ASIA~", "REF*ZZ*ASIA~CTP**ACT*2.6~").replace(
        "QTY*QH*5~UIT*CA~", "QTY*QH*5~UIT*CA*1.5~"
    )
    advice = advice_of(body)
    kept = [(u.segment_id, u.position, u.elements) for u in advice.unmapped]
    assert kept == [("CTP", 14, ["", "ACT", "2.6"]), ("UIT", 24, ["CA", "1.5"])]
    assert advice.lines[0].quantities[2].unit_of_measure is None  # the UIT said more: kept
    assert advice_of().unmapped == []


def test_an_unknown_quantity_qualifier_is_kept_without_a_state() -> None:
    advice = advice_of(ADVICE.replace("QTY*IQ*7*EA", "QTY*87*7*EA"))
    quantity = advice.lines[1].quantities[0]
    assert (quantity.qualifier, quantity.state) == ("87", None)


def test_a_state_alone_is_given_its_qualifier_and_a_contradiction_is_refused() -> None:
    reserved = InventoryQuantity.model_validate({"state": "reserved", "quantity": 1})
    assert (reserved.qualifier, reserved.state) == ("XU", QuantityState.RESERVED)
    with pytest.raises(ValidationError, match="written with qualifier 17"):
        InventoryQuantity(qualifier="33", state=QuantityState.ON_HAND, quantity=Decimal(1))


def test_semantics_and_the_action_code_must_agree() -> None:
    advice = advice_of()
    assert advice.model_copy(update={}).semantics == "delta"
    data = advice.model_dump(exclude={"document_id"})
    with pytest.raises(ValidationError, match="makes the advice a delta"):
        InventoryAdvice.model_validate({**data, "semantics": "snapshot"})
    data.pop("action_code")
    assert InventoryAdvice.model_validate(data).action_code == "2"


def test_an_advice_without_bia_or_items_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no BIA segment"):
        advice_of("LIN**VN*SKU-2~QTY*IQ*7*EA")
    with pytest.raises(TranslationError, match="no LIN segment"):
        advice_of("BIA*00*SI*INV-7*20261204")
    with pytest.raises(TranslationError, match=r"segment 4 \(QTY\), element QTY02"):
        advice_of("BIA*00*SI*INV-7*20261204~LIN**VN*SKU-2~QTY*17*many")


def test_render_writes_the_standard_order_and_counts_lin_loops_in_ctt() -> None:
    advice = advice_of()
    segments = [s.text() for s in inventory846.render(advice).body]
    assert segments[:4] == [
        "BIA*00*SI*INV-7*20261204*0600*2",
        "CUR*SE*USD",
        "DTM*007*20261204*0600",
        "REF*IA*V-88",
    ]
    assert "LS*LT" in segments and "REF*LT*L-1" in segments and "DTM*036*20270630" in segments
    assert segments[-1] == "CTT*2"


def test_a_line_naming_no_item_cannot_be_rendered() -> None:
    advice = advice_of()
    bare = InventoryLine(item=ItemIdentification(), quantities=[])
    with pytest.raises(RenderError, match="names no item"):
        inventory846.render(advice.model_copy(update={"lines": [bare]}))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_846_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    tx = transaction_from_text(ADVICE, "846", version)
    validator = Pyx12Validator()
    assert validator.supports(tx)
    assert validator.validate(tx).findings == []
    text = interchange_text(advice_of(ADVICE, version))
    report = scan(text.encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted, report.has_errors) == (1, 1, False)
    [acks] = report.acknowledgements
    assert acks.functional[0].kind == ("997" if version == "004010" else "999")
    assert "AK2*846*" in acks.text or "AK2*846*" in acks.text.replace("\n", "")


def test_a_segment_the_846_does_not_define_is_rejected_in_the_997() -> None:
    text = interchange_text(advice_of()).replace("CTT*2~", "BEG*00*SA*X**20261204~CTT*2~")
    report = scan(text.encode(), counter=InMemoryCounter())
    assert report.accepted == 0
    assert "AK5*R" in report.acknowledgements[0].text


@pytest.mark.parametrize("name", corpus_files("846"))
def test_real_inventory_advices_translate(name: str) -> None:
    for tx in transactions_in((CORPUS / name).read_bytes()):
        advice = translate(tx)
        assert isinstance(advice, InventoryAdvice) and advice.lines


def test_a_real_inventory_advice_translates_to_its_values() -> None:
    [name] = [n for n in corpus_files("846") if n.endswith("846__Example1.txt")]
    [tx] = transactions_in((CORPUS / name).read_bytes())
    advice = translate(tx)
    assert isinstance(advice, InventoryAdvice)
    assert (advice.report_type, advice.reference, advice.action_code) == ("CM", "10353", "11")
    assert advice.semantics == "snapshot" and advice.facility is None
    assert [p.role for p in advice.parties] == ["ST", "SE"]
    [line] = advice.lines
    assert line.item.buyer_item_number == "46L5055"
    assert [(q.qualifier, q.quantity, q.unit_of_measure) for q in line.quantities] == [
        ("34", Decimal(5250), "EA"),
        ("QH", Decimal(100), "EA"),
        ("QB", Decimal(50), "EA"),
        ("87", Decimal(75), "EA"),
    ]


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical

QUALIFIERS = ["17", "33", "27", "XU", "IQ", "QH", "BQ", "34", "63", "87"]


@st.composite
def lots(draw: st.DrawFn) -> Lot:
    return Lot(number=draw(text(30)), expiry_date=draw(optional(dates())))


@st.composite
def inventory_quantities(draw: st.DrawFn) -> InventoryQuantity:
    from tests.unit.x12.strategies import decimals

    return InventoryQuantity(
        qualifier=draw(codes(QUALIFIERS)),
        quantity=draw(decimals(12)),
        unit_of_measure=draw(optional(codes(UNITS))),
        lots=draw(st.lists(lots(), max_size=3)),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
    )


@st.composite
def inventory_lines(draw: st.DrawFn) -> InventoryLine:
    return InventoryLine(
        line_number=draw(optional(identifiers(20))),
        item=draw(item_identifications(min_ids=1, max_ids=8)),
        description=draw(optional(text(80))),
        location=draw(optional(parties(["LC", "WH", "SN"]))),
        references=draw(st.lists(references(), max_size=2)),
        dates=draw(st.lists(date_references(["036", "007", "514"]), max_size=2)),
        measurements=draw(st.lists(measurements(), max_size=2)),
        quantities=draw(st.lists(inventory_quantities(), max_size=4)),
    )


@st.composite
def inventory_advices(draw: st.DrawFn) -> InventoryAdvice:
    """BIA, optional CUR, facility (N1*WH) and other parties (never WH), 1 to 4 LIN loops."""
    currency = draw(optional(codes(["USD", "EUR", "CAD"])))
    return InventoryAdvice(
        envelope=draw(envelopes()),
        purpose_code=draw(codes(["00", "05", "11"])),
        report_type=draw(codes(["SI", "DD", "MM", "MB", "CM"])),
        reference=draw(text(30)),
        as_of_date=draw(dates()),
        as_of_time=draw(optional(times())),
        semantics=draw(st.sampled_from(["snapshot", "delta"])),
        currency=currency,
        currency_entity=draw(codes(["BY", "SE"])) if currency else None,
        references=draw(st.lists(references(), max_size=2)),
        dates=draw(st.lists(date_references(["007", "009"]), max_size=2)),
        facility=draw(optional(parties(["WH"]))),
        parties=draw(st.lists(parties(["SE", "ST", "SF", "VN"]), max_size=2)),
        lines=draw(st.lists(inventory_lines(), min_size=1, max_size=4)),
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(inventory_advices())
def test_inventory_advice_survives_render_and_parse(message: InventoryAdvice) -> None:
    assert_round_trip(message)


def test_rendered_inventory_advices_validate_clean_against_the_maps() -> None:
    validator = Pyx12Validator()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(inventory_advices())
    def validates_clean(message: InventoryAdvice) -> None:
        tx: TransactionSet = read_back(interchange_text(message))
        findings = validator.validate(tx).findings
        assert findings == [], "\n".join(f"{f.code} {f.element}: {f.message}" for f in findings)

    validates_clean()


def test_the_846_fixture_is_what_the_gateways_renderer_writes() -> None:
    import subprocess
    import sys
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
    script = fixtures / "generate_warehouse.py"
    outcome = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert outcome.returncode == 0, outcome.stderr.decode()
    [tx] = transactions_in((fixtures / "846-004010.edi").read_bytes())
    assert tx.findings == [] and Pyx12Validator().validate(tx).findings == []


def test_an_advice_is_named_by_its_bia03_reference_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(advice_of()) == "InventoryAdvice:INV-7"


def test_a_lines_mea_is_its_weight_the_catch_weight_of_an_item_that_varies() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261205*0600*U*"
        "00401*000000001*0*P*:~GS*IB*ACME*GATEWAY*20261205*0600*1*X*004010~ST*846*0001~"
        "BIA*00*SI*INV-1*20261205~LIN*1*VN*CHEESE-1~MEA*PD*N*12.35*LB~MEA*PD*G*13*LB**1~"
        "QTY*17*4*EA~CTT*1~SE*8*0001~GE*1*1~IEA*1*000000001~"
    )
    [tx] = list(transactions_in(text.encode()))
    advice = translate(tx)
    assert isinstance(advice, InventoryAdvice)
    [line] = advice.lines
    [weight] = line.measurements
    assert (weight.reference_code, weight.qualifier, weight.value, weight.unit) == (
        "PD",
        "N",
        Decimal("12.35"),
        "LB",
    )
    assert [(u.segment_id, u.position) for u in advice.unmapped] == [("MEA", 5)]  # MEA06 too

"""947 Warehouse Inventory Adjustment Advice <-> InventoryAdjustment: read, written, validated,
and round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.report import scan
from adapters.formats.x12.transactions import stock947
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import TranslationError
from gateway.messages import (
    AdjustedLine,
    InventoryAdjustment,
    Party,
    Reference,
    WarehouseDate,
    Weight,
)
from tests.unit.x12.strategies import (
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
    n9_references,
    notes,
    warehouse_dates,
    warehouse_parties,
    weights,
)
from tests.unit.x12.test_round_trip import assert_round_trip, interchange_text
from tests.unit.x12.warehouse_checks import (
    assert_rendered_validate_clean,
    assert_sample_is_accepted,
)

ADJUSTMENT = """
W15*20261214*ADJ-31*DEP-7*00~
N1*WH*EAST DC*92*DC-EAST~N4*NEWARK*NJ*07101~N1*DE*WIDGETCO*9*0614141000005~
N9*BR*R1121~G62*11*20261214~NTE*GEN*CYCLE COUNT~
W19*AA*-3*CA*000100000010*VN*SKU-1*UP*012345678905*LOT-77*36.5*G*L*35.9*N*L*10~
G69*BLUE WIDGET~N9*SE*SN-1~N9*LI*1000~G62*36*20270131~
W19*AU*2*EA**VN*SKU-2
"""


def adjustment_of(body: str = ADJUSTMENT, version: str = "004010") -> InventoryAdjustment:
    message = translate(transaction_from_text(body, "947", version))
    assert isinstance(message, InventoryAdjustment)
    return message


def test_w15_names_the_adjustment_and_the_warehouse_its_loop() -> None:
    adjustment = adjustment_of()
    assert (adjustment.adjustment_date, adjustment.adjustment_number) == (
        dt.date(2026, 12, 14),
        "ADJ-31",
    )
    assert (adjustment.depositor_adjustment_number, adjustment.purpose_code) == ("DEP-7", "00")
    assert adjustment.warehouse is not None and adjustment.warehouse.id == "DC-EAST"
    assert [p.role for p in adjustment.parties] == ["DE"]
    assert adjustment.references == [Reference(qualifier="BR", value="R1121")]
    assert adjustment.dates == [WarehouseDate(qualifier="11", date=dt.date(2026, 12, 14))]
    assert [n.text for n in adjustment.notes] == ["CYCLE COUNT"]
    assert adjustment.unmapped == []


def test_each_w19_is_a_line_with_its_reason_lot_weights_serials_and_expiry() -> None:
    first, second = adjustment_of().lines
    assert (first.reason_code, first.quantity, first.unit_of_measure) == ("AA", Decimal(-3), "CA")
    assert (first.item.vendor_item_number, first.item.upc) == ("SKU-1", "012345678905")
    assert (first.upc_case_code, first.lot_number) == ("000100000010", "LOT-77")
    assert first.weights == [
        Weight(qualifier="G", value=Decimal("36.5"), unit="L"),
        Weight(qualifier="N", value=Decimal("35.9"), unit="L"),
    ]
    assert (first.inventory_transaction_type, first.description) == ("10", "BLUE WIDGET")
    assert first.serial_numbers == ["SN-1"]
    assert first.references == [Reference(qualifier="LI", value="1000")]
    assert first.dates == [WarehouseDate(qualifier="36", date=dt.date(2027, 1, 31))]
    assert (second.reason_code, second.quantity, second.weights) == ("AU", Decimal(2), [])


def test_what_no_field_holds_is_kept_in_order() -> None:
    """A W19 loop's N1 loop, and a W19 whose W1904 pair lacks its value (kept whole, read)."""
    adjustment = adjustment_of(ADJUSTMENT + "~N1*SF*STORE 9~W19*AA*1*EA**VN*SKU-3*LT")
    assert [(u.segment_id, u.position) for u in adjustment.unmapped] == [("N1", 15), ("W19", 16)]
    assert adjustment.lines[-1].item.vendor_item_number == "SKU-3"


def test_an_adjustment_without_w15_or_lines_is_refused_with_where() -> None:
    with pytest.raises(TranslationError, match="no W15 segment"):
        adjustment_of("N1*WH*EAST DC~W19*AA*1*EA**VN*SKU-1")
    with pytest.raises(TranslationError, match="no W19 segment"):
        adjustment_of("W15*20261214*ADJ-1*DEP-1~N1*WH*EAST DC")
    with pytest.raises(TranslationError, match=r"segment 3 \(W19\), element W1902"):
        adjustment_of("W15*20261214*ADJ-1*DEP-1~W19*AA*some*EA**VN*SKU-1")
    with pytest.raises(TranslationError, match=r"\(W15\), element W1501"):
        adjustment_of("W15*yesterday~N1*WH*EAST DC~W19*AA*1*EA**VN*SKU-1")


def test_render_writes_the_w19_elements_at_their_positions() -> None:
    segments = [s.text() for s in stock947.render(adjustment_of()).body]
    assert segments[0] == "W15*20261214*ADJ-31*DEP-7*00"
    assert (
        "W19*AA*-3*CA*000100000010*VN*SKU-1*UP*012345678905*LOT-77*36.5*G*L*35.9*N*L*10" in segments
    )
    assert segments[-1] == "W19*AU*2*EA**VN*SKU-2"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_947_validates_clean_and_is_accepted_in_the_functional_ack(version: str) -> None:
    assert_sample_is_accepted(ADJUSTMENT, "947", version, adjustment_of(ADJUSTMENT, version))


def test_a_947_breaking_its_syntax_is_rejected_with_the_element() -> None:
    """W1502 without W1503 (P0203): the 997 rejects the set and names the element."""
    body = ADJUSTMENT.replace("W15*20261214*ADJ-31*DEP-7*00", "W15*20261214*ADJ-31")
    report = scan(interchange_text(adjustment_of(body)).encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted) == (1, 0)
    ack = report.acknowledgements[0].text
    assert "AK3*W15*2" in ack and "AK5*R" in ack


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical


def stock_parties(roles: list[str]) -> st.SearchStrategy[Party]:
    """An N1 loop of the 947: as the 940's, with one N3 (two address lines) at most."""
    return warehouse_parties(roles).filter(lambda p: p.address is None or len(p.address.lines) < 3)


@st.composite
def adjusted_lines(draw: st.DrawFn) -> AdjustedLine:
    quantity = draw(decimals(9))
    return AdjustedLine(
        reason_code=draw(codes(["AA", "AU", "05", "55", "07", "AV"])),
        quantity=-quantity if quantity and draw(st.booleans()) else quantity,
        unit_of_measure=draw(codes(UNITS)),
        upc_case_code=draw(optional(identifiers(12, min_size=12))),
        item=draw(line_items()),
        lot_number=draw(optional(text(12))),
        weights=draw(st.lists(weights(["L", "K"]).filter(lambda w: w.qualifier), max_size=2)),
        inventory_transaction_type=draw(optional(codes(["10", "20", "A"]))),
        description=draw(optional(text(45))),
        serial_numbers=draw(st.lists(text(30), max_size=3)),
        references=draw(st.lists(n9_references(), max_size=2)),
        dates=draw(st.lists(warehouse_dates(), max_size=2)),
    )


@st.composite
def inventory_adjustments(draw: st.DrawFn) -> InventoryAdjustment:
    numbered = draw(st.booleans())
    return InventoryAdjustment(
        envelope=draw(envelopes()),
        adjustment_date=draw(dates()),
        adjustment_number=draw(text(22)) if numbered else None,
        depositor_adjustment_number=draw(text(22)) if numbered else None,
        purpose_code=draw(optional(codes(["00", "05"]))),
        transaction_type=draw(optional(codes(["LS", "ZZ"]))),
        action_code=draw(optional(codes(["A", "W"]))),
        warehouse=draw(stock_parties(["WH"])),
        parties=draw(st.lists(stock_parties(ROLES), max_size=2)),
        references=draw(st.lists(n9_references(), max_size=3)),
        dates=draw(st.lists(warehouse_dates(), max_size=3)),
        notes=draw(st.lists(notes(), max_size=3)),
        lines=draw(st.lists(adjusted_lines(), min_size=1, max_size=4)),
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(inventory_adjustments())
def test_inventory_adjustment_survives_render_and_parse(message: InventoryAdjustment) -> None:
    assert_round_trip(message)


def test_rendered_inventory_adjustments_validate_clean_against_the_maps() -> None:
    assert_rendered_validate_clean(inventory_adjustments())


def test_an_adjustment_is_named_by_its_adjustment_number_for_business_duplicates() -> None:
    from gateway.duplicates import business_key

    assert business_key(adjustment_of()) == "InventoryAdjustment:ADJ-31"

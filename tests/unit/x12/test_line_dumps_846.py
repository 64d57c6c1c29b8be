"""846 lines read straight into their dumps (inventory846_line_dumps, issue 26) make what their
models make: a set read in parts with them gives the very parts (byte for byte), header,
document id and content digest as with every line built as its model, over the fixture, every
846 in the corpus, a generated varied set, drawn advices and lines of every shape the reader
knows (and those it leaves to the model); and the message ``parse`` makes of the set held
whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions import inventory846
from adapters.formats.x12.transactions.dump_values import dumps_as_written
from adapters.formats.x12.transactions.inventory846_line_dumps import DUMPS_MODELS, FAST
from adapters.formats.x12.transactions.inventory846_parts import AdviceInParts
from bench.x12_throughput import generate_varied_846
from gateway.messages import InventoryAdvice
from tests.unit.x12.in_parts_reading import read_in_parts, sets_in
from tests.unit.x12.strategies import CORPUS, transaction_from_text
from tests.unit.x12.test_846_in_parts import UNMAPPED
from tests.unit.x12.test_846_inventory import ADVICE, inventory_advices
from tests.unit.x12.test_round_trip import interchange_text, read_back

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "x12" / "846-004010.edi"

HEAD = "BIA*00*SI*INV-9*20261204~N1*WH*EAST DC*92*DC-EAST~"
LINES = [
    # the usual: ids, a PID*F, quantities with a unit, one with lots and expiry dates
    "LIN*1*UP*012345678905*VN*SKU-1*BP*B1~PID*F****WIDGET~MEA*PD*WT*1.5*LB~DTM*036*20270101~"
    "REF*ZZ*ZONE-1~QTY*17*120*EA~QTY*33*100*EA~LS*LT~REF*LT*L1~DTM*036*20270115~REF*LT*L2~"
    "LE*LT~QTY*QH*3~UIT*CA~QTY*IQ*7*EA~N1*LC*AISLE 4*92*A4",
    # IN among the others (2.0 names), repeated and unnamed ids, a pair missing a value
    "LIN*2*IN*B1*VN*A*VN*B*EN*123*UK*X**Y*ZZ~QTY*XX*1",
    # PIDs: a PID*F saying more (kept), then one read; a PID*S; a second PID*F (kept)
    "LIN*3*UP*1~PID*F*08***MORE~PID*F****READ~PID*S****NOT~PID*F****SECOND~QTY*17*1",
    # a PID*F with no PID05 leaves the description to the next
    "LIN*4*UP*1~PID*F~PID*F****NEXT~QTY*17*1",
    # serial numbers, a lot with no expiry, an expiry saying more (kept), a REF saying more,
    # a DTM after a serial (not an expiry), a DTM of another qualifier, an empty REF02
    "LIN*5*UP*1~QTY*17*2*EA~LS*LT~REF*SE*S1~DTM*036*20270101~REF*LT*L1~DTM*036*20270101*X~"
    "REF*LT*L2~DTM*011*20270101~DTM*036~REF*LT~REF*LT*L3*D~REF*ZZ*Z~LE*LT",
    # an LS/LE loop giving nothing (its frame kept), a UIT with components, a second UIT
    "LIN*6*UP*1~QTY*17*2~LS*LT~REF*ZZ*Z~LE*LT~QTY*33*1~UIT*CA>12~UIT*EA~QTY*27*1*EA~UIT*CA",
    # a UIT saying more (kept), then one read; a UIT with an empty unit, then one read
    "LIN*7*UP*1~QTY*17*2~UIT*CA*X~UIT*EA~QTY*33*1~UIT~UIT*PK",
    # QTY members read no further (kept), quantities in a composite unit
    "LIN*8*UP*1~QTY*17*2*EA>X~MEA*PD*WT*1~DTM*011*20270101~SCH*1*EA~QTY*33*-1.5",
    # a location N1 loop of every segment, a second N1 loop (kept), LM and SLN loops (kept)
    "LIN*9*UP*1~N1*LC*AISLE 9*92*A9~N2*NAME 2~N2*NAME 3*NAME 4~N3*LINE 1*LINE 2~N3*LINE 3~"
    "N4*CITY*ST*12345*US~N4*SECOND~REF*ZZ*V~N1*ZZ*OTHER~LM*AG~LQ*0*X~SLN*1**I~PID*F****P~"
    "QTY*17*1",
    # an N1 of an N4 alone, an N1 saying more, an N2 and N3 saying more
    "LIN*10*UP*1~N1*LC*X*92*A*ZZ~N2*A*B*C~N3*A*B*C~N4***12345~QTY*17*1",
    "LIN*11*UP*1~N1*LC~N4~QTY*17*1",
    # MEA with a composite unit (kept), dates: D8, with a time, YYMMDD, saying more
    "LIN*12*UP*1~MEA*PD*WT*2*LB>X~MEA*PD*WT*2*LB>~DTM*017****D8*20270103~DTM*011*270101*1200~"
    "DTM*011*20270104**X~QTY*17*1",
    # a location with a contact: left to the model
    "LIN*13*UP*1~N1*LC*X~PER*IC*BOB*TE*555~QTY*17*1",
    # no quantity, unmapped segments, spaces around values
    "LIN* 14 *UP* 1 ~ZZZ*KEPT~TD1*CTN",
]
BAD_LINES = [
    "LIN*1*UP*1~QTY**1",  # no qualifier
    "LIN*1*UP*1~QTY*17",  # no quantity
    "LIN*1*UP*1~QTY*17*X",  # not a number
    "LIN*1*UP*1~QTY*17*1~LS*LT~REF*LT*L1~DTM*036*20271399~LE*LT",  # not a date
    "LIN*1*UP*1~REF**V",
    "LIN*1*UP*1~DTM*011*2027",
    "LIN*1*UP*1~DTM*011",
    "LIN*1*UP*1~MEA*PD*WT*A",
    "LIN*1*UP*1~N1**NAME",  # no N101
    "LIN*1*UP*1~N1*LC~REF**V",
]


def test_the_models_dumped_are_as_the_dumps_are_written() -> None:
    assert FAST
    assert all(dumps_as_written(m, f, v) for m, (f, v) in DUMPS_MODELS.items())


def assert_dumps_make_the_models(tx: TransactionSet, part_items: int = 1) -> int:
    """The set read with line dumps is the set read with models; how many lines were dumped."""
    fast, dumped = read_in_parts(AdviceInParts, InventoryAdvice, tx, part_items, item_dumps=True)
    slow, none = read_in_parts(AdviceInParts, InventoryAdvice, tx, part_items, item_dumps=False)
    assert none == 0
    assert fast == slow
    if fast[0] != "error":
        whole = inventory846.parse(tx)
        if len(fast) == 4:
            assert fast[3] == whole.model_dump(mode="json")
            assert fast[1][:2] == (whole.document_id, whole.content_digest)
        else:
            assert fast[1] == whole.model_dump_json()
    return dumped


@pytest.mark.parametrize("part_items", [1, 3, 10_000])
def test_lines_of_every_shape_dumped_are_their_models(part_items: int) -> None:
    tx = transaction_from_text(HEAD + "~".join(LINES) + "~CTT*14~ZZZ*AFTER", "846")
    assert assert_dumps_make_the_models(tx, part_items) == len(LINES) - 1  # one with a PER


@pytest.mark.parametrize("line", BAD_LINES)
def test_a_line_the_dumps_refuse_raises_what_its_model_raises(line: str) -> None:
    tx = transaction_from_text(HEAD + line, "846")
    with pytest.raises(Exception) as whole:
        inventory846.parse(tx)
    fast, dumped = read_in_parts(AdviceInParts, InventoryAdvice, tx, 1, item_dumps=True)
    assert fast == ("error", type(whole.value), str(whole.value))
    assert dumped == 0


def test_the_sample_advices_read_with_dumps_are_read_with_models() -> None:
    for body in (ADVICE, UNMAPPED):
        tx = transaction_from_text(body, "846")
        for part_items in (1, 2, 10_000):
            assert assert_dumps_make_the_models(tx, part_items) > 0


def test_the_fixture_and_every_corpus_846_read_with_dumps_are_read_with_models() -> None:
    sets = sets_in([FIXTURE, *sorted((CORPUS / "x12").glob("*"))], "846")
    assert len(sets) >= 2
    dumped = sum(
        assert_dumps_make_the_models(tx, part_items) for tx in sets for part_items in (1, 3)
    )
    assert dumped > 0


def test_a_generated_varied_846_read_with_dumps_is_read_with_models(tmp_path: Path) -> None:
    path = tmp_path / "846.edi"
    generate_varied_846(path, 400_000)
    [tx] = transactions_in(path.read_bytes())
    assert assert_dumps_make_the_models(tx, 500) > 1000


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventory_advices(), st.integers(min_value=1, max_value=4))
def test_drawn_advices_read_with_dumps_are_read_with_models(
    message: InventoryAdvice, part_items: int
) -> None:
    assert_dumps_make_the_models(read_back(interchange_text(message)), part_items)

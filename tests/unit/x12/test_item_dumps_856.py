"""856 items read straight into their dumps (asn856_item_dumps, issue 26) make what their models
make: a set read in parts with them gives the very parts (byte for byte), header, document id
and content digest as with every item built as its model, over the fixtures, every 856 in the
corpus, generated varied sets, drawn ship notices and items of every shape the reader knows
(and those it leaves to the model); and the message ``parse`` makes of the set held whole."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.segments import Segment
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions import asn856, dump_values, loops
from adapters.formats.x12.transactions.asn856_item_dumps import DUMPS_MODELS, FAST
from adapters.formats.x12.transactions.asn856_parts import ShipNoticeInParts, _Numbers
from adapters.formats.x12.transactions.common import SegmentAt
from adapters.formats.x12.transactions.dump_values import dump_text, dumps_as_written
from bench.x12_throughput import generate_varied_856
from gateway.messages import ShipNotice, ShippedItem
from tests.unit.x12.in_parts_reading import read_in_parts, sets_in
from tests.unit.x12.strategies import CORPUS, ship_notices, transaction_from_text
from tests.unit.x12.test_856_in_parts import IRREGULAR
from tests.unit.x12.test_asn856 import SAMPLE
from tests.unit.x12.test_round_trip import interchange_text, read_back

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"

HEAD = "BSN*00*A1*20240301*1415~HL*1**S~HL*2*1*O~PRF*P1~HL*3*2*P~MAN*GM*1~"
ITEMS = [
    # the usual: ids, quantity, a PID*F, a PO4, a MEA, a lot, an expiry
    "LIN*1*UP*012345678905*VN*SKU-1*BP*B1~SN1**12*EA~PO4*6*16*OZ~PID*F****WIDGET, BLUE~"
    "MEA*PD*WT*1.5*LB~REF*LT*LOT1~DTM*036*20270131",
    # no LIN; SN1 with every element read; the line number from SN101
    "SN1*7*3.50*CA*10*12.000*EA",
    # an SN1 saying more (kept whole, read still); a second SN1 and LIN (kept)
    "LIN*2*VN*X~SN1**1*EA******9~SN1**2*EA~LIN*3*VN*Y",
    # repeated and unnamed ids, a qualifier or value missing
    "LIN*4*VN*A*VN*B*EN*1234567890123*UK*00012345678905**X*ZZ*~SN1**1*EA",
    # PIDs: a structured one, a PID*F saying more, a second PID*F, a PID saying more than PID09
    "LIN*5*UP*1~SN1**1*EA~PID*S*08*VI*ABC~PID*F*08***FIRST*Y~PID*F****SECOND~"
    "PID*F****THIRD*********X",
    # the first PID*F with no PID05 is not the description
    "LIN*6*UP*1~SN1**1*EA~PID*F***X~PID*F****TEXT",
    # PO4 of every element, one saying more (kept), an integral pack written 6.0
    "LIN*7*UP*1~SN1**1*EA~PO4*6.0*1.5*OZ*CTN*G*10.25*LB*2*CF*1*2*3*IN*4~PO4*1***************9",
    # MEA with a composite unit (kept), a unit with a component, an empty value
    "LIN*8*UP*1~SN1**1*EA~MEA*PD*WT*2*LB>X~MEA*PD*WT*2*LB>~MEA*PD*WT",
    # REFs: lot, serials, a second lot, a reference saying more, an empty REF02
    "LIN*9*UP*1~SN1**1*EA~REF*LT*L1~REF*LT*L2~REF*SE*S1~REF*SE*S2*D~REF*SE~REF*ZZ*V*D~REF*ZZ*V*D*X",
    # DTMs: expiry, a second 036, one with a time, D8 in DTM05/06, a date saying more
    "LIN*10*UP*1~SN1**1*EA~DTM*036*20270101~DTM*036*20270102~DTM*011*20270101*1200~"
    "DTM*017****D8*20270103~DTM*011*20270104**X",
    # an expiry with a time is a date, not the expiry
    "LIN*11*UP*1~SN1**1*EA~DTM*036*20270101*0930",
    # YYMMDD dates, spaces around values, a negative and a fractional quantity
    "LIN* 12 *UP* 1 ~SN1** -1.5 *EA~DTM*036*270101~SN1**2*EA",
    # ids schema 2.0 read otherwise: left to the model
    "LIN*13*VN*A*LT*L1*SN*S9*SN*S8~SN1**1*EA",
    "LIN*14*IN*B1*VN*A~SN1**1*EA",
    # unmapped segments among the item's own
    "LIN*15*UP*1~ZZZ*A~SN1**1*EA~TD1*CTN*1~REF*LT*L1",
    # inner loops of the level (N1, SAC): their REFs are not the item's, the segments after are
    "LIN*16*UP*1~SN1**1*EA~N1*ZZ*X~REF*ZZ*IN N1~DTM*011*20270101~SAC*A~CUR*BY*USD~REF*LT*L9~"
    "LM*AG~LQ*0*X~REF*SE*S1",
]
BAD_ITEMS = [
    "LIN*1*UP*1",  # no SN1
    "SN1**X*EA",  # not a number
    "SN1***EA",  # no quantity
    "SN1**1",  # no unit
    "SN1**1*EA~PO4*1.5",  # not a whole number
    "SN1**1*EA~PO4*A",
    "SN1**1*EA~MEA*PD*WT*A",
    "SN1**1*EA~REF**V",  # no qualifier
    "SN1**1*EA~DTM*036*20271399",  # not a date
    "SN1**1*EA~DTM*036",  # no date
    "SN1**1*EA~DTM**20270101",  # no qualifier
    "SN1**1*EA~DTM*011*20270101*9999",  # not a time
    "SN1**1*EA~DTM*011****D8*X",
    "SN1**1*EA~PID*****TEXT",  # no PID01
]


def test_the_models_dumped_are_as_the_dumps_are_written() -> None:
    assert FAST
    assert all(dumps_as_written(model, fields) for model, fields in DUMPS_MODELS.items())


def assert_dumps_make_the_models(tx: TransactionSet, part_items: int = 1) -> int:
    """The set read with item dumps is the set read with models; how many items were dumped."""
    fast, dumped = read_in_parts(ShipNoticeInParts, ShipNotice, tx, part_items, item_dumps=True)
    slow, none = read_in_parts(ShipNoticeInParts, ShipNotice, tx, part_items, item_dumps=False)
    assert none == 0
    assert fast == slow
    if fast[0] != "error" and len(fast) == 4:
        whole = asn856.parse(tx)
        assert fast[3] == whole.model_dump(mode="json")
        assert fast[1][:2] == (whole.document_id, whole.content_digest)
    return dumped


@pytest.mark.parametrize("part_items", [1, 3, 10_000])
def test_items_of_every_shape_dumped_are_their_models(part_items: int) -> None:
    body = HEAD + "".join(f"HL*{n}*3*I~{item}~" for n, item in enumerate(ITEMS, start=4))
    tx = transaction_from_text(body + f"CTT*{len(ITEMS) + 3}", "856")
    dumped = assert_dumps_make_the_models(tx, part_items)
    assert dumped == len(ITEMS) - 2  # the two with 2.0's ids through their models


@pytest.mark.parametrize("item", BAD_ITEMS)
def test_an_item_the_dumps_refuse_raises_what_its_model_raises(item: str) -> None:
    tx = transaction_from_text(HEAD + f"HL*4*3*I~{item}", "856")
    with pytest.raises(Exception) as whole:
        asn856.parse(tx)
    fast, dumped = read_in_parts(ShipNoticeInParts, ShipNotice, tx, 1, item_dumps=True)
    assert fast == ("error", type(whole.value), str(whole.value))
    assert dumped == 0


def test_items_directly_under_orders_and_shipment_in_tares_and_irregular_sets() -> None:
    for body in [SAMPLE, *IRREGULAR]:
        tx = transaction_from_text(body, "856")
        for part_items in (1, 2, 10_000):
            assert_dumps_make_the_models(tx, part_items)


def test_the_fixtures_and_every_corpus_856_read_with_dumps_are_read_with_models() -> None:
    sets = sets_in([*FIXTURES.glob("856-*.edi"), *sorted((CORPUS / "x12").glob("*"))], "856")
    assert len(sets) >= 5
    dumped = sum(
        assert_dumps_make_the_models(tx, part_items) for tx in sets for part_items in (1, 3)
    )
    assert dumped > 0


def test_a_generated_varied_856_read_with_dumps_is_read_with_models(tmp_path: Path) -> None:
    path = tmp_path / "856.edi"
    generate_varied_856(path, 400_000)
    [tx] = transactions_in(path.read_bytes())
    assert assert_dumps_make_the_models(tx, 500) > 1000


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ship_notices(), st.integers(min_value=1, max_value=4))
def test_drawn_ship_notices_read_with_dumps_are_read_with_models(
    message: ShipNotice, part_items: int
) -> None:
    assert_dumps_make_the_models(read_back(interchange_text(message)), part_items)


def test_an_item_dump_is_written_as_its_model_writes_its_json() -> None:
    tx = transaction_from_text(HEAD + "HL*4*3*I~SN1**1E+2*EA", "856")  # not a number: refused
    assert read_in_parts(ShipNoticeInParts, ShipNotice, tx, 1, item_dumps=True)[0][0] == "error"
    for text in ("1.50", "0.0000001", "-0", ".5", "5.", "100"):
        model = ShippedItem(quantity_shipped=Decimal(text), unit_of_measure='E\x01\u2028é"\\')
        assert dump_text(model.model_dump()) == model.model_dump_json()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 40).map(str),
            st.sampled_from(["007", "A", "-1", "1.0", " 3", "٣", "00"]),
        ),
        max_size=60,
    )
)
def test_the_hl_numbers_seen_are_those_added(numbers: list[str]) -> None:
    seen = _Numbers()
    added: set[str] = set()
    for number in numbers:
        assert (number in seen) == (number in added)
        seen.add(number)
        added.add(number)
    assert all(str(n) in seen for n in range(45) if str(n) in added)
    assert not any(str(n) in seen for n in range(45) if str(n) not in added)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["", " ", "X", " Y "]), max_size=9),
    st.sets(st.integers(1, 8)),
)
def test_the_elements_a_segment_holds_only_are_as_loops_reads_them(
    elements: list[str], held: set[int]
) -> None:
    at = SegmentAt(Segment("ZZZ", elements), 2, "856/0001", set())
    expected = loops.holds_only(at, frozenset(held))
    assert dump_values.holds_only(dump_values.values_of(at), frozenset(held)) == expected

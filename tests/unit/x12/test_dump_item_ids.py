"""A LIN's item ids read straight into their dump (dump_values.item_ids, issue 26) are the dump of
the ids its model's reader reads (item_ids.parse_item_ids): the first id of each qualifier
NAMED_ITEM_IDS names in its field, the others in order, a pair without qualifier or value
skipped, whatever the qualifiers, their order and repeats, and spaces around the values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.formats.x12.segments import Segment
from adapters.formats.x12.transactions.common import SegmentAt
from adapters.formats.x12.transactions.dump_values import elements_of, item_ids
from adapters.formats.x12.transactions.item_ids import NAMED_ITEM_IDS, parse_item_ids

QUALIFIERS = [*NAMED_ITEM_IDS, "IN", "EN", "ZZ", "", " "]


@given(
    st.lists(
        st.tuples(st.sampled_from(QUALIFIERS), st.sampled_from(["", " ", "A1", " 7 ", "SKU-9"])),
        max_size=8,
    ),
    st.booleans(),
)
def test_a_lins_ids_dumped_are_its_models(pairs: list[tuple[str, str]], odd: bool) -> None:
    elements = ["1", *(text for pair in pairs for text in pair)] + (["VN"] if odd else [])
    lin = Segment("LIN", elements)
    model = parse_item_ids(SegmentAt(lin, 2, "856/0001", set()), 2)
    assert item_ids(elements_of(lin)) == model.model_dump()

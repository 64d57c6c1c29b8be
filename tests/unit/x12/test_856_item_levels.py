"""856 item levels hung the usual way take fewer steps in a set read in parts
(``ShipNoticeInParts._close_item``, issue 26): the next HL01 counted up, under the open pack or
order. Every other item level is read the general way. Read with item dumps (the short way where
it applies) or with models (never the short way), a set of every item level either way around
the short one's edges gives the same parts, header, id and digest, or the same error, and the
message ``parse`` makes of it held whole."""

from __future__ import annotations

import pytest

from adapters.formats.x12.segments import Segment
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions.asn856_parts import ShipNoticeInParts
from adapters.formats.x12.transactions.dump_values import Values
from tests.unit.x12.strategies import transaction_from_text
from tests.unit.x12.test_item_dumps_856 import assert_dumps_make_the_models

HEAD = "BSN*00*A1*20240301*1415~HL*1**S~HL*2*1*O~PRF*P1~"
LEVELS = {
    "items of a pack, then of an order": "HL*3*2*P~MAN*GM*1~HL*4*3*I~SN1**1*EA~HL*5*3*I~"
    "SN1**2*EA~HL*6*2*I~SN1**3*EA~HL*7*2*I~SN1**4*EA~HL*8*2*P~HL*9*8*I~SN1**5*EA",
    "an item under the pack before an open item's, and the order's": "HL*3*2*P~HL*4*3*I~"
    "SN1**1*EA~HL*5*3*I~SN1**2*EA~HL*6*2*I~SN1**3*EA",
    "an item under an item": "HL*3*2*P~HL*4*3*I~SN1**1*EA~HL*5*4*I~SN1**2*EA",
    "an item under the item before the item before": "HL*3*2*P~HL*4*3*I~SN1**1*EA~HL*5*3*I~"
    "SN1**2*EA~HL*6*4*I~SN1**3*EA",
    "an item under a tare": "HL*3*2*T~HL*4*3*I~SN1**1*EA",
    "items under the shipment": "HL*3*1*I~SN1**1*EA~PRF*P2~HL*4*1*I~SN1**2*EA~PRF*P1",
    "HL01s not counted up": "HL*3*2*P~HL*04*3*I~SN1**1*EA~HL*6*3*I~SN1**2*EA~HL*5*3*I~"
    "SN1**3*EA~HL*7*3*I~SN1**4*EA",
    "an HL01 used twice": "HL*3*2*P~HL*4*3*I~SN1**1*EA~HL*4*3*I~SN1**2*EA",
    "an HL02 naming no earlier HL": "HL*3*2*P~HL*4*9*I~SN1**1*EA",
    "an empty HL02": "HL*3*2*P~HL*4**I~SN1**1*EA~HL*5* *I~SN1**2*EA",
    "a closed pack named": "HL*3*2*P~HL*4*3*I~SN1**1*EA~HL*5*2*P~HL*6*3*I~SN1**2*EA",
    "HLs saying more, spaces around values": "HL*3*2*P~HL* 4 * 3 *I*0*X~SN1**1*EA~"
    "HL*5*3* I *0~SN1**2*EA",
    "unmapped segments and an item its model reads": "HL*3*2*P~HL*4*3*I~ZZZ*A~SN1**1*EA~"
    "TD1*CTN*1~HL*5*3*I~LIN*1*LT*L1~SN1**2*EA~HL*6*3*I~SN1**3*EA~ZZZ*B",
    "an item its dump refuses": "HL*3*2*P~HL*4*3*I~SN1**X*EA~HL*5*3*I~SN1**1*EA",
    "an error kept before": "HL*3*2*O~HL*4*3*I~SN1**1*EA~HL*5*3*I~SN1**2*EA",
    "a level code no 856 carries": "HL*3*2*P~HL*4*3*I~SN1**1*EA~HL*5*3*X",
}


@pytest.mark.parametrize("levels", LEVELS.values(), ids=LEVELS.keys())
@pytest.mark.parametrize("part_items", [1, 2, 10_000])
def test_item_levels_read_the_short_way_are_read_as_the_general_way_reads_them(
    levels: str, part_items: int
) -> None:
    tx = transaction_from_text(HEAD + levels + "~CTT*99", "856")
    assert_dumps_make_the_models(tx, part_items)


def test_the_usual_item_levels_are_read_the_short_way() -> None:
    tx = transaction_from_text(HEAD + LEVELS["items of a pack, then of an order"], "856")
    reader = ShipNoticeInParts(TransactionSet(tx.interchange, tx.group, tx.segments[:1]), 1)
    short = reader._close_item
    hung: list[bool] = []

    def close_item(segments: list[Segment], elements: Values) -> list[str] | None:
        done = short(segments, elements)
        hung.append(done is not None)
        return done

    reader._close_item = close_item  # type: ignore[method-assign]
    for segment in tx.body:
        reader.feed(segment)
    assert reader.finish() is not None
    assert hung == [True, True, False, True, True]  # HL 6: a pack to close first

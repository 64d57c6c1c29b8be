"""The header reader the warehouse sets (940, 943, 944, 945, 947) share."""

from __future__ import annotations

import pytest

from adapters.formats.x12.transactions.warehouse_header import HeaderTags, read_header
from gateway.errors import TranslationError
from tests.unit.x12.strategies import transaction_from_text

TAGS = HeaderTags(
    "945",
    beginning="W06",
    beginning_what="warehouse shipment identification",
    beginning_held=range(1, 7),
    detail="LX",
    detail_what="at least one line",
    summary=("W03",),
    transport="W27",
    transport_held=(1, 2, 3, 4),
)


def test_the_header_reader_finds_the_first_w_segment_the_n1_loops_extras_and_detail() -> None:
    header = read_header(
        transaction_from_text(
            "W06*F*SO-1~N1*WH*EAST DC~N9*BM*BOL-5~N4*DAYTON*OH~W06*F*SO-2~G62*11*20261211~"
            "NTE*WHI*FRAGILE~W27*M*UPSN~W27*H~LX*1~W12*CL~LX*2~W12*CL~W03*2",
            "945",
        ),
        TAGS,
    )
    assert header.beginning.text(2) == "SO-1"
    assert header.transport is not None and header.transport.text(1) == "M"
    assert [[s.tag for s in loop] for loop in header.party_loops] == [["N1"]]
    assert [r.value for r in header.extras.references] == ["BOL-5"]
    assert (len(header.extras.dates), len(header.extras.notes)) == (1, 1)
    assert [[s.tag for s in loop] for loop in header.lines] == [["LX", "W12"], ["LX", "W12"]]
    assert [s.tag for s in header.summary] == ["W03"]
    # the N4 after the N9 is no member of the N1 loop; the second W06 and W27 are not read
    unmapped = [u.segment_id for u in header.body.unmapped()]
    assert unmapped[:5] == ["N1", "N4", "W06", "W27", "LX"]


def test_a_transport_or_beginning_saying_more_than_its_fields_is_kept_unmapped() -> None:
    header = read_header(
        transaction_from_text("W06*F*SO-1*******X~W27*M*UPSN*****EQ~LX*1~W12*CL", "945"), TAGS
    )
    assert header.transport is None
    assert [u.segment_id for u in header.body.unmapped()][:2] == ["W06", "W27"]


def test_the_header_reader_names_the_missing_beginning_or_detail() -> None:
    with pytest.raises(TranslationError, match=r"no W06 segment \(warehouse shipment"):
        read_header(transaction_from_text("N1*WH*EAST DC~LX*1~W12*CL", "945"), TAGS)
    with pytest.raises(TranslationError, match=r"no LX segment \(at least one line\)"):
        read_header(transaction_from_text("W06*F*SO-1~W03*2", "945"), TAGS)

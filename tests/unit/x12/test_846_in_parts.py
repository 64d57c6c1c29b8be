"""One 846 set read a segment at a time into its parts (issue 26): the parts put back together
are the message ``parse`` makes of the set held whole, with the same document id and content
digest; a small set is the whole message; a bad set raises the same error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions import inventory846
from adapters.formats.x12.transactions.inventory846_parts import AdviceInParts
from gateway.bus.cloudevents import SerializedMessage
from gateway.errors import TranslationError
from gateway.messages import InventoryAdvice
from gateway.messages.parts import reassemble
from tests.unit.x12.strategies import CORPUS, corpus_files, transaction_from_text
from tests.unit.x12.test_846_inventory import ADVICE, inventory_advices
from tests.unit.x12.test_round_trip import interchange_text, read_back

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "x12" / "846-004010.edi"

UNMAPPED = """
BIA*00*SI*INV-9*20261204~MSG*HEADER NOTE~N1*WH*EAST DC*92*DC-EAST~
LIN*1*UP*012345678905~ZZZ*IN LINE 1~QTY*17*120*EA~
LIN*2*VN*SKU-2~QTY*IQ*7*EA~
LIN*3*VN*SKU-3~PID*F****RED~PID*F****SECOND PID KEPT~QTY*33*1~
LIN*4*VN*SKU-4~QTY*17*4~CTT*4*99~ZZZ*AFTER CTT
"""


def in_parts(tx: TransactionSet, part_items: int) -> tuple[dict[str, Any], str, str, list[str]]:
    """The set read a segment at a time: the message's JSON (reassembled from its parts when it
    has parts), its document id and content digest, and the item parts' entries."""
    reader = AdviceInParts(TransactionSet(tx.interchange, tx.group, tx.segments[:1]), part_items)
    chunks = [chunk for segment in tx.body for chunk in reader.feed(segment)]
    result = reader.finish()
    chunks += reader.last_chunks()
    if isinstance(result, InventoryAdvice):
        assert chunks == []
        return result.model_dump(mode="json"), result.document_id, result.content_digest, []
    common = {"document_id": result.document_id, "of": "InventoryAdvice", "parts": result.parts}
    assert result.parts == 1 + len(chunks)
    parts = [{**common, "part": 1, "header": result.header}]
    parts += [
        {**common, "part": number, "entries": json.loads(chunk)}
        for number, chunk in enumerate(chunks, start=2)
    ]
    return reassemble(reversed(parts)), result.document_id, result.content_digest, chunks


def assert_same_as_whole(tx: TransactionSet, part_items: int) -> None:
    whole = inventory846.parse(tx)
    data, document_id, digest, chunks = in_parts(tx, part_items)
    assert data == whole.model_dump(mode="json")
    assert (document_id, digest) == (whole.document_id, whole.content_digest)
    serialized = SerializedMessage.of(whole, part_items)
    assert list(serialized.chunks) == chunks  # cut where split() cuts, byte for byte


@pytest.mark.parametrize("part_items", [1, 2, 3, 5, 10_000])
def test_parts_of_an_advice_make_the_whole_message_with_its_id_and_digest(part_items: int) -> None:
    for body in (ADVICE, UNMAPPED):
        assert_same_as_whole(transaction_from_text(body, "846"), part_items)


def test_an_advice_no_larger_than_a_part_is_the_whole_message() -> None:
    tx = transaction_from_text(UNMAPPED, "846")
    data, *_, chunks = in_parts(tx, 10_000)
    assert chunks == [] and data["unmapped"]  # the unmapped segments, read back from the spool


def test_the_header_part_is_the_one_the_whole_message_is_published_with() -> None:
    tx = transaction_from_text(UNMAPPED, "846")
    reader = AdviceInParts(TransactionSet(tx.interchange, tx.group, tx.segments[:1]), 2)
    for segment in tx.body:
        reader.feed(segment)
    result = reader.finish()
    assert not isinstance(result, InventoryAdvice)
    whole = SerializedMessage.of(inventory846.parse(tx), 2)
    assert json.dumps(result.header, ensure_ascii=False, separators=(",", ":")) == whole.data


def test_the_fixture_and_the_corpus_846s_in_parts_are_their_whole_messages() -> None:
    paths = [FIXTURE, *(CORPUS / name for name in corpus_files("846"))]
    sets = [tx for path in paths for tx in transactions_in(path.read_bytes())]
    assert len(sets) >= 3
    for tx in sets:
        for part_items in (1, 2, 7):
            assert_same_as_whole(tx, part_items)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("REF*IA*1~LIN*1*VN*A~QTY*17*1", "no BIA segment"),
        ("BIA*00*SI*R*20261204~REF*IA*1~CTT*0", "no LIN segment"),
        ("BIA*00*SI*R*2026~LIN*1*VN*A~QTY*17*1", "not a date"),
        ("BIA*00*SI*R*20261204~LIN*1*VN*A~QTY*17*1~LIN*2*VN*B~QTY*17*X", "is not a number"),
        ("BIA*00*SI*R*20261204****3~LIN*1*VN*A~QTY*17*1~LIN*2*VN*B~QTY*17*X", "is not a number"),
    ],
)
def test_a_bad_advice_raises_what_parse_raises(body: str, error: str) -> None:
    tx = transaction_from_text(body, "846")
    with pytest.raises(Exception) as whole:
        inventory846.parse(tx)
    with pytest.raises(type(whole.value)) as streamed:
        in_parts(tx, 1)
    assert error in str(whole.value)
    assert str(streamed.value) == str(whole.value)


def test_a_set_of_another_kind_is_refused_as_parse_refuses_it() -> None:
    tx = transaction_from_text("BSN*00*1*20261204*1200", "856")
    with pytest.raises(TranslationError, match="is not a 846"):
        AdviceInParts(TransactionSet(tx.interchange, tx.group, tx.segments[:1]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventory_advices(), st.integers(min_value=1, max_value=4), st.booleans())
def test_drawn_advices_in_parts_are_their_whole_messages(
    message: InventoryAdvice, part_items: int, with_unmapped: bool
) -> None:
    text = interchange_text(message)
    if with_unmapped:  # a segment no field holds in the header and after each line's LIN
        text = text.replace("~LIN*", "~ZZZ*KEPT~LIN*")
    assert_same_as_whole(read_back(text), part_items)

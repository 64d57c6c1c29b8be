"""997/999 as documents we receive and send: parse, render, and canonical -> X12 -> canonical."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.reader import read_x12, transactions_in
from adapters.formats.x12.segments import Separators
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.transactions.functional_ack import (
    FUNCTIONAL_ID,
    MESSAGE,
    SET_IDS,
    parse,
    render,
    render_body,
)
from adapters.formats.x12.translation import render_message
from adapters.formats.x12.writer import (
    format_segments,
)
from gateway.control_numbers import InMemoryCounter
from gateway.errors import RenderError, TranslationError
from gateway.messages import (
    ElementError,
    Envelope,
    FunctionalAck,
    SegmentError,
    TransactionSetAck,
    X12Envelope,
)
from tests.unit.x12.samples import interchange, transaction

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"

# Corpus acks that are not usable 997s, whatever the manifest guesses: no AK1/AK9 at all, and
# repetition separators inside AK302 (a StAEDI delimiter test).
UNREADABLE_CORPUS_ACKS = {
    "x12/xlate__staedi__src__test__resources__x12__empty997.edi",
    "x12/xlate__staedi__src__test__resources__x12__extraDelimiter997.edi",
}


def corpus_rows(*set_ids: str) -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if any(s in r["transaction_set(s)"] for s in set_ids)]


def ack_sets(path: Path) -> list[TransactionSet]:
    return [tx for tx in transactions_in(path) if tx.set_id in SET_IDS]


def only_set(text: str) -> TransactionSet:
    (tx,) = transactions_in(text.encode())
    return tx


def test_module_names_what_it_translates() -> None:
    assert SET_IDS == ("997", "999")
    assert FUNCTIONAL_ID == "FA"
    assert MESSAGE is FunctionalAck


# ----------------------------------------------------------------------------------------------
# Real acknowledgements


@pytest.mark.parametrize(
    "row",
    [r for r in corpus_rows("997", "999") if r["valid_guess"] == "yes"],
    ids=lambda r: r["saved_name"][4:60],
)
def test_real_acknowledgments_parse(row: dict[str, str]) -> None:
    sets = ack_sets(CORPUS / row["saved_name"])
    assert sets
    if row["saved_name"] in UNREADABLE_CORPUS_ACKS:
        with pytest.raises(TranslationError):
            for tx in sets:
                parse(tx)
        return
    for tx in sets:
        ack = parse(tx)
        assert ack.kind == tx.set_id
        assert ack.envelope == tx.envelope()
        # Written back, the acknowledgment says what it said, CTX context aside.
        seps = replace(tx.interchange.separators, line_break="")
        written = format_segments(render_body(ack), seps).split(seps.segment)[:-1]
        assert written == [s.text() for s in tx.body if s.tag != "CTX"]


@pytest.mark.parametrize(
    "row",
    [r for r in corpus_rows("997", "999") if r["valid_guess"] != "yes"],
    ids=lambda r: r["saved_name"][4:60],
)
def test_broken_real_acknowledgments_parse_or_raise_translation_error(row: dict[str, str]) -> None:
    for tx in ack_sets(CORPUS / row["saved_name"]):
        with contextlib.suppress(TranslationError):
            parse(tx)


def test_a_999_is_read_with_its_ik_segments_and_ctx_segments_are_passed_over() -> None:
    path = CORPUS / "x12" / "xlate__staedi__src__test__resources__x12__simple999.edi"
    if not path.exists():
        pytest.skip("corpus not available")
    (tx,) = ack_sets(path)
    ack = parse(tx)
    assert (ack.kind, ack.functional_id, ack.group_control_number, ack.group_version) == (
        "999",
        "HC",
        "17456",
        "005010X222",
    )
    assert (ack.status, ack.transaction_sets_included) == ("P", 3)
    assert (ack.transaction_sets_received, ack.transaction_sets_accepted) == (3, 1)
    assert ack.transactions == [
        TransactionSetAck(transaction_set_id="837", control_number="0001", status="A"),
        TransactionSetAck(
            transaction_set_id="837",
            control_number="0002",
            status="R",
            error_codes=["5"],
            segment_errors=[
                SegmentError(
                    segment_id="CLM",
                    position=22,
                    error_code="8",
                    elements=[ElementError(position=2, reference_number="782", error_code="1")],
                )
            ],
        ),
        TransactionSetAck(
            transaction_set_id="837",
            control_number="0003",
            status="R",
            error_codes=["5"],
            segment_errors=[SegmentError(segment_id="REF", position=57, error_code="3")],
        ),
    ]


def test_a_997_element_error_keeps_position_reference_code_and_bad_value() -> None:
    path = CORPUS / "x12" / "xlate__staedi__src__test__resources__x12__simple997.edi"
    if not path.exists():
        pytest.skip("corpus not available")
    (tx,) = ack_sets(path)
    (set_ack,) = parse(tx).transactions
    assert set_ack.segment_errors == [
        SegmentError(
            segment_id="NM1",
            position=8,
            error_code="8",
            elements=[
                ElementError(position=8, reference_number="66", error_code="7", bad_value="MI")
            ],
        )
    ]


def ack_text(*body: str, set_id: str = "997") -> str:
    return interchange(
        [transaction(set_id, "0001", list(body))], functional_id="FA", version="004010"
    )


def test_component_and_repetition_positions_are_read_from_the_ik401_composite() -> None:
    tx = only_set(
        ack_text(
            "AK1*PO*7", "AK2*850*0001", "IK3*N1*3**8", "IK4*4>2>3**7", "IK5*R*5", "AK9*R*1*1*0"
        )
    )
    (element,) = parse(tx).transactions[0].segment_errors[0].elements
    assert (element.position, element.component_position, element.repetition_position) == (4, 2, 3)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (["AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], "no AK1"),
        (["AK1*PO*7", "AK2*850*0001", "AK5*A"], "no AK9"),
        (["AK1*PO*7", "AK5*A", "AK9*A*1*1*1"], "outside an AK2"),
        (["AK1*PO*7", "AK2*850*0001", "AK4*1**7", "AK5*R", "AK9*R*1*1*0"], "without an AK3"),
        (["AK1*PO*7", "AK2*850*0001", "AK9*R*1*1*0"], "has no AK5"),
        (["AK1*PO*7", "AK2*850*0001", "AK5*Q", "AK9*R*1*1*0"], "'Q' is not one of"),
        (["AK1*PO*7", "AK9*A*ONE*1*1"], "not a number"),
        (["AK1*PO*7", "AK9*A*1*1*1", "N1*ST*X"], "does not belong"),
    ],
)
def test_unusable_acknowledgments_raise_translation_error(body: list[str], complaint: str) -> None:
    with pytest.raises(TranslationError, match=complaint):
        parse(only_set(ack_text(*body)))


def test_a_set_that_is_not_an_acknowledgment_is_refused() -> None:
    with pytest.raises(TranslationError, match="not a 997 or 999"):
        parse(only_set(interchange()))


# ----------------------------------------------------------------------------------------------
# Rendering


def sample_ack(kind: str) -> FunctionalAck:
    return FunctionalAck(
        envelope=ENVELOPE_997 if kind == "997" else ENVELOPE_999,
        kind=kind,
        functional_id="PO",
        group_control_number="17",
        group_version="005010" if kind == "999" else None,
        status="R",
        transaction_sets_included=1,
        transaction_sets_received=1,
        transaction_sets_accepted=0,
        error_codes=["5"],
        transactions=[
            TransactionSetAck(
                transaction_set_id="850",
                control_number="0001",
                status="R",
                error_codes=["5"],
                segment_errors=[
                    SegmentError(
                        segment_id="BEG",
                        position=2,
                        error_code="8",
                        elements=[
                            ElementError(
                                position=5,
                                component_position=None,
                                repetition_position=1 if kind == "999" else None,
                                reference_number="373",
                                error_code="8",
                                bad_value="20261399",
                            )
                        ],
                    )
                ],
            )
        ],
    )


def test_a_997_is_written_with_ak_segments() -> None:
    text = format_segments(render_body(sample_ack("997")), Separators(line_break=""))
    assert text == "AK1*PO*17~AK2*850*0001~AK3*BEG*2**8~AK4*5*373*8*20261399~AK5*R*5~AK9*R*1*1*0*5~"


def test_a_999_is_written_with_ik_segments_and_the_repetition_position() -> None:
    text = format_segments(render_body(sample_ack("999")), Separators(line_break=""))
    assert text == (
        "AK1*PO*17*005010~AK2*850*0001~IK3*BEG*2**8~IK4*5::1*373*8*20261399~IK5*R*5~AK9*R*1*1*0*5~"
    )


def test_more_than_five_codes_cannot_be_written() -> None:
    ack = sample_ack("997").model_copy(update={"error_codes": ["1", "2", "3", "4", "5", "6"]})
    with pytest.raises(RenderError, match="at most 5"):
        render(ack)


def test_render_takes_st02_and_st03_from_the_envelope() -> None:
    content = render(sample_ack("999"))
    assert (content.set_id, content.control_number, content.implementation_reference) == (
        "999",
        "0001",
        "005010X231A1",
    )


# ----------------------------------------------------------------------------------------------
# canonical -> X12 -> canonical

CREATED = dt.datetime(2026, 11, 23, 12, 30)


def envelope(kind: str) -> Envelope:
    return Envelope.of_x12(
        X12Envelope(
            sender_qualifier="ZZ",
            sender_id="GATEWAY",
            receiver_qualifier="01",
            receiver_id="123456789",
            interchange_control_number="000000042",
            interchange_version="00401" if kind == "997" else "00501",
            usage_indicator="T",
            application_sender="GWAPP",
            application_receiver="PARTNER",
            group_control_number="77",
            version="004010VICS" if kind == "997" else "005010X231A1",
            transaction_control_number="0001",
            implementation_reference=None if kind == "997" else "005010X231A1",
            created_at=CREATED,
        )
    )


ENVELOPE_997 = envelope("997")
ENVELOPE_999 = envelope("999")


def to_x12(ack: FunctionalAck) -> str:
    return render_message(
        ack, InMemoryCounter(), keep_control_numbers=True, at=x12_facts(ack.envelope).created_at
    )


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
codes = st.text(ALNUM, min_size=1, max_size=3)
ids = st.text(ALNUM, min_size=1, max_size=9)
free_text = st.from_regex(r"[A-Z0-9]([A-Za-z0-9 .,/-]{0,30}[A-Z0-9])?", fullmatch=True)
small = st.integers(min_value=1, max_value=99)
count = st.integers(min_value=0, max_value=999_999)

element_errors = st.builds(
    ElementError,
    position=small,
    component_position=st.none() | small,
    repetition_position=st.none() | small,
    reference_number=st.none() | st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True),
    error_code=codes,
    bad_value=st.none() | free_text,
)
segment_errors = st.builds(
    SegmentError,
    segment_id=st.from_regex(r"[A-Z][A-Z0-9]{1,2}", fullmatch=True),
    position=st.integers(min_value=1, max_value=999_999),
    loop_id=st.none() | st.text(ALNUM, min_size=1, max_size=4),
    error_code=st.none() | codes,
    elements=st.lists(element_errors, max_size=3),
)
transaction_acks = st.builds(
    TransactionSetAck,
    transaction_set_id=st.from_regex(r"[0-9]{3}", fullmatch=True),
    control_number=ids,
    implementation_reference=st.none() | ids,
    status=st.sampled_from(["A", "E", "M", "R", "W", "X"]),
    error_codes=st.lists(codes, max_size=5),
    segment_errors=st.lists(segment_errors, max_size=3),
)


@st.composite
def functional_acks(draw: st.DrawFn) -> FunctionalAck:
    kind = draw(st.sampled_from(["997", "999"]))
    return FunctionalAck(
        envelope=envelope(kind),
        kind=kind,
        functional_id=draw(st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        group_control_number=draw(st.from_regex(r"[0-9]{1,9}", fullmatch=True)),
        group_version=draw(st.none() | st.sampled_from(["004010", "005010", "005010X222A1"])),
        status=draw(st.sampled_from(["A", "E", "M", "P", "R", "W", "X"])),
        transaction_sets_included=draw(count),
        transaction_sets_received=draw(count),
        transaction_sets_accepted=draw(count),
        error_codes=draw(st.lists(codes, max_size=5)),
        transactions=draw(st.lists(transaction_acks, max_size=4)),
    )


@settings(max_examples=150, deadline=None)
@given(functional_acks())
def test_canonical_to_x12_to_canonical_is_the_identity(ack: FunctionalAck) -> None:
    text = to_x12(ack)
    events = list(read_x12(text.encode()))
    (tx,) = [e for e in events if isinstance(e, TransactionSet)]
    assert [f for f in tx.findings if f.is_error] == []
    assert parse(tx) == ack

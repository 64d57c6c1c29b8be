"""TA1 as a segment we receive and send: parse_ta1, render_ta1 and the round trip."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.formats.x12.reader import read_x12
from adapters.formats.x12.segments import Segment, Separators
from adapters.formats.x12.structure import TechnicalAck
from adapters.formats.x12.transactions.interchange_ack import (
    MESSAGE,
    SEGMENT_ID,
    parse_ta1,
    render_ta1,
)
from adapters.formats.x12.writer import format_segments
from gateway.errors import TranslationError
from gateway.messages import Envelope, InterchangeAck, X12Envelope
from tests.unit.x12.samples import isa

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"


def ta1_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if "TA1" in r["transaction_set(s)"]]


def technical_acks(data: bytes | Path) -> list[TechnicalAck]:
    return [e for e in read_x12(data) if isinstance(e, TechnicalAck)]


def ta1_interchange(*ta1: str) -> bytes:
    return ("~".join([isa("000000007"), *ta1, "IEA*0*000000007"]) + "~").encode()


def test_module_names_what_it_translates() -> None:
    assert SEGMENT_ID == "TA1"
    assert MESSAGE is InterchangeAck


@pytest.mark.parametrize("row", ta1_rows(), ids=lambda r: r["saved_name"][4:60])
def test_real_ta1_segments_parse(row: dict[str, str]) -> None:
    acks = technical_acks(CORPUS / row["saved_name"])
    assert acks
    for event in acks:
        ack = parse_ta1(event.segment, event.interchange)
        assert ack.envelope == event.interchange.envelope()
        assert ack.interchange_control_number == event.segment.value(1)


def test_a_rejecting_ta1_keeps_what_it_acknowledges_and_why() -> None:
    path = (
        CORPUS
        / "x12"
        / (
            "bots-edi__bots-plugins__demo__one-on-one_x12_xml__botssys__infile__x122xml__x12__"
            "testx120028.x12.base"
        )
    )
    if not path.exists():
        pytest.skip("corpus not available")
    (event,) = technical_acks(path)
    ack = parse_ta1(event.segment, event.interchange)
    assert (ack.interchange_control_number, ack.interchange_date, ack.interchange_time) == (
        "000484889",
        dt.date(2004, 7, 9),
        "1339",
    )
    assert (ack.status, ack.note_code) == ("R", "015")
    assert ack.envelope.sender.id == "0000BBB"


def test_a_ta1_without_note_code_reads_as_no_error() -> None:
    (event,) = technical_acks(ta1_interchange("TA1*000000905*240131*1100*A"))
    assert parse_ta1(event.segment, event.interchange).note_code == "000"


@pytest.mark.parametrize(
    ("ta1", "where"),
    [
        ("TA1**240131*1100*A*000", "TA101"),
        ("TA1*000000905*241341*1100*A*000", "TA102"),
        ("TA1*000000905*240131**A*000", "TA103"),
        ("TA1*000000905*240131*1100*Q*000", "TA104"),
    ],
)
def test_unusable_ta1_raises_translation_error_naming_the_element(ta1: str, where: str) -> None:
    (event,) = technical_acks(ta1_interchange(ta1))
    with pytest.raises(TranslationError, match=where):
        parse_ta1(event.segment, event.interchange)


def test_only_a_ta1_segment_is_read_as_one() -> None:
    (event,) = technical_acks(ta1_interchange("TA1*000000905*240131*1100*A*000"))
    with pytest.raises(TranslationError, match="not a TA1"):
        parse_ta1(Segment("ISA", []), event.interchange)


def test_render_writes_the_five_elements() -> None:
    ack = InterchangeAck(
        envelope=ENVELOPE,
        interchange_control_number="000000905",
        interchange_date=dt.date(2024, 1, 31),
        interchange_time="1100",
        status="E",
        note_code="021",
    )
    assert format_segments([render_ta1(ack)], SEPARATORS) == "TA1*000000905*240131*1100*E*021~"


# The envelope samples.isa() declares.
ENVELOPE = Envelope.of_x12(
    X12Envelope(
        sender_qualifier="ZZ",
        sender_id="SENDER",
        receiver_qualifier="ZZ",
        receiver_id="RECEIVER",
        interchange_control_number="000000007",
        interchange_version="00401",
        usage_indicator="P",
    )
)
SEPARATORS = Separators(component=">", line_break="")


@settings(max_examples=150, deadline=None)
@given(
    control=st.from_regex(r"[0-9]{9}", fullmatch=True),
    date=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2049, 12, 31)),
    time=st.from_regex(r"(?:[01][0-9]|2[0-3])[0-5][0-9]", fullmatch=True),
    status=st.sampled_from(["A", "E", "R"]),
    note=st.from_regex(r"0[0-3][0-9]", fullmatch=True),
)
def test_canonical_to_x12_to_canonical_is_the_identity(
    control: str, date: dt.date, time: str, status: str, note: str
) -> None:
    ack = InterchangeAck(
        envelope=ENVELOPE,
        interchange_control_number=control,
        interchange_date=date,
        interchange_time=time,
        status=status,
        note_code=note,
    )
    text = format_segments([render_ta1(ack)], SEPARATORS).rstrip("~")
    (event,) = technical_acks(ta1_interchange(text))
    assert parse_ta1(event.segment, event.interchange) == ack

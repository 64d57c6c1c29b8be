from __future__ import annotations

import io

import pytest

from adapters.formats.x12.segments import Segment
from adapters.formats.x12.tokenizer import InterchangeOpening, Irregularity, Tokenizer
from gateway.errors import UnreadableInput
from tests.unit.x12.samples import interchange


def tokens(data: bytes | str, chunk_size: int = 1 << 20) -> list[object]:
    raw = data.encode() if isinstance(data, str) else data
    return list(Tokenizer(io.BytesIO(raw), chunk_size=chunk_size))


def segments(data: bytes | str, chunk_size: int = 1 << 20) -> list[Segment]:
    """Every segment read, the ISA (which comes inside its InterchangeOpening) included."""
    found = []
    for token in tokens(data, chunk_size):
        if isinstance(token, InterchangeOpening):
            found.append(token.isa)
        elif isinstance(token, Segment):
            found.append(token)
    return found


def tags(data: bytes | str, chunk_size: int = 1 << 20) -> list[str]:
    return [s.tag for s in segments(data, chunk_size)]


EXPECTED_TAGS = ["ISA", "GS", "ST", "BEG", "N1", "PO1", "PID", "CTT", "SE", "GE", "IEA"]


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 64, 1 << 20])
def test_segments_are_the_same_whatever_the_chunk_size(chunk_size: int) -> None:
    assert tags(interchange(), chunk_size) == EXPECTED_TAGS


def test_separators_are_read_from_the_isa() -> None:
    opening = next(
        t
        for t in tokens(interchange(terminator="|", element="^", component="\\"))
        if isinstance(t, InterchangeOpening)
    )
    assert (opening.separators.element, opening.separators.segment) == ("^", "|")
    assert opening.separators.component == "\\"


@pytest.mark.parametrize(
    ("version", "isa11", "repetition"),
    [
        ("00501", "^", "^"),  # from 00402 on, ISA11 is the repetition separator
        ("00401", "U", None),  # before, the standards identifier
        ("00401", "^", None),  # a stray character there separates nothing
        ("00401", " ", None),  # nor a space (N1*ST*STORE 7 stays one value)
        ("00501", " ", None),
    ],
)
def test_isa11_is_a_repetition_separator_only_from_00402_on(
    version: str, isa11: str, repetition: str | None
) -> None:
    text = interchange(isa11=isa11).replace("*00401*", f"*{version}*", 1)  # ISA12
    [opening] = [t for t in tokens(text) if isinstance(t, InterchangeOpening)]
    assert opening.separators.repetition == repetition
    [n1] = [s for s in segments(text) if s.tag == "N1"]
    assert n1.get(2) == "STORE 7"


def test_each_interchange_is_read_with_its_own_separators() -> None:
    first = interchange(terminator="~\r\n")
    second = interchange(control="000000002", terminator="\n", element="|", component=":")
    read = segments(first + second)
    assert [s.tag for s in read] == EXPECTED_TAGS * 2
    beg = [s for s in read if s.tag == "BEG"]
    assert [b.get(3) for b in beg] == ["PO-1001", "PO-1001"]


@pytest.mark.parametrize("chunk_size", [1, 64, 1 << 20])
def test_an_undecodable_byte_as_a_separator_reads_as_one_and_stands_as_text(
    chunk_size: int,
) -> None:
    """0x85 as terminator, 0xFF between elements, 0xFE between components: read as separators,
    held as private-use characters (never a lone surrogate, which no text can store)."""
    data = interchange(terminator="~").replace("PO-1001", "PO>1001").encode()
    data = data.replace(b"~", b"\x85").replace(b"*", b"\xff").replace(b">", b"\xfe")
    [opening] = [t for t in tokens(data, chunk_size) if isinstance(t, InterchangeOpening)]
    assert opening.separators.used() == ("\ue0ff", "\ue0fe", "\ue085")
    read = segments(data, chunk_size)
    assert [s.tag for s in read] == EXPECTED_TAGS
    beg = next(s for s in read if s.tag == "BEG")
    assert beg.components(3) == ["PO", "1001"] and not beg.notes
    assert read[0].get(16) == "\ue0fe" and read[0].get(6).strip() == "SENDER"
    "".join(value for segment in read for value in segment.elements).encode()  # no surrogate


def test_bom_blank_lines_and_indentation_are_tolerated() -> None:
    text = "\ufeff\n\n" + interchange(terminator="~\n    ")
    assert tags(text) == EXPECTED_TAGS


def test_records_wrapped_at_a_fixed_width_are_joined() -> None:
    flat = interchange(terminator="~")
    wrapped = "\n".join(flat[i : i + 80] for i in range(0, len(flat), 80))
    assert tags(wrapped) == EXPECTED_TAGS
    beg = next(t for t in tokens(wrapped) if isinstance(t, Segment) and t.tag == "BEG")
    assert beg.get(3) == "PO-1001"


def test_line_break_as_segment_terminator_with_crlf() -> None:
    assert tags(interchange(terminator="\r\n")) == EXPECTED_TAGS


def test_binary_bytes_never_raise_and_are_noted() -> None:
    data = interchange().encode().replace(b"BLUE WIDGET", b"BLUE \xff\xfe\x00WIDGET")
    pid = next(t for t in tokens(data) if isinstance(t, Segment) and t.tag == "PID")
    assert "\ufffd" in pid.get(5)
    assert pid.notes == ["non-ASCII bytes replaced"]


def test_utf8_text_is_decoded_as_characters() -> None:
    data = interchange().replace("BLUE WIDGET", "BLAUES WÜRFELCHEN")
    pid = next(t for t in tokens(data) if isinstance(t, Segment) and t.tag == "PID")
    assert pid.get(5) == "BLAUES WÜRFELCHEN"


def test_a_file_that_is_not_x12_is_unreadable() -> None:
    with pytest.raises(UnreadableInput, match="not an X12 file"):
        tokens("PO_NUMBER,SKU,QTY\n1001,ABC,12\n")


def test_an_empty_file_is_unreadable() -> None:
    with pytest.raises(UnreadableInput, match="empty"):
        tokens(" \n")


def test_data_between_interchanges_is_reported_and_skipped() -> None:
    text = interchange() + "garbage here\n" + interchange(control="000000002")
    found = tokens(text)
    junk = [t for t in found if isinstance(t, Irregularity)]
    assert [j.code for j in junk] == ["envelope.data_outside_interchange"]
    assert junk[0].found == "garbage here"
    assert tags(text) == EXPECTED_TAGS * 2


def test_an_isa_with_too_few_elements_is_reported_and_the_next_one_read() -> None:
    text = "ISA*00*broken~\n" + interchange()
    found = tokens(text)
    assert any(isinstance(t, Irregularity) and t.code == "envelope.bad_isa" for t in found)
    assert tags(text) == EXPECTED_TAGS


def test_two_terminators_in_a_row_are_an_empty_segment_not_the_end() -> None:
    text = interchange(terminator="~").replace("N1*", "~N1*", 1)
    found = tokens(text)
    assert [t.code for t in found if isinstance(t, Irregularity)] == ["syntax.empty_segment"]
    assert tags(text) == EXPECTED_TAGS


def test_a_new_isa_before_iea_starts_a_new_interchange() -> None:
    cut = interchange().split("IEA")[0]
    found = tokens(cut + interchange(control="000000002"))
    openings = [t for t in found if isinstance(t, InterchangeOpening)]
    assert len(openings) == 2
    assert [t.tag for t in found if isinstance(t, Segment)].count("IEA") == 1


def test_segment_positions_count_from_one_across_the_file() -> None:
    read = segments(interchange() + interchange(control="000000002"))
    assert [s.position for s in read] == list(range(1, 23))


@pytest.mark.parametrize("style", ["~", "~\n", "~\r\n"])
def test_the_line_break_after_the_terminator_is_remembered(style: str) -> None:
    opening = next(
        t for t in tokens(interchange(terminator=style)) if isinstance(t, InterchangeOpening)
    )
    assert opening.separators.line_break == style[1:]


def test_an_isa_whose_terminator_would_be_a_letter_or_separator_is_unusable() -> None:
    found = tokens(interchange().replace("ISA*00*", "ISA*00**", 1))
    [bad] = [t for t in found if isinstance(t, Irregularity) and t.code == "envelope.bad_isa"]
    assert "cannot be the segment terminator" in bad.message
    assert not any(isinstance(t, InterchangeOpening) for t in found)


@pytest.mark.parametrize(
    ("sender", "receiver"),
    [("SENDER", "000000000000ISA"), ("SENDER000000ISA", "RECEIVER"), ("ISA", "ISA")],
)
def test_an_isa_of_standard_width_whose_ids_end_in_isa_opens_its_interchange(
    sender: str, receiver: str
) -> None:
    text = interchange(sender=sender, receiver=receiver)
    found = tokens(text)
    assert not [t for t in found if isinstance(t, Irregularity)]
    [opening] = [t for t in found if isinstance(t, InterchangeOpening)]
    assert (opening.isa.elements[5], opening.isa.elements[7]) == (
        sender.ljust(15),
        receiver.ljust(15),
    )
    assert tags(text) == EXPECTED_TAGS


def test_an_isa_not_of_standard_width_holding_isa_and_its_separator_is_still_unusable() -> None:
    text = interchange(receiver="000000000000ISA").replace("*261123*", "*26112*", 1)
    bad = next(t for t in tokens(text) if isinstance(t, Irregularity))
    assert bad.code == "envelope.bad_isa" and "before the next ISA" in bad.message

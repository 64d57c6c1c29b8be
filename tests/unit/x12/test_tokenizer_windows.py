"""The tokenizer reads a window of plain segments (all ASCII, none empty, no ISA or IEA:
``tokenizer._plain``) the short way, line breaks taken out of the whole window at once where
they are noise. Drawn interchanges (spaces, line breaks and wrapped records around and inside
segments, empty segments, non-ASCII text, an ISA or IEA inside a value, a second ISA), read in
windows of a few characters so that most are plain, give the very tokens the general way gives
(every window read segment by segment), whatever the terminator, line break and chunk size."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.formats.x12 import tokenizer
from adapters.formats.x12.tokenizer import Tokenizer
from tests.unit.x12.samples import isa

PIECES = ["N1", "*", "AB", "12", " ", "\n", "\r\n", "\t", "é", "ISA", "IEA", "VISA", "~", "\x00"]
"""What drawn segments are made of (``~`` a terminator in them where it is one)."""


def read(data: bytes, chunk_size: int) -> list[object]:
    return list(Tokenizer(io.BytesIO(data), chunk_size=chunk_size))


def segments_drawn(terminator: str) -> st.SearchStrategy[list[str]]:
    piece = st.sampled_from([p if p != "~" else terminator for p in PIECES])
    body = st.lists(piece, max_size=6).map("".join)
    return st.lists(st.tuples(st.sampled_from(["REF", "LIN", "SN1", "ZZ"]), body), max_size=40).map(
        lambda drawn: [tag + "*" + text for tag, text in drawn]
    )


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["~", "\n"]),
    st.sampled_from(["", "\n", "\r\n", " \n  "]),
    st.data(),
    st.sampled_from([1, 5, 64, 1 << 20]),
    st.sampled_from([1, 3, 16]),
)
def test_plain_windows_are_read_as_segment_by_segment(
    terminator: str, line_break: str, data: st.DataObject, chunk_size: int, window: int
) -> None:
    body = data.draw(segments_drawn(terminator))
    after = data.draw(st.sampled_from(["", "isa", "ZZ*NOT IN ANY INTERCHANGE"]))
    end = terminator + line_break
    text = isa("000000001") + terminator + line_break
    text += end.join(["GS*PO*A*B*20261123*1200*1*X*004010", *body, "GE*1*1", "IEA*1*000000001"])
    text += end + (isa("000000002") + terminator + "ST*850" if after == "isa" else after)
    raw = text.encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tokenizer, "_FIRST_WINDOW", window)
        short = read(raw, chunk_size)
        patch.setattr(tokenizer, "_plain", lambda text, term: False)
        general = read(raw, chunk_size)
    assert short == general


def test_a_large_interchange_is_read_in_plain_windows() -> None:
    body = "~\n".join(f"REF*ZZ*{n}" for n in range(20_000))
    text = isa("000000001") + "~\nGS*PO*A*B*20261123*1200*1*X*004010~\n" + body
    raw = (text + "~\nGE*1*1~\nIEA*1*000000001~\n").encode()
    plain = tokenizer._plain
    windows: list[bool] = []

    def counted(text: str, term: str) -> bool:
        windows.append(plain(text, term))
        return windows[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tokenizer, "_plain", counted)
        short = read(raw, 1 << 16)
        patch.setattr(tokenizer, "_plain", lambda text, term: False)
        general = read(raw, 1 << 16)
    assert short == general
    assert len(short) == 20_004  # the opening, GS, the REFs, GE, IEA
    assert windows.count(True) >= len(windows) - 2  # all but the first and last

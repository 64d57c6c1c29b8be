"""The first pass of a file read as a stream (:func:`~adapters.formats.x12.streaming.
envelope_verdicts`) skips a huge set's interior in the tokenizer (``Tokenizer.stop_tags``)
instead of reading its every segment, and that changes nothing it learns: the reader's events
(findings, their positions, each set's count of segments) and the verdicts equal those of the
pass reading every segment (``tokenized=True``), for the fixtures, every file of the corpus,
and generated files damaged in the ways a skip could miss: a missing SE, GE or IEA, a stray
ISA, GS, GE, ST, SE or IEA inside a set, empty and blank segments, tags after blanks, a tag
alone, non-ASCII bytes, ISA and IEA in values, other separators, line breaks after or as the
terminator, records wrapped, a file cut anywhere. Sets are made huge from their first segments
and the tokenizer's windows small, so that a skip starts and stops everywhere."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12 import huge_sets, streaming, tokenizer
from adapters.formats.x12.inbound import SenderRules
from adapters.formats.x12.structure import Event
from gateway.errors import UnreadableInput
from tests.conformance.corpus import CorpusFile, x12_files

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
LIMITS = (0, 1, 3)
"""Segments a set holds before it is huge (and skipped): 0, from its first segment."""
RULES = {
    "trusting": SenderRules(),
    "another sender": SenderRules(sender_ids=frozenset({("ZZ", "NOT-THEM")})),
    "this sender": SenderRules(sender_ids=frozenset({("ZZ", "SENDER")})),
}


def events(data: bytes, limit: int, *, tokenized: bool) -> list[Event] | str:
    """The first pass's events, or why the file is unreadable."""
    try:
        return list(
            huge_sets.read_huge_sets(
                data,
                file_name="f.x12",
                validator=streaming._ENVELOPES_ONLY,
                count_only=True,
                segments=limit,
                tokenized=tokenized,
            )
        )
    except UnreadableInput as error:
        return f"unreadable: {error}"


def verdicts(data: bytes, rules: SenderRules, *, tokenized: bool) -> object:
    try:
        return streaming.envelope_verdicts(
            io.BytesIO(data), "f.x12", "acme", rules, tokenized=tokenized
        )
    except UnreadableInput as error:
        return f"unreadable: {error}"


def assert_skipped_as_read(data: bytes, limits: tuple[int, ...] = LIMITS) -> None:
    for limit in limits:
        assert events(data, limit, tokenized=False) == events(data, limit, tokenized=True), limit
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(huge_sets, "HUGE_SEGMENTS", 1)
        for name, rules in RULES.items():
            skipped = verdicts(data, rules, tokenized=False)
            assert skipped == verdicts(data, rules, tokenized=True), name


@pytest.fixture(params=["default windows", "small windows"])
def windows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "small windows":  # a window ends every few segments
        monkeypatch.setattr(tokenizer, "_FIRST_WINDOW", 16)
        monkeypatch.setattr(tokenizer, "_MAX_WINDOW", 300)


@pytest.mark.usefixtures("windows")
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.edi")), ids=lambda p: p.name)
def test_each_fixture_skipped_gives_what_it_gives_read(path: Path) -> None:
    assert_skipped_as_read(path.read_bytes())


@pytest.mark.usefixtures("windows")
@pytest.mark.parametrize("file", x12_files(), ids=lambda f: f.short)
def test_each_corpus_file_skipped_gives_what_it_gives_read(file: CorpusFile) -> None:
    assert_skipped_as_read(file.path.read_bytes())


def isa(isa13: int) -> str:
    text = (
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
        f"*261123*1200*U*00401*{isa13:09d}*0*P*>~"
    )
    assert len(text) == 106
    return text


def body(number: int, segments: int) -> list[str]:
    """An 856's segments between its ST and SE (their content is not read by the pass)."""
    lines = [f"BSN*00*ASN{number:06d}*20261123*1200", "HL*1**S"]
    for n in range(segments - 2):
        lines.append(
            [f"HL*{n + 2}*1*I", f"LIN**UP*0123456{n:05d}", "SN1**12*EA", "REF*LT*LOT A 1"][n % 4]
        )
    return lines


def interchange(isa13: int, sets: int, segments: int) -> list[str]:
    """An interchange of a group of ``sets`` 856s, its segments without terminators."""
    lines = [isa(isa13)[:-1], f"GS*SH*SENDER*RECEIVER*20261123*1200*{isa13}*X*004010"]
    for number in range(1, sets + 1):
        lines.append(f"ST*856*{number:04d}")
        lines += body(number, segments)
        lines.append(f"SE*{segments + 2}*{number:04d}")
    lines += [f"GE*{sets}*{isa13}", f"IEA*1*{isa13:09d}"]
    return lines


DAMAGE: dict[str, str | None] = {
    "no segment": None,  # the segment there is taken out (an SE, a GE, an IEA, a body's)
    "stray ISA": isa(7)[:-1],
    "stray GS": "GS*SH*SENDER*RECEIVER*20261123*1200*77*X*004010",
    "stray GE": "GE*1*1",
    "stray IEA": "IEA*1*000000001",
    "stray ST": "ST*856*0099",
    "stray SE": "SE*4*0001",
    "empty": "",
    "blank": " \t ",
    "SE after blanks": "  SE*9*0001",
    "GE after a NUL": "\x00GE*1*1",
    "SE alone": "SE",
    "SE and blanks": "SE  ",
    "not SE": "SEX*1",
    "SE in a value": "REF*SE*1",
    "ISA in a value": "REF*ZZ*ISA IEA",
    "non-ASCII": "REF*ZZ*CAF\u00c9",
    "control characters": "REF*ZZ*\x0b\x0c\x1a",
}


def styled(lines: list[str], style: str) -> str:
    text = "~\n".join(lines) + "~\n"
    if style == "~":
        return text.replace("~\n", "~")
    if style == "~ CRLF":
        return text.replace("~\n", "~\r\n")
    if style == "LF as terminator":
        return text.replace("~\n", "\n")
    if style == "' and |":
        return text.replace("~\n", "'").replace("*", "|")
    if style == "wrapped":
        flat = text.replace("~\n", "~")
        return "\n".join(flat[i : i + 80] for i in range(0, len(flat), 80))
    return text


STYLES = ["~ LF", "~", "~ CRLF", "LF as terminator", "' and |", "wrapped"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.tuples(st.integers(1, 3), st.integers(2, 40)), min_size=1, max_size=2),
    damage=st.lists(
        st.tuples(st.sampled_from(sorted(DAMAGE)), st.floats(0, 1)), min_size=0, max_size=4
    ),
    style=st.sampled_from(STYLES),
    cut=st.one_of(st.none(), st.floats(0, 1)),
    small_windows=st.booleans(),
)
def test_damaged_files_skipped_give_what_they_give_read(
    shape: list[tuple[int, int]],
    damage: list[tuple[str, float]],
    style: str,
    cut: float | None,
    small_windows: bool,
) -> None:
    lines = [
        line
        for isa13, (sets, segments) in enumerate(shape, start=1)
        for line in interchange(isa13, sets, segments)
    ]
    for how, where in damage:
        at = 1 + int(where * (len(lines) - 2))  # never the first ISA
        inserted = DAMAGE[how]
        if inserted is None:
            del lines[at]
        else:
            lines.insert(at, inserted)
    data = styled(lines, style).encode()
    if cut is not None:
        data = data[: int(cut * len(data))]
    with pytest.MonkeyPatch.context() as patch:
        if small_windows:
            patch.setattr(tokenizer, "_FIRST_WINDOW", 16)
            patch.setattr(tokenizer, "_MAX_WINDOW", 300)
        assert_skipped_as_read(data)


@pytest.mark.usefixtures("windows")
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_each_damage_inside_a_huge_set_skipped_gives_what_it_gives_read(
    how: str, style: str
) -> None:
    lines = interchange(1, 2, 60) + interchange(2, 1, 60)
    for at in (4, 30, 63):  # in the first set's body, its SE, the second set's ST
        damaged = list(lines)
        inserted = DAMAGE[how]
        if inserted is None:
            del damaged[at]
        else:
            damaged.insert(at, inserted)
        assert_skipped_as_read(styled(damaged, style).encode())


@pytest.mark.parametrize("style", STYLES)
def test_windows_ending_anywhere_skipped_give_what_they_give_read(
    style: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows of every width from 5 to 80 characters: the text a skip reads ends anywhere,
    after an empty segment, on a tag alone (``SE``), after blanks..."""
    lines = interchange(1, 2, 12)  # the sets' STs at 2 and 16, their SEs at 15 and 29
    lines[15], lines[29] = "SE", "SE  "
    for at, inserted in ((24, ""), (10, ""), (8, ""), (6, " ")):
        lines.insert(at, inserted)
    data = styled(lines, style).encode()
    for width in range(5, 81):
        monkeypatch.setattr(tokenizer, "_FIRST_WINDOW", width)
        monkeypatch.setattr(tokenizer, "_MAX_WINDOW", width)
        assert_skipped_as_read(data, (0,))


@pytest.mark.parametrize("style", STYLES)
def test_a_file_cut_anywhere_skipped_gives_what_it_gives_read(
    style: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut at every byte: the end of input in a segment, after a tag alone (``SE``), after
    blanks, in the ISA of the next interchange..."""
    monkeypatch.setattr(tokenizer, "_FIRST_WINDOW", 16)
    monkeypatch.setattr(tokenizer, "_MAX_WINDOW", 64)
    lines = interchange(1, 2, 6)
    lines.insert(5, "SE  ")
    lines.insert(9, "  GE")
    data = (styled(lines, style) + isa(2)[:50]).encode()
    start = data.index(b"BSN")
    for end in range(start, len(data) + 1):
        assert_skipped_as_read(data[:end], (0,))


@pytest.mark.parametrize(
    "noise",
    [b"\xff\xfe", "\ufeff".encode(), b"\x85"],
    ids=["undecodable", "byte order mark", "NEL"],
)
def test_undecodable_bytes_in_a_set_skipped_give_what_they_give_read(noise: bytes) -> None:
    lines = interchange(1, 2, 30)
    data = styled(lines, "~ LF").encode()
    middle = data.index(b"LIN**UP*0123456")
    assert_skipped_as_read(data[:middle] + noise + data[middle:])


def test_a_huge_set_is_counted_by_the_tokenizer_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The skip is taken (not every segment read the old way, unnoticed): of a set of 20,000
    segments huge from its 100th, most are counted, not read; not those of the first window
    (of 4 kB) nor of the last (which holds the IEA: read segment by segment)."""
    counted: list[int] = []
    skip: Callable[..., tuple[int, int]] = tokenizer._skip

    def counting(*args: object) -> tuple[int, int]:
        skipped, start = skip(*args)
        counted.append(skipped)
        return skipped, start

    monkeypatch.setattr(tokenizer, "_skip", counting)
    data = styled(interchange(1, 1, 20_000), "~ LF").encode()
    [huge] = [e for e in events(data, 100, tokenized=False) if isinstance(e, huge_sets.HugeSet)]
    assert huge.segments_read == 20_002 and not huge.findings
    assert sum(counted) > 15_000

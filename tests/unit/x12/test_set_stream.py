"""A transaction set validated as its segments come (set_stream.py): the compiled validator's
findings for the set held whole, HL hierarchy findings included."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.formats.x12.compiled import CompiledValidator
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.set_stream import KEPT_FINDINGS, StreamedValidation, _LevelCodes
from adapters.formats.x12.structure import TransactionSet
from tests.unit.x12.strategies import CORPUS, corpus_files, transaction_from_text
from tests.unit.x12.test_846_in_parts import UNMAPPED
from tests.unit.x12.test_856_in_parts import BSN, IRREGULAR

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
VALIDATOR = CompiledValidator(loop_tree=False)


def _x12(path: Path) -> bool:
    return path.read_bytes().lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"ISA")


def streamed(tx: TransactionSet) -> list[object]:
    validation = StreamedValidation(
        VALIDATOR, TransactionSet(tx.interchange, tx.group, tx.segments[:1])
    )
    for segment in tx.segments[1:]:
        validation.feed(segment)
    return list(validation.finish(saw_se=tx.segments[-1].tag == "SE"))


def test_sets_of_the_fixtures_and_the_corpus_get_the_findings_they_get_whole() -> None:
    names = {name for kind in ("856", "846", "850", "810") for name in corpus_files(kind)}
    paths = [*FIXTURES.glob("*.edi"), *(CORPUS / name for name in sorted(names))]
    sets = [tx for path in paths if _x12(path) for tx in transactions_in(path.read_bytes())]
    assert len(sets) > 30
    assert any(VALIDATOR.validate(tx).findings for tx in sets)
    for tx in sets:
        assert streamed(tx) == VALIDATOR.validate(tx).findings


@pytest.mark.parametrize(
    "body",
    [
        *IRREGULAR,
        BSN + "HL*1**S~HL*3*1*O~PRF*P~HL*3*9*I~SN1**1*EA~HL*5**Q~HL*6*5*O~HL*7*7*I~HL*8*1",
        BSN.replace("1415", "1415*0002") + "HL*1**S~HL*2*1*O~PRF*P~HL*3*2*I~SN1**1*EA~HL*4*3*P",
        "BSN*00*A1*20240301*1415~HL*1**S~HL*2*1*O~PRF*P~ZZZ*X~TD1*CTN*A",
    ],
)
def test_ship_notices_good_and_bad_get_the_findings_they_get_whole(body: str) -> None:
    tx = transaction_from_text(body, "856")
    assert streamed(tx) == VALIDATOR.validate(tx).findings


def test_a_set_without_its_se_is_closed_by_a_stand_in_as_held_whole() -> None:
    tx = transaction_from_text(UNMAPPED, "846")
    cut = TransactionSet(tx.interchange, tx.group, tx.segments[:-3])
    assert streamed(cut) == VALIDATOR.validate(cut).findings


def test_hl_numbers_counted_up_take_a_byte_and_any_other_a_dict_entry() -> None:
    levels = _LevelCodes()
    for number in range(1, 10_001):
        levels[str(number)] = "I" if number % 2 else "P"
    levels["007"] = "O"
    levels["99999999999"] = "T"
    assert len(levels.counted) < 40_000 and set(levels.others) == {"007", "99999999999"}
    assert (levels["7"], levels["8"], levels["007"], levels["99999999999"]) == ("I", "P", "O", "T")
    assert "10001" not in levels and "0" not in levels and "7" in levels


def test_a_set_over_the_standards_repeat_counts_keeps_a_thousand_findings_and_counts_the_rest() -> (
    None
):
    loops = 10_000 + KEPT_FINDINGS + 50  # the standard allows 10,000 LIN loops in an 846
    body = "BIA*00*SI*INV-7*20261204~" + "LIN**VN*A~QTY*17*1~" * loops + f"CTT*{loops}"
    tx = transaction_from_text(body, "846")
    validation = StreamedValidation(
        VALIDATOR, TransactionSet(tx.interchange, tx.group, tx.segments[:1])
    )
    for segment in tx.segments[1:]:
        validation.feed(segment)
    findings = validation.finish(saw_se=True)
    assert len(findings) == KEPT_FINDINGS and validation.left_off == 50
    assert {f.code for f in findings} == {"syntax.loop_over_max"}


def test_findings_past_the_thousand_kept_are_counted_not_made_the_kept_ones_as_held_whole() -> None:
    # loops over the standard's 10,000 and segments over their maximum use (DTM: 10 in the
    # header and in a LIN loop), past the thousand kept: the first thousand of the set held
    # whole (no limit there), and the rest counted
    loop = "LIN**VN*A~QTY*17*1~"
    dated = "LIN**VN*B~" + "DTM*036*20270101~" * 12 + "QTY*17*1~"
    loops = 10_000 + KEPT_FINDINGS + 50
    body = (
        "BIA*00*SI*INV-7*20261204~"
        + "DTM*007*20261204~" * 13
        + "".join(dated if n % 97 == 0 else loop for n in range(loops))
        + f"CTT*{loops}"
    )
    tx = transaction_from_text(body, "846")
    whole = VALIDATOR.validate(tx).findings
    assert {f.code for f in whole[KEPT_FINDINGS:]} == {
        "syntax.loop_over_max",
        "syntax.segment_over_max_use",
    }
    validation = StreamedValidation(
        VALIDATOR, TransactionSet(tx.interchange, tx.group, tx.segments[:1])
    )
    for segment in tx.segments[1:]:
        validation.feed(segment)
    assert validation.finish(saw_se=True) == whole[:KEPT_FINDINGS]
    assert validation.left_off == len(whole) - KEPT_FINDINGS
    assert validation.run is not None and validation.run.left_off > 0  # counted, never made

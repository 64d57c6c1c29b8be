"""The validator remembers walks and element checks: a replay gives exactly what a first run gives.

Each case is validated by a validator over a fresh copy of the maps (nothing remembered yet), then
again (walk and element checks replayed), then at other file positions (replayed too), and every
result is compared with a first run on another fresh copy.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from adapters.formats.x12.findings import Finding, Level, Severity
from adapters.formats.x12.pyx12_engine import MAP_PATH, Pyx12Validator
from adapters.formats.x12.pyx12_maps import bounded_put
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.validation import ValidationResult
from tests.unit.x12.test_pyx12_engine import ASN_4010, PO_4010, make_transaction

CASES = {
    "clean 850": (PO_4010, {}),
    "clean 856": (ASN_4010, {"functional_id": "SH"}),
    "mandatory BEG missing": (PO_4010.replace("BEG*00*SA*PO-1001**20240115~", ""), {}),
    "CUR over its maximum use": (PO_4010.replace("CUR*BY*USD~", "CUR*BY*USD~" * 3), {}),
    "N1 loop over its maximum": (
        PO_4010.replace("N1*BT*HEAD OFFICE*92*0001~", "N1*BT*HEAD OFFICE*92*0001~" * 201),
        {},
    ),
    "segment out of order": (PO_4010.replace("CUR*BY*USD~REF*DP*042", "REF*DP*042~CUR*BY*USD"), {}),
    "element errors": (PO_4010.replace("PO-1001", "P" * 30).replace("*EA*1.25*", "*EA*1.2.5*"), {}),
    "too many components": (PO_4010.replace("*EA*1.25*", "*EA:X:Y*1.25*"), {}),
    "too many repetitions": (
        PO_4010.replace("REF*DP*042", "REF*DP*042^043"),
        {"version": "005010", "isa_version": "00501", "repetition": "^"},
    ),
}


def fresh_validator(folder: Path) -> Pyx12Validator:
    """A validator over its own copy of the maps: nothing remembered from other tests."""
    folder.mkdir()
    for entry in Path(MAP_PATH).iterdir():
        (folder / entry.name).symlink_to(entry)
    return Pyx12Validator(folder)


def shifted(tx: TransactionSet, by: int) -> TransactionSet:
    segments = [dataclasses.replace(s, position=s.position + by) for s in tx.segments]
    return dataclasses.replace(tx, segments=segments)


def outcome(result: ValidationResult) -> tuple[object, list[Finding]]:
    return result.tree, result.findings


@pytest.mark.parametrize("case", list(CASES))
def test_a_replayed_validation_is_the_first_one(case: str, tmp_path: Path) -> None:
    text, options = CASES[case]
    tx = make_transaction(text, **options)
    elsewhere = shifted(tx, 40)
    remembering = fresh_validator(tmp_path / "a")
    first = outcome(remembering.validate(tx))
    assert first[1] or case.startswith("clean"), "the case should produce findings"
    assert outcome(remembering.validate(tx)) == first
    assert outcome(remembering.validate(elsewhere)) == outcome(
        fresh_validator(tmp_path / "b").validate(elsewhere)
    )


def test_findings_of_a_replayed_walk_point_into_their_own_file(tmp_path: Path) -> None:
    tx = make_transaction(PO_4010.replace("BEG*00*SA*PO-1001**20240115~", ""))
    validator = fresh_validator(tmp_path / "maps")
    validator.validate(tx)
    (missing,) = [f for f in validator.validate(shifted(tx, 100)).findings if f.segment_id == "BEG"]
    assert (missing.code, missing.segment_position) == ("syntax.segment_missing", 2)
    assert missing.file_position == tx.segments[1].position + 100


def test_a_bounded_memo_forgets_its_oldest_entry_first() -> None:
    memo: dict[str, int] = {}
    for number, key in enumerate("abcd"):
        bounded_put(memo, key, number, 3)
    assert memo == {"b": 1, "c": 2, "d": 3}


def test_a_finding_as_a_dict_holds_the_fields_that_are_set_in_order() -> None:
    finding = Finding(
        "syntax.element_too_long",
        "too long",
        Level.ELEMENT,
        severity=Severity.WARNING,
        file="in.edi",
        segment_position=3,
        element="BEG03",
        found="X" * 30,
    )
    expected = {k: v for k, v in dataclasses.asdict(finding).items() if v is not None}
    assert list(finding.to_dict().items()) == list(expected.items())
    assert finding.to_dict()["level"] is Level.ELEMENT


def test_a_segment_with_an_unrecognized_id_is_replayed_too(tmp_path: Path) -> None:
    tx = make_transaction(PO_4010.replace("CUR*BY*USD", "cur*BY*USD"))
    validator = fresh_validator(tmp_path / "maps")
    first = outcome(validator.validate(tx))
    assert any(f.code == "syntax.segment_unrecognized" for f in first[1])
    assert outcome(validator.validate(tx)) == first

"""The pyx12-backed validator: map selection, findings with 997/999 codes, loop tree, guard."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from adapters.formats.x12.compiled import CompiledValidator
from adapters.formats.x12.findings import Finding, Level, Severity
from adapters.formats.x12.pyx12_engine import Pyx12Validator, normalize_version
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.segments import Segment, Separators
from adapters.formats.x12.structure import GroupHeader, InterchangeHeader, TransactionSet
from adapters.formats.x12.validation import LoopNode, TransactionValidator

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"


def make_transaction(
    text: str,
    *,
    version: str = "004010",
    functional_id: str = "PO",
    isa_version: str = "00401",
    repetition: str | None = None,
) -> TransactionSet:
    """A transaction set from ``SEG*el*el~SEG*...`` text, in a made-up interchange and group."""
    separators = Separators("*", ":", "~", repetition)
    segments = []
    for position, raw in enumerate(text.split("~"), start=3):
        tag, *elements = raw.split("*")
        segments.append(Segment(tag, elements, separators, position))
    interchange = InterchangeHeader(
        Segment("ISA", []), separators, "00", "", "00", "", "ZZ", "SENDER", "ZZ", "RECEIVER",
        "240101", "1200", repetition or "U", isa_version, "000000001", "0", "P",
    )  # fmt: skip
    group = GroupHeader(
        Segment("GS", []),
        functional_id,
        "SENDER",
        "RECEIVER",
        "20240101",
        "1200",
        "7",
        "X",
        version,
    )
    return TransactionSet(interchange, group, segments)


PO_4010 = "~".join(
    [
        "ST*850*0001",
        "BEG*00*SA*PO-1001**20240115",
        "CUR*BY*USD",
        "REF*DP*042",
        "PER*BD*JANE BUYER*TE*5551234567",
        "FOB*CC",
        "ITD*01*3*2**30**60",
        "DTM*002*20240201",
        "TD5*B*2*UPSN*M",
        "N9*L1*NOTES",
        "MSG*HANDLE WITH CARE",
        "N1*ST*STORE 7*92*0007",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*62701*US",
        "N1*BT*HEAD OFFICE*92*0001",
        "PO1*1*12*EA*1.25*PE*UP*012345678905*VN*SKU-1",
        "CTP**RES*2.49",
        "PID*F****BLUE WIDGET",
        "PO4*12*1*EA",
        "SDQ*EA*92*0007*12",
        "PO1*2*6*CA*10**UP*012345678912",
        "CTT*2*18",
        "SE*23*0001",
    ]
)
PO_5010 = (
    PO_4010.replace("N9*L1*NOTES~MSG*HANDLE WITH CARE", "N9*L1*NOTES~MSG*KEEP DRY~MTX**KEEP DRY")
    .replace("REF*DP*042", "REF*DP*042*" + "D" * 50)
    .replace("SE*23*0001", "SE*24*0001")
)
ACK_4010 = "~".join(
    [
        "ST*855*0001",
        "BAK*00*AC*PO-1001*20240116",
        "REF*VR*V1",
        "DTM*068*20240201",
        "N1*ST*STORE 7*92*0007",
        "PO1*1*12*EA*1.25**UP*012345678905",
        "ACK*IA*12*EA*068*20240201",
        "DTM*067*20240201",
        "PO1*2*6*CA*10**UP*012345678912",
        "ACK*IR*6*CA",
        "CTT*2",
        "SE*12*0001",
    ]
)
ASN_4010 = "~".join(
    [
        "ST*856*0001",
        "BSN*00*SHIP-77*20240120*1530*0001",
        "DTM*011*20240120*1530",
        "HL*1**S",
        "TD1*CTN25*2****G*40*LB",
        "TD5*B*2*UPSN*M",
        "REF*BM*BOL-1",
        "N1*ST*STORE 7*92*0007",
        "N1*SF*WAREHOUSE*92*WH1",
        "HL*2*1*O",
        "PRF*PO-1001***20240115",
        "HL*3*2*P",
        "MAN*GM*00000123450000000017",
        "HL*4*3*I",
        "LIN*1*UP*012345678905*VN*SKU-1",
        "SN1**12*EA",
        "PID*F****BLUE WIDGET",
        "HL*5*2*P",
        "MAN*GM*00000123450000000024",
        "HL*6*5*I",
        "LIN*2*UP*012345678912",
        "SN1**6*CA",
        "CTT*6",
        "SE*24*0001",
    ]
)
FA_4010 = "ST*997*0001~AK1*PO*7~AK2*850*0001~AK3*BEG*2**8~AK4*3*324*5*TOO LONG~AK5*R*5~AK9*R*1*1*0~SE*8*0001"  # noqa: E501
IA_5010 = "~".join(
    [
        "ST*999*0001*005010X231A1",
        "AK1*HC*7*005010X222A1",
        "AK2*837*0001*005010X222A1",
        "IK3*NM1*8*2010*8",
        "CTX*SITUATIONAL TRIGGER^CLM01:123",
        "IK4*3*66*1",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0001",
    ]
)


@pytest.fixture(
    scope="module", params=[Pyx12Validator, CompiledValidator], ids=["pyx12", "compiled"]
)
def validator(request: pytest.FixtureRequest) -> Pyx12Validator:
    """Every test of the engine runs on pyx12's walker and on the compiled validator."""
    made: Pyx12Validator = request.param()
    return made


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, [f.describe() for f in findings]
    return matching[0]


def validate(validator: Pyx12Validator, text: str, **options: str | None) -> list[Finding]:
    return validator.validate(make_transaction(text, **options)).findings  # type: ignore[arg-type]


# -- map selection ------------------------------------------------------------------------------


def test_it_is_a_transaction_validator() -> None:
    validator: TransactionValidator = Pyx12Validator()
    assert validator.supports(make_transaction(PO_4010))


@pytest.mark.parametrize(
    ("gs08", "expected"),
    [
        ("004010", "004010"),
        ("004010VICS", "004010"),
        ("004010UCS", "004010"),
        ("005010VICS", "005010"),
        ("005010X231A1", "005010"),
        ("4010", "004010"),
        ("00401", "004010"),
        (" 004010 ", "004010"),
        ("VICS", None),
        ("", None),
        ("21", None),
    ],
)
def test_gs08_variants_normalise_to_the_base_version(gs08: str, expected: str | None) -> None:
    assert normalize_version(gs08) == expected


@pytest.mark.parametrize(
    ("set_id", "functional_id", "gs08", "isa12", "map_file"),
    [
        ("850", "PO", "004010VICS", "00400", "850.004010.xml"),
        ("850", "PO", "004010", "00401", "850.004010.xml"),
        ("855", "PR", "004010UCS", "00401", "855.004010.xml"),
        ("856", "SH", "004010", "00403", "856.004010.xml"),
        ("850", "PO", "005010VICS", "00501", "850.005010.xml"),
        ("856", "SH", "005010", "00501", "856.005010.xml"),
        ("997", "FA", "004010", "00401", "997.004010.xml"),
        ("997", "FA", "005010X230", "00501", "997.005010.xml"),
        ("999", "FA", "005010X231A1", "00501", "999.005010.xml"),
        # Real files put a 005010 group in an 00401 interchange: the group's GS08 decides.
        ("855", "PR", "005010", "00401", "855.005010.xml"),
    ],
)
def test_the_map_is_chosen_by_st01_and_gs08(
    validator: Pyx12Validator, set_id: str, functional_id: str, gs08: str, isa12: str, map_file: str
) -> None:
    tx = make_transaction(
        f"ST*{set_id}*0001~SE*2*0001",
        version=gs08,
        functional_id=functional_id,
        isa_version=isa12,
    )
    assert validator.map_file(tx) == map_file
    assert validator.supports(tx)


def test_the_set_id_picks_the_map_even_in_the_wrong_group(validator: Pyx12Validator) -> None:
    # The reader reports the GS01 mismatch; the validator still checks the 850 as an 850.
    tx = make_transaction(PO_4010, functional_id="PR")
    assert validator.map_file(tx) == "850.004010.xml"
    assert errors(validator.validate(tx).findings) == []


@pytest.mark.parametrize(
    ("set_id", "gs08"), [("820", "004010"), ("812", "004010"), ("850", "003040"), ("850", "VICS")]
)
def test_sets_without_a_map_are_not_supported_and_get_one_warning(
    validator: Pyx12Validator, set_id: str, gs08: str
) -> None:
    tx = make_transaction(f"ST*{set_id}*0001~BIG*20240101*INV1~SE*3*0001", version=gs08)
    assert not validator.supports(tx)
    result = validator.validate(tx)
    assert [f.code for f in result.findings] == ["validation.no_map"]
    assert result.findings[0].severity is Severity.WARNING
    assert result.findings[0].transaction == "0001"


# -- valid documents ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version", "functional_id", "repetition"),
    [
        (PO_4010, "004010", "PO", None),
        (PO_5010, "005010", "PO", "^"),
        (ACK_4010, "004010", "PR", None),
        (ACK_4010.replace("REF*VR*V1", "REF*VR*" + "V" * 50), "005010", "PR", "^"),
        (ASN_4010, "004010VICS", "SH", None),
        (ASN_4010, "005010", "SH", "^"),
        (FA_4010, "004010", "FA", None),
        (IA_5010, "005010X231A1", "FA", "^"),
    ],
    ids=["850-4010", "850-5010", "855-4010", "855-5010", "856-4010", "856-5010", "997", "999"],
)
def test_valid_documents_have_no_findings(
    validator: Pyx12Validator, text: str, version: str, functional_id: str, repetition: str | None
) -> None:
    tx = make_transaction(text, version=version, functional_id=functional_id, repetition=repetition)
    assert [f.describe() for f in validator.validate(tx).findings] == []


def test_the_loop_tree_follows_the_map(validator: Pyx12Validator) -> None:
    tree = validator.validate(make_transaction(PO_4010)).tree
    assert tree.loop_id == "ST"
    assert tree.segments == [1, 2, 3, 4, 5, 6, 7, 8, 9, 23]
    assert [c.loop_id for c in tree.children] == ["N9", "N1", "N1", "PO1", "PO1", "CTT"]
    n9, ship_to, bill_to, first, second, totals = tree.children
    assert n9.segments == [10, 11]
    assert ship_to.segments == [12, 13, 14] and bill_to.segments == [15]
    assert first.segments == [16, 19, 20]
    assert [(c.loop_id, c.segments) for c in first.children] == [("CTP", [17]), ("PID", [18])]
    assert second == LoopNode("PO1", [21]) and totals == LoopNode("CTT", [22])


def test_repeated_hl_loops_are_separate_instances(validator: Pyx12Validator) -> None:
    tree = validator.validate(make_transaction(ASN_4010, functional_id="SH")).tree
    hls = tree.children
    assert [h.loop_id for h in hls] == ["HL"] * 6
    assert [h.segments[0] for h in hls] == [4, 10, 12, 14, 18, 20]
    assert [c.loop_id for c in hls[0].children] == ["N1", "N1"]
    assert hls[3].segments == [14, 15, 16, 17]


# -- findings and their codes -------------------------------------------------------------------


def test_missing_mandatory_segment(validator: Pyx12Validator) -> None:
    findings = validate(validator, PO_4010.replace("BEG*00*SA*PO-1001**20240115~", ""))
    missing = only(findings, "syntax.segment_missing")
    assert (missing.segment_id, missing.segment_code, missing.transaction_code) == ("BEG", "3", "5")
    assert missing.segment_position == 2  # where it was due: before CUR, now segment 2
    assert missing.file_position == 4
    assert (missing.interchange, missing.group, missing.transaction) == ("000000001", "7", "0001")
    assert missing.transaction_set_id == "850"
    assert "BEG" in missing.message and "CUR" in missing.message


def test_missing_mandatory_loop_at_the_end(validator: Pyx12Validator) -> None:
    text = "ST*850*0001~BEG*00*SA*PO-1001**20240115~CTT*0~SE*4*0001"
    missing = only(validate(validator, text), "syntax.segment_missing")
    assert (missing.segment_id, missing.loop_id, missing.segment_code) == ("PO1", "PO1", "3")
    assert "loop PO1" in missing.message


def test_segments_after_a_missing_se_are_still_flushed(validator: Pyx12Validator) -> None:
    text = "ST*850*0001~BEG*00*SA*PO-1001**20240115"
    findings = validate(validator, text)
    missing = only(findings, "syntax.segment_missing")
    assert missing.segment_id == "PO1" and missing.segment_position is None
    assert all(f.segment_id != "SE" for f in findings)  # the reader reports the SE itself


@pytest.mark.parametrize(
    ("segment", "code", "x12"),
    [
        ("XYZ*1", "syntax.segment_unrecognized", "1"),
        ("BSN*00*1*20240101*1200", "syntax.segment_not_in_set", "6"),
        ("LQ*1", "syntax.segment_unexpected", "2"),
        ("CUR*BY*USD", "syntax.segment_out_of_order", "7"),
    ],
)
def test_segments_that_do_not_fit(
    validator: Pyx12Validator, segment: str, code: str, x12: str
) -> None:
    text = PO_4010.replace("TD5*B*2*UPSN*M", f"TD5*B*2*UPSN*M~{segment}")
    finding = only(validate(validator, text), code)
    assert finding.segment_code == x12 and finding.level is Level.SEGMENT
    assert finding.segment_id == segment.split("*")[0]
    assert finding.segment_position == 10 and finding.file_position == 12


def test_segment_over_maximum_use(validator: Pyx12Validator) -> None:
    finding = only(
        validate(validator, PO_4010.replace("CUR*BY*USD", "CUR*BY*USD~CUR*SE*CAD")),
        "syntax.segment_over_max_use",
    )
    assert (finding.segment_id, finding.segment_position, finding.segment_code) == ("CUR", 4, "5")
    assert (finding.expected, finding.found) == ("at most 1", "2")


def test_loop_over_maximum_repeat(validator: Pyx12Validator) -> None:
    finding = only(
        validate(validator, PO_4010.replace("CTT*2*18", "CTT*2*18~CTT*2*18")),
        "syntax.loop_over_max",
    )
    assert (finding.loop_id, finding.segment_position, finding.segment_code) == ("CTT", 23, "4")


@pytest.mark.parametrize(
    ("old", "new", "code", "element", "x12"),
    [
        (
            "BEG*00*SA*PO-1001**",
            "BEG*00*SA*" + "P" * 23 + "**",
            "syntax.element_too_long",
            "BEG03",
            "5",
        ),
        ("ITD*01*3*2", "ITD*01*3*" + "1" * 7, "syntax.element_too_long", "ITD03", "5"),
        ("BEG*00", "BEG*99", "syntax.invalid_code", "BEG01", "7"),
        (
            "BEG*00*SA*PO-1001**20240115",
            "BEG*00*SA*PO-1001**20241315",
            "syntax.invalid_date",
            "BEG05",
            "8",
        ),
        ("DTM*002*20240201", "DTM*002*20240201*2561", "syntax.invalid_time", "DTM03", "9"),
        ("BEG*00*SA*PO-1001", "BEG*00*SA*", "syntax.element_missing", "BEG03", "1"),
        ("CUR*BY*USD", "CUR*BY*US", "syntax.element_too_short", "CUR02", "4"),
        ("PO1*1*12*EA*1.25", "PO1*1*12*EA*1,25", "syntax.invalid_character", "PO104", "6"),
        (
            "N1*ST*STORE 7*92*0007",
            "N1*ST*STORE 7*92",
            "syntax.conditional_element_missing",
            "N103",
            "2",
        ),
        ("CTT*2*18", "CTT*2*18*1*LB*1*LB*X*EXTRA", "syntax.too_many_elements", "CTT08", "3"),
        ("PO1*1*12*EA", "PO1*1*12*EA:X", "syntax.too_many_components", "PO103", "13"),
    ],
)
def test_element_findings_carry_the_ak4_ik4_codes(
    validator: Pyx12Validator, old: str, new: str, code: str, element: str, x12: str
) -> None:
    finding = only(validate(validator, PO_4010.replace(old, new, 1)), code)
    assert finding.element == element
    assert finding.element_position == int(element[-2:])
    assert (finding.element_code, finding.segment_code, finding.transaction_code) == (x12, "8", "5")
    assert finding.level is Level.ELEMENT and finding.is_error
    assert finding.segment_id == element[:-2]


def test_element_finding_details(validator: Pyx12Validator) -> None:
    text = PO_4010.replace("PO-1001", "P" * 23)
    finding = only(validate(validator, text), "syntax.element_too_long")
    assert finding.data_element == "324"
    assert finding.expected == "at most 22 characters" and finding.found == "P" * 23
    assert finding.segment_position == 2 and finding.file_position == 4
    assert "BEG03" in finding.message and "Purchase Order Number" in finding.message


def test_invalid_code_names_the_valid_ones(validator: Pyx12Validator) -> None:
    text = FA_4010.replace("AK5*R*5", "AK5*Q*5")
    finding = only(validate(validator, text, functional_id="FA"), "syntax.invalid_code")
    assert finding.element == "AK501" and finding.found == "Q"
    assert finding.expected == "one of A, E, M, R, W, X"


def test_composite_components_are_located(validator: Pyx12Validator) -> None:
    text = FA_4010.replace("AK4*3*324", "AK4*3:X*324")
    finding = only(validate(validator, text, functional_id="FA"), "syntax.invalid_character")
    assert (finding.element, finding.element_position, finding.component_position) == (
        "AK401-02",
        1,
        2,
    )


def test_repetitions_in_a_non_repeating_element(validator: Pyx12Validator) -> None:
    text = PO_5010.replace("REF*DP*042*", "REF*DP*042^043*")
    findings = validate(validator, text, version="005010", repetition="^")
    finding = only(findings, "syntax.too_many_repetitions")
    assert (finding.element, finding.element_code) == ("REF02", "12")


def test_repeating_composite_repetitions_are_each_validated(validator: Pyx12Validator) -> None:
    ten = "^".join(["TRIGGER"] * 10)
    ok = IA_5010.replace("CTX*SITUATIONAL TRIGGER^CLM01:123", f"CTX*{ten}")
    assert validate(validator, ok, version="005010", functional_id="FA", repetition="^") == []
    eleven = IA_5010.replace("CTX*SITUATIONAL TRIGGER^CLM01:123", f"CTX*{ten}^TRIGGER")
    findings = validate(validator, eleven, version="005010", functional_id="FA", repetition="^")
    assert only(findings, "syntax.too_many_repetitions").expected == "at most 10 repetitions"
    long = IA_5010.replace("^CLM01:123", "^" + "C" * 36)
    findings = validate(validator, long, version="005010", functional_id="FA", repetition="^")
    finding = only(findings, "syntax.element_too_long")
    assert (finding.element, finding.repetition_position) == ("CTX01-01", 2)


def test_trailing_spaces_and_separators_are_warnings(validator: Pyx12Validator) -> None:
    text = PO_4010.replace("N1*ST*STORE 7", "N1*ST*STORE 7  ").replace("CTT*2*18", "CTT*2:*18")
    findings = validate(validator, text)
    assert errors(findings) == []
    assert {f.code for f in findings} == {
        "syntax.trailing_spaces",
        "syntax.trailing_component_separator",
    }


def test_accented_letters_in_free_text_are_a_warning(validator: Pyx12Validator) -> None:
    findings = validate(validator, PO_4010.replace("STORE 7", "MAISON CAFÉ"))
    assert [(f.code, f.severity, f.element) for f in findings] == [
        ("syntax.non_ascii_text", Severity.WARNING, "N102")
    ]
    # Undecodable bytes (U+FFFD) and control characters stay errors, as do codes.
    for bad in ("STORE \ufffd", "STORE \x07"):
        finding = only(
            validate(validator, PO_4010.replace("STORE 7", bad)), "syntax.invalid_character"
        )
        assert finding.is_error
    assert only(
        validate(validator, PO_4010.replace("CUR*BY*USD", "CUR*BY*USÉ")), "syntax.invalid_character"
    )


def test_findings_on_envelope_elements_are_left_to_the_reader(validator: Pyx12Validator) -> None:
    text = PO_4010.replace("ST*850*0001", "ST*850*12").replace("SE*23*0001", "SE*X*123456789012")
    assert validate(validator, text) == []


def test_hl_hierarchy_findings_come_with_the_map_findings(validator: Pyx12Validator) -> None:
    text = ASN_4010.replace("HL*4*3*I", "HL*4*9*I").replace("SN1**12*EA", "SN1**12")
    findings = validate(validator, text, functional_id="SH")
    parent = only(findings, "hierarchy.hl_parent_unknown")
    assert (parent.element, parent.segment_position, parent.element_code) == ("HL02", 14, "7")
    assert only(findings, "syntax.element_missing").element == "SN103"


def test_a_missing_hl03_is_reported_once(validator: Pyx12Validator) -> None:
    findings = validate(validator, ASN_4010.replace("HL*2*1*O", "HL*2*1"), functional_id="SH")
    assert [(f.element, f.element_code) for f in findings] == [("HL03", "1")]


# -- the guard ----------------------------------------------------------------------------------


HOSTILE = [
    Segment("", ["x"]),
    Segment("beg", ["00", "SA", "1", "", "20240101"]),
    Segment("BEG", ["\x00\x01\x02", "\xff\xfe", "é" * 40, "", "2024-01-01"]),
    Segment("PO1", ["1"] * 400),
    Segment("CTP", ["", "", "1", "1", ":" * 50]),
    Segment("N1", ["ST", "X" * 100_000]),
    Segment("ABCD", []),
    Segment("SE", []),
    Segment("SE", ["1", "2", "3"]),
    Segment("HL", ["", "", ""]),
    Segment("ST", ["850", "0001"]),
    Segment("*", ["*"]),
]


def test_a_hostile_segment_list_yields_findings_never_an_exception(
    validator: Pyx12Validator,
) -> None:
    tx = make_transaction("ST*850*0001")
    tx.segments.extend(HOSTILE)
    findings = validator.validate(tx).findings
    codes = {f.code for f in findings}
    assert "syntax.segment_unrecognized" in codes
    assert "validation.engine_failure" not in codes
    assert errors(findings)


@pytest.mark.parametrize("start", range(len(HOSTILE)))
def test_every_hostile_segment_alone_is_handled(validator: Pyx12Validator, start: int) -> None:
    tx = make_transaction("ST*850*0001~BEG*00*SA*1**20240101")
    tx.segments.insert(2, HOSTILE[start])
    findings = validator.validate(tx).findings
    assert errors(findings)
    assert "validation.engine_failure" not in {f.code for f in findings}


def test_an_empty_transaction_set_is_not_an_exception(validator: Pyx12Validator) -> None:
    tx = make_transaction("ST*850*0001")
    tx.segments.clear()
    assert [f.code for f in validator.validate(tx).findings] == ["validation.no_map"]


def test_a_map_that_fails_to_load_becomes_a_finding(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    maps = Path(__file__).resolve().parents[3] / "adapters" / "formats" / "x12" / "maps"
    for name in ("maps.xml", "dataele.xml", "codes.xml"):
        (tmp_path / name).write_text((maps / name).read_text())
    (tmp_path / "850.004010.xml").write_text("<transaction xid='850'><loop")
    validator = Pyx12Validator(tmp_path)
    with caplog.at_level(logging.ERROR):
        findings = validator.validate(make_transaction(PO_4010)).findings
    assert [f.code for f in findings] == ["validation.engine_failure"]
    assert findings[0].is_error and "ParseError" in findings[0].message
    assert any(r.exc_info for r in caplog.records)


def test_a_crash_inside_the_walker_becomes_a_finding(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from pyx12.map_walker import walk_tree

    validator = Pyx12Validator()  # pyx12's own walker crashes here (the compiled one: below)

    original = walk_tree.walk_errors

    def walk_errors(self, node, seg, *args):  # type: ignore[no-untyped-def]
        if seg.get_seg_id() == "PO1":
            raise IndexError("list index out of range")
        return original(self, node, seg, *args)

    monkeypatch.setattr(walk_tree, "walk_errors", walk_errors)
    with caplog.at_level(logging.ERROR):
        findings = validator.validate(make_transaction(PO_4010)).findings
    failure = only(findings, "validation.engine_failure")
    assert failure.is_error and (failure.segment_id, failure.segment_position) == ("PO1", 16)
    assert "IndexError" in failure.message
    assert any(r.exc_info for r in caplog.records)


def large_ship_notice(orders: int, items: int) -> str:
    """An 856 with shipment, orders, packs and items: 11 + orders * (3 + items * 6) segments."""
    segments = ["ST*856*0001", "BSN*00*SHIP-1*20240120*1530*0001", "HL*1**S", "TD1*CTN25*10"]
    segments += ["TD5*B*2*UPSN", "REF*BM*BOL-1", "DTM*011*20240120", "N1*ST*STORE*92*0007"]
    segments += ["N3*1 MAIN ST"]
    hl = 1
    for order in range(orders):
        hl += 1
        order_hl = hl
        segments += [f"HL*{hl}*1*O", f"PRF*PO-{order}***20240115", "REF*IA*99"]
        for item in range(items):
            segments += [f"HL*{hl + 1}*{order_hl}*P", f"MAN*GM*{hl + 1:020d}"]
            segments += [f"HL*{hl + 2}*{hl + 1}*I", f"LIN*{item}*UP*012345678905*VN*SKU{item}"]
            segments += [f"SN1**{item + 1}*EA", "PID*F****WIDGET"]
            hl += 2
    segments += [f"CTT*{hl}", f"SE*{len(segments) + 2}*0001"]
    return "~".join(segments)


@pytest.mark.slow
def test_a_large_ship_notice_validates_clean(validator: Pyx12Validator) -> None:
    tx = make_transaction(large_ship_notice(500, 20), functional_id="SH")
    assert len(tx.segments) == 61_511
    result = validator.validate(tx)
    assert result.findings == []
    assert len(result.tree.children) == 1 + 500 * 41


# -- real files ---------------------------------------------------------------------------------


def _corpus_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    wanted = ("810", "850", "855", "856", "997", "999")
    return [
        r
        for r in rows
        if r["valid_guess"] == "yes"
        and r["saved_name"].startswith("x12/")
        and "NON-STANDARD" not in r["notes"]
        and any(w in r["transaction_set(s)"] for w in wanted)
    ]


# Files the manifest guesses valid where our maps disagree, and why the file (not the map) is
# wrong. Each entry lists the finding codes the file must produce.
KNOWN_BAD = {
    # 004010 DTM05 is a date/time format qualifier (1250) paired with DTM06; these bots samples
    # put a 3040-style century ("19") there.
    "850-004010.16.x12": {"syntax.conditional_element_missing"},
    "850-004010-09.x12": {"syntax.conditional_element_missing"},
    "x12__mailbag01.x12": {"syntax.conditional_element_missing"},
    # Deliberate syntax-note test file (PO106 without PO107).
    "850.SyntaxNotes.ERR.edi": {"syntax.conditional_element_missing"},
    # stupidedi 'fail' fixture: 3-character unit codes where 355 is 2/2.
    "PR855__fail__2.edi": {"syntax.element_too_long"},
    # A 997 holding only ST/SE: AK1 and AK9 are mandatory.
    "empty997.edi": {"syntax.segment_missing"},
    # StAEDI parser tests: repetitions and components in AK3/AK4 elements that have none.
    "extraDelimiter997.edi": {
        "syntax.too_many_repetitions",
        "syntax.invalid_character",
        "syntax.element_too_long",
        "syntax.invalid_code",
        "syntax.too_many_components",
    },
    "invalid997.edi": {"syntax.element_too_long", "syntax.invalid_character"},
    # Editor demo files without a PO1 loop, which the 004010 850 requires.
    "850-lineBreak.x12": {"syntax.segment_missing"},
    "X12-interchanges.x12": {"syntax.segment_missing"},
    # Placeholder "LOCSTATE" in N402 (2/2) and HL02 left empty below the shipment (BSN05 0004).
    "856__Example4.txt": {"syntax.element_too_long", "hierarchy.hl_parent_missing"},
    # AK202 "002" acknowledges an ST02 shorter than the 4 characters 329 requires.
    "DHS_Wisconsin_Sample.txt": {"syntax.element_too_short"},
    # stupidedi's IN810: IT102 and IT104 without IT103 (004010 IT1 syntax note P020304).
    "IN810__pass__1.edi": {"syntax.conditional_element_missing"},
    # moov-io's 810s write a BIG10, which 005010 added: 004010's BIG ends at BIG09.
    "example_4010_810__sample.txt": {"syntax.too_many_elements"},
    # OopFactory's Walmart 810: its ISS sits in the IT1 loop, before the TDS the summary opens with.
    "810__Example5_Walmart.txt": {"syntax.segment_missing", "syntax.segment_unexpected"},
}


@pytest.mark.parametrize("row", _corpus_rows(), ids=lambda r: r["saved_name"][4:70])
def test_real_files_the_manifest_calls_valid(
    validator: Pyx12Validator, row: dict[str, str]
) -> None:
    path = CORPUS / row["saved_name"]
    known = next(
        (codes for key, codes in KNOWN_BAD.items() if row["saved_name"].endswith(key)), None
    )
    found: set[str] = set()
    for tx in transactions_in(path):
        if validator.supports(tx):
            found |= {f.code for f in errors(validator.validate(tx).findings)}
    assert found == (known or set())


def test_the_corpus_run_covers_every_map(validator: Pyx12Validator) -> None:
    rows = _corpus_rows()
    if not rows:
        pytest.skip("corpus not available")
    maps: dict[str, int] = {}
    for row in rows:
        for tx in transactions_in(CORPUS / row["saved_name"]):
            name = validator.map_file(tx)
            if name is not None:
                maps[name] = maps.get(name, 0) + 1
    # No 850/856 in 005010 in the corpus; the inline samples above cover those maps.
    assert set(maps) == {
        "810.004010.xml",
        "850.004010.xml",
        "855.004010.xml",
        "855.005010.xml",
        "856.004010.xml",
        "997.004010.xml",
        "997.005010.xml",
        "999.005010.xml",
    }
    assert sum(maps.values()) > 90


def test_preload_loads_every_map_of_the_index() -> None:
    from adapters.formats.x12.pyx12_engine import Pyx12Validator
    from adapters.formats.x12.pyx12_maps import MAP_CACHE

    validator = Pyx12Validator()
    validator.preload()
    files = {str(entry["map_file"]) for entry in MAP_CACHE.index(validator.map_path).maps}
    assert files and all(MAP_CACHE.load(validator.map_path, f, "") for f in files)
    assert {(validator.map_path, f) for f in files} <= set(MAP_CACHE._maps)

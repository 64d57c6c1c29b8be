"""HL hierarchy checks across the HL segments of a transaction set."""

from __future__ import annotations

from adapters.formats.x12.findings import Finding, Level, Severity
from adapters.formats.x12.hierarchy import check_hierarchy
from tests.unit.x12.test_pyx12_engine import make_transaction


def asn(*hls: str, bsn05: str | None = "0001") -> list[Finding]:
    """Findings for an 856 made of a BSN and the given HL segments (``"2*1*O"``)."""
    bsn = "BSN*00*SHIP-1*20240120*1530" + (f"*{bsn05}" if bsn05 else "")
    body = "~".join(f"HL*{hl}" for hl in hls)
    text = f"ST*856*0001~{bsn}~{body}~CTT*{len(hls)}~SE*{len(hls) + 4}*0001"
    return check_hierarchy(make_transaction(text, functional_id="SH"))


def codes(findings: list[Finding]) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.element, f.segment_position) for f in findings]


def test_a_standard_pack_hierarchy_is_sound() -> None:
    assert asn("1**S", "2*1*O", "3*2*P", "4*3*I", "5*3*I", "6*2*P", "7*6*I") == []


def test_tare_and_items_straight_under_orders_are_sound() -> None:
    assert asn("1**S", "2*1*O", "3*2*T", "4*3*P", "5*4*I", "6*2*I", "7*3*I") == []


def test_a_set_without_hl_segments_has_no_findings() -> None:
    text = "ST*850*0001~BEG*00*SA*1**20240101~PO1*1*1*EA~SE*4*0001"
    assert check_hierarchy(make_transaction(text)) == []


def test_hl01_must_start_at_one() -> None:
    findings = asn("2**S", "3*2*O")
    assert codes(findings) == [("hierarchy.hl_id_sequence", "HL01", 3)]
    assert (findings[0].expected, findings[0].found) == ("1", "2")


def test_hl01_must_go_up_by_one_and_a_gap_is_reported_once() -> None:
    findings = asn("1**S", "2*1*O", "4*2*P", "5*4*I")
    assert codes(findings) == [("hierarchy.hl_id_sequence", "HL01", 5)]
    finding = findings[0]
    assert (finding.segment_code, finding.element_code, finding.transaction_code) == ("8", "7", "5")
    assert (finding.data_element, finding.loop_id, finding.level) == ("628", "HL", Level.ELEMENT)
    assert (finding.transaction, finding.transaction_set_id) == ("0001", "856")
    assert finding.file_position == 7


def test_a_parent_must_be_an_earlier_hl() -> None:
    findings = asn("1**S", "2*3*O", "3*1*O")
    assert codes(findings) == [("hierarchy.hl_parent_unknown", "HL02", 4)]
    assert findings[0].found == "3" and findings[0].data_element == "734"


def test_an_hl_cannot_be_its_own_parent() -> None:
    findings = asn("1**S", "2*2*O")
    assert codes(findings) == [("hierarchy.hl_parent_unknown", "HL02", 4)]
    assert "own parent" in findings[0].message


def test_the_first_hl_has_no_parent() -> None:
    findings = asn("1*1*S")
    assert codes(findings) == [("hierarchy.hl_parent_unknown", "HL02", 3)]
    assert findings[0].expected == "empty"


def test_856_levels_below_the_shipment_name_their_parent() -> None:
    findings = asn("1**S", "2**O", "3*2*I")
    assert codes(findings) == [("hierarchy.hl_parent_missing", "HL02", 4)]
    assert findings[0].element_code == "2"


def test_the_level_code_is_required() -> None:
    findings = asn("1**S", "2*1")
    assert codes(findings) == [("hierarchy.hl_level_missing", "HL03", 4)]
    assert findings[0].element_code == "1"


def test_856_levels_nest_in_order() -> None:
    findings = asn("1**S", "2*1*I", "3*1*O", "4*3*S")
    assert codes(findings) == [
        ("hierarchy.hl_level_order", "HL03", 4),
        ("hierarchy.hl_level_order", "HL03", 6),
    ]
    assert findings[0].found == "I under S" and findings[0].is_error
    assert findings[0].expected == "a parent of level O or P or T"


def test_an_856_starts_with_the_shipment() -> None:
    findings = asn("1**O", "2*1*I")
    assert codes(findings) == [("hierarchy.hl_level_order", "HL03", 3)]


def test_level_order_is_a_warning_when_bsn05_declares_no_structure() -> None:
    findings = asn("1**S", "2*1*I", bsn05=None)
    assert codes(findings) == [("hierarchy.hl_level_order", "HL03", 4)]
    assert findings[0].severity is Severity.WARNING
    assert findings[0].element_code is None and findings[0].transaction_code is None


def test_structure_0002_puts_packs_under_items() -> None:
    assert asn("1**S", "2*1*O", "3*2*I", "4*3*P", bsn05="0002") == []
    assert codes(asn("1**S", "2*1*O", "3*2*I", "4*3*P")) == [
        ("hierarchy.hl_level_order", "HL03", 6)
    ]


def test_other_level_codes_are_not_order_checked() -> None:
    assert asn("1**S", "2*1*O", "3*2*Q", "4*3*I", "5*3*ZZ") == []


def test_other_transaction_sets_may_have_several_top_levels() -> None:
    text = "ST*837*0001~HL*1**20*1~HL*2*1*22*0~HL*3**20*1~HL*4*3*22*0~SE*6*0001"
    assert check_hierarchy(make_transaction(text, functional_id="HC")) == []


def test_hostile_hl_segments_do_not_raise() -> None:
    findings = asn("", "*", "x*y*z", "1*1*1*1*1", "999999999999999999999**S", "1*-1*P")
    assert findings and all(f.segment_id == "HL" for f in findings)

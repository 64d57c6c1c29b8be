from __future__ import annotations

from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.findings import Finding, Severity
from adapters.formats.x12.reader import read_x12, transactions_in
from adapters.formats.x12.structure import (
    Event,
    GroupEnd,
    InterchangeEnd,
    Stray,
    TechnicalAck,
    TransactionSet,
)
from tests.unit.x12.samples import interchange, isa, transaction


def read(text: str) -> list[Event]:
    return list(read_x12(text.encode(), file_name="test.edi"))


def findings(text: str) -> list[Finding]:
    found: list[Finding] = []
    for event in read(text):
        if isinstance(event, TransactionSet | GroupEnd | InterchangeEnd | Stray):
            found.extend(event.findings)
    return found


def errors(text: str) -> list[str]:
    return [f.code for f in findings(text) if f.severity is Severity.ERROR]


def test_a_well_formed_interchange_has_no_findings() -> None:
    assert findings(interchange()) == []


def test_events_come_in_envelope_order() -> None:
    kinds = [
        type(e).__name__ for e in read(interchange([transaction(), transaction(control="0002")]))
    ]
    assert kinds == [
        "InterchangeStart", "GroupStart", "TransactionSet", "TransactionSet", "GroupEnd",
        "InterchangeEnd",
    ]  # fmt: skip


def test_transaction_set_carries_its_envelope() -> None:
    tx = next(transactions_in(interchange().encode()))
    envelope = tx.envelope()
    assert (envelope.sender.id, envelope.receiver.id) == ("SENDER", "RECEIVER")
    assert (envelope.interchange_reference, envelope.group_reference) == (
        "000000001",
        "1",
    )
    assert (envelope.transaction_reference, x12_facts(envelope).version) == ("0001", "004010")
    assert [s.tag for s in tx.segments][0::6] == ["ST", "SE"]


def test_se01_count_mismatch_is_reported_with_expected_and_found() -> None:
    tx = transaction()
    tx[-1] = "SE*99*0001"
    [finding] = [f for f in findings(interchange([tx])) if f.code == "envelope.se_count"]
    assert (finding.expected, finding.found, finding.transaction_code) == ("7", "99", "4")
    assert finding.element == "SE01" and finding.transaction == "0001"
    assert finding.describe().startswith("error: test.edi, interchange 000000001, group 1")


def test_se02_must_match_st02() -> None:
    tx = transaction()
    tx[-1] = "SE*7*0002"
    assert "envelope.se_control_number" in errors(interchange([tx]))


def test_missing_se_is_reported_and_the_next_transaction_still_read() -> None:
    broken = transaction()[:-1]
    events = read(interchange([broken, transaction(control="0002")]))
    sets = [e for e in events if isinstance(e, TransactionSet)]
    assert [s.control_number for s in sets] == ["0001", "0002"]
    assert [f.code for f in sets[0].findings] == ["envelope.se_missing"]
    assert sets[1].findings == []


def test_ge_and_iea_counts_and_control_numbers_are_checked() -> None:
    text = interchange().replace("GE*1*1", "GE*2*9").replace("IEA*1*000000001", "IEA*3*000000002")
    assert sorted(errors(text)) == [
        "envelope.ge_control_number", "envelope.ge_count", "envelope.iea_control_number",
        "envelope.iea_count",
    ]  # fmt: skip


def test_missing_trailers_at_end_of_file_are_reported() -> None:
    text = interchange().split("SE*")[0]
    assert sorted(errors(text)) == [
        "envelope.ge_missing",
        "envelope.iea_missing",
        "envelope.se_missing",
    ]


def test_transaction_in_the_wrong_functional_group_is_not_silently_dropped() -> None:
    events = read(interchange([transaction("856")], functional_id="PO"))
    [tx] = [e for e in events if isinstance(e, TransactionSet)]
    [finding] = tx.findings
    assert finding.code == "envelope.functional_group_mismatch"
    assert finding.transaction_code == "6"
    [group] = [e for e in events if isinstance(e, GroupEnd)]
    assert not group.transactions[0].accepted


def test_duplicate_st02_within_a_group() -> None:
    assert "envelope.st_duplicate_control_number" in errors(
        interchange([transaction(), transaction()])
    )


def test_se_without_st_is_a_finding_not_a_crash() -> None:
    text = interchange().replace("ST*850*0001~\n", "")
    assert "envelope.se_without_st" in errors(text)


def test_transaction_outside_a_group_is_reported_at_interchange_level() -> None:
    text = "~\n".join([isa(), *transaction(), "IEA*0*000000001"]) + "~\n"
    [end] = [e for e in read(text) if isinstance(e, InterchangeEnd)]
    assert [f.ta1_code for f in end.findings] == ["024"]
    assert not any(isinstance(e, TransactionSet) for e in read(text))


def test_invalid_isa_values_carry_ta1_codes() -> None:
    text = interchange().replace("*261123*1200*U*", "*261399*2599*U*")
    codes = {f.element: f.ta1_code for f in findings(text)}
    assert codes == {"ISA09": "014", "ISA10": "015"}


def test_ta1_inside_an_interchange_is_yielded() -> None:
    text = "~\n".join([isa(), "TA1*000000123*261120*1000*A*000", "IEA*0*000000001"]) + "~\n"
    [ta1] = [e for e in read(text) if isinstance(e, TechnicalAck)]
    assert ta1.segment.get(1) == "000000123"
    assert findings(text) == []


def test_garbage_outside_interchanges_is_a_stray_finding() -> None:
    events = read(interchange() + "\nnot edi at all\n")
    [stray] = [e for e in events if isinstance(e, Stray)]
    assert stray.findings[0].code == "envelope.data_outside_interchange"


def test_counts_and_group_control_numbers_compare_as_numbers() -> None:
    text = (
        interchange()
        .replace("SE*7*0001", "SE*0000000007*0001")
        .replace("GE*1*1", "GE*000001*0001")
        .replace("IEA*1*", "IEA*00001*")
    )
    assert errors(text) == []

"""Acknowledgements the gateway writes: 997/999 from findings, TA1, and the outbound interchange."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest

from adapters.formats.x12.acks import (
    DEFAULT_POLICY,
    IMPLEMENTATION_ACK_GUIDE,
    MAX_SEGMENT_ERRORS,
    PENDING,
    AckPolicy,
    InterchangeAcks,
    RenderedAcks,
    acks_for,
    bad_value_copy,
    functional_ack_for,
    functional_ack_kind,
    interchange_ack_for,
    kind_for_version,
    render_acks,
)
from adapters.formats.x12.envelopes import x12_facts
from adapters.formats.x12.findings import Finding, Level, Severity
from adapters.formats.x12.inbound import parse_x12
from adapters.formats.x12.reader import read_x12, transactions_in
from adapters.formats.x12.report import scan
from adapters.formats.x12.segments import Separators
from adapters.formats.x12.structure import (
    GroupEnd,
    InterchangeEnd,
    TechnicalAck,
    TransactionSet,
    TransactionSummary,
)
from adapters.formats.x12.transactions.functional_ack import parse, render_body
from adapters.formats.x12.transactions.interchange_ack import parse_ta1
from adapters.formats.x12.writer import format_segments
from gateway.control_numbers import InMemoryCounter
from gateway.errors import RenderError
from tests.unit.x12.samples import interchange, transaction

NOW = dt.datetime(2026, 11, 23, 13, 45, 10)
PLAIN = Separators(line_break="")


def inbound(text: str) -> list[tuple[list[GroupEnd], InterchangeEnd]]:
    """(groups, end) for each interchange the reader finds in ``text``."""
    result: list[tuple[list[GroupEnd], InterchangeEnd]] = []
    groups: list[GroupEnd] = []
    for event in read_x12(text.encode()):
        if isinstance(event, GroupEnd):
            groups.append(event)
        elif isinstance(event, InterchangeEnd):
            result.append((groups, event))
            groups = []
    return result


def only_group(text: str) -> GroupEnd:
    ((group,), _) = inbound(text)[0]
    return group


def owed(text: str, policy: AckPolicy = DEFAULT_POLICY) -> list[InterchangeAcks]:
    return [acks_for(end, groups, now=NOW, policy=policy) for groups, end in inbound(text)]


def rendered(
    text: str, counter: InMemoryCounter | None = None, policy: AckPolicy = DEFAULT_POLICY
) -> list[RenderedAcks]:
    counter = counter or InMemoryCounter()
    results = [render_acks(acks, counter, at=NOW) for acks in owed(text, policy)]
    return [r for r in results if r is not None]


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def body(ack_segments: list[str]) -> str:
    return "~".join(ack_segments) + "~"


def two_orders(**options: str) -> str:
    return interchange([transaction("850", "0001"), transaction("850", "0002")], **options)


def in_00501(text: str) -> str:
    """``text`` with ISA12 00501 (and ISA11 a repetition separator)."""
    return text.replace("*U*00401*", "*^*00501*")


def with_findings(group: GroupEnd, index: int, findings: list[Finding]) -> GroupEnd:
    summaries = list(group.transactions)
    old = summaries[index]
    summaries[index] = TransactionSummary(
        old.set_id, old.control_number, old.implementation_reference, findings
    )
    return dataclasses.replace(group, transactions=summaries)


REJECTING_FINDINGS = [
    Finding(
        code="syntax.element_too_long",
        message="BEG03 is longer than 22 characters",
        level=Level.ELEMENT,
        segment_id="BEG",
        segment_position=2,
        element="BEG03",
        data_element="324",
        found="PO-1001-WAY-TOO-LONG-FOR-BEG03",
        element_code="5",
    ),
    Finding(
        code="syntax.invalid_code",
        message="PO103 is not a unit of measure",
        level=Level.ELEMENT,
        segment_id="PO1",
        segment_position=4,
        loop_id="PO1",
        element_position=3,
        data_element="355",
        found="XX",
        element_code="7",
    ),
    Finding(
        code="syntax.unexpected_segment",
        message="segment ZZZ is not in the map",
        level=Level.SEGMENT,
        segment_id="ZZZ",
        segment_position=6,
        segment_code="2",
    ),
    Finding(
        code="envelope.se_count",
        message="SE01 does not match",
        level=Level.TRANSACTION,
        transaction_code="4",
    ),
]


# ----------------------------------------------------------------------------------------------
# 997 / 999 contents


def test_a_clean_group_is_accepted_with_an_ak2_per_set() -> None:
    ack = functional_ack_for(only_group(two_orders()))
    assert body(segments(format_segments(render_body(ack), PLAIN))) == (
        "AK1*PO*1~AK2*850*0001~AK5*A~AK2*850*0002~AK5*A~AK9*A*2*2*2~"
    )


def test_a_rejected_set_gets_the_exact_ak3_ak4_ak5_and_the_group_is_partially_accepted() -> None:
    group = with_findings(only_group(two_orders()), 1, REJECTING_FINDINGS)
    ack = functional_ack_for(group)
    assert ack.kind == "997"
    assert format_segments(render_body(ack), PLAIN) == body(
        [
            "AK1*PO*1",
            "AK2*850*0001",
            "AK5*A",
            "AK2*850*0002",
            "AK3*BEG*2**8",
            "AK4*3*324*5*PO-1001-WAY-TOO-LONG-FOR-BEG03",
            "AK3*PO1*4*PO1*8",
            "AK4*3*355*7*XX",
            "AK3*ZZZ*6**2",
            "AK5*R*4*5",
            "AK9*P*2*2*1",
        ]
    )


def test_a_999_reports_the_same_errors_with_ik_segments_versions_and_repetitions() -> None:
    text = in_00501(two_orders(version="005010"))
    findings = [
        *REJECTING_FINDINGS[:1],
        dataclasses.replace(REJECTING_FINDINGS[1], repetition_position=2),
        *REJECTING_FINDINGS[2:],
    ]
    ack = functional_ack_for(with_findings(only_group(text), 1, findings))
    assert ack.kind == "999"
    assert format_segments(render_body(ack), PLAIN) == body(
        [
            "AK1*PO*1*005010",
            "AK2*850*0001",
            "IK5*A",
            "AK2*850*0002",
            "IK3*BEG*2**8",
            "IK4*3*324*5*PO-1001-WAY-TOO-LONG-FOR-BEG03",
            "IK3*PO1*4*PO1*8",
            "IK4*3::2*355*7*XX",
            "IK3*ZZZ*6**2",
            "IK5*R*4*5",
            "AK9*P*2*2*1",
        ]
    )


def test_a_group_where_no_set_is_accepted_is_rejected() -> None:
    group = only_group(two_orders())
    group = with_findings(with_findings(group, 0, REJECTING_FINDINGS[3:]), 1, REJECTING_FINDINGS)
    ack = functional_ack_for(group)
    assert (ack.status, ack.transaction_sets_accepted) == ("R", 0)


def test_a_group_level_error_rejects_the_group_and_ak902_is_ge01_as_received() -> None:
    ack = functional_ack_for(only_group(two_orders().replace("GE*2*1", "GE*3*1")))
    assert (ack.status, ack.error_codes) == ("R", ["5"])
    assert (ack.transaction_sets_included, ack.transaction_sets_received) == (3, 2)
    assert ack.transaction_sets_accepted == 2


def test_without_a_ge_ak902_is_the_number_of_sets_read() -> None:
    text = two_orders().replace("GE*2*1~\n", "")
    ack = functional_ack_for(only_group(text))
    assert (ack.status, ack.error_codes, ack.transaction_sets_included) == ("R", ["3"], 2)


def test_at_most_five_distinct_codes_are_reported() -> None:
    findings = [
        Finding(code="x", message="x", level=Level.TRANSACTION, transaction_code=code)
        for code in ["1", "2", "2", "3", "4", "6", "7", "23"]
    ]
    ack = functional_ack_for(with_findings(only_group(two_orders()), 0, findings))
    assert ack.transactions[0].error_codes == ["1", "2", "3", "4", "6"]


def test_segment_errors_are_capped_per_set() -> None:
    findings = [
        Finding(
            code="syntax.unexpected_segment",
            message="unexpected",
            level=Level.SEGMENT,
            segment_id="ZZZ",
            segment_position=position,
            segment_code="2",
        )
        for position in range(2, 2 + MAX_SEGMENT_ERRORS + 50)
    ]
    ack = functional_ack_for(with_findings(only_group(two_orders()), 0, findings))
    errors = ack.transactions[0].segment_errors
    assert len(errors) == MAX_SEGMENT_ERRORS
    assert errors[0].position == 2


def test_warnings_do_not_reach_the_partner() -> None:
    warning = dataclasses.replace(REJECTING_FINDINGS[0], severity=Severity.WARNING)
    ack = functional_ack_for(with_findings(only_group(two_orders()), 0, [warning]))
    assert ack.transactions[0].status == "A"
    assert ack.transactions[0].segment_errors == []


def test_bad_value_copy_is_printable_without_separators_and_at_most_99_characters() -> None:
    value = "AB*C:D~E\x00\ufffd" + "X" * 200
    assert bad_value_copy(value, ("*", ":", "~")) == "ABCDE" + "X" * 94
    assert bad_value_copy("  ", ("*",)) is None
    assert bad_value_copy(None, ("*",)) is None


def test_a_997_carries_no_implementation_codes() -> None:
    findings = [
        dataclasses.replace(REJECTING_FINDINGS[1], element_code="I6"),
        dataclasses.replace(REJECTING_FINDINGS[0], element_code="I12"),
        dataclasses.replace(REJECTING_FINDINGS[2], segment_code="I4"),
        dataclasses.replace(REJECTING_FINDINGS[3], transaction_code="I5"),
    ]
    group = with_findings(only_group(two_orders()), 0, findings)
    (set_ack, _) = functional_ack_for(group).transactions
    assert set_ack.error_codes == ["5"]
    assert [(e.segment_id, e.error_code) for e in set_ack.segment_errors] == [
        ("BEG", "8"),
        ("PO1", "8"),
        ("ZZZ", None),
    ]
    assert set_ack.segment_errors[0].elements == []
    assert [e.error_code for e in set_ack.segment_errors[1].elements] == ["7"]
    (set_999, _) = functional_ack_for(group, kind="999").transactions
    assert set_999.error_codes == ["I5"]
    assert set_999.segment_errors[2].error_code == "I4"


def test_a_loop_id_too_long_for_ak303_is_left_out() -> None:
    finding = dataclasses.replace(REJECTING_FINDINGS[2], loop_id="2010AA")
    ack = functional_ack_for(with_findings(only_group(two_orders()), 0, [finding]))
    assert ack.transactions[0].segment_errors[0].loop_id is None


# ----------------------------------------------------------------------------------------------
# Which ack, which envelope


@pytest.mark.parametrize(
    ("version", "kind"),
    [
        ("004010", "997"),
        ("004010VICS", "997"),
        ("003040", "997"),
        ("", "997"),
        ("005010", "999"),
        ("005010X222A1", "999"),
        ("006020", "999"),
    ],
)
def test_auto_chooses_997_before_005010_and_999_from_005010(version: str, kind: str) -> None:
    assert kind_for_version(version) == kind


def test_policy_can_force_or_suppress_the_functional_ack() -> None:
    group = only_group(two_orders())
    assert functional_ack_kind(group, AckPolicy(functional="999")) == "999"
    assert functional_ack_kind(group, AckPolicy(functional="none")) is None
    assert owed(two_orders(), AckPolicy(functional="none"))[0].functional == ()


def test_acknowledgments_are_never_acknowledged() -> None:
    ack_set = transaction("997", "0001", ["AK1*PO*1", "AK9*A*1*1*1"])
    text = interchange([ack_set], functional_id="FA")
    assert functional_ack_kind(only_group(text)) is None
    assert rendered(text) == []


def test_a_group_without_control_number_cannot_be_acknowledged() -> None:
    group = only_group(two_orders().replace("*1200*1*X*", "*1200**X*"))
    assert functional_ack_kind(group) is None
    with pytest.raises(RenderError, match="GS06"):
        functional_ack_for(group)


def test_a_997_for_a_004010vics_group_carries_gs08_004010vics() -> None:
    (result,) = rendered(two_orders(version="004010VICS"))
    (ack,) = result.functional
    assert x12_facts(ack.envelope).version == "004010VICS"
    gs = next(s for s in segments(result.text) if s.startswith("GS*"))
    assert gs.split("*")[8] == "004010VICS"
    isa = segments(result.text)[0]
    assert isa.split("*")[12] == "00401"


def test_the_ack_goes_back_the_way_the_document_came() -> None:
    (result,) = rendered(two_orders(sender="BUYER", receiver="GATEWAY"))
    isa, gs = segments(result.text)[:2]
    fields = isa.split("*")
    assert (fields[5], fields[6].strip(), fields[7], fields[8].strip()) == (
        "ZZ",
        "GATEWAY",
        "ZZ",
        "BUYER",
    )
    assert (fields[14], fields[15]) == ("0", "P")
    assert gs.split("*")[1:4] == ["FA", "RECEIVER", "SENDER"]
    (ack,) = result.functional
    assert (ack.envelope.sender.id, ack.envelope.receiver.id) == ("GATEWAY", "BUYER")


def test_a_999_for_a_hipaa_group_is_written_under_the_999_guide() -> None:
    text = in_00501(
        interchange(
            [transaction("837", "0001", ["BHT*0019*00*1*20261123*1200*CH"])],
            functional_id="HC",
            version="005010X222A1",
        )
    )
    (result,) = rendered(text)
    (ack,) = result.functional
    assert (ack.kind, ack.group_version) == ("999", "005010X222A1")
    assert x12_facts(ack.envelope).version == IMPLEMENTATION_ACK_GUIDE
    assert x12_facts(ack.envelope).implementation_reference == IMPLEMENTATION_ACK_GUIDE
    assert f"ST*999*0001*{IMPLEMENTATION_ACK_GUIDE}" in segments(result.text)


def test_separators_of_the_inbound_interchange_are_mirrored() -> None:
    text = two_orders().replace("*", "|").replace("~\n", "\n")
    (result,) = rendered(text)
    lines = result.text.splitlines()
    assert lines[0].startswith("ISA|00|")
    assert "AK9|A|2|2|2" in lines


@pytest.mark.parametrize(
    ("byte", "shown"), [(b"\xff", "byte 0xFF"), ("\u00a6".encode(), "\u00a6 (U+00A6)")]
)
def test_a_separator_that_is_not_ascii_is_noted_and_the_ack_uses_the_default_ones(
    byte: bytes, shown: str
) -> None:
    """A byte 0xFF (or a UTF-8 character) as ISA16: mirrored, it made an ack no ledger could
    store (a lone surrogate) or one no partner could read as X12 (a two-byte separator)."""
    data = two_orders().encode().replace(b"*P*>~", b"*P*" + byte + b"~")
    result = parse_x12(data, file_name="f.edi", counter=InMemoryCounter())
    assert not result.has_errors and all(doc.accepted for doc in result.documents)
    [finding] = result.findings
    assert (finding["code"], finding["element"], finding["found"]) == (
        "envelope.isa_separator", "ISA16", shown,
    )  # fmt: skip
    [reply] = result.replies
    assert reply.text.isascii() and reply.text[104:106] == ":~"
    assert "AK9*A*2*2*2" in reply.text


# ----------------------------------------------------------------------------------------------
# TA1


def test_no_ta1_unless_requested_or_the_envelope_is_wrong() -> None:
    assert owed(two_orders())[0].technical is None


def test_a_requested_ta1_accepts_and_goes_between_isa_and_gs() -> None:
    (result,) = rendered(two_orders(ack_requested="1"))
    parts = segments(result.text)
    assert [s[:3] for s in parts[:3]] == ["ISA", "TA1", "GS*"]
    assert parts[1] == "TA1*000000001*261123*1200*A*000"
    assert parts[-1] == f"IEA*1*{result.interchange_control_number}"
    assert result.technical is not None
    assert result.technical.envelope.interchange_reference == result.interchange_control_number


def test_an_envelope_error_brings_a_rejecting_ta1_even_unrequested() -> None:
    (acks,) = owed(two_orders().replace("IEA*1*", "IEA*2*"))
    assert acks.technical is not None
    assert (acks.technical.status, acks.technical.note_code) == ("R", "021")


def test_a_rejecting_ta1_is_the_only_ack_and_nothing_of_the_interchange_is_accepted() -> None:
    """TA104 R tells the sender to send the interchange again: a 997 accepting its sets, or their
    documents taken, would make the resent copy a second order."""
    good = two_orders()
    bad = two_orders(control="000000002").replace("IEA*1*", "IEA*2*")
    (ok, rejected) = owed(good + bad)
    assert ok.technical is None and [a.status for a in ok.functional] == ["A"]
    assert rejected.rejected and rejected.functional == ()
    assert rejected.technical is not None and rejected.technical.note_code == "021"
    result = parse_x12((good + bad).encode(), file_name="two.x12", counter=InMemoryCounter())
    assert [(d.interchange, d.accepted) for d in result.documents] == [
        ("000000001", True), ("000000001", True), ("000000002", False), ("000000002", False)
    ]  # fmt: skip
    assert "interchange 000000002 (TA1 R) is rejected" in result.documents[2].errors[-1]
    assert "IEA01" in result.documents[2].errors[-1]
    assert [r.name.split("-")[0] for r in result.replies] == ["997", "TA1"]
    report = scan((good + bad).encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted) == (4, 2)


def test_a_group_its_997_rejects_for_its_own_errors_is_not_accepted_the_next_one_is() -> None:
    text = interchange([transaction("850", "0001")], group="1").replace(
        "GE*1*1~", "GE*2*1~"
    )  # GE01 counts two sets: the group is rejected (AK9 R)
    second = interchange([transaction("850", "0002")], group="2", control="000000002")
    result = parse_x12((text + second).encode(), file_name="g.x12", counter=InMemoryCounter())
    assert [(d.group, d.accepted) for d in result.documents] == [("1", False), ("2", True)]
    assert "group 1 (AK9 R) is rejected" in result.documents[0].errors[-1]
    assert "AK9*R*2*1*1*5~" in result.replies[0].text
    assert scan((text + second).encode(), counter=InMemoryCounter()).accepted == 1


def test_an_unreadable_isa_date_is_replaced_by_now_in_ta102() -> None:
    (_, end) = inbound(two_orders())[0]
    end = dataclasses.replace(end, header=dataclasses.replace(end.header, date="26XX23"))
    ack = interchange_ack_for(end, now=NOW, policy=AckPolicy(ta1="always"))
    assert ack is not None
    assert ack.interchange_date == NOW.date()


def test_ta1_warnings_only_accept_with_errors_noted() -> None:
    (_, end) = inbound(two_orders(ack_requested="1"))[0]
    noted = Finding(
        code="x", message="x", level=Level.INTERCHANGE, severity=Severity.WARNING, ta1_code="022"
    )
    ack = interchange_ack_for(dataclasses.replace(end, findings=[noted]), now=NOW)
    assert ack is not None
    assert (ack.status, ack.note_code) == ("E", "022")


@pytest.mark.parametrize(
    ("policy", "requested", "sent"),
    [
        ("always", "0", True),
        ("never", "1", False),
        ("on-request-or-error", "1", True),
        ("on-request-or-error", "0", False),
    ],
)
def test_the_ta1_policy_decides_when_a_ta1_is_sent(policy: str, requested: str, sent: bool) -> None:
    (_, end) = inbound(two_orders(ack_requested=requested))[0]
    ack = interchange_ack_for(end, now=NOW, policy=AckPolicy(ta1=policy))  # type: ignore[arg-type]
    assert (ack is not None) == sent


def test_a_ta1_alone_is_an_interchange_without_groups() -> None:
    (result,) = rendered(two_orders(ack_requested="1"), policy=AckPolicy(functional="none"))
    parts = segments(result.text)
    assert [s[:3] for s in parts] == ["ISA", "TA1", "IEA"]
    assert parts[-1] == f"IEA*0*{result.interchange_control_number}"


def test_nothing_owed_renders_nothing() -> None:
    (acks,) = owed(two_orders(), AckPolicy(functional="none"))
    assert render_acks(acks, InMemoryCounter()) is None


# ----------------------------------------------------------------------------------------------
# The outbound interchange


def test_two_inbound_interchanges_get_two_ack_interchanges_with_distinct_control_numbers() -> None:
    text = two_orders(control="000000001") + two_orders(control="000000002")
    counter = InMemoryCounter()
    results = rendered(text, counter)
    assert len(results) == 2
    assert [r.interchange_control_number for r in results] == ["000000001", "000000002"]
    for result in results:
        assert sum(s.startswith("ISA") for s in segments(result.text)) == 1
    group_numbers = [r.functional[0].envelope.group_reference for r in results]
    assert group_numbers == ["1", "2"]


def test_control_numbers_continue_the_partner_sequence_of_the_counter() -> None:
    counter = InMemoryCounter(start=500)
    (result,) = rendered(two_orders(), counter)
    assert result.interchange_control_number == "000000500"
    assert result.functional[0].envelope.group_reference == "500"


def test_envelopes_are_pending_until_rendered() -> None:
    (acks,) = owed(two_orders(ack_requested="1"))
    assert acks.functional[0].envelope.interchange_reference == PENDING
    assert acks.technical is not None
    assert acks.technical.envelope.interchange_reference == PENDING


def test_groups_of_different_versions_get_their_own_fa_groups_in_one_interchange() -> None:
    text = two_orders()
    second = text.split("~\n")
    gs = "GS*IN*SENDER*RECEIVER*20261123*1200*2*X*004010VICS"
    inner = [gs, "ST*810*0001", "BIG*20261123*INV-1", "SE*3*0001", "GE*1*2"]
    combined = "~\n".join([*second[:-3], *inner, "IEA*2*000000001", ""])
    (result,) = rendered(combined)
    parts = segments(result.text)
    assert [p.split("*")[8] for p in parts if p.startswith("GS*")] == ["004010", "004010VICS"]
    assert [a.functional_id for a in result.functional] == ["PO", "IN"]
    assert parts[-1] == f"IEA*2*{result.interchange_control_number}"


def test_rendered_acks_read_back_clean_and_parse_to_the_acks_returned() -> None:
    text = two_orders(ack_requested="1")
    (groups, end) = inbound(text)[0]
    groups = [with_findings(groups[0], 1, REJECTING_FINDINGS)]
    result = render_acks(acks_for(end, groups, now=NOW), InMemoryCounter(), at=NOW)
    assert result is not None
    events = list(read_x12(result.text.encode()))
    findings = [
        f
        for e in events
        if isinstance(e, TransactionSet | GroupEnd | InterchangeEnd)
        for f in e.findings
    ]
    assert findings == []
    sets = [e for e in events if isinstance(e, TransactionSet)]
    assert [parse(tx) for tx in sets] == list(result.functional)
    (ta1,) = [e for e in events if isinstance(e, TechnicalAck)]
    assert parse_ta1(ta1.segment, ta1.interchange) == result.technical


def test_a_bad_value_holding_an_outbound_separator_is_cleaned_when_rendered() -> None:
    finding = dataclasses.replace(REJECTING_FINDINGS[1], found="A|B")
    (groups, end) = inbound(two_orders())[0]
    acks = acks_for(end, [with_findings(groups[0], 0, [finding])], now=NOW)
    result = render_acks(acks, InMemoryCounter(), separators=Separators(element="|"), at=NOW)
    assert result is not None
    assert "AK4|3|355|7|AB" in segments(result.text)


# ----------------------------------------------------------------------------------------------
# Re-validation by the syntax engine


def hipaa_acks() -> list[RenderedAcks]:
    """A rejecting 997 (004010X098A1) and 999 (005010X231A1): the acks pyx12 has maps for."""
    hipaa_997 = interchange(
        [transaction("837", "0001", ["BHT*0019*00*1*20261123*1200*CH"])],
        functional_id="HC",
        version="004010X098A1",
    )
    hipaa_999 = in_00501(hipaa_997.replace("004010X098A1", "005010X222A1"))
    results = []
    for text in (hipaa_997, hipaa_999):
        (groups, end) = inbound(text)[0]
        findings = [dataclasses.replace(f, segment_id="BHT") for f in REJECTING_FINDINGS]
        groups = [with_findings(groups[0], 0, findings)]
        result = render_acks(acks_for(end, groups, now=NOW), InMemoryCounter(), at=NOW)
        assert result is not None
        results.append(result)
    return results


def test_rendered_997_and_999_validate_clean_with_the_gateway_validator() -> None:
    engine = pytest.importorskip("adapters.formats.x12.pyx12_engine")
    validator = engine.Pyx12Validator()
    for result in hipaa_acks():
        (tx,) = transactions_in(result.text.encode())
        assert validator.supports(tx)
        errors = [f.describe() for f in validator.validate(tx).findings if f.is_error]
        assert errors == []


def test_rendered_997_and_999_pass_pyx12_document_validation() -> None:
    import pyx12.params
    import pyx12.x12n_document

    for result in hipaa_acks():
        source = io.StringIO(result.text)
        assert pyx12.x12n_document.x12n_document(
            pyx12.params.params(), source, fd_997=None, fd_html=None, fd_xmldoc=None, map_path=None
        ), result.text

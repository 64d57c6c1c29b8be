from __future__ import annotations

import datetime as dt

import pytest

from adapters.formats.x12.reader import read_x12
from adapters.formats.x12.segments import Segment, Separators
from adapters.formats.x12.structure import GroupEnd, InterchangeEnd, TransactionSet
from adapters.formats.x12.writer import (
    GroupContent,
    InterchangeSpec,
    TransactionContent,
    composite,
    effective_separators,
    interchange_file_name,
    renumber_interchange,
    write_interchange,
)
from gateway.control_numbers import InMemoryCounter
from gateway.errors import RenderError

AT = dt.datetime(2026, 11, 23, 9, 30)
BODY = [Segment("BEG", ["00", "SA", "PO-1", "", "20261120"]), Segment("N1", ["ST", "STORE"])]


def po_group(**options: object) -> GroupContent:
    return GroupContent("PO", "004010", [TransactionContent("850", BODY)], **options)  # type: ignore[arg-type]


def test_isa_is_fixed_width_and_counts_are_computed() -> None:
    spec = InterchangeSpec("ZZ", "SENDER", "12", "5551234567")
    text = write_interchange(spec, [po_group(), po_group()], InMemoryCounter(), at=AT)
    lines = text.splitlines()
    assert len(lines[0]) == 106
    assert lines[0].endswith("*261123*0930*U*00401*000000001*0*P*:~")
    assert "SE*4*0001~" in lines and "GE*1*1~" in lines and "GE*1*2~" in lines
    assert lines[-1] == "IEA*2*000000001~"


def test_control_numbers_come_from_the_counter_per_partner_pair() -> None:
    counter = InMemoryCounter()
    a = InterchangeSpec("ZZ", "US", "ZZ", "PARTNER-A")
    b = InterchangeSpec("ZZ", "US", "ZZ", "PARTNER-B")
    first = write_interchange(a, [po_group()], counter, at=AT)
    second = write_interchange(a, [po_group()], counter, at=AT)
    other = write_interchange(b, [po_group()], counter, at=AT)
    assert "*000000001*" in first and "*000000002*" in second and "*000000001*" in other
    assert "GS*PO*US*PARTNER-A*20261123*0930*2*X*004010~" in second


@pytest.mark.parametrize(
    "separators",
    [
        Separators(),
        Separators(element="|", component="<", segment="'", repetition="^", line_break=""),
        Separators(element="|", component="\\", segment="\n", repetition="^", line_break=""),
    ],
)
def test_renumbering_gives_what_writing_with_those_numbers_gives(separators: Separators) -> None:
    spec = InterchangeSpec("ZZ", "US", "ZZ", "PARTNER", version="00501", separators=separators)
    seps = effective_separators(spec)
    draft = write_interchange(spec, [po_group(control_number=1)], InMemoryCounter(), at=AT)
    final = write_interchange(
        spec, [po_group(control_number=4567)], InMemoryCounter(), control_number=123456789, at=AT
    )
    assert renumber_interchange(draft, seps, 123456789, 4567) == final


def test_only_one_interchange_of_one_group_is_renumbered() -> None:
    spec = InterchangeSpec("ZZ", "US", "ZZ", "PARTNER")
    two_groups = write_interchange(spec, [po_group(), po_group()], InMemoryCounter(), at=AT)
    with pytest.raises(ValueError, match="one group"):
        renumber_interchange(two_groups, spec.separators, 2, 2)


def test_written_interchange_reads_back_without_findings() -> None:
    seps = Separators(element="|", component="\\", segment="\n", repetition="^", line_break="")
    spec = InterchangeSpec("ZZ", "SENDER", "ZZ", "RECEIVER", version="00501", separators=seps)
    body = [*BODY, Segment("REF", ["ZZ", "X", composite("A", "B")])]
    group = GroupContent("PO", "005010", [TransactionContent("850", body)])
    text = write_interchange(spec, [group], InMemoryCounter(), at=AT)
    assert "ISA|00|" in text and "|^|00501|" in text
    events = list(read_x12(text.encode()))
    findings = [
        f
        for e in events
        if isinstance(e, TransactionSet | GroupEnd | InterchangeEnd)
        for f in e.findings
    ]
    assert findings == []
    [tx] = [e for e in events if isinstance(e, TransactionSet)]
    assert tx.segments[-2].components(3) == ["A", "B"]


def test_a_value_holding_a_separator_cannot_be_written() -> None:
    body = [Segment("N1", ["ST", "SMITH*JONES"])]
    group = GroupContent("PO", "004010", [TransactionContent("850", body)])
    with pytest.raises(RenderError, match=r"N102 .* separator '\*'"):
        write_interchange(InterchangeSpec("ZZ", "A", "ZZ", "B"), [group], InMemoryCounter(), at=AT)


def test_an_id_longer_than_its_isa_field_cannot_be_written() -> None:
    with pytest.raises(RenderError, match="ISA06"):
        write_interchange(
            InterchangeSpec("ZZ", "X" * 16, "ZZ", "B"), [po_group()], InMemoryCounter()
        )


@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n"])
def test_a_value_holding_a_line_break_cannot_be_written(line_break: str) -> None:
    body = [Segment("N1", ["ST", f"SMITH{line_break}N1*ST*INJECTED"])]
    group = GroupContent("PO", "004010", [TransactionContent("850", body)])
    spec = InterchangeSpec("ZZ", "A", "ZZ", "B", separators=Separators(element="|"))
    with pytest.raises(RenderError, match=r"N102 .* line break"):
        write_interchange(spec, [group], InMemoryCounter(), at=AT)
    with pytest.raises(RenderError, match=r"ISA06 .* separator"):
        write_interchange(InterchangeSpec("ZZ", f"A{line_break}", "ZZ", "B"), [], InMemoryCounter())


def test_an_interchange_file_name_names_both_parties_and_its_isa13_in_safe_characters() -> None:
    assert (
        interchange_file_name("997", "GATEWAY ", "ACME", "42") == "997-GATEWAY-ACME-000000042.x12"
    )
    assert interchange_file_name("999-TA1", "US", "ACME", 1) == "999-TA1-US-ACME-000000001.x12"
    assert (
        interchange_file_name("856", "../ETC/ÉTÉ", "A B*C", "999999999")
        == "856-.._ETC_T_-A_B_C-999999999.x12"
    )
    assert interchange_file_name("856", " ", "B", 7) == "856-_-B-000000007.x12"

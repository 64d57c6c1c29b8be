"""The three deviations partners' guides allow most (an 850 in a group whose GS01 is not PO, a
code outside its code list, a date in 6 digits), each rejected by default and accepted for a
partner whose policy downgrades it: published, its finding kept as a warning, its 997/999
saying accepted with errors noted. And no finding a policy can downgrade leads to a crash: the
whole corpus read with every one of them downgraded."""

from __future__ import annotations

import pytest

from adapters.formats.mapping_cases import problems_of
from adapters.formats.x12.inbound import SenderRules, X12Parser
from adapters.formats.x12.profile import X12Profile
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.validation_policy import DOWNGRADABLE, ValidationPolicy
from gateway.control_numbers import InMemoryCounter
from gateway.messages import PurchaseOrder
from gateway.ports import ParseResult
from tests.conformance.corpus import x12_files
from tests.support.x12_files import interchange

LINE = "PO1*1*12*EA*1.25**UP*012345678905"
EXAMPLES = {
    "envelope.functional_group_mismatch": ("IN", "BEG*00*SA*PO-1**20261123"),
    "syntax.invalid_code": ("PO", "BEG*00*QQ*PO-1**20261123"),
    "syntax.date_six_digits": ("PO", "BEG*00*SA*PO-1**261123"),
}
"""Each example's finding: the GS01 of its group and its BEG."""
NOTED = {
    "envelope.functional_group_mismatch": "AK2*850*0001~\nAK5*E*6~",
    "syntax.invalid_code": "AK2*850*0001~\nAK3*BEG*2**8~\nAK4*2*92*7*QQ~\nAK5*E*5~",
    "syntax.date_six_digits": "AK2*850*0001~\nAK3*BEG*2**8~\nAK4*5*373*4*261123~\nAK5*E*5~",
}
"""What the 997 says of each, accepted with errors noted."""


def parsed(data: bytes, **validation: object) -> ParseResult:
    profile = X12Profile.model_validate(
        {"sender_id": "GATEWAY", "receiver_id": "ACME", "validation": validation}
    )
    parser = X12Parser.for_partners({"acme": profile})
    result = parser.parse(data, file_name="order.edi", partner="acme")
    parser.reply(result, InMemoryCounter())
    return result


def example(code: str) -> bytes:
    functional_id, beg = EXAMPLES[code]
    return interchange(7, [(functional_id, 1, [("850", [beg, LINE, "CTT*1"])])]).encode()


@pytest.mark.parametrize("code", EXAMPLES)
def test_each_example_is_rejected_by_default(code: str) -> None:
    result = parsed(example(code))
    [document] = result.documents
    assert not document.accepted and document.downgraded == ()
    assert [f["code"] for f in result.findings] == [code]
    assert result.findings[0]["severity"] == "error" and result.has_errors
    [reply] = result.replies
    assert "AK5*R*" in reply.text and "AK9*R*1*1*0~" in reply.text


@pytest.mark.parametrize("code", EXAMPLES)
def test_each_example_is_accepted_for_a_partner_whose_policy_downgrades_it(code: str) -> None:
    result = parsed(example(code), warn=[code])
    [document] = result.documents
    assert document.accepted and document.errors == ()
    assert isinstance(document.message, PurchaseOrder) and document.message.po_number == "PO-1"
    [finding] = result.findings  # kept in the report, as a warning
    assert (finding["code"], finding["severity"], finding["downgraded_by"]) == (
        code,
        "warning",
        "x12.validation.warn",
    )
    assert not result.has_errors
    [line] = document.downgraded
    assert line.startswith(
        f"{code} downgraded to a warning by partner acme's profile (x12.validation.warn): "
    )
    [reply] = result.replies
    assert NOTED[code] + "\nAK9*E*1*1*1~" in reply.text


def test_validate_says_which_key_downgraded_a_finding() -> None:
    result = parsed(example("syntax.date_six_digits"), warn=["syntax.date_six_digits"])
    [said] = problems_of(result)
    assert said.endswith("X12 asks for 8 (a warning: downgraded by x12.validation.warn)")


def test_a_policy_for_one_set_does_not_reach_another() -> None:
    result = parsed(example("syntax.invalid_code"), sets={"855": {"warn": ["syntax.invalid_code"]}})
    assert not result.documents[0].accepted


def test_one_example_downgraded_and_another_not_is_rejected_with_both_reported() -> None:
    data = interchange(
        7, [("IN", 1, [("850", ["BEG*00*SA*PO-1**261123", LINE, "CTT*1"])])]
    ).encode()
    result = parsed(data, sets={"850": {"warn": ["envelope.functional_group_mismatch"]}})
    [document] = result.documents
    assert not document.accepted
    assert [(f["code"], f["severity"]) for f in result.findings] == [
        ("envelope.functional_group_mismatch", "warning"),
        ("syntax.date_six_digits", "error"),
    ]
    [reply] = result.replies
    assert "AK4*5*373*4*261123~\nAK5*R*6*5~\nAK9*R*1*1*0~" in reply.text


def test_in_a_group_with_a_set_rejected_the_noted_set_is_accepted_and_the_group_partly() -> None:
    sets = [
        ("850", ["BEG*00*SA*PO-1**261123", LINE, "CTT*1"]),
        ("850", ["BEG*00*QQ*PO-2**20261123", LINE, "CTT*1"]),  # a code not downgraded
    ]
    result = parsed(interchange(7, [("PO", 1, sets)]).encode(), warn=["syntax.date_six_digits"])
    assert [d.accepted for d in result.documents] == [True, False]
    [reply] = result.replies
    assert "AK5*E*5~" in reply.text and "AK9*P*2*2*1~" in reply.text


def test_a_999_notes_a_downgraded_finding_with_ik5_e() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261123*1200*^*"
        "00501*000000007*0*P*>~GS*PO*ACME*GATEWAY*20261123*1200*1*X*005010~ST*850*0001~"
        f"BEG*00*SA*PO-1**261123~{LINE}~SE*4*0001~GE*1*1~IEA*1*000000007~"
    )
    result = parsed(text.encode(), warn=["syntax.date_six_digits"])
    assert [f["code"] for f in result.findings] == ["syntax.date_six_digits"]
    assert result.documents[0].accepted
    [reply] = result.replies
    assert "IK4*5*373*4*261123~IK5*E*5~AK9*E*1*1*1~" in reply.text.replace("\n", "")


@pytest.mark.slow
def test_no_finding_a_policy_can_downgrade_leads_to_a_crash() -> None:
    """Every file of the corpus read for a partner that downgrades every finding it can: no
    exception, its acknowledgements written, and each document either accepted with its message
    or refused with its reasons (translation rejects what it cannot take)."""
    everything = ValidationPolicy(warn=list(DOWNGRADABLE))
    parser = X12Parser({"any": SenderRules(validation=everything)})  # whoever sent it
    downgraded = accepted = 0
    for corpus_file in x12_files():
        result = parser.parse(corpus_file.path.read_bytes(), file_name="f", partner="any")
        parser.reply(result, InMemoryCounter())
        downgraded += sum(len(d.downgraded) for d in result.documents)
        accepted += sum(d.accepted for d in result.documents if d.downgraded)
        for document in result.documents:
            assert document.accepted or document.errors, (corpus_file.short, document)
            assert document.message is not None or not document.accepted
        assert not any(f["code"] == "acknowledgement.not_written" for f in result.findings) or (
            result.has_errors
        ), corpus_file.short
    assert downgraded > 0 and accepted > 0  # the corpus holds such findings: exercised


def test_an_850_accepted_with_a_6_digit_date_reads_it_as_its_century_s() -> None:
    [tx] = transactions_in(example("syntax.date_six_digits"))
    from adapters.formats.x12.translation import translate

    order = translate(tx)
    assert isinstance(order, PurchaseOrder) and str(order.po_date) == "2026-11-23"

"""The quicker ways a small file is read take the same result as the ways they stand in for:
the ISA's end found with ``str.find`` (the character-by-character reading being the reference),
the ack envelopes and an X12 envelope's parties made once per partner pair (made anew being the
reference), the business facts a document comes with from the X12 parser (those
:class:`~gateway.partner_formats.PartnerFormats` gave it), and an ISA's fixed part made once per
spec and its dates written without strftime (strftime's being the reference)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from adapters.formats.x12.acks import acks_for
from adapters.formats.x12.inbound import SenderRules, X12Parser
from adapters.formats.x12.reader import read_x12
from adapters.formats.x12.structure import GroupEnd, InterchangeEnd
from adapters.formats.x12.tokenizer import _SPACE, _split_isa, _split_wrapped_isa
from adapters.formats.x12.writer import (
    GroupContent,
    InterchangeSpec,
    TransactionContent,
    isa_segment,
    write_interchange,
)
from gateway.control_numbers import InMemoryCounter
from gateway.duplicates import business_key
from gateway.errors import RenderError
from gateway.messages import Envelope, X12Envelope
from gateway.messages.envelope import PartyId
from gateway.partner_formats import _with_business_facts
from gateway.ports import ParsedDocument
from tests.integration.support import small_850

NOW = dt.datetime(2026, 11, 23, 12, 0)

ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261123*1200*U*00401*"
    "000000001*0*P*>~\nGS*PO*ACME*GATEWAY*20261123*1200*1*X*004010~\n"
)


def _variants(rng: random.Random) -> list[str]:
    """ISAs as partners send them and as they break: wrapped, cut short, padded, with other
    separators, with noise after."""
    found = [ISA, ISA.replace("*", "|"), ISA[:90], ISA[:105], ISA[:106], "ISA*" + "*" * 20]
    for _ in range(3000):
        text = list(rng.choice(found[:2]))
        for _ in range(rng.randint(0, 5)):
            at = rng.randrange(len(text) + 1)
            text.insert(at, rng.choice(["\r", "\n", "\r\n", "*", " ", "x"]))
        for _ in range(rng.randint(0, 2)):
            del text[rng.randrange(len(text))]
        found.append("".join(text)[: rng.randint(3, len(text) + 50)])
    found += ["ISA*" + "a*" * rng.randint(0, 300) for _ in range(50)]  # beyond the scan limit
    return found


def test_the_isa_found_by_find_ends_where_reading_each_character_ends_it() -> None:
    rng = random.Random(26)
    compared = 0
    for text in _variants(rng):
        for element in {text[3:4], "*", "|"}:
            if not element or element.isalnum() or element in _SPACE:
                continue
            assert _split_isa(text, element) == _split_wrapped_isa(text, element), text
            compared += 1
    assert compared > 3000


def _acks(data: bytes) -> list[Envelope]:
    events = list(read_x12(data, file_name="f.x12"))
    end = next(e for e in events if isinstance(e, InterchangeEnd))
    groups = [e for e in events if isinstance(e, GroupEnd)]
    owed = acks_for(end, groups, now=NOW)
    return [ack.envelope for ack in owed.functional]


def test_an_ack_envelope_is_made_once_per_partner_pair_and_is_what_it_was_made_anew() -> None:
    first, again, other = _acks(small_850(1)), _acks(small_850(2)), _acks(small_850(3, sender="X"))
    assert first[0] is again[0]  # another file of the pair: its control numbers are pending
    assert other[0] is not first[0]
    anew = Envelope.of_x12(
        X12Envelope(
            sender_qualifier="ZZ",
            sender_id="GATEWAY",
            receiver_qualifier="ZZ",
            receiver_id="ACME",
            interchange_control_number="",
            interchange_version="00401",
            usage_indicator="P",
            application_sender="GATEWAY",
            application_receiver="ACME",
            group_control_number="",
            version="004010",
            transaction_control_number="",
            implementation_reference=None,
        )
    )
    assert first[0] == anew
    assert first[0].model_dump_json() == anew.model_dump_json()
    assert first[0].model_fields_set == anew.model_fields_set
    assert other[0].x12 is not None and other[0].x12.receiver_id == "X"


def _documents(data: bytes, rules: SenderRules | None = None) -> list[ParsedDocument]:
    parser = X12Parser({"p": rules} if rules is not None else None)
    return parser.parse(data, file_name="f.x12", partner="p").documents


def test_an_accepted_document_comes_with_its_business_facts_and_a_rejected_one_without() -> None:
    (accepted,) = _documents(small_850(1))
    assert accepted.message is not None
    assert accepted.business_key == business_key(accepted.message) == "PurchaseOrder:PO00000001"
    assert accepted.content_digest == accepted.message.content_digest != ""
    assert _with_business_facts(accepted) is accepted  # PartnerFormats makes it no more again
    rejected = [
        *_documents(small_850(2).replace(b"SE*5*", b"SE*9*")),  # its own error
        *_documents(small_850(3).replace(b"GE*1*", b"GE*2*")),  # its group's (AK9 R)
        *_documents(small_850(4), SenderRules(sender_ids=frozenset({("ZZ", "NOBODY")}))),
    ]
    assert len(rejected) == 3
    for doc in rejected:
        assert doc.message is None and doc.errors
        assert (doc.business_key, doc.content_digest) == ("", "")
        assert _with_business_facts(doc) is doc


def test_the_parties_of_an_x12_envelope_are_made_once_and_are_what_they_were_made_anew() -> None:
    (first,), (again,) = _documents(small_850(5)), _documents(small_850(6))
    assert first.message is not None and again.message is not None
    one, other = first.message.envelope, again.message.envelope
    assert one.sender is other.sender and one.receiver is other.receiver
    assert one.sender == PartyId(id="ACME", qualifier="ZZ")
    assert one.receiver == PartyId(id="GATEWAY", qualifier="ZZ")
    assert one.sender.model_fields_set == PartyId(id="A", qualifier="ZZ").model_fields_set


def test_an_interchanges_dates_are_written_as_strftime_writes_them() -> None:
    spec = InterchangeSpec("ZZ", "GATEWAY", "ZZ", "ACME")
    for at in (
        dt.datetime(2026, 11, 23, 9, 5, 0),
        dt.datetime(2026, 1, 2, 23, 59, 7),
        dt.datetime(1999, 12, 31, 0, 0, 59),
        dt.datetime(999, 3, 4, 5, 6, 7),  # strftime writes the year unpadded
        dt.datetime(5, 3, 4, 5, 6, 0),
    ):
        group = GroupContent("PO", "004010", [TransactionContent("850", [])], control_number=5)
        text = write_interchange(spec, [group], InMemoryCounter(), control_number=7, at=at)
        isa, gs = (line.rstrip("~").split("*") for line in text.splitlines()[:2])
        assert (isa[9], isa[10]) == (at.strftime("%y%m%d"), at.strftime("%H%M"))
        clock = at.strftime("%H%M%S") if at.second else at.strftime("%H%M")
        assert (gs[4], gs[5]) == (at.strftime("%Y%m%d"), clock)
        assert isa_segment(spec, 7, at) == isa_segment(spec, 7, at) == text.splitlines()[0] + "\n"
    too_long = InterchangeSpec("ZZ", "G" * 16, "ZZ", "ACME")
    for _ in range(2):  # raised each time, not remembered
        with pytest.raises(RenderError, match="ISA06"):
            isa_segment(too_long, 1, NOW)
    clashing = InterchangeSpec("ZZ", "GATE*WAY", "ZZ", "ACME")
    with pytest.raises(RenderError, match="ISA06 value 'GATE\\*WAY       ' contains separator"):
        isa_segment(clashing, 1, NOW)

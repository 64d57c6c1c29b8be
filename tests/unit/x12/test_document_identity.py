"""X12 documents keep the ids they had: ``document_id`` and ``envelope_key`` are persisted in
ledgers and matched to find duplicates across upgrades, so no change to the canonical envelope
may change them.

Every id below was computed by the code of commit 9ab30eb (canonical schema 1.1), before the
neutral envelope of schema 2.0, and is pinned here as it came out. (The set without a translator
was an 810 until the gateway translated the 810; the 820 that replaced it was run through that
commit's code for its ids too.)
"""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.formats.x12.inbound import SenderRules, X12Parser
from adapters.formats.x12.profile import X12Profile
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.rendering import draft, number
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.messages import Message
from gateway.ports import ParsedDocument
from tests.integration.support import ROOT
from tests.support.x12_files import order, remittance

FIXTURES = ROOT / "fixtures" / "x12"
TA1 = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAY        *261123*1200*U*00401*"
    "000000042*0*P*>~TA1*000000007*261123*1200*A*000~IEA*0*000000042~"
)

PINNED: dict[tuple[str, str | None], tuple[str, str]] = {
    # (input, partner): (document_id, envelope_key)
    ("850-004010.edi", None): (
        "fcf3f295-5629-5c87-b51d-ac7985f4e3e1",
        "f5581cde-665e-52dd-b9c9-b0764b67782f",
    ),
    ("850-004010.edi", "acme"): (
        "778db20a-1b59-5653-9e24-d09dc3e308d9",
        "f5581cde-665e-52dd-b9c9-b0764b67782f",
    ),
    ("850-005010.edi", "acme"): (
        "25e8b683-7478-51de-8cd9-5f8d4e381edd",
        "3ff8874d-e36d-510e-b955-c981996bc5a7",
    ),
    ("855-004010.edi", "acme"): (
        "3c345d84-3fed-58ec-981b-37bec198898b",
        "b2b48169-7833-5680-b4bf-970b49ad500a",
    ),
    ("856-004010.edi", None): (
        "e9c220fc-1c9b-5692-a37c-bc176057ed83",
        "f151b7fc-d146-54bd-ac28-c1559458ee05",
    ),
    ("856-004010.edi", "acme"): (
        "d95c3a7d-9a6e-5ecb-a2b4-7014fd37e60b",
        "f151b7fc-d146-54bd-ac28-c1559458ee05",
    ),
    ("856-005010-tare.edi", "acme"): (
        "b69a6e78-2fc2-56cf-a4b6-a6e62a4526c3",
        "60e2ac71-a267-58d3-b506-a72ece2ce276",
    ),
    ("997-004010.edi", "acme"): (
        "e7c41cb4-6610-5fab-85d8-c8e333ebae7c",
        "84a03431-1c56-50a7-8ef0-4a5eb8ede057",
    ),
    # a document with errors (no canonical message: the id has the digest of its segments)
    ("850-004010-broken.edi", "acme"): (
        "adc6a8cc-17f1-55d2-ab13-eefa05d444be",
        "76da2cb5-3335-54a5-8d7e-77647f7a4eaa",
    ),
    ("order-7801", "acme"): (
        "28021a96-f052-59ec-8968-b88b5cd912af",
        "8cfbf389-a1e3-5e6d-8bb0-914cd67235db",
    ),
    # a set without a translator, rejected (no message)
    ("remittance-12", "acme"): (
        "75b4fa46-0c9d-5c1d-bab5-49b3564a30a4",
        "6bbae492-afa8-5a67-a0a9-00c53b086a56",
    ),
    # a TA1: the interchange's references only
    ("ta1-42", None): (
        "24f00006-ed9e-5fa2-8f74-83b9b5a1c5be",
        "098744c5-5922-5fb3-8e0d-af8f327b0c1a",
    ),
    ("ta1-42", "acme"): (
        "715fed49-b053-5a3e-88c4-5750ac30efc4",
        "098744c5-5922-5fb3-8e0d-af8f327b0c1a",
    ),
}


def inbound(name: str, partner: str | None, *, pass_through: bool = False) -> ParsedDocument:
    if name.endswith(".edi"):
        data = (FIXTURES / name).read_bytes()
    else:
        data = {
            "order-7801": order(7801, "PO-7801"),
            "remittance-12": remittance(12, "REM-12"),
            "ta1-42": TA1.encode(),
        }[name]
    rules = {"acme": SenderRules(pass_through=pass_through)}
    [document] = X12Parser(rules).parse(data, file_name=name, partner=partner).documents
    return document


@pytest.mark.parametrize(("name", "partner"), list(PINNED))
def test_an_inbound_document_keeps_the_ids_it_had_before_the_neutral_envelope(
    name: str, partner: str | None
) -> None:
    document = inbound(name, partner)
    assert (document.document_id, document.envelope_key) == PINNED[name, partner]


def test_a_set_passed_through_keeps_its_id() -> None:
    document = inbound("remittance-12", "acme", pass_through=True)
    assert document.message is not None
    assert (document.document_id, document.envelope_key) == (
        "ec7c6ed5-3c89-5b4b-a569-4316ac0b07b4",
        "6bbae492-afa8-5a67-a0a9-00c53b086a56",
    )


def test_identifying_parts_of_x12_envelopes_are_those_of_schema_1() -> None:
    po = inbound("850-004010.edi", "acme").message
    ta1 = inbound("ta1-42", "acme").message
    assert po is not None and ta1 is not None
    assert po.envelope.identifying_parts() == (
        "ZZ",
        "ACMERETAIL",
        "ZZ",
        "WIDGETCO",
        "000000001",
        "1",
        "0001",
    )
    assert ta1.envelope.identifying_parts() == (
        "ZZ",
        "ACME",
        "ZZ",
        "GATEWAY",
        "000000042",
    )


@pytest.mark.parametrize(
    ("name", "kind", "settings", "ids"),
    [
        (
            "856-004010.edi",
            "856",
            {},
            ("ba804e55-fd80-5799-ba7b-b8724f3755f5", "aad838ef-c979-5a44-b09e-03a496f487ec"),
        ),
        (
            "855-004010.edi",
            "855",
            {"version": "005010", "usage_indicator": "T", "sender_qualifier": "01"},
            ("a69bcb38-7fd0-5cfc-baea-957cfe921868", "75ed3682-1aa3-58cf-878a-759dfa88439c"),
        ),
    ],
)
def test_an_outbound_document_keeps_the_id_it_had_before_the_neutral_envelope(
    name: str, kind: str, settings: dict[str, str], ids: tuple[str, str]
) -> None:
    message = translate(next(transactions_in(FIXTURES / name)))
    assert isinstance(message, Message)
    x12 = X12Profile.model_validate({"sender_id": "US", "receiver_id": "ACME", **settings})
    rendered = draft(message, kind, x12, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    counter = InMemoryCounter()
    first, second = number(rendered, x12, counter), number(rendered, x12, counter)
    assert (first.interchange, second.interchange) == ("000000001", "000000002")
    assert (first.document_id, second.document_id) == ids

"""Every registered format passes the format contract (tests/contract/formats.py): a format
registered in adapters/__init__.py without a contract class here fails the suite."""

from __future__ import annotations

from typing import ClassVar

from adapters import REGISTRY
from adapters.formats.x12.format import X12Format
from gateway.ports import Format
from tests.contract.formats import FormatContract
from tests.integration.support import ROOT

X12_FIXTURES = ROOT / "fixtures" / "x12"


class TestX12Format(FormatContract):
    format_class = X12Format
    config: ClassVar = {  # the samples go both ways between the two companies
        "sender_id": "WIDGETCO",
        "receiver_id": "ACMERETAIL",
        "partner_ids": ["WIDGETCO"],
    }
    samples: ClassVar = [
        (X12_FIXTURES / name).read_bytes()
        for name in ("850-004010.edi", "850-005010.edi", "855-004010.edi", "856-004010.edi")
    ]
    bad_samples: ClassVar = [(X12_FIXTURES / "850-004010-broken.edi").read_bytes()]
    renders: ClassVar = ("855", "856")


CONTRACTS: dict[str, type[FormatContract]] = {X12Format.kind: TestX12Format}


def test_every_registered_format_has_its_contract() -> None:
    formats: dict[str, type[Format]] = dict(REGISTRY.formats)
    assert set(formats) == set(CONTRACTS), "a registered format without a contract class"
    for kind, contract in CONTRACTS.items():
        assert contract.format_class is formats[kind]

"""The 943, 944 and 947 fixtures (fixtures/x12/generate_stock.py) are what the gateway's
renderers write, valid, and read back as written; and lossless 943, 944 and 947 over them and the
corpus files of these sets: each segment between ST and SE is read into a field or kept in the
message's ``unmapped`` part, never both, never neither (see test_846_940_945_lossless.py)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.translation import translate
from gateway.messages import InventoryAdjustment, StockTransferReceipt, StockTransferShipment
from tests.unit.x12.strategies import CORPUS, corpus_files
from tests.unit.x12.test_846_940_945_lossless import problems

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
SETS = ("943", "944", "947")

FILES = [
    *(CORPUS / name for set_id in SETS for name in corpus_files(set_id)),
    *(FIXTURES / f"{set_id}-004010.edi" for set_id in SETS),
]


def test_the_stock_fixtures_are_what_the_gateways_renderers_write() -> None:
    script = FIXTURES / "generate_stock.py"
    outcome = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert outcome.returncode == 0, outcome.stderr.decode()
    for set_id in SETS:
        [tx] = transactions_in((FIXTURES / f"{set_id}-004010.edi").read_bytes())
        assert tx.findings == [] and Pyx12Validator().validate(tx).findings == [], set_id


def test_the_fixtures_read_as_a_transfer_its_receipt_and_the_adjustment_after_it() -> None:
    def read(set_id: str) -> object:
        [tx] = transactions_in((FIXTURES / f"{set_id}-004010.edi").read_bytes())
        return translate(tx)

    transfer, receipt, adjustment = read("943"), read("944"), read("947")
    assert isinstance(transfer, StockTransferShipment)
    assert isinstance(receipt, StockTransferReceipt)
    assert isinstance(adjustment, InventoryAdjustment)
    assert receipt.depositor_order_number == transfer.depositor_order_number == "SO-4800"
    assert [line.lot_number for line in transfer.lines] == ["LOT-77", None]
    [damaged] = receipt.lines[0].exceptions
    assert (damaged.quantity, damaged.condition_code) == (Decimal(2), "01")
    assert receipt.lines[0].weight is not None and receipt.lines[0].serial_numbers == [
        "SN-1",
        "SN-2",
    ]
    [written_off] = adjustment.lines
    assert (written_off.quantity, written_off.lot_number) == (Decimal(-2), "LOT-77")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[-48:])
def test_segments_read_are_mapped_or_kept(path: Path) -> None:
    sets = list(transactions_in(path.read_bytes()))
    assert sets
    for tx in sets:
        assert problems(tx) == [], f"{tx.set_id}/{tx.control_number}"


def test_the_corpus_holds_a_943_and_944s() -> None:
    names = [p.name for p in FILES if CORPUS in p.parents]
    assert any("943" in n for n in names) and len([n for n in names if "944" in n]) == 2

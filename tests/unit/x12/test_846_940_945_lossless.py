"""Lossless 846, 940 and 945 (issue 25), over the corpus files of these sets and the project's
fixtures: each segment between ST and SE is either read into a field or kept in the message's
``unmapped`` part, never both, never neither. A kept segment is the one read at its position
(same id, same elements); every segment read into a field comes back when the message is
rendered (per segment id, the rendered set has at least as many; a UIT giving a QTY its unit
comes back in that QTY)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.segments import Segment
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import RENDERERS, translate
from gateway.messages import (
    InventoryAdjustment,
    InventoryAdvice,
    StockTransferReceipt,
    StockTransferShipment,
    WarehouseShippingAdvice,
    WarehouseShippingOrder,
)
from tests.unit.x12.strategies import CORPUS, corpus_files

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"

CORPUS_945 = [n for n in (CORPUS / "MANIFEST.tsv").read_text().split() if "945__inter" in n]
"""The corpus 945: its envelope is refused (GS08 21), but its content reads."""

FILES = [
    *(CORPUS / name for name in corpus_files("846") + corpus_files("940") + CORPUS_945),
    *(FIXTURES / f"{set_id}-004010.edi" for set_id in ("846", "940", "945")),
]


LOSSLESS_MESSAGES = (
    InventoryAdvice,
    WarehouseShippingOrder,
    WarehouseShippingAdvice,
    StockTransferShipment,
    StockTransferReceipt,
    InventoryAdjustment,
)
"""The messages :func:`problems` accounts for (test_stock_fixtures.py calls it for the 943, 944
and 947)."""


def _elements(segment: Segment) -> list[str | list[str]]:
    elements = list(segment.elements)
    while elements and elements[-1] == "":
        elements.pop()
    component = segment.separators.component
    return [e.split(component) if component and component in e else e for e in elements]


def problems(tx: TransactionSet) -> list[str]:
    message = translate(tx)
    assert isinstance(message, LOSSLESS_MESSAGES)
    found: list[str] = []
    by_position = {n: s for n, s in enumerate(tx.body, start=2)}
    positions = [u.position for u in message.unmapped]
    if len(set(positions)) != len(positions) or positions != sorted(positions):
        found.append(f"kept positions repeated or out of order: {positions}")
    for kept in message.unmapped:
        read = by_position.get(kept.position)
        if read is None or (kept.segment_id, kept.elements) != (read.tag, _elements(read)):
            found.append(f"kept segment {kept.position} ({kept.segment_id}) is not as read")
    mapped = Counter(s.tag for n, s in by_position.items() if n not in set(positions))
    mapped.pop("UIT", None)  # a UIT read as its quantity's unit comes back as that QTY's QTY03
    rendered = Counter(s.tag for s in RENDERERS[type(message)].render(message).body)
    for tag, count in mapped.items():
        if rendered[tag] < count:
            found.append(f"{count} {tag} counted as mapped, {rendered[tag]} rendered")
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[-48:])
def test_segments_read_are_mapped_or_kept(path: Path) -> None:
    sets = list(transactions_in(path.read_bytes()))
    assert sets
    for tx in sets:
        assert problems(tx) == [], f"{tx.set_id}/{tx.control_number}"


def test_the_corpus_holds_sets_of_each_kind() -> None:
    names = {p.name for p in FILES}
    assert {n for n in names if "846" in n} and {n for n in names if "940" in n} and CORPUS_945

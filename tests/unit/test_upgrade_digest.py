"""The id a document had under canonical schema 2.0 is known under 2.1 (gateway.messages.upgrade):
over every transaction set of the public corpus that 2.0 translated, the digest 2.1 says 2.0
gave it is the digest the tree released with 2.0 computed (fixtures/identity/digests-2.0.tsv,
written by that tree: a differential test). 90 of its 104 850/855/856 read otherwise under 2.1."""

from __future__ import annotations

import contextlib
import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache

import pytest

from adapters.formats.x12.findings import Finding
from adapters.formats.x12.report import Document, scan
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import translate_or_report
from gateway.errors import UnreadableInput
from gateway.messages import ItemId, ItemIdentification, PurchaseOrder, content_digest
from gateway.messages.blocks import keep_other_ids_2_0, other_ids_2_0
from gateway.messages.upgrade import former_content_digest
from tests.conformance.corpus import CORPUS
from tests.integration.support import ROOT

TABLE = ROOT / "fixtures" / "identity" / "digests-2.0.tsv"

Key = tuple[str, str, str, int]


def _recorded() -> dict[Key, tuple[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return {
            (name, group, number, int(nth)): (set_id, digest)
            for name, group, number, nth, set_id, digest in csv.reader(handle, delimiter="\t")
        }


RECORDED = _recorded()


@cache
def _read(name: str) -> dict[Key, tuple[str, str, str | None]]:
    """Each translated set of the corpus file ``name``: set id, 2.1 digest, former digest."""
    found: dict[Key, tuple[str, str, str | None]] = {}
    seen: Counter[tuple[str, str]] = Counter()

    def on_document(document: Document) -> list[Finding]:
        message, findings = translate_or_report(document)
        if isinstance(document, TransactionSet) and message is not None:
            numbers = (document.group.control_number, document.control_number)
            seen[numbers] += 1
            found[(name, *numbers, seen[numbers])] = (
                document.set_id,
                content_digest(message),
                former_content_digest(message),
            )
        return findings

    with contextlib.suppress(UnreadableInput):
        scan(CORPUS / name, on_document=on_document)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted({key[0] for key in RECORDED}), ids=lambda n: n[-60:])
def test_the_digest_2_0_gave_each_corpus_set_is_known_under_2_1(name: str) -> None:
    read = _read(name)
    for key, (set_id, digest_2_0) in RECORDED.items():
        if key[0] != name:
            continue
        assert key in read, f"{key} is no longer translated"
        read_set_id, digest, former = read[key]
        assert read_set_id == set_id
        assert (former or digest) == digest_2_0, key
        assert former != digest  # given only where 2.1 reads the set otherwise


def test_the_table_covers_the_sets_2_1_reads_otherwise() -> None:
    kinds = Counter(set_id for set_id, _ in RECORDED.values())
    assert kinds["850"] + kinds["855"] + kinds["856"] == 104
    assert kinds["997"] + kinds["999"] == 28  # read the same: their digests did not change


def test_an_item_id_2_1_reads_into_a_field_goes_back_where_2_0_listed_it() -> None:
    ids = ItemIdentification(
        upc="1", buyer_item_id="B7", other_ids=[ItemId(qualifier="BO", value="x")]
    )
    plain = ItemIdentification(
        upc="1", buyer_item_id="B7", other_ids=[ItemId(qualifier="BO", value="x")]
    )
    keep_other_ids_2_0(ids, [ItemId(qualifier="IN", value="B7"), ItemId(qualifier="BO", value="x")])
    assert ids == plain  # the 2.0 reading is not content
    assert "other_ids_2_0" not in ids.model_dump_json()
    assert other_ids_2_0(ids.model_copy()) == other_ids_2_0(ids)  # kept by copies too


def _order(lines: Sequence[Mapping[str, object]]) -> PurchaseOrder:
    return PurchaseOrder.model_validate(
        {
            "envelope": {
                "partner": "p",
                "format": "csv",
                "sender": {"id": "S"},
                "receiver": {"id": "R"},
            },
            "purpose_code": "00",
            "order_type_code": "SA",
            "po_number": "4500",
            "po_date": "2026-01-02",
            "lines": [{"quantity": "1", "unit_of_measure": "EA", **line} for line in lines],
        }
    )


def test_what_2_1_added_is_found_anywhere_in_a_message_and_nothing_else() -> None:
    plain: list[dict[str, object]] = [
        {"line_number": "1", "item": {"other_ids": [{"qualifier": "EN", "value": "4"}]}}
    ]
    assert former_content_digest(_order(plain * 3)) is None
    for added in (
        {"item": {"buyer_item_id": "B7"}},  # a field of a line's item
        {"notes": [{"text": "t"}, {"text": "u", "code": "GEN"}]},  # of a line's second note
        {"descriptions": [{"type": "F", "text": "d"}]},  # a list of the line
    ):
        order = _order([*plain, *plain, {**plain[0], **added}])
        assert former_content_digest(order) not in (None, content_digest(order)), added
    moved = _order(plain * 3)
    keep_other_ids_2_0(moved.lines[2].item, [ItemId(qualifier="IN", value="B7")])
    assert former_content_digest(moved) not in (None, content_digest(moved))

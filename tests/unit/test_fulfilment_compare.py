"""An order's lines against the lines that shipped it (gateway.fulfilment.compare): short, over,
substituted and complete per item, matched by the most telling id the lines share, quantities
accumulated across the documents that shipped them."""

from __future__ import annotations

from decimal import Decimal

from gateway.fulfilment import ItemOutcome, Line, compare
from gateway.fulfilment.lines import item_ids
from gateway.messages import ItemId, ItemIdentification


def line(item: str, quantity: int, *ids: tuple[str, str], status: str = "", doc: str = "") -> Line:
    return Line(
        item=item,
        ids=ids or (("VN", item),),
        quantity=Decimal(quantity),
        status=status or None,
        document_id=doc,
    )


ORDER = [line("SKU-1", 12), line("SKU-2", 4)]


def outcomes(shipped: list[Line]) -> dict[str, tuple[str, int, int]]:
    found = compare(ORDER, shipped).items
    return {r.item: (r.outcome.value, int(r.ordered), int(r.shipped)) for r in found}


def test_less_shipped_than_ordered_is_short_and_a_line_not_shipped_too() -> None:
    assert outcomes([line("SKU-1", 10)]) == {
        "SKU-1": ("short", 12, 10),
        "SKU-2": ("short", 4, 0),
    }


def test_more_shipped_than_ordered_is_over_and_the_exact_quantity_complete() -> None:
    found = compare(ORDER, [line("SKU-1", 13), line("SKU-2", 4)])
    assert [(r.item, r.outcome) for r in found.items] == [
        ("SKU-1", ItemOutcome.OVER),
        ("SKU-2", ItemOutcome.COMPLETE),
    ]
    assert not found.complete


def test_an_item_not_ordered_or_a_substitution_status_is_substituted() -> None:
    found = compare(ORDER, [line("SKU-1", 12, status="CS"), line("SKU-2", 4), line("SKU-9", 1)])
    assert [(r.item, r.outcome, int(r.ordered)) for r in found.items] == [
        ("SKU-1", ItemOutcome.SUBSTITUTED, 12),
        ("SKU-2", ItemOutcome.COMPLETE, 4),
        ("SKU-9", ItemOutcome.SUBSTITUTED, 0),
    ]


def test_quantities_accumulate_across_the_documents_of_an_order() -> None:
    first = [line("SKU-1", 10, doc="945-a"), line("SKU-2", 4, doc="945-a")]
    assert not compare(ORDER, first).complete
    found = compare(ORDER, [*first, line("SKU-1", 2, doc="945-b")])
    assert found.complete
    assert found.items[0].documents == ("945-a", "945-b")


def test_a_shipped_line_is_matched_by_the_first_id_an_ordered_line_shares() -> None:
    ordered = [
        line("VN:SKU-1", 5, ("UP", "012345678905"), ("VN", "SKU-1")),
        line("VN:SKU-2", 5, ("VN", "SKU-2")),
    ]
    by_upc_only = Line(item="UP:012345678905", ids=(("UP", "012345678905"),), quantity=Decimal(5))
    by_vendor = Line(item="BP:B-2", ids=(("BP", "B-2"), ("VN", "SKU-2")), quantity=Decimal(5))
    assert compare(ordered, [by_upc_only, by_vendor]).complete


def test_lines_without_ids_are_matched_by_line_number() -> None:
    ordered = [Line(item="line 1", ids=(), quantity=Decimal(3), line_number="1")]
    shipped = [Line(item="line 1", ids=(), quantity=Decimal(3), line_number="1")]
    assert compare(ordered, shipped).complete


def test_an_items_ids_come_most_telling_first_each_once() -> None:
    item = ItemIdentification(
        vendor_item_number="SKU-1",
        buyer_item_number="B-1",
        upc="012345678905",
        gtin="00012345678905",
        other_ids=[
            ItemId(qualifier="EN", value="4006381333931"),
            ItemId(qualifier="VN", value="SKU-1"),
        ],
    )
    assert item_ids(item, "10012345678902") == (
        ("UK", "00012345678905"),
        ("UP", "012345678905"),
        ("EN", "4006381333931"),
        ("VN", "SKU-1"),
        ("UA", "10012345678902"),
        ("BP", "B-1"),
    )

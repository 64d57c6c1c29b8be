"""The lines the checks compare, taken from canonical messages: a 940's order lines and a 945's
shipped lines; an 850's PO lines and an 856's items (at any level of its hierarchy), by PO.

An item's ids, most telling first (:func:`item_ids`): the id pairs of the line (GTIN, UPC, then
the other qualified ids in the order they came), the U.P.C. case code (qualifier ``UA``), then
the vendor's and the buyer's item numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from ..ledger.orders import NewOrderLine, OrderLineRow
from ..messages import (
    ItemIdentification,
    PurchaseOrder,
    ShipNotice,
    WarehouseShippingAdvice,
    WarehouseShippingOrder,
)
from ..messages.shipments import ShipmentOrder, ShippedItem
from .compare import Line

CASE_CODE = "UA"
"""The qualifier (235) a line's U.P.C. case code (W0103, W1206) is compared under."""
ORDERED = "ordered"
SHIPPED = "shipped"


def item_ids(item: ItemIdentification, case_code: str | None = None) -> tuple[tuple[str, str], ...]:
    """The ids of an item, most telling first (see the module's docstring), each once."""
    found: list[tuple[str, str]] = []
    candidates = [
        ("UK", item.gtin),
        ("UP", item.upc),
        *((other.qualifier, other.value) for other in item.other_ids),
        (CASE_CODE, case_code),
        ("VN", item.vendor_item_number),
        ("BP", item.buyer_item_number),
        ("IN", item.buyer_item_id),
    ]
    for qualifier, value in candidates:
        if value and value.strip() and (qualifier, value.strip()) not in found:
            found.append((qualifier, value.strip()))
    return tuple(found)


def _new(
    role: str,
    ids: tuple[tuple[str, str], ...],
    quantity: Decimal | None,
    unit: str | None,
    line_number: str | None,
    status: str | None = None,
) -> NewOrderLine:
    item = f"{ids[0][0]}:{ids[0][1]}" if ids else f"line {line_number or '?'}"
    return NewOrderLine(
        role=role,
        item=item,
        item_ids=ids,
        quantity=quantity if quantity is not None else Decimal(0),
        unit=unit,
        line_number=line_number,
        status=status,
    )


def warehouse_order_lines(order: WarehouseShippingOrder) -> list[NewOrderLine]:
    """A 940's lines: what it asks the warehouse to ship."""
    return [
        _new(
            ORDERED,
            item_ids(line.item, line.upc_case_code),
            line.quantity,
            line.unit_of_measure,
            line.line_number,
        )
        for line in order.lines
    ]


def shipping_advice_lines(advice: WarehouseShippingAdvice) -> list[NewOrderLine]:
    """A 945's lines: what the warehouse shipped (a line without W1203 shipped nothing)."""
    return [
        _new(
            SHIPPED,
            item_ids(line.item, line.upc_case_code),
            line.quantity_shipped,
            line.unit_of_measure,
            line.line_number,
            line.status,
        )
        for line in advice.lines
    ]


def purchase_order_lines(order: PurchaseOrder) -> list[NewOrderLine]:
    """An 850's lines: what the buyer ordered."""
    return [
        _new(ORDERED, item_ids(line.item), line.quantity, line.unit_of_measure, line.line_number)
        for line in order.lines
    ]


def ship_notice_lines(notice: ShipNotice) -> dict[str, list[NewOrderLine]]:
    """An 856's items by the PO number of their order level (a PO named twice: its items
    together)."""
    found: dict[str, list[NewOrderLine]] = {}
    for order in notice.orders:
        found.setdefault(order.po_number, []).extend(
            _new(
                SHIPPED,
                item_ids(item.item),
                item.quantity_shipped,
                item.unit_of_measure,
                item.line_number,
            )
            for item in _items(order)
        )
    return found


def _items(order: ShipmentOrder) -> Iterator[ShippedItem]:
    yield from order.items
    for pack in order.packs:
        yield from pack.items
    for tare in order.tares:
        for pack in tare.packs:
            yield from pack.items


def as_compared(lines: Sequence[NewOrderLine | OrderLineRow], document_id: str = "") -> list[Line]:
    """Lines to compare: new ones (of ``document_id``) or recorded ones (of their document)."""
    compared = []
    for line in lines:
        if isinstance(line, OrderLineRow):
            ids = tuple(
                (str(pair[0]), str(pair[1])) for pair in (line.item_ids or {}).get("ids", [])
            )
            source = line.document_id
        else:
            ids, source = line.item_ids, document_id
        compared.append(
            Line(
                item=line.item,
                ids=ids,
                quantity=line.quantity,
                unit=line.unit,
                line_number=line.line_number,
                status=line.status,
                document_id=source,
            )
        )
    return compared

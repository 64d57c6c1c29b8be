"""A large canonical message published as a sequence of parts, and put back together.

A broker takes messages up to a size (RabbitMQ: 128 MiB by default), and a consumer should not
need gigabytes for one. A message with more than :data:`PART_ITEMS` items in its repeating lists
(an 846's item lines, an 856's cartons, an 810's lines...) is published as parts, each a
:class:`DocumentPart` under the document's routing key:

- part 1 holds the **header**: the whole message (its envelope included) with those lists empty;
- parts 2..N hold the **items**, in document order, at most :data:`PART_ITEMS` each, as entries
  ``{"path", "at", "items"}``: the list the items belong to (:data:`SPLIT_PATHS`: ``lines`` at
  the top; ``orders.packs`` in the order whose index is ``at[0]``) and the items, as the message's
  JSON has them.

Every part carries the document's id, its number and the total, so a consumer keeps the parts of
a document until it has all of them, in any order, and :func:`reassemble` gives the message's JSON
back: the header with each entry's items appended where it says, in part order. The split rule
per message type is :data:`SPLIT_PATHS`; a message with no more items than :data:`PART_ITEMS`
is published whole, as ever.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from pydantic import Field

from .base import CanonicalModel

PART_ITEMS = 10_000
"""Items at most in one part (an 846 line, an 856 carton, a line of an order...): as many as an
846 set may have LIN loops (10,000): one set of any valid 846 is one message, a few MB of JSON."""

SPLIT_PATHS: Mapping[str, tuple[str, ...]] = {
    "InventoryAdvice": ("lines", "unmapped"),
    "PurchaseOrder": ("lines", "unmapped"),
    "PurchaseOrderAck": ("lines", "unmapped"),
    "ShipNotice": ("orders.tares", "orders.packs", "orders.items", "unmapped"),
    "Invoice": ("lines", "unmapped"),
    "WarehouseShippingOrder": ("lines", "unmapped"),
    "WarehouseShippingAdvice": ("lines", "unmapped"),
    "InventoryAdjustment": ("lines", "unmapped"),
    "StockTransferReceipt": ("lines", "unmapped"),
    "StockTransferShipment": ("lines", "unmapped"),
}
"""The repeating lists a message type is split along, by message type: ``lines`` is a list of
the message; ``orders.packs`` the packs of each of its orders (an 856's hierarchy: the orders'
own fields stay in the header, their tares, packs and items go in parts)."""


class PartEntry(CanonicalModel):
    path: str = Field(description="the list the items belong to, e.g. lines or orders.packs")
    at: list[int] = Field(
        default_factory=list,
        description="the index of the element holding that list at each level above it "
        "(orders.packs at [2]: the packs of the third order); empty for a top-level list",
    )
    items: list[dict[str, Any]] = Field(description="the items, as the message's JSON has them")


class DocumentPart(CanonicalModel):
    """One part of a canonical message published in parts (see :mod:`gateway.messages.parts`)."""

    message_type: Literal["DocumentPart"] = "DocumentPart"
    document_id: str = Field(description="the whole document's id (the same in every part)")
    of: str = Field(description="the message type the parts make, e.g. InventoryAdvice")
    part: int = Field(ge=1, description="this part's number, 1 = the header")
    parts: int = Field(ge=2, description="how many parts the document has")
    header: dict[str, Any] | None = Field(
        default=None, description="part 1 only: the message with its split lists empty"
    )
    entries: list[PartEntry] = Field(
        default_factory=list, description="parts 2 and after: the items, in document order"
    )


def items_of(message: object, message_type: str) -> int:
    """How many items ``message`` (a canonical model) holds in its split lists: more than
    :data:`PART_ITEMS`, and it is published in parts."""
    total = 0
    for path in SPLIT_PATHS.get(message_type, ()):
        *above, name = path.split(".")
        holders = [message]
        for level in above:
            holders = [child for holder in holders for child in getattr(holder, level, ())]
        total += sum(len(getattr(holder, name, None) or ()) for holder in holders)
    return total


def split(
    data: dict[str, Any], message_type: str, part_items: int = PART_ITEMS
) -> list[list[dict[str, Any]]] | None:
    """The entries of each item part of ``data`` (a message's JSON without its envelope, emptied
    of its split lists in place: it becomes the header); None, and ``data`` untouched, when the
    message has no more than ``part_items`` items to split."""
    paths = SPLIT_PATHS.get(message_type, ())
    if sum(len(items) for _, _, items in _lists(data, paths)) <= part_items:
        return None
    parts: list[list[dict[str, Any]]] = [[]]
    room = part_items
    for path, at, items in list(_lists(data, paths)):
        start = 0
        while start < len(items):
            if room == 0:
                parts.append([])
                room = part_items
            taken = items[start : start + room]
            parts[-1].append({"path": path, "at": at, "items": taken})
            start += len(taken)
            room -= len(taken)
        items.clear()
    return parts


def _lists(
    data: Mapping[str, Any], paths: Iterable[str]
) -> Iterator[tuple[str, list[int], list[Any]]]:
    """(path, indexes above, the list) for every non-empty list of ``paths`` in ``data``."""
    for path in paths:
        *above, name = path.split(".")
        for at, holder in _holders(data, above, []):
            items = holder.get(name)
            if isinstance(items, list) and items:
                yield path, at, items


def _holders(
    node: Mapping[str, Any], above: list[str], at: list[int]
) -> Iterator[tuple[list[int], Mapping[str, Any]]]:
    if not above:
        yield at, node
        return
    for index, child in enumerate(node.get(above[0]) or []):
        yield from _holders(child, above[1:], [*at, index])


def reassemble(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON of the message the ``parts`` (the ``data`` of each :class:`DocumentPart`
    event of one document, all of them, in any order) make; ``ValueError`` when some are
    missing, repeated or of another document."""
    by_number = {int(p["part"]): p for p in parts}
    first = by_number.get(1)
    if first is None or first.get("header") is None:
        raise ValueError("the header (part 1) is missing")
    total, document_id = int(first["parts"]), first["document_id"]
    if sorted(by_number) != list(range(1, total + 1)):
        raise ValueError(f"parts {sorted(by_number)} of {total}")
    if any(p["document_id"] != document_id for p in by_number.values()):
        raise ValueError("parts of another document")
    message = dict(first["header"])
    for number in range(2, total + 1):
        for entry in by_number[number]["entries"]:
            *above, name = entry["path"].split(".")
            holder: dict[str, Any] = message
            for level, index in zip(above, entry["at"], strict=True):
                holder = holder[level][index]
            holder.setdefault(name, []).extend(entry["items"])
    return message


class MessageInParts:
    """A document whose item parts were read, and held, before its end (one huge transaction
    set, read a segment at a time: :class:`~gateway.ports.formats.PartAhead`): what is known at
    its end. ``head`` is the message with its split lists cut to their first items (its
    envelope, its business ids and its content digest are the whole document's); ``header`` is
    part 1's ``header`` (the message's JSON, its split lists empty); ``parts`` how many parts
    it has, this header and the ``parts - 1`` held. Its attributes are ``head``'s (its
    ``document_id``, ``message_type``, ``envelope``...), so that what reads a canonical message
    for its ids reads this one; its CloudEvents are the header's alone
    (:meth:`gateway.bus.cloudevents.SerializedMessage.of`)."""

    def __init__(self, head: Any, header: dict[str, Any], parts: int) -> None:
        self.head = head
        self.header = header
        self.parts = parts

    def __getattr__(self, name: str) -> Any:
        if name in ("head", "header", "parts"):  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.head, name)

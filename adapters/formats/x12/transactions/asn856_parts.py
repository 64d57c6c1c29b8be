"""One 856 set of any size read a segment at a time into its canonical message's parts (issue 26).

(Over 400 lines: one reader whose steps mirror :func:`.asn856.parse`'s, kept side by side so
that they stay the same, with the two small stores it alone uses: the HL numbers seen and the
spooled canonical JSON.)

:func:`.asn856.parse` reads a set held whole into one :class:`ShipNotice`. A truck's single 856
of a million cartons is read here instead, in flat memory: :class:`ShipNoticeInParts` takes the
set's body segments one by one (:meth:`~ShipNoticeInParts.feed`) and reads each HL level as the
next one begins, with the steps ``parse`` takes (:func:`.asn856.read_bsn`, the level checks of
``_levels``, the tree of ``_orders``, :func:`.asn856.shipment_fields`,
:func:`.commercial.parse_control_totals`). What it holds is the open branch of the hierarchy
(shipment, order, tare, pack: a tare or pack with its items is one item of the parts, as
:func:`gateway.messages.parts.split` cuts them), the orders' own fields, the part being filled,
the HL numbers seen (as ranges: they are counted up in every 856 seen) and a few counters.

A tare, a pack directly under an order and an item directly under an order (or under the
shipment, in the order its PRF names) is given to the parts when it is complete: when an HL
arrives whose parent is above it. The parts are then in document order (not cut where
``split`` cuts them: :func:`~gateway.messages.parts.reassemble` makes the same message of
either). The content digest has the CTT's totals before the orders (its keys are sorted), so
the canonical JSON of each part item is spooled, by order and list, and hashed at the end.
An item level is read straight into its dump where :mod:`.asn856_item_dumps` vouches for it (a
model otherwise, dumped), a pack and a tare are dumps around their items' dumps: each part item
is written from its dump, as JSON text for its part and as canonical JSON for the digest.

The errors are ``parse``'s, in its order: those it finds in every level before building the
tree (an HL03 a ship notice does not carry) are raised at once; one found while building it
(a missing PRF, SN1...) is kept and raised at the end unless a level after it has the former
kind. A hierarchy ``parse`` reads but not in document order (an HL02 naming a level closed
already: a carton given an item after another carton began) makes :meth:`finish` return
None: such a set is to be read whole; so does a set small enough to go whole (no more than
``part_items`` items) whose items keep ids schema 2.0 read otherwise (a LIN's LT or SN pair:
they are in no JSON, and the items held are read back from their JSON).
"""

from __future__ import annotations

import bisect
import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

import orjson
from pydantic import BaseModel

from gateway.errors import TranslationError
from gateway.messages import Pack, ShipmentOrder, ShipNotice, ShippedItem, Tare
from gateway.messages.blocks import UnmappedSegment, other_ids_2_0
from gateway.messages.identity import canonical_json
from gateway.messages.part_stream import InParts, JsonSpool, OrderedDigest, PartChunks
from gateway.messages.parts import PART_ITEMS

from ..findings import quote
from ..segments import Segment
from ..structure import TransactionSet
from .asn856 import (
    HL_LOOPS,
    LEVEL_NAMES,
    PARENT_LEVELS,
    SET_ID,
    _item,
    _Level,
    _man,
    _order,
    _OrderLevel,
    _pack,
    no_levels,
    no_orders,
    not_shipment_first,
    read_bsn,
    shipment_fields,
)
from .asn856_item_dumps import PackDump, item_dump, tare_dump
from .commercial import parse_control_totals
from .common import Body, SegmentAt, body_of, walk
from .dump_values import Dump, Values, dump_text, text_at

LISTS: Final = ("items", "packs", "tares")
"""An order's split lists, in the order their names sort (the digest's order)."""
PATHS: Final = {"items": "orders.items", "packs": "orders.packs", "tares": "orders.tares"}
_MODELS: Final[dict[str, type[BaseModel]]] = {
    "orders.items": ShippedItem,
    "orders.packs": Pack,
    "orders.tares": Tare,
}
HL_READ: Final = 4
"""The elements of an HL the hierarchy reads, HL01 to HL04 (it is taken holding no more)."""
READ_BACK: Final = 1 << 20
"""Bytes of the spooled canonical JSON hashed at a time."""
SPOOL_BUFFER: Final = 1 << 20
"""Bytes of canonical JSON spooled in memory before they are written (a pack's is some kB: a
write each, with the default buffer)."""


class ShipNoticeInParts:
    """An 856 set read a segment at a time (see the module's docstring). ``opening`` is the set
    with its ST alone; :class:`TranslationError` from :meth:`feed` or :meth:`finish` as
    :func:`.asn856.parse` raises it."""

    def __init__(
        self,
        opening: TransactionSet,
        part_items: int = PART_ITEMS,
        spool_dir: str | Path | None = None,
        *,
        item_dumps: bool = True,
    ) -> None:
        self.item_dumps = item_dumps
        """Items read straight into their dumps where :func:`.asn856_item_dumps.item_dump`
        vouches for them (False: every item through its model, as the differential tests
        read them)."""
        self.dumped = 0
        """Items read straight into their dumps."""
        self.body = body_of(opening, SET_ID)
        self.envelope = opening.envelope()
        self.label = self.body.transaction
        self.position = 1
        """The position in the set of the segment fed last (not kept up while :attr:`in_level`:
        then the level's start and length say it)."""
        self.in_level = False
        """The segments fed are the level's (read: the header; not: the CTT and after)."""
        self.header: list[SegmentAt] | None = []
        """The segments before the first HL (read at the end, as ``parse`` reads them)."""
        self.header_taken: set[int] = set()
        self.header_segments: list[SegmentAt] = []
        self.shipment_taken: set[int] = set()
        self.beginning: dict[str, Any] = {}
        self.level: list[Segment] = []
        """The HL level being read: its HL (at :attr:`level_start`) and its own segments."""
        self.level_start = 0
        self.hl_elements: list[str | None] = []
        """The elements of the HL of the level being hung."""
        self.item_level: tuple[list[Segment], int, set[int]] | None = None
        """The item level being hung (its segments, where they start, the positions taken),
        read as segments (:meth:`_read_item`) and made :class:`SegmentAt` when it must be."""
        self.levels = 0
        self.in_summary = False
        self.totals: Any = None
        """The CTT's totals (or why they could not be read), at the CTT."""
        self.shipment: _Level | None = None
        self.shipment_segments: list[SegmentAt] = []
        self.branch: list[_Open] = []
        """The open levels, the shipment first."""
        self.latest: dict[str, tuple[int, _Open]] = {}
        self.numbers = _Numbers()
        self.orders: list[_OrderLevel] = []
        self.by_prf: dict[tuple[str, str | None, dt.date | None], int] = {}
        self.shipped = Decimal(0)
        """SN102 summed (Decimal sums of SN102 values are exact: in any order the same)."""
        self.kept: TranslationError | None = None
        """The first error of the shipment check or the tree (raised at the end)."""
        self.out_of_order = False
        self.ids_2_0 = False
        """An item keeps the ids schema 2.0 read otherwise (:func:`.blocks.keep_other_ids_2_0`):
        not in its JSON, so a set small enough to go whole is read whole."""
        self.chunks = PartChunks(part_items, spool_dir=spool_dir)
        self.unmapped = JsonSpool(spool_dir)
        self.digests = _DigestSpool(spool_dir)
        self._last = JsonSpool(spool_dir)
        """The item parts :meth:`finish` completes, spooled: at the end of a gigabyte's set they are
        some 25 of about 800 kB (its unmapped segments, which come last), never held at once."""

    # ------------------------------------------------------------------------------------------
    # Reading

    def feed(self, segment: Segment) -> Sequence[str]:
        """Read the body segment after the one before; the entries of the item parts (JSON
        text) this segment completed."""
        tag = segment.tag
        if self.in_level and tag != "HL" and tag != "CTT":  # most: one more of the level's
            self.level.append(segment)
            return ()
        return self._turn(segment, tag)

    def _turn(self, segment: Segment, tag: str) -> list[str]:
        """:meth:`feed` of a segment not simply added to the level being read."""
        if self.in_level:  # the level's segments are not counted one by one (:attr:`position`)
            self.position = self.level_start + len(self.level)
        else:
            self.position += 1
        if self.in_summary or tag == "CTT":
            self.in_level = False
            at = SegmentAt(segment, self.position, self.label, set())
            done: list[str] = []
            if not self.in_summary:
                self.in_summary = True
                done = self._close_level() if self.header is None else []
                done += self._close_branch(0)
                self._totals(at)
            self._keep([at])
            return done
        if tag == "HL":
            if self.header is not None:
                header, self.header = self.header, None
                self.header_segments = header
                self.beginning = read_bsn(header, Body(self.label, header, self.header_taken))
                done = []
            else:
                done = self._close_level()
            self.level_start = self.position
            self.level = [segment]
            self.in_level = True
            return done
        if self.header is not None:
            self.header.append(SegmentAt(segment, self.position, self.label, self.header_taken))
        else:
            self.level.append(segment)
        return []

    def finish(self) -> ShipNotice | InParts | None:
        """The message, the header part's content, or None when the set is to be read whole
        (see the module's docstring), once the set's last body segment was fed. The item parts
        left are :meth:`last_chunks`."""
        try:
            return self._finish()
        finally:
            self.unmapped.close()
            self.digests.close()
            self.chunks.close()

    def last_chunks(self) -> Iterator[str]:
        """The item parts :meth:`finish` completed (after those :meth:`feed` gave), one at a
        time (read back from their spool, closed at the end)."""
        return self._last.drained()

    def _finish(self) -> ShipNotice | InParts | None:
        if self.header is not None:  # no HL
            read_bsn(self.header, Body(self.label, self.header, self.header_taken))
            raise no_levels(self.body)
        if not self.in_summary:
            self._last.add_texts(self._close_level())
            self._last.add_texts(self._close_branch(0))
            self._totals(None)
        if self.kept is not None:
            raise self.kept
        if self.out_of_order:
            return None
        assert self.shipment is not None
        if not self.orders:
            raise no_orders(self.shipment)
        header_segments = self.header_segments
        fields = shipment_fields(header_segments, self.shipment)
        if isinstance(self.totals, TranslationError):
            raise self.totals
        first = [
            u.model_dump_json()
            for u in (
                *Body(self.label, header_segments, self.header_taken).unmapped(),
                *Body(self.label, self.shipment_segments, self.shipment_taken).unmapped(),
            )
        ]
        unmapped_count = len(first) + self.unmapped.count
        whole = self.chunks.whole
        if whole and self.chunks.count + unmapped_count <= self.chunks.part_items:
            if self.ids_2_0:
                return None  # its items' 2.0 ids are in no JSON: read whole, it is small
            unmapped = [UnmappedSegment.model_validate_json(t) for t in self._unmapped(first)]
            lists: dict[tuple[str, int], list[Any]] = {
                (path, k): [] for path in PATHS.values() for k in range(len(self.orders))
            }
            for path, at, text in self.chunks.held_items():
                lists[path, at[0]].append(_MODELS[path].model_validate_json(text))
            orders = [
                _order_model(order, {name: lists[PATHS[name], k] for name in LISTS})
                for k, order in enumerate(self.orders)
            ]
            return ShipNotice(
                envelope=self.envelope,
                **self.beginning,
                **fields,
                orders=orders,
                control_totals=self.totals,
                unmapped=unmapped,
            )
        heads = [_order_model(order, {}) for order in self.orders]
        first_unmapped = None
        for text in self._unmapped(first):
            first_unmapped = first_unmapped or text
            self._last.add_texts(self.chunks.add("unmapped", text))
        self._last.add_texts(self.chunks.rest())
        head = ShipNotice(
            envelope=self.envelope,
            **self.beginning,
            **fields,
            orders=heads,
            control_totals=self.totals,
            unmapped=[UnmappedSegment.model_validate_json(t) for t in [first_unmapped] if t],
        )
        head.__dict__["content_digest"] = self._digest(head, heads, first)
        data = head.model_dump(mode="json")
        for order in data["orders"]:
            for name in LISTS:
                order[name] = []
        if first_unmapped:
            data["unmapped"] = []
        return InParts(head=head, header=data, parts=1 + self.chunks.chunks)

    def _unmapped(self, first: list[str]) -> Iterator[str]:
        """The unmapped segments' JSON texts, in order: those of the header and the shipment
        level (read at the end), then the others (spooled as they came)."""
        yield from first
        yield from self.unmapped.texts()

    def _digest(self, head: ShipNotice, orders: list[ShipmentOrder], first: list[str]) -> str:
        """The content digest of the whole message: ``head``'s content, with each order's
        spooled lists and the unmapped segments."""
        content = head.model_dump(exclude={"envelope", "document_id", "orders", "unmapped"})
        top = OrderedDigest(content, ("orders", "unmapped"), dropped_when_empty={"unmapped"})
        for index, order in enumerate(orders):
            into = top.begin_item("orders")
            own = order.model_dump(exclude=set(LISTS))
            inner = OrderedDigest(own, LISTS, into=into)
            for name in LISTS:
                for run in self.digests.runs(index, name):
                    inner.item(name, b"")
                    for piece in run:
                        into.update(piece)
            inner.close()
        for text in self._unmapped(first):
            top.item("unmapped", canonical_json(orjson.loads(text)))
        return top.hexdigest()

    # ------------------------------------------------------------------------------------------
    # The hierarchy

    def _close_level(self) -> list[str]:
        """The HL level read so far (``level``), checked and hung in the tree."""
        segments, self.level = self.level, []
        elements = [e.strip() or None for e in segments[0].elements]  # elements_of
        if len(elements) > 2 and elements[2] == "I" and self.levels:
            done = self._close_item(segments, elements)
            if done is not None:
                return done
        start = self.level_start
        taken: set[int] = set()
        index = self.levels
        self.levels += 1
        hl = SegmentAt(segments[0], start, self.label, taken)
        self.hl_elements = elements
        if len(elements) <= HL_READ or not any(elements[HL_READ:]):  # hl.take((1, 2, 3, 4))
            taken.add(start)
        code = hl.need(text_at(elements, 3), 3, "hierarchical level code")
        if code not in PARENT_LEVELS:
            raise hl.error(
                f"{quote(code)} is not a level a ship notice carries (S, O, T, P or I)", 3
            )
        self.item_level = None
        if code == "I" and index:
            level = _Level(hl, code, [])  # its segments walked when read through its model
            self.item_level = (segments, start, taken)
        else:
            at = [hl, *self._at(segments, start, taken, 1)]
            level = _Level(hl, code, walk(at[1:], HL_LOOPS))
        if index == 0:
            self.shipment = level
            self.shipment_segments = at  # read at the end, with the header
            self.shipment_taken = taken
            if code != "S":
                self.kept = not_shipment_first(level)
        if self.kept is not None or self.out_of_order:
            return []  # the levels after are checked, no longer read
        try:
            done = self._hang(index, level)
        except TranslationError as error:
            self.kept = error
            return []
        if index and len(taken) < len(segments):  # else none is kept
            self._keep_level(segments, start, taken)
        return done

    def _close_item(self, segments: list[Segment], elements: Values) -> list[str] | None:
        """:meth:`_close_level` of an item level hung as most are, with fewer steps (None when
        it is not, or when its dump is to be made by its model: the level is then read the
        general way): the next HL01 counted up, its HL02 the open pack or order (or the one
        under the item before it), nothing kept or out of order yet."""
        number, pointer = elements[0], elements[1]
        numbers, branch = self.numbers, self.branch
        if (
            number is None
            or number != numbers.following
            or not branch
            or not self.item_dumps
            or self.kept is not None
            or self.out_of_order
        ):
            return None
        parent = branch[-1]
        if parent.number != pointer:
            if parent.code != "I" or len(branch) < 2 or branch[-2].number != pointer:
                return None
            parent = branch[-2]
        if parent.pack is None and parent.order is None:  # not a pack or an order
            return None
        read = item_dump(segments)
        if read is None:
            return None
        dump, indexes = read
        if parent is not branch[-1]:
            branch.pop()  # the item before, closed (_close_branch: nothing to give)
        index = self.levels
        self.levels += 1
        numbers.count_up()  # add(number)
        opened = _Open(number, "I")
        self.latest["I"] = (index, opened)
        branch.append(opened)
        self.dumped += 1
        self.shipped += dump["quantity_shipped"]
        done: list[str] = []
        if parent.pack is not None:
            parent.pack.items.append(dump)
        else:
            done = self._emit("items", parent.order_index, dump)
        held = len(elements) <= HL_READ or not any(elements[HL_READ:])
        if len(indexes) + held < len(segments):  # else none is kept
            start = self.level_start
            taken = {start + n for n in indexes}
            if held:
                taken.add(start)
            self._keep_level(segments, start, taken)
        return done

    def _keep_level(self, segments: list[Segment], start: int, taken: set[int]) -> None:
        """The level's ``segments`` (the first at ``start``) not ``taken`` kept unmapped."""
        label = self.label
        kept = [
            SegmentAt(segment, n, label, taken)
            for n, segment in enumerate(segments, start)
            if n not in taken
        ]
        self._keep(kept, taken)

    def _at(
        self, segments: list[Segment], start: int, taken: set[int], first: int = 0
    ) -> list[SegmentAt]:
        """The level's ``segments`` (the first at ``start``) from ``first`` on, as read by the
        model readers."""
        label = self.label
        return [
            SegmentAt(segments[n], start + n, label, taken) for n in range(first, len(segments))
        ]

    def _walked(self, level: _Level) -> _Level:
        """``level`` with its segments walked (an item level's, see :attr:`item_level`)."""
        if self.item_level is not None and not level.walked:
            segments, start, taken = self.item_level
            level.walked = walk(self._at(segments, start, taken, 1), HL_LOOPS)
        return level

    def _hang(self, index: int, level: _Level) -> list[str]:
        """``_orders``' step for ``level``: its parent found, the levels under its parent
        closed, itself read."""
        hl = level.hl
        number = hl.need(text_at(self.hl_elements, 1), 1, "hierarchical id number")
        if number in self.numbers:
            raise hl.error(f"HL01 {quote(number)} is used twice", 1)
        if level.code == "S" and index:
            raise hl.error("a second shipment level; a ship notice has one", 3)
        parent = None
        if index:
            parent = self._parent(level)
            if parent is None:
                self.out_of_order = True
                return []
        self.numbers.add(number)
        done: list[str] = []
        if parent is not None:
            done = self._close_branch(self.branch.index(parent) + 1)
        opened = _Open(number, level.code)
        self.latest[level.code] = (index, opened)
        self.branch.append(opened)
        if parent is None:
            return done
        if level.code == "O":
            level.order = opened.order = _order(level, level.first("PRF"))
            self.orders.append(level.order)
            opened.order_index = len(self.orders) - 1
        elif level.code == "T":
            opened.tare_sscc = _man(level, "GM")
            opened.tare = []
            opened.order_index = parent.order_index
        elif level.code == "P":
            read = _pack(level)
            opened.pack = PackDump(read.sscc, read.tracking_number, read.weight)
            opened.order_index = parent.order_index
            if parent.tare is not None:
                parent.tare.append(opened.pack)
                opened.in_tare = True
        else:
            done += self._item(level, parent)
        return done

    def _item(self, level: _Level, parent: _Open) -> list[str]:
        if parent.pack is not None:
            parent.pack.items.append(self._read_item(level))
            return []
        if parent.order is not None:
            return self._emit("items", parent.order_index, self._read_item(level))
        prf = self._walked(level).first("PRF")  # an item under the shipment names its order
        if prf is None:
            raise level.hl.error("an item directly under the shipment has no PRF (order)")
        prf.take((1, 2, 4))
        po_number = prf.need(prf.text(1), 1, "purchase order number")
        key = (po_number, prf.text(2), prf.date(4))
        if key not in self.by_prf:
            self.by_prf[key] = len(self.orders)
            self.orders.append(_OrderLevel(*key))
        return self._emit("items", self.by_prf[key], self._read_item(level))

    def _read_item(self, level: _Level) -> Dump:
        """The item level's dump: read straight into it where it can be
        (:mod:`.asn856_item_dumps`), else through its model."""
        read = None
        if self.item_dumps and self.item_level is not None:
            segments, start, taken = self.item_level
            read = item_dump(segments)
        if read is None:
            item = _item(self._walked(level))
            if other_ids_2_0(item.item) is not None:
                self.ids_2_0 = True
            dump = item.model_dump()
        else:
            dump, indexes = read
            self.dumped += 1
            taken.update(start + n for n in indexes)
        self.shipped += dump["quantity_shipped"]
        return dump

    def _parent(self, level: _Level) -> _Open | None:
        """``asn856._parent``, among the open levels; None for a parent closed already (the
        set is then one to read whole: :attr:`out_of_order`)."""
        allowed = PARENT_LEVELS[level.code]
        hl = level.hl
        pointer = text_at(self.hl_elements, 2)
        if pointer is None:
            candidates = [self.latest[code] for code in allowed if code in self.latest]
            if not candidates:
                raise hl.error(f"the {LEVEL_NAMES[level.code]} level has no parent level", 2)
            latest = max(candidates, key=lambda found: found[0])[1]
            return latest if latest in self.branch else None
        parent = next((o for o in reversed(self.branch) if o.number == pointer), None)
        if parent is None:
            if pointer in self.numbers:
                return None
            raise hl.error(f"HL02 {quote(pointer)} names no earlier HL", 2)
        if parent.code not in allowed:
            raise hl.error(
                f"the {LEVEL_NAMES[level.code]} level cannot sit under "
                f"the {LEVEL_NAMES[parent.code]} level HL {pointer}",
                2,
            )
        return parent

    def _close_branch(self, depth: int) -> list[str]:
        """Close the open levels from ``depth`` on: a tare, or a pack directly under its order,
        is complete."""
        done: list[str] = []
        while len(self.branch) > depth:
            closed = self.branch.pop()
            if closed.tare is not None:
                tare = tare_dump(closed.tare_sscc, closed.tare)
                done += self._emit("tares", closed.order_index, tare)
            elif closed.pack is not None and not closed.in_tare:
                done += self._emit("packs", closed.order_index, closed.pack.dump())
        return done

    def _emit(self, name: str, order: int, dump: Dump) -> list[str]:
        """Give the parts an item of the order's list ``name`` (a tare, a pack or an item),
        by its dump: its canonical JSON to the digest, its JSON text to the parts."""
        self.digests.item(order, name, canonical_json(dump))
        return self.chunks.add(PATHS[name], dump_text(dump), (order,))

    def _totals(self, ctt: SegmentAt | None) -> None:
        """The CTT's totals, read as ``parse`` reads them (an error kept for the end)."""
        if self.kept is not None or self.out_of_order:
            return
        try:
            self.totals = parse_control_totals(
                [ctt] if ctt is not None else [], self.levels, [self.shipped]
            )
        except TranslationError as error:
            self.totals = error

    def _keep(self, segments: list[SegmentAt], taken: set[int] | None = None) -> None:
        """The segments of ``segments`` not taken go to ``unmapped``."""
        if self.kept is not None or self.out_of_order or not segments:
            return
        body = Body(self.label, segments, segments[0].taken if taken is None else taken)
        for unmapped in body.unmapped():
            self.unmapped.add(unmapped)


@dataclass(slots=True, eq=False)
class _Open:
    """A level of the open branch."""

    number: str
    code: str
    """The level's HL03."""
    order: _OrderLevel | None = None
    """An order level's own fields."""
    order_index: int = -1
    in_tare: bool = False
    pack: PackDump | None = None
    """A pack level's, with its items' dumps."""
    tare: list[PackDump] | None = None
    """A tare level's packs."""
    tare_sscc: str | None = None


def _order_model(order: _OrderLevel, lists: dict[str, list[Any]]) -> ShipmentOrder:
    return ShipmentOrder(
        po_number=order.po_number,
        release_number=order.release_number,
        po_date=order.po_date,
        references=order.references,
        parties=order.parties,
        tares=lists.get("tares", []),
        packs=lists.get("packs", []),
        items=lists.get("items", []),
    )


class _Numbers:
    """HL01 numbers seen: counted up as ranges (1, 2, 3... in every 856), any other text in a
    set."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        """Disjoint ranges [start, end], sorted."""
        self.others: set[str] = set()
        self.following = ""
        """The text of the number after the last range's end (none yet: empty): the usual next
        HL01, not seen, and added by extending that range."""

    def add(self, number: str) -> None:
        if number == self.following:
            self.count_up()
            return
        value = _counted(number)
        if value is None:
            self.others.add(number)
            return
        if self.ends and self.ends[-1] == value - 1:  # the usual: one more than the last
            self.ends[-1] = value
            self.following = str(value + 1)
            return
        at = bisect.bisect_left(self.starts, value)
        self.starts.insert(at, value)
        self.ends.insert(at, value)
        self._merge(at)
        if at:
            self._merge(at - 1)
        self.following = str(self.ends[-1] + 1)

    def count_up(self) -> None:
        """Add :attr:`following`."""
        ends = self.ends
        last = ends[-1] + 1
        ends[-1] = last
        self.following = str(last + 1)

    def _merge(self, at: int) -> None:
        while at + 1 < len(self.starts) and self.starts[at + 1] <= self.ends[at] + 1:
            self.ends[at] = max(self.ends[at], self.ends[at + 1])
            del self.starts[at + 1], self.ends[at + 1]

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, str):
            return False
        if number == self.following:
            return False
        value = _counted(number)
        if value is None:
            return number in self.others
        at = bisect.bisect_right(self.starts, value) - 1
        return at >= 0 and value <= self.ends[at]


def _counted(number: str) -> int | None:
    """``number`` as an integer when it is one written plainly (no sign, no leading zero)."""
    if number.isascii() and number.isdigit() and (number == "0" or number[0] != "0"):
        return int(number)
    return None


class _DigestSpool:
    """The canonical JSON of the orders' part items, spooled by order and list (they are hashed
    at the end, after the CTT's totals), and of the unmapped segments."""

    def __init__(self, spool_dir: str | Path | None) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115 - close()
            buffering=SPOOL_BUFFER, dir=None if spool_dir is None else str(spool_dir)
        )
        self.runs_of: dict[tuple[int, str], list[tuple[int, int]]] = {}
        """(order, list) -> its runs of items written one after the other: (start, end)."""
        self.last: tuple[int, str] | None = None
        self.end = 0

    def item(self, order: int, name: str, text: bytes) -> None:
        key = (order, name)
        if key == self.last:
            self.file.write(b",")
            self.file.write(text)
            self.end += 1 + len(text)
            start, _ = self.runs_of[key][-1]
            self.runs_of[key][-1] = (start, self.end)
            return
        self.file.write(text)
        self.runs_of.setdefault(key, []).append((self.end, self.end + len(text)))
        self.end += len(text)
        self.last = key

    def runs(self, order: int, name: str) -> Iterator[Iterator[bytes]]:
        """Each run of the list's items: its text, a piece at a time."""
        for start, end in self.runs_of.get((order, name), []):
            yield self._read(start, end)

    def _read(self, start: int, end: int) -> Iterator[bytes]:
        self.file.flush()
        at = start
        while at < end:
            self.file.seek(at)
            piece = self.file.read(min(READ_BACK, end - at))
            at += len(piece)
            yield piece
        self.file.seek(0, 2)

    def close(self) -> None:
        self.file.close()

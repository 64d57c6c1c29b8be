"""The check: which items and locations a message names that the reference data does not know.

Generic over :class:`~gateway.messages.references.NamesItems`: a message that names no items is
not checked. A line's item is known when any one of its ids is (its SKU, or its U.P.C.); each of
its locations must be known. What is unknown is said line by line, at most :data:`LISTED` lines
(the count says how many there are), in a sentence for the timeline and the exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel

from ..bus.cloudevents import SerializedMessage
from ..messages import CANONICAL_MESSAGES
from ..messages.parts import reassemble
from ..messages.references import NamesItems
from .lists import ReferenceData

LISTED: Final = 50
"""Lines with unknown ids a verdict keeps at most (a 1,000,000-line 846 may name none known)."""
UNKNOWN_ITEM: Final = "reference.unknown_item"
UNKNOWN_LOCATION: Final = "reference.unknown_location"
"""The causes the exceptions group documents by: an item unknown, or locations only."""


@dataclass(frozen=True, slots=True)
class UnknownLine:
    """A line naming what the reference data does not know."""

    line: str
    item: tuple[str, ...]
    """The ids of its item when none is known; empty when the item is known."""
    locations: tuple[str, ...]
    """Its locations not known."""

    @classmethod
    def of_detail(cls, data: object) -> UnknownLine:
        """A line as :meth:`Unknowns.detail` keeps it (in the ledger, in a notice)."""
        found = data if isinstance(data, dict) else {}
        return cls(
            str(found.get("line") or "?"),
            tuple(str(i) for i in found.get("item") or ()),
            tuple(str(p) for p in found.get("locations") or ()),
        )

    def describe(self) -> str:
        said = []
        if self.item:
            said.append(f"item {' / '.join(self.item)}")
        if self.locations:
            said.append(f"location {', '.join(self.locations)}")
        return f"{self.line}: {' at '.join(said)}"


@dataclass(frozen=True, slots=True)
class Unknowns:
    """What one message names that the reference data does not know."""

    lines: tuple[UnknownLine, ...]
    """The first :data:`LISTED` lines."""
    count: int
    """Lines with something unknown, in all."""
    items: int
    """Of which, lines whose item is unknown."""
    checked_against: str

    @property
    def cause(self) -> str:
        return UNKNOWN_ITEM if self.items else UNKNOWN_LOCATION

    def sentence(self, kind: str) -> str:
        """Why the document is withheld, for a person."""
        what = ", ".join(line.describe() for line in self.lines[:5])
        more = f" (and {self.count - 5:,} more line(s))" if self.count > 5 else ""
        return (
            f"{kind} names what the reference data ({self.checked_against}) does not know, in "
            f"{self.count:,} line(s): {what}{more}; not published until reprocessed once the "
            "reference data knows them"
        )

    def detail(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "count": self.count,
            "lines": [
                {"line": u.line, "item": list(u.item), "locations": list(u.locations)}
                for u in self.lines
            ],
            "checked_against": self.checked_against,
        }


UNREADABLE: Final = "reference.unreadable"
"""The cause of a document withheld because its partner's reference data cannot be read."""


@dataclass(frozen=True, slots=True)
class Withheld:
    """Why a document is withheld: its cause (what the exceptions group it by), a sentence,
    and the detail its timeline event and notice carry."""

    cause: str
    reason: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, unknowns: Unknowns, kind: str) -> Withheld:
        return cls(unknowns.cause, unknowns.sentence(kind), unknowns.detail())

    @classmethod
    def unreadable(cls, why: str, kind: str) -> Withheld:
        """The partner's reference data (a bad file), or the message itself, cannot be read:
        nothing can be vouched for, so the document waits for the fix like one naming unknown
        ids."""
        reason = f"{kind} cannot be checked: {why}"
        return cls(UNREADABLE, reason, {"cause": UNREADABLE, "why": why})


def unknown_in(message: object, data: ReferenceData) -> Unknowns | None:
    """What ``message`` names that ``data`` does not know; None when it knows it all, or when
    the message names no items (it does not implement ``NamesItems``)."""
    if not isinstance(message, NamesItems):
        return None
    found: list[UnknownLine] = []
    count = items = 0
    for named in message.named_items():
        item: tuple[str, ...] = ()
        if data.items is not None and not any(i in data.items for i in named.item_ids):
            item = named.item_ids or ("(no id)",)
        places: tuple[str, ...] = ()
        if data.locations is not None:
            places = tuple(p for p in named.locations if p not in data.locations)
        if item or places:
            count += 1
            items += bool(item)
            if len(found) < LISTED:
                found.append(UnknownLine(named.line, item, places))
    if not count:
        return None
    return Unknowns(tuple(found), count, items, data.describe())


_CLASSES: dict[str, type[BaseModel]] = {
    str(cls.model_fields["message_type"].default): cls
    for cls in CANONICAL_MESSAGES
    if "message_type" in cls.model_fields
}


def names_items(message_type: str) -> bool:
    """Whether messages of ``message_type`` name items (and are checked)."""
    cls = _CLASSES.get(message_type)
    return cls is not None and hasattr(cls, "named_items")


def model_of(message: object) -> object:
    """The canonical message itself: ``message``, or the model a parse worker serialized
    (:class:`SerializedMessage`), read back only when its type names items."""
    if not isinstance(message, SerializedMessage):
        return message
    if not names_items(message.message_type):
        return None
    data = json.loads(message.data)
    if message.chunks:  # published in parts: its header, and each part's entries
        parts = [{"part": 1, "parts": message.parts, "document_id": "", "header": data}]
        parts += [
            {"part": number, "document_id": "", "entries": json.loads(chunk)}
            for number, chunk in enumerate(message.chunks, start=2)
        ]
        data = reassemble(parts)
    return _model(data)


def model_of_events(bodies: Sequence[bytes]) -> object:
    """The canonical message of a document's CloudEvents (its outbox rows' bodies): one, or
    the parts of a document too large for one (:mod:`gateway.messages.parts`), put back
    together; None when it is none that names items."""
    found = [json.loads(body).get("data") for body in bodies]
    data = [d for d in found if isinstance(d, dict)]
    if data and all(d.get("message_type") == "DocumentPart" for d in data):
        return _model(reassemble(data))
    return _model(data[0]) if len(data) == 1 else None


def _model(data: dict[str, Any]) -> object:
    """The message whose JSON is ``data`` (its ``document_id`` is computed, not read); None
    when its type names no items."""
    message_type = data.get("message_type")
    if not isinstance(message_type, str) or not names_items(message_type):
        return None
    return _CLASSES[message_type].model_validate(
        {key: value for key, value in data.items() if key != "document_id"}
    )

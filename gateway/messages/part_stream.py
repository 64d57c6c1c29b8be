"""A large message's parts made as its items are read, in flat memory (issue 26).

:mod:`.parts` splits a message held whole. A format that reads one huge document (a single 846
set of a million LIN loops) makes its parts as it reads instead, never holding the message:

- :class:`PartChunks` takes the items of the split lists (:data:`.parts.SPLIT_PATHS`) one by
  one, in document order, and gives each item part's entries (as JSON text) once it is full;
  the parts are cut where :func:`.parts.split` cuts them. While no more than ``part_items``
  items came, it holds their JSON text: a document that small is published whole, as ever
  (its items read back from their JSON: canonical models read back what they write).
- :class:`OrderedDigest` is the message's content digest (:func:`.identity.content_digest`)
  fed piece by piece: the content around the split lists (known before the first item) and each
  item's canonical JSON as it comes. It equals the digest of the whole message byte for byte.
- :class:`InParts`: what the header part needs, known once the document's last item is read.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Protocol

from pydantic import BaseModel

from .identity import canonical_json
from .message import Message
from .parts import PART_ITEMS


class Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


SPOOLED_IN_MEMORY: Final = 4 << 20
"""Bytes a :class:`JsonSpool` keeps in memory before it goes to its file."""

Item = BaseModel | str
"""An item of a split list: its model, or its JSON text (as ``model_dump_json`` writes it)."""


class PartChunks:
    """The item parts of a message whose split-list items come one by one, in document order
    (:func:`.parts.split` of the whole message cuts the same parts)."""

    def __init__(self, part_items: int = PART_ITEMS) -> None:
        self.part_items = part_items
        self.held: list[tuple[str, tuple[int, ...], str]] = []
        """Items not in a part yet: (path, indexes above, the item's JSON text)."""
        self.count = 0
        """Items given so far."""
        self.chunks = 0
        """Item parts given so far."""

    def add(self, path: str, item: Item, at: Sequence[int] = ()) -> str | None:
        """Take ``item`` of the list ``path`` (in the element at ``at``); the entries of an item
        part (JSON text) when this one completes it."""
        text = item if isinstance(item, str) else item.model_dump_json()
        self.held.append((path, tuple(at), text))
        self.count += 1
        if len(self.held) <= self.part_items:
            return None  # held: the message may still be small enough to go whole
        chunk = self.held[: self.part_items]
        del self.held[: self.part_items]
        self.chunks += 1
        return entries_json(chunk)

    @property
    def whole(self) -> bool:
        """Whether the message goes whole: no more than ``part_items`` items so far."""
        return self.count <= self.part_items

    def rest(self) -> list[str]:
        """The entries of the item parts left at the end (none for a message that goes
        whole: its items are :attr:`held`)."""
        if self.whole or not self.held:
            return []
        chunk, self.held = self.held, []
        self.chunks += 1
        return [entries_json(chunk)]

    def items(self, path: str) -> list[str]:
        """The JSON text of the items held of the list ``path`` (a message that goes
        whole)."""
        return [item for p, _, item in self.held if p == path]


def entries_json(items: Sequence[tuple[str, tuple[int, ...], Item]]) -> str:
    """The ``entries`` of one part as JSON text: consecutive items of one list in one entry,
    as :func:`.parts.split` groups them (one join: a part of cartons is tens of MB)."""
    pieces: list[str] = ["["]
    key: tuple[str, tuple[int, ...]] | None = None
    for path, at, item in items:
        if (path, at) != key:
            if key is not None:
                pieces.append("]},")
            key = (path, at)
            pieces.append(f'{{"path":{json.dumps(path)},"at":{json.dumps(list(at))},"items":[')
        else:
            pieces.append(",")
        pieces.append(item if isinstance(item, str) else item.model_dump_json())
    if key is not None:
        pieces.append("]}")
    pieces.append("]")
    return "".join(pieces)


class OrderedDigest:
    """The content digest of a message given piece by piece: ``content`` (its ``model_dump``
    in Python mode, without envelope, id and the lists named in ``lists``: the split lists at
    its top level, in the order their names sort, which must be the order their items come),
    then each item's canonical JSON (:func:`.identity.canonical_json` of its ``model_dump``).
    A list of ``dropped_when_empty`` (an ``exclude_if=empty`` field) without items is left out
    of the text, as ``model_dump`` leaves it out."""

    def __init__(
        self,
        content: Mapping[str, Any],
        lists: Sequence[str],
        dropped_when_empty: Collection[str] = (),
        into: Hash | None = None,
    ) -> None:
        marks = {name: f"\x00{uuid.uuid4()}" for name in lists}
        text = canonical_json({**content, **{name: [mark] for name, mark in marks.items()}})
        places = sorted((text.index(canonical_json([mark])), name) for name, mark in marks.items())
        if [name for _, name in places] != list(lists):
            raise ValueError(f"the lists {list(lists)} do not sort in that order")
        self._pieces: list[bytes] = []
        """The text before each list, and after the last one."""
        start = 0
        for at, name in places:
            self._pieces.append(text[start:at])
            start = at + len(canonical_json([marks[name]]))
        self._pieces.append(text[start:])
        self._lists = list(lists)
        self._dropped = frozenset(dropped_when_empty)
        self._hash = hashlib.sha256() if into is None else into
        """Fed here; ``into``: the digest of a message holding this content (an element of one
        of its lists)."""
        self._open = -1
        """The index of the list whose items are being fed (-1: none yet)."""
        self._items = 0
        self._skip_comma = False
        """A list left out was the first key: the comma after it goes too."""

    def item(self, name: str, text: bytes) -> None:
        """Feed the canonical JSON of the next item of the list ``name`` (or of the next items,
        joined by ``,``)."""
        self.begin_item(name)
        self._hash.update(text)

    def begin_item(self, name: str) -> Hash:
        """Begin the next item of the list ``name``: its canonical JSON is to be fed to the
        hash returned (:meth:`item` does it for an item's text at hand)."""
        index = self._lists.index(name)
        if index != self._open:
            if index < self._open:
                raise ValueError(f"an item of {name} after the items of {self._lists[self._open]}")
            self._close_until(index)
            self._feed(self._pieces[index] + b"[")
            self._open, self._items = index, 0
        if self._items:
            self._hash.update(b",")
        self._items += 1
        return self._hash

    def close(self) -> None:
        """Feed the rest of the content, once every item was fed."""
        self._close_until(len(self._lists))
        self._feed(self._pieces[-1])

    def hexdigest(self) -> str:
        """The digest, once every item was fed."""
        self.close()
        return self._hash.hexdigest()

    def _close_until(self, index: int) -> None:
        """Close the list being fed and write the lists before ``index`` as empty (or not at
        all, those of ``dropped_when_empty``)."""
        if self._open >= 0:
            self._hash.update(b"]")
        for empty in range(self._open + 1, index):
            name, piece = self._lists[empty], self._pieces[empty]
            if name not in self._dropped:
                self._feed(piece + b"[]")
                continue
            key = json.dumps(name).encode() + b":"
            if not piece.endswith(key):  # pragma: no cover - canonical_json writes it so
                raise ValueError(f"no key {name} before its list")
            piece = piece[: -len(key)]
            if piece.endswith(b","):
                self._feed(piece[:-1])
            else:
                self._feed(piece)
                self._skip_comma = True
        self._open = index

    def _feed(self, text: bytes) -> None:
        if self._skip_comma and text.startswith(b","):
            text = text[1:]
            self._skip_comma = False
        self._hash.update(text)


@dataclass(frozen=True, slots=True)
class InParts:
    """A document made in parts, once its last item is read: what its header part needs."""

    head: Message
    """The message with its split lists cut to at most their first item (the envelope, the
    subject and the business key are read from it), its content digest the document's."""
    header: dict[str, Any]
    """Part 1's ``header``: the message's JSON with its split lists empty (the envelope
    first)."""
    parts: int
    """How many parts the document has: the header and the item parts."""

    @property
    def document_id(self) -> str:
        return self.head.document_id

    @property
    def content_digest(self) -> str:
        return self.head.content_digest


class JsonSpool:
    """Models kept for later in their order (the unmapped segments of a huge document, which
    come after its items): in memory up to :data:`SPOOLED_IN_MEMORY` bytes, then in a temporary
    file in ``spool_dir``, one JSON text a line."""

    def __init__(self, spool_dir: str | Path | None = None) -> None:
        self.file: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - close()
            SPOOLED_IN_MEMORY,
            mode="w+",
            encoding="utf-8",
            dir=None if spool_dir is None else str(spool_dir),
        )
        self.count = 0

    def add(self, model: BaseModel) -> None:
        self.file.write(model.model_dump_json())
        self.file.write("\n")
        self.count += 1

    def texts(self) -> Iterator[str]:
        """The models' JSON texts, in order."""
        self.file.seek(0)
        for line in self.file:
            yield line.rstrip("\n")

    def close(self) -> None:
        self.file.close()

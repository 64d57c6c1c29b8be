"""A large message's parts made as its items are read, in flat memory (issue 26).

:mod:`.parts` splits a message held whole. A format that reads one huge document (a single 846
set of a million LIN loops) makes its parts as it reads instead, never holding the message:

- :class:`PartChunks` takes the items of the split lists (:data:`.parts.SPLIT_PATHS`) one by
  one, in document order, and gives each item part's entries (as JSON text) once it is full;
  the parts are cut where :func:`.parts.split` cuts them, or sooner when a part would hold more
  than :data:`PART_BYTES` of JSON. While no more than ``part_items`` items came, and no more
  than :data:`WHOLE_BYTES` of their JSON, it spools their JSON text: a document that small is
  published whole, as ever (its items read back from their JSON: canonical models read back what
  they write).
- :class:`OrderedDigest` is the message's content digest (:func:`.identity.content_digest`)
  fed piece by piece: the content around the split lists (known before the first item) and each
  item's canonical JSON as it comes. It equals the digest of the whole message byte for byte.
- :class:`InParts`: what the header part needs, known once the document's last item is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
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


def huge_from(variable: str, default: int) -> tuple[int, int]:
    """How large a document of a format grows before it is read in parts (``default``: rows,
    segments...), and the items of each of its parts (:data:`.parts.PART_ITEMS`), unless the
    environment variable ``variable`` says ``<size>,<items>`` (tests and benches: a few hundred
    kB made huge)."""
    text = os.environ.get(variable, "")
    if not text:
        return default, PART_ITEMS
    size, items = (int(value) for value in text.split(","))
    return size, items


SPOOLED_IN_MEMORY: Final = 4 << 20
"""Bytes a :class:`JsonSpool` (or :class:`PartChunks`) keeps in memory before it goes to its
file."""
PART_BYTES: Final = 4 << 20
"""Characters of items' JSON an item part made here holds at most, unless its one item is
larger: a part is held while it fills and again while its JSON is made (8 MiB parts: a 1 GB
856 peaked at 157 MB; 4 MiB: 8 MB less at 50 MB). Ten thousand short 846 lines fit (cut where
:func:`.parts.split` cuts them); the bench's varied ones, about 480 characters each, are cut
at some 8,700."""

WHOLE_BYTES: Final = 2 * PART_BYTES
"""Characters of items' JSON a message read as its items come goes whole with at most: past
them it goes in parts, however few its items (an 856 of 10,000 cartons of many items read from
8 MB of X12 is 28 MB of JSON, which made whole took the daemon to 489 MB)."""

Item = BaseModel | str
"""An item of a split list: its model, or its JSON text (as ``model_dump_json`` writes it)."""


class PartChunks:
    """The item parts of a message whose split-list items come one by one, in document order.

    A part holds at most ``part_items`` items and, once it holds one, at most ``part_bytes``
    characters of their JSON (an 856 carton may hold a thousand items: ten thousand of them are
    hundreds of MB): the parts are cut where :func:`.parts.split` cuts them unless one would be
    larger than that (then sooner: :func:`.parts.reassemble` makes the same message of any cut).

    While the message may still go whole (no more than ``part_items`` items so far, and no more
    than ``whole_bytes`` characters of their JSON), its items' JSON is spooled
    (:data:`SPOOLED_IN_MEMORY` in memory, the rest in a temporary file in ``spool_dir``). Once it
    is in parts, each item taken cuts at most one part, of the items
    spooled first (then of those that came meanwhile, spooled after them), until the spool is
    drained: never more than one part at a time in memory, however large the spooled ones."""

    def __init__(
        self,
        part_items: int = PART_ITEMS,
        part_bytes: int = PART_BYTES,
        spool_dir: str | Path | None = None,
        whole_bytes: int = WHOLE_BYTES,
    ) -> None:
        self.part_items = part_items
        self.part_bytes = part_bytes
        self.whole_bytes = whole_bytes
        self.spool_dir = spool_dir
        self.spooled: IO[bytes] | None = None
        """Items not held yet, in order, a line each: ``path TAB at TAB json``."""
        self.read_at = 0
        """Where the next item to hold is in :attr:`spooled`."""
        self.held: list[tuple[str, tuple[int, ...], str]] = []
        """Items of the part being filled, once the message is in parts: (path, indexes
        above, the item's JSON text)."""
        self.held_size = 0
        self.count = 0
        """Items given so far."""
        self.spooled_size = 0
        """Characters of JSON of the items given while the message could go whole."""
        self.in_parts = False
        """Whether the message goes in parts (past ``part_items`` items or ``whole_bytes``)."""
        self.chunks = 0
        """Item parts given so far."""

    def add(self, path: str, item: Item, at: Sequence[int] = ()) -> list[str]:
        """Take ``item`` of the list ``path`` (in the element at ``at``); the entries of the
        item part (JSON text) completed meanwhile, if any (at most one)."""
        text = item if isinstance(item, str) else item.model_dump_json()
        self.count += 1
        if not self.in_parts:
            self.spooled_size += len(text)
            self.in_parts = self.count > self.part_items or self.spooled_size > self.whole_bytes
        if not self.in_parts or self.spooled is not None:
            self._spool(path, at, text)
            return self._drain(one=True) if self.in_parts else []
        return self._hold(path, tuple(at), text)

    def _spool(self, path: str, at: Sequence[int], text: str) -> None:
        spooled = self.spooled
        if spooled is None:
            spooled = self.spooled = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - close()
                SPOOLED_IN_MEMORY, dir=None if self.spool_dir is None else str(self.spool_dir)
            )
        spooled.seek(0, 2)
        spooled.write(f"{path}\t{','.join(map(str, at))}\t{text}\n".encode())

    def _drain(self, one: bool) -> list[str]:
        """Hold the spooled items till a part is cut (``one``) or till the last; the parts
        cut. The spool is closed once drained."""
        spooled = self.spooled
        assert spooled is not None
        spooled.seek(self.read_at)
        done: list[str] = []
        for line in iter(spooled.readline, b""):
            done += self._hold(*_spooled(line))
            if done and one:
                self.read_at = spooled.tell()
                return done
        self.close()
        return done

    def _hold(self, path: str, at: tuple[int, ...], text: str) -> list[str]:
        """Hold one item in the part being filled; that part's entries first, when it is full
        (by items, or by size with this one)."""
        done: list[str] = []
        held = self.held
        if held and (len(held) >= self.part_items or self.held_size + len(text) > self.part_bytes):
            self.held, self.held_size = [], 0
            self.chunks += 1
            done.append(entries_json(held))
        self.held.append((path, at, text))
        self.held_size += len(text)
        return done

    @property
    def whole(self) -> bool:
        """Whether the message goes whole: no more than ``part_items`` items so far, nor
        ``whole_bytes`` of their JSON."""
        return not self.in_parts

    def rest(self) -> list[str]:
        """The entries of the item parts left at the end (none for a message that goes
        whole: its items are :meth:`held_items`)."""
        if self.whole:
            return []
        done = self._drain(one=False) if self.spooled is not None else []
        if self.held:
            chunk, self.held, self.held_size = self.held, [], 0
            self.chunks += 1
            done.append(entries_json(chunk))
        return done

    def held_items(self) -> Iterator[tuple[str, tuple[int, ...], str]]:
        """The items of a message that goes whole, in order: (path, indexes above, JSON
        text)."""
        spooled = self.spooled
        if spooled is None or not self.whole:
            return
        spooled.seek(0)
        for line in iter(spooled.readline, b""):
            yield _spooled(line)

    def items(self, path: str) -> list[str]:
        """The JSON text of the items of the list ``path`` (a message that goes whole)."""
        return [item for p, _, item in self.held_items() if p == path]

    def close(self) -> None:
        """Drop the spooled items (their file, if they took one)."""
        if self.spooled is not None:
            self.spooled.close()
            self.spooled = None
            self.read_at = 0


def _spooled(line: bytes) -> tuple[str, tuple[int, ...], str]:
    """An item as :class:`PartChunks` spools it: (path, indexes above, JSON text)."""
    path, at, text = line[:-1].decode().split("\t", 2)
    return path, tuple(int(i) for i in at.split(",")) if at else (), text


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
    """JSON texts kept for later in their order (the unmapped segments of a huge document, which
    come after its items; the item parts its end completes, some hundreds of kB each): in
    memory up to :data:`SPOOLED_IN_MEMORY` bytes, then in a temporary file in ``spool_dir``, one
    JSON text a line."""

    def __init__(self, spool_dir: str | Path | None = None) -> None:
        self.file: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - close()
            SPOOLED_IN_MEMORY,
            mode="w+",
            encoding="utf-8",
            dir=None if spool_dir is None else str(spool_dir),
        )
        self.count = 0

    def add(self, model: BaseModel) -> None:
        self.add_text(model.model_dump_json())

    def add_text(self, text: str) -> None:
        """A JSON text written without indents (by a model, or joined from such texts: an item
        part's entries), which holds no line break."""
        if "\n" in text:
            raise ValueError("a JSON text spooled holds a line break")
        self.file.write(text)
        self.file.write("\n")
        self.count += 1

    def add_texts(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.add_text(text)

    def texts(self) -> Iterator[str]:
        """The models' JSON texts, in order."""
        self.file.seek(0)
        for line in self.file:
            yield line.rstrip("\n")

    def drained(self) -> Iterator[str]:
        """:meth:`texts`, then the spool closed."""
        try:
            yield from self.texts()
        finally:
            self.close()

    def close(self) -> None:
        self.file.close()

"""A set read in parts the two ways the 856 and 846 readers can (with their items' dumps, or
every item built as its model), for tests that hold the two the same, and the sets they read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.structure import TransactionSet
from gateway.messages import Message
from gateway.messages.part_stream import InParts
from gateway.messages.parts import reassemble


def read_in_parts(
    reader_type: Callable[..., Any],
    of: type[Message],
    tx: TransactionSet,
    part_items: int,
    item_dumps: bool,
) -> tuple[tuple[Any, ...], int]:
    """What ``reader_type`` (``ShipNoticeInParts``, ``AdviceInParts``: a message ``of``) gives of
    ``tx`` (the parts, then the result as text), or the error it raises; and how many items it
    read straight into their dumps."""
    reader = reader_type(
        TransactionSet(tx.interchange, tx.group, tx.segments[:1]), part_items, item_dumps=item_dumps
    )
    try:
        chunks = [chunk for segment in tx.body for chunk in reader.feed(segment)]
        result = reader.finish()
    except Exception as error:
        return ("error", type(error), str(error)), reader.dumped
    chunks += reader.last_chunks()
    if result is None:
        return (chunks, None), reader.dumped
    if isinstance(result, of):
        return (chunks, result.model_dump_json(), result.document_id), reader.dumped
    assert isinstance(result, InParts)
    common = {"document_id": result.document_id, "of": of.__name__, "parts": result.parts}
    parts: list[dict[str, Any]] = [{**common, "part": 1, "header": result.header}]
    parts += [
        {**common, "part": number, "entries": json.loads(chunk)}
        for number, chunk in enumerate(chunks, start=2)
    ]
    whole = reassemble(reversed(parts))
    facts = (result.document_id, result.content_digest, result.parts, result.header)
    return (chunks, facts, result.head.model_dump_json(), whole), reader.dumped


def sets_in(paths: Iterable[Path], set_id: str) -> list[TransactionSet]:
    """The ``set_id`` sets of the files at ``paths`` (a file the reader refuses holds none)."""
    sets: list[TransactionSet] = []
    for path in paths:
        try:
            sets += [tx for tx in transactions_in(path.read_bytes()) if tx.set_id == set_id]
        except Exception:  # pragma: no cover - a file the reader refuses holds no set
            continue
    return sets

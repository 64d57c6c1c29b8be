"""A message's item parts made as its items come (gateway/messages/part_stream.py): cut where
split() cuts them, or sooner by size; while the message may go whole its items are spooled, and
once it is in parts each item taken gives at most one part, so that no more than one is held."""

from __future__ import annotations

import json

from gateway.messages.part_stream import PartChunks
from gateway.messages.parts import split


def _item(n: int, size: int = 10) -> str:
    return json.dumps({"n": n, "text": "x" * size})


def test_items_spooled_until_the_message_is_in_parts_come_out_one_part_per_item_taken() -> None:
    chunks = PartChunks(part_items=4, part_bytes=60)  # two items of 36 characters: over 60
    given = [chunks.add("lines", _item(n, 20)) for n in range(4)]
    assert given == [[], [], [], []] and chunks.whole
    assert [json.loads(t)["n"] for t in chunks.items("lines")] == [0, 1, 2, 3]
    after = [chunks.add("lines", _item(n, 20)) for n in range(4, 8)]
    assert [len(done) for done in after] == [1, 1, 1, 1]  # one at a time, never all at once
    rest = chunks.rest()
    parts = [json.loads(c) for done in after for c in done] + [json.loads(c) for c in rest]
    assert [[i["n"] for e in p for i in e["items"]] for p in parts] == [[n] for n in range(8)]
    assert chunks.chunks == 8 and chunks.spooled is None  # drained and closed


def test_parts_within_the_size_are_cut_where_split_cuts_them() -> None:
    data = {"lines": [json.loads(_item(n)) for n in range(23)]}
    chunks = PartChunks(part_items=5)
    made = [c for line in data["lines"] for c in chunks.add("lines", json.dumps(line))]
    made += chunks.rest()
    assert [json.loads(c) for c in made] == split(data, "InventoryAdvice", 5)


def test_a_message_of_no_more_than_part_items_items_goes_whole_whatever_its_parts_sizes() -> None:
    chunks = PartChunks(part_items=3, part_bytes=1)
    assert [chunks.add("lines", _item(n, 1000)) for n in range(3)] == [[], [], []]
    assert chunks.whole and chunks.rest() == [] and len(chunks.items("lines")) == 3
    chunks.close()


def test_a_message_of_few_items_goes_in_parts_past_whole_bytes_of_their_json() -> None:
    """An 856 of a few thousand cartons of many items is tens of MB of JSON: made whole, it
    takes hundreds of MB to publish."""
    lines = [_item(n, 1000) for n in range(3)]
    chunks = PartChunks(part_items=3, part_bytes=1500, whole_bytes=2500)
    given = [chunks.add("lines", line) for line in lines]
    assert given[:2] == [[], []] and len(given[2]) == 1  # the third passes 2,500: in parts
    assert not chunks.whole and chunks.items("lines") == []
    parts = [json.loads(c) for c in [*given[2], *chunks.rest()]]
    assert [[i["n"] for e in p for i in e["items"]] for p in parts] == [[0], [1], [2]]
    assert chunks.spooled is None

"""A document read in parts as its consumers get it: the header part's event made as the relay
makes it, each part held ahead of the document made its event (``later_part``), all put back
together (``reassemble``)."""

from __future__ import annotations

import json
from typing import Any

from gateway.bus.cloudevents import SerializedMessage, cloud_events, later_part
from gateway.messages.parts import MessageInParts, reassemble
from gateway.ports import ParsedDocument, ParseResult


def published(doc: ParsedDocument, parts: list[ParseResult], partner: str) -> dict[str, Any]:
    """The message of ``doc`` as its events publish it, put back together (``parts``: the
    stream's parts, which hold its parts ahead, numbered from 2, under its key)."""
    assert isinstance(doc.message, MessageInParts) and doc.ahead
    [(_, header_body, headers)] = cloud_events(
        SerializedMessage.of(doc.message), correlation_id="c", partner=partner, kind=doc.kind
    )
    events = [json.loads(header_body)["data"]]
    ahead = [piece for part in parts for piece in part.ahead]
    assert [piece.number for piece in ahead] == list(range(2, doc.message.parts + 1))
    assert {piece.key for piece in ahead} == {doc.ahead}
    for piece in ahead:
        _, body, _ = later_part(header_body, headers, piece.number, piece.entries)
        events.append(json.loads(body)["data"])
    return reassemble(events)

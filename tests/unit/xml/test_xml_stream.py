"""XML read as a stream (adapters/formats/xml/format.py, safe.ElementStream): a file of many
documents is read with iterparse, each document dropped once read, in parts of a bounded size,
under the same safety rules as a file read whole; a mapping whose documents are not child steps
from the root has its files read whole."""

from __future__ import annotations

import io
from typing import Any

import pytest

from adapters.formats.xml import safe
from adapters.formats.xml.format import PART, XmlParser
from adapters.formats.xml.mapping import XmlMapping
from adapters.formats.xml.safe import ElementStream, XmlRefused
from adapters.formats.xml.status_reply import SEQUENCE
from tests.support.streams import TrackedSource

MAPPING: dict[str, Any] = {
    "message": "PurchaseOrder",
    "kind": "850",
    "documents": "/envelope/message",
    "envelope": {"sender": "/envelope/from", "receiver": "/envelope/to"},
    "fields": {
        "po_number": "docnum",
        "po_date": {"path": "/envelope/date", "type": "date"},
        "purpose_code": {"value": "00"},
        "order_type_code": {"value": "SA"},
        "lines": {
            "each": "line",
            "fields": {"quantity": {"path": "qty", "type": "decimal"}, "unit_of_measure": "unit"},
        },
    },
}


def orders(count: int) -> bytes:
    messages = "".join(
        f"<message><docnum>PO-{n}</docnum><line><qty>{n % 9 + 1}</qty><unit>EA</unit></line>"
        "</message>\n"
        for n in range(count)
    )
    head = "<from>SHOP</from><to>US</to><date>2026-12-05</date>"
    return f"<envelope>{head}\n{messages}</envelope>".encode()


def parser(**changes: Any) -> XmlParser:
    return XmlParser({"p": (XmlMapping.model_validate({**MAPPING, **changes}),)}, {})


def test_a_file_of_many_documents_is_read_in_parts_as_it_is_read() -> None:
    data = orders(2_500)
    source = TrackedSource(data)
    parts = parser().parse_stream(source, file_name="orders.xml", partner="p")
    first = next(parts)
    assert len(first.documents) == PART and first.why is None
    assert source.read_up_to < len(data)
    sizes = [len(first.documents), *(len(part.documents) for part in parts)]
    assert sum(sizes) == 2_500 and max(sizes) == PART
    whole = parser().parse(data, file_name="orders.xml", partner="p")
    assert [d.message.po_number for d in whole.documents[:2] if d.message] == ["PO-0", "PO-1"]
    first_message = whole.documents[0].message
    assert first_message is not None and first_message.envelope.sender.id == "SHOP"  # read before


def test_each_document_is_dropped_from_the_tree_once_read() -> None:
    stream = ElementStream(io.BytesIO(orders(50)), {("envelope", "message")})
    seen = [element.findtext("docnum") for _, element in stream]
    assert seen == [f"PO-{n}" for n in range(50)]
    assert stream.root is not None and stream.root.find("message") is None
    assert stream.root.findtext("from") == "SHOP"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><envelope>&x;</envelope>',
            "xml.entity",
        ),
        (
            b'<!DOCTYPE e SYSTEM "http://x/e.dtd"><envelope><message>&x;</message></envelope>',
            "xml.entity",
        ),
        (b"<envelope>" + b"<a>" * 70 + b"</a>" * 70 + b"</envelope>", "xml.too_deep"),
        (b"<envelope><message></envelope>", "xml.malformed"),
    ],
    ids=["xxe", "undeclared-entity", "deep", "malformed"],
)
def test_a_stream_refuses_what_a_whole_read_refuses(data: bytes, code: str) -> None:
    with pytest.raises(XmlRefused) as caught:
        list(ElementStream(io.BytesIO(data), {("envelope", "message")}))
    assert caught.value.code == code
    result = parser().parse(data, file_name="bad.xml", partner="p")
    assert result.unreadable is not None and f"({code})" in result.unreadable


def test_a_document_too_large_to_hold_is_refused_while_a_file_of_many_may_be_any_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bound is on one document (what is held at once), not on the file."""
    monkeypatch.setattr(safe, "MAX_DOCUMENT_BYTES", 64 * 1024)
    many = orders(4_000)
    assert len(many) > 3 * 64 * 1024
    assert len(parser().parse(many, file_name="many.xml", partner="p").documents) == 4_000
    line = "<line><qty>1</qty><unit>EA</unit></line>\n"
    huge = many.replace(b"</envelope>", f"<message><docnum>BIG</docnum>{line * 3_000}".encode())
    huge += b"</message></envelope>"
    with pytest.raises(XmlRefused) as caught:
        list(ElementStream(io.BytesIO(huge), {("envelope", "message")}))
    assert caught.value.code == "xml.too_large" and "65,536 bytes" in str(caught.value)
    result = parser().parse(huge, file_name="huge.xml", partner="p")
    assert result.unreadable is not None and "(xml.too_large)" in result.unreadable
    assert "the document from line 4002 is still open at line" in result.unreadable


def test_documents_found_by_more_than_child_steps_are_read_from_the_whole_file() -> None:
    data = orders(3)
    for documents in ("//message", "/envelope/message[docnum]", "/envelope/*"):
        result = parser(documents=documents).parse(data, file_name="o.xml", partner="p")
        assert [d.message.po_number for d in result.documents if d.message] == [
            "PO-0",
            "PO-1",
            "PO-2",
        ], documents


def test_the_status_reply_owed_counts_every_part_and_draws_its_number() -> None:
    replying = XmlParser({"p": (XmlMapping.model_validate(MAPPING),)}, {}, replies=frozenset({"p"}))
    result = replying.parse(orders(250), file_name="orders.xml", partner="p")
    [owed] = result.owed
    assert (owed.code, owed.detail) == (200, "250 document(s) taken")
    assert result.draws == [SEQUENCE]
    refused = replying.parse(b"<envelope><message>", file_name="bad.xml", partner="p")
    assert [o.code for o in refused.owed] == [400] and refused.draws == [SEQUENCE]

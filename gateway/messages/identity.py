"""What identifies a document: ``document_id`` and the envelope key (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any, Protocol

import orjson

from .base import CanonicalModel

DOCUMENT_ID_NAMESPACE = uuid.UUID("6f1d8c57-4c1b-5b8e-9a43-3f1d2b7e0a11")


def document_id_for(*parts: str) -> str:
    """A stable id from identifying parts: a UUIDv5 of the parts joined by ``|``
    (``str(uuid.uuid5(DOCUMENT_ID_NAMESPACE, name))``, written without the ``UUID`` object,
    which took most of the time: tests/unit/test_content_digest.py holds them equal)."""
    name = "|".join(p.strip() for p in parts)
    digest = bytearray(hashlib.sha1(_NAMESPACE + name.encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE = DOCUMENT_ID_NAMESPACE.bytes


class References(Protocol):
    """What identifies a document's envelope (:class:`~.envelope.Envelope` is one)."""

    @property
    def partner(self) -> str | None: ...

    def identifying_parts(self) -> tuple[str, ...]: ...


def document_id_of(envelope: References, content_digest: str) -> str:
    """The ``document_id`` of a document: a UUIDv5 of its partner, its envelope references
    (the parts of :attr:`~.envelope.Envelope.envelope_key`) and the digest of its content."""
    return document_id_for(envelope.partner or "", *envelope.identifying_parts(), content_digest)


def content_digest(message: CanonicalModel) -> str:
    """SHA-256 of a message's content: the message as JSON without its envelope, keys sorted,
    numbers by value (``1.50`` and ``1.5`` are the same quantity). Equal messages have the same
    digest: the same document read twice, or rendered and read back."""
    return digest_of(message.model_dump(exclude={"envelope", "document_id"}))


def digest_of(content: dict[str, Any]) -> str:
    """SHA-256 of a message's content as :func:`content_digest` writes it (``model_dump`` in
    Python mode, without envelope and id)."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def canonical_json(content: Any) -> bytes:
    """The text a content digest is taken of: ``content`` (a message's ``model_dump`` in Python
    mode, or a piece of it) as compact JSON, keys sorted, numbers by value. A list's text is its
    items' texts between ``[`` and ``]``, joined by ``,``: a digest may be fed piece by piece
    (:mod:`.part_stream`)."""
    try:
        return orjson.dumps(content, default=_by_value, option=_SORTED)
    except orjson.JSONEncodeError:  # an integer past 64 bits: the same JSON, the slow way
        return json.dumps(
            content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_by_value
        ).encode()


_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
"""orjson writes what ``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
writes (tests/unit/test_content_digest.py), dates and times going to :func:`_by_value` as
there (orjson's own writes ``00:00:00.10000`` for 10,000 microseconds): the digests, and so the
ids, of documents recorded before stay what they were."""


def _by_value(value: object) -> str:
    if isinstance(value, Decimal):
        text = str(value)  # exact: the same text is the same number, written the same way
        known = _DECIMALS.get(text)
        if known is None:
            if len(_DECIMALS) >= 4096:
                _DECIMALS.clear()
            known = _DECIMALS[text] = format(value.normalize(), "f")
        return known
    if isinstance(value, dt.date | dt.time):  # datetimes are dates
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a canonical message")  # pragma: no cover


_DECIMALS: dict[str, str] = {}
"""Each decimal's text in a digest, by its own text (``12.000`` -> ``12``): a document repeats
its quantities and prices, and ``normalize`` then ``format`` cost three times the lookup."""

"""A document rendered through a mapping (XML, CSV, fixed width), before it goes: its text in
the partner's character set (:func:`encoded`), read back through the mapping and refused unless
it is the message it was written from, naming the fields that differ (:func:`check_read_back`),
and its id, the one the gateway's reader gives it (:func:`numbered_file`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.messages import Envelope, Message, PartyId, document_id_of
from gateway.ports import DocumentRefused, Draft, ParseResult, RenderedDocument

from .rendering_config import RenderingConfig

MAX_SHOWN = 5
"""At most this many differences or problems are quoted."""


def differences(wanted: Message, found: Message) -> list[str]:
    """The fields whose values differ between two messages' content (``orders[0].packs``)."""
    exclude = {"envelope", "document_id"}
    paths: list[str] = []
    _compare(wanted.model_dump(exclude=exclude), found.model_dump(exclude=exclude), "", paths)
    return paths


def _compare(a: Any, b: Any, where: str, paths: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(key for key in b if key not in a)]:
            _compare(a.get(key), b.get(key), f"{where}.{key}" if where else key, paths)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(x, y, f"{where}[{index}]", paths)
    elif a != b:  # decimals by value, as the content digest compares them
        paths.append(where)


def encoded(text: str, encoding: str, kind: str) -> bytes:
    """``text`` in the partner's character set; :class:`DocumentRefused` naming the line of a
    character it cannot hold."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as error:
        line = text[: error.start].count("\n") + 1
        raise DocumentRefused(
            f"the rendered {kind}, line {line}: {text[error.start]!r} cannot be written in "
            f"{encoding} (the partner's character set)"
        ) from None


def the_one_document(result: ParseResult, split_by: str) -> tuple[Message | None, list[str]]:
    """The message of a rendered text read back (``result``: one document, ``split_by`` saying
    what made more), and the problems when it is not one document."""
    problems = [result.why or "", *(str(f.get("message")) for f in result.findings)]
    if len(result.documents) > 1:
        problems.append(f"{len(result.documents)} documents (by {split_by})")
    found = result.documents[0].message if len(result.documents) == 1 else None
    return found, [problem for problem in problems if problem]


def check_read_back(
    wanted: Message, found: Message | None, problems: Sequence[str], kind: str, mapping: str
) -> None:
    """:class:`DocumentRefused` unless ``found`` (the rendered text read back through
    ``mapping``; None: it did not read, for ``problems``) is the message ``wanted``."""
    if found is None:
        shown = "; ".join(problems[:MAX_SHOWN]) or "no document in it"
        raise DocumentRefused(f"the rendered {kind} does not read back through {mapping}: {shown}")
    if found.content_digest != wanted.content_digest:
        fields = differences(wanted, found) or ["its content"]
        shown = ", ".join(fields[:MAX_SHOWN])
        more = f" (and {len(fields) - MAX_SHOWN} more)" if len(fields) > MAX_SHOWN else ""
        raise DocumentRefused(
            f"the mapping {mapping} does not carry the {kind} as it is: {shown}{more} would "
            "read back otherwise"
        )


def numbered_file(
    format_kind: str,
    draft: Draft,
    settings: RenderingConfig,
    numbered: tuple[str, Mapping[str, str | None]],
    reference: str,
    file_name: str,
    encoding: str = "utf-8",
) -> RenderedDocument:
    """A document drafted for a partner through a mapping (XML, CSV, fixed width),
    ``numbered``: its text under ``reference`` and the envelope's facts read back from it."""
    text, facts = numbered
    return RenderedDocument(
        document_id=rendered_document_id(format_kind, facts, draft.content_digest),
        text=text,
        group_kind="",
        interchange=facts["interchange_reference"] or reference,
        group="",
        transaction="",
        file_name=file_name,
        sender_id=settings.sender_id or "",
        receiver_id=settings.receiver_id or "",
        sender_qualifier=settings.sender_qualifier,
        receiver_qualifier=settings.receiver_qualifier,
        encoding=encoding,
    )


def rendered_document_id(
    format_kind: str, facts: Mapping[str, str | None], content_digest: str
) -> str:
    """The id the gateway's reader gives the document whose envelope facts are ``facts`` (read
    back from its text, as nobody's: the document is our own)."""
    envelope = Envelope(
        format=format_kind,
        sender=PartyId(id=facts["sender"] or "", qualifier=facts["sender_qualifier"]),
        receiver=PartyId(id=facts["receiver"] or "", qualifier=facts["receiver_qualifier"]),
        interchange_reference=facts["interchange_reference"],
    )
    return document_id_of(envelope, content_digest)

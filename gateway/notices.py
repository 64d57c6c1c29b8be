"""Notices: what the modern layer should know about an inbound document beyond the document.

A notice is written to the ledger's outbox in the transaction that records its document, and
published by the relay like every other message, on the events exchange (``edi.events``):
routing key ``edi.notice.<code>.<partner>``, CloudEvent type ``edi.in.notice.<code>``, id
``<document id>:<code>`` (stable: a redelivery is recognisable), correlation id the file's.

Codes:

- ``control_numbers_reused``: the document came under control numbers that an earlier document
  of the same parties used for other content (a partner whose counters were reset). It was
  processed as a new document; ``detail`` names the earlier one.
- ``business_duplicate``: the partner sent the same document (same business key, same content)
  before under other control numbers; it was not published again unless the partner's profile
  says ``business_duplicates = "publish"``. ``detail`` names the earlier one.
- ``revision``: the partner sent a document under the business key of an earlier one with other
  content (an order changed); it was published, and ``detail.revision_of`` names the earlier one.
- ``unknown_reference``: the document names items or locations the partner's reference data
  does not know (:mod:`gateway.references`): recorded, acknowledged, but withheld (not
  published) as an exception until an operator reprocesses it once the reference data knows
  them, or dismisses it. ``detail`` says which lines name which ids, and why.
- ``quarantined``: a file, not a document, was set aside in quarantine (unreadable, refused, or
  with errors), written in the transaction that records it there: ``document_id`` is
  ``file:<claim id>``, ``kind`` ``file``, and ``detail`` says which file, why, and where its
  report is (the ``.error.json`` beside it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import ledger
from .bus.cloudevents import event_body
from .bus.topology import EVENTS_EXCHANGE, routing_word

CONTROL_NUMBERS_REUSED = "control_numbers_reused"
BUSINESS_DUPLICATE = "business_duplicate"
REVISION = "revision"
QUARANTINED = "quarantined"
UNKNOWN_REFERENCE = "unknown_reference"
CODES = (CONTROL_NUMBERS_REUSED, BUSINESS_DUPLICATE, REVISION, QUARANTINED, UNKNOWN_REFERENCE)
"""Every notice code (the AsyncAPI document lists them)."""
NOTICE_ROUTING_KEY = "edi.notice.{code}.{partner}"


def notice(
    *,
    code: str,
    partner: str,
    kind: str,
    document_id: str,
    correlation_id: str,
    detail: Mapping[str, Any],
) -> ledger.NewMessage:
    """The notice ``code`` about a document, as a message for the ledger's outbox."""
    event_id = f"{document_id}:{code}"
    event_type = f"edi.in.notice.{code}"
    body = event_body(
        event_id=event_id,
        event_type=event_type,
        partner=partner,
        subject=document_id,
        correlation_id=correlation_id,
        data={
            "code": code,
            "document_id": document_id,
            "partner": partner,
            "kind": kind,
            "detail": dict(detail),
        },
    )
    return ledger.NewMessage(
        message_id=event_id,
        document_id=document_id,
        partner=partner,
        exchange=EVENTS_EXCHANGE,
        routing_key=NOTICE_ROUTING_KEY.format(code=code, partner=routing_word(partner)),
        body=body,
        headers={
            "event_type": event_type,
            "partner": partner,
            "kind": kind,
            "code": code,
            "document_id": document_id,
            "correlation_id": correlation_id,
        },
        correlation_id=correlation_id,
        of_document=False,
    )


def quarantined(row: ledger.FileRow) -> ledger.NewMessage:
    """The notice that the file of ``row`` is in quarantine (its final path), and why."""
    report = (row.detail or {}).get("report") or {}
    final = row.final_path or ""
    return notice(
        code=QUARANTINED,
        partner=row.partner,
        kind="file",
        document_id=f"file:{row.correlation_id}",
        correlation_id=row.correlation_id,
        detail=_printable(
            {
                "file": row.name,
                "sha256": row.sha256,
                "why": report.get("why", ""),
                "findings": report.get("findings", [])[:5],
                "quarantined_as": final,
                "report": f"{final}.error.json",
            }
        ),
    )


def _printable(value: Any) -> Any:
    """``value`` with every text UTF-8 can carry: a hostile file's name or content may hold
    lone surrogates (undecodable bytes), written as ``\\udcff`` instead."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value

"""The ledger's rows of an outbound document rendered (:mod:`.pipeline` records them, and
:mod:`.resend` for a document sent again): the row to record (:func:`rendered_row`) and the row
as recorded (:func:`as_row`), to write its file without reading it back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..ledger.outbound import NewOutbound, OutboundRow, OutboundState
from ..ports import RenderedDocument

UTF8 = "utf-8"


def rendered_row(
    document: RenderedDocument,
    *,
    request_id: str,
    partner: str,
    kind: str,
    correlation_id: str,
    request: dict[str, Any] | None,
    detail: dict[str, Any],
) -> NewOutbound:
    """The ledger row of a rendered document (state ``rendered``)."""
    return NewOutbound(
        request_id=request_id,
        partner=partner,
        kind=kind,
        correlation_id=correlation_id,
        state=OutboundState.RENDERED,
        request=request,
        document_id=document.document_id,
        sender_qualifier=document.sender_qualifier,
        sender_id=document.sender_id,
        receiver_qualifier=document.receiver_qualifier,
        receiver_id=document.receiver_id,
        group_kind=document.group_kind,
        interchange_ref=document.interchange,
        group_ref=document.group,
        transaction_ref=document.transaction,
        file_name=document.file_name,
        content=document.text,
        format=document.format or None,
        detail=detail if document.encoding == UTF8 else {**detail, "encoding": document.encoding},
    )


def as_row(row_id: int, new: NewOutbound, now: dt.datetime) -> OutboundRow:
    return OutboundRow(
        id=row_id,
        request_id=new.request_id,
        partner=new.partner,
        kind=new.kind,
        document_id=new.document_id,
        correlation_id=new.correlation_id,
        state=new.state,
        sender_qualifier=new.sender_qualifier,
        sender_id=new.sender_id,
        receiver_qualifier=new.receiver_qualifier,
        receiver_id=new.receiver_id,
        group_kind=new.group_kind,
        interchange_ref=new.interchange_ref,
        group_ref=new.group_ref,
        transaction_ref=new.transaction_ref,
        file_name=new.file_name,
        content=new.content,
        format=new.format,
        request=new.request,
        ack_due_at=None,
        ack=None,
        detail=new.detail,
        created_at=now,
        updated_at=now,
    )

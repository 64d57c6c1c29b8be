"""``edi-gateway resend DOC_ID``: send an outbound document again.

- By default the stored interchange is written again to ``outbox/<partner>/``: the same bytes
  and control numbers (what a partner asks for when it lost a file), as a new file, under its
  name when that is free (in the outbox and in ``sent/``), else under a name of its own
  (``NAME.2.x12``...: :mod:`gateway.spool`); the partner's channel delivers it again, as a
  delivery of its own.
- With ``new_control_numbers`` the stored request is rendered again with fresh control numbers,
  as a new outbound document with request id ``<request id>#resend-<n>`` whose detail names the
  document it replaces; it is written, recorded and announced like any other.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ResendError
from ..ledger import add_event
from ..ledger import outbound as ledger
from ..ledger.counters import counter_in
from ..ledger.models import OUTBOUND_DOCUMENTS
from ..ledger.outbound import OutboundRow, OutboundState
from ..partner_formats import PartnerFormats
from ..partners import PartnerProfile
from ..spool import SENT_FOLDER, write_new
from .pipeline import OutboundPipeline
from .records import as_row, rendered_row
from .requests import parse_request
from .requirements import check_partner


def find_outbound(s: Session, key: str) -> OutboundRow:
    """The outbound document with this document id (the newest) or request id."""
    rows = ledger.outbound_by_document_id(s, key)
    if not rows:
        rows = list(ledger.outbound_by_request_ids(s, [key]).values())
    if not rows:
        raise ResendError(f"no outbound document {key} in the ledger")
    row = rows[-1]
    if row.state == OutboundState.INVALID or row.content is None:
        raise ResendError(f"{key} was refused ({row.state}): there is nothing to send again")
    return row


def resend(
    factory: sessionmaker[Session],
    outbox: Path,
    profiles: Mapping[str, PartnerProfile],
    formats: PartnerFormats,
    key: str,
    *,
    new_control_numbers: bool = False,
) -> str:
    """Send ``key`` (a document id or request id) again; returns what was done, in a sentence."""
    with factory.begin() as s:
        row = find_outbound(s, key)
    if not new_control_numbers:
        assert row.file_name is not None and row.content is not None
        path, data = outbox / row.partner / row.file_name, row.data
        if path.is_file() and path.read_bytes() == data:
            return f"{path} is still waiting in the outbox: nothing to do"
        [placed] = write_new([(path, data)], taken_in=(SENT_FOLDER,), again=True)
        with factory.begin() as s:
            add_event(
                s,
                kind="outbound.resent",
                message=f"written again to {placed.path} (same references, interchange "
                f"{row.interchange_ref})",
                document_id=row.document_id or row.request_id,
                correlation_id=row.correlation_id,
                detail={"file_name": placed.path.name},
            )
        return (
            f"{row.kind} {row.document_id} written again to {placed.path} "
            f"(interchange {row.interchange_ref})"
        )

    request = parse_request(json.dumps(row.request).encode())
    config = check_partner(request, profiles)
    now = dt.datetime.now(dt.UTC)
    draft = formats.draft(request.partner, request.message, request.kind, config, now)
    with factory.begin() as s:
        prefix = f"{row.request_id.split('#resend-')[0]}#resend-"
        earlier = s.execute(
            select(OUTBOUND_DOCUMENTS.c.request_id).where(
                OUTBOUND_DOCUMENTS.c.request_id.startswith(prefix, autoescape=True)
            )
        ).all()
        request_id = f"{prefix}{len(earlier) + 1}"
        with counter_in(s) as counter:
            document = formats.number(request.partner, draft, config, counter)
        new = rendered_row(
            document,
            request_id=request_id,
            partner=row.partner,
            kind=row.kind,
            correlation_id=row.correlation_id,
            request=row.request,
            detail={"resend_of": row.id, "resend_of_document_id": row.document_id},
        )
        [new_id] = ledger.record_outbound(s, [new])
        add_event(
            s,
            kind="outbound.resent",
            message=f"re-rendered with new control numbers as {new.document_id} "
            f"(interchange {new.interchange_ref}, request {request_id})",
            document_id=row.document_id or row.request_id,
            correlation_id=row.correlation_id,
        )
    OutboundPipeline(factory, outbox, profiles, formats).write([as_row(new_id, new, now)])
    with factory.begin() as s:  # under another name if its own was taken
        written = ledger.outbound_by_id(s, new_id)
    file_name = (written.file_name if written is not None else None) or document.file_name
    return (
        f"{row.kind} {row.document_id} re-rendered with new control numbers: document "
        f"{new.document_id}, interchange {new.interchange_ref}, group {new.group_ref}, "
        f"request {request_id}, "
        f"written to {outbox / row.partner / file_name}"
    )

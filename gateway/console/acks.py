"""Acknowledgements: the outbound documents awaiting their partner's 997/999, overdue ones
first, by partner, with a resend for each; the partners' acknowledgements that matched nothing
we sent (``/acks``, ``GET /api/acks``). The reading is :mod:`gateway.awaiting_acks`'s."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.awaiting_acks import ack_json, awaiting, by_partner, unmatched

from .auth import Viewer
from .web import Ledger, render

router = APIRouter(tags=["acknowledgements"])


def late(delta: dt.timedelta | None) -> str:
    """How late, for a person: ``3 d 4 h``, ``2 h 05 min``, ``12 min``."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@router.get("/acks", include_in_schema=False)
def acks_page(request: Request, user: Viewer, s: Ledger, partner: str | None = None) -> Response:
    now = dt.datetime.now(dt.UTC)
    found = awaiting(s, now, partner=partner or None)
    return render(
        request,
        "acks.html",
        section="acks",
        partners=by_partner(found),
        count=len(found),
        overdue=sum(a.overdue for a in found),
        unmatched=unmatched(s, partner=partner or None),
        partner=partner or "",
        late=late,
    )


@router.get("/api/acks", summary="Documents awaiting their acknowledgement; unmatched acks")
def acks_api(user: Viewer, s: Ledger, partner: str | None = None) -> dict[str, Any]:
    """Outbound documents awaiting their 997/999 (the overdue first) and the partners'
    acknowledgements that matched nothing we sent (the newest first)."""
    now = dt.datetime.now(dt.UTC)
    return {
        "awaiting": [a.as_json() for a in awaiting(s, now, partner=partner or None)],
        "unmatched": [ack_json(ack) for ack in unmatched(s, partner=partner or None)],
    }

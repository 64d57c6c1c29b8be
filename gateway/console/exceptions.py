"""Exceptions: every quarantined file and refused request nobody has dismissed, its report in
plain words, grouped by partner and cause (``/exceptions``, ``GET /api/exceptions``), with the
operators' actions (reprocess, dismiss, pause: :mod:`.actions`) and the partners paused.

What is listed is :func:`gateway.operations.exceptions.open_exceptions`'s, the command line's
``edi-gateway exceptions``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.operations import pauses
from gateway.operations.exceptions import Group, grouped, open_exceptions

from .auth import Viewer
from .web import Ledger, render, state

router = APIRouter(tags=["exceptions"])


def _by_partner(groups: list[Group]) -> dict[str, list[Group]]:
    found: dict[str, list[Group]] = {}
    for group in groups:
        found.setdefault(group.partner, []).append(group)
    return found


@router.get("/exceptions", include_in_schema=False)
def exceptions_page(
    request: Request, user: Viewer, s: Ledger, partner: str | None = None
) -> Response:
    found = open_exceptions(s, partner=partner or None)
    paused = pauses.paused(pauses.folder(state(request).settings))
    return render(
        request,
        "exceptions.html",
        section="exceptions",
        partners=_by_partner(grouped(found)),
        count=len(found),
        paused=paused,
        partner=partner or "",
    )


@router.get("/api/exceptions", summary="Quarantined files and refused requests, by partner")
def exceptions_api(
    request: Request, user: Viewer, s: Ledger, partner: str | None = None
) -> dict[str, Any]:
    """Every quarantined file and refused request not dismissed, grouped by partner and cause
    (``kind`` ``file``: ``target`` is its file number; ``request``: its request id), and the
    partners paused."""
    found = open_exceptions(s, partner=partner or None)
    paused = pauses.paused(pauses.folder(state(request).settings))
    return {
        "count": len(found),
        "groups": [
            {
                "partner": g.partner,
                "cause": g.cause,
                "heading": g.heading,
                "items": [item.as_json() for item in g.items],
            }
            for g in grouped(found)
        ],
        "paused": [
            {"partner": p.partner, "by": p.by, "at": p.at, "reason": p.reason}
            for p in paused.values()
        ],
    }

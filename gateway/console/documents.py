"""Documents: find any document (``/documents``, ``GET /api/documents``) and see everything
about one (``/documents/{id}``, ``GET /api/documents/{id}``), for every role.

The searching and gathering are the ledger's (:func:`gateway.ledger.search`,
:func:`gateway.ledger.document_view`); this module reads the request's filters, shows the
original file (one X12 segment per line, the segments a finding points at highlighted) beside
the canonical JSON, and answers the same as JSON. A file number names the documents of that
file: its only document's page, or a search for them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from gateway.duplicates import BUSINESS_KEYS
from gateway.fulfilment.view import OrderView, orders_of
from gateway.ledger import (
    DocumentState,
    DocumentView,
    Search,
    SearchPage,
    document_view,
    documents_of_file,
    read_kept_file,
    search,
)
from gateway.ledger.document_view import canonical_json, segments
from gateway.ledger.outbound import OutboundState
from gateway.ledger.search import DIRECTIONS, SORTS

from .auth import Viewer
from .web import Ledger, render, state

router = APIRouter(tags=["documents"])
STATES = sorted({*(s.value for s in DocumentState), *(s.value for s in OutboundState)})


@dataclasses.dataclass(frozen=True)
class Filters:
    """The search as the page's form and the API's query string say it."""

    partner: str = ""
    direction: str = ""
    kind: str = ""
    state: str = ""
    since: str = ""
    until: str = ""
    q: str = ""
    sort: str = "time"
    order: str = "desc"
    after: str = ""
    limit: int = 50

    def search(self) -> Search:
        """The ledger's search; :class:`HTTPException` 400 for a value that is not one."""
        if self.direction and self.direction not in DIRECTIONS:
            raise HTTPException(400, f"direction: one of {', '.join(DIRECTIONS)}")
        if self.sort not in SORTS:
            raise HTTPException(400, f"sort: one of {', '.join(SORTS)}")
        if self.order not in ("asc", "desc"):
            raise HTTPException(400, "order: asc or desc")
        direction = self.direction or None
        sort = self.sort
        return Search(
            partner=self.partner.strip() or None,
            direction=direction,
            kind=self.kind.strip() or None,
            state=self.state.strip() or None,
            since=_moment(self.since, "since"),
            until=_moment(self.until, "until", end_of_day=True),
            key=self.q.strip() or None,
            key_types=tuple(BUSINESS_KEYS),
            sort=sort,
            descending=self.order == "desc",
            after=self.after or None,
            limit=self.limit,
        )

    def link(self, **changed: Any) -> str:
        """This search's query string with ``changed`` values (empty ones left out)."""
        values = {**dataclasses.asdict(self), **changed}
        kept = {k: v for k, v in values.items() if v not in ("", None) and (k, v) != ("limit", 50)}
        return "?" + urlencode(kept)


def _moment(text: str, name: str, *, end_of_day: bool = False) -> dt.datetime | None:
    """A date (a whole day, UTC; ``until`` includes it) or an ISO time; None for none."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
            return day + dt.timedelta(days=1) if end_of_day else day
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise HTTPException(400, f"{name}: a date (2026-12-05) or an ISO time") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _filters(
    partner: str = "",
    direction: Annotated[str, Query(description="inbound or outbound; both when empty")] = "",
    kind: Annotated[str, Query(description="850, 856, 997...")] = "",
    state: str = "",
    since: Annotated[str, Query(description="a date or ISO time: recorded at or after")] = "",
    until: Annotated[str, Query(description="a date (included) or ISO time: before")] = "",
    q: Annotated[str, Query(description="any id or key: PO number, document id, ISA13...")] = "",
    sort: Literal["time", "partner", "kind", "state"] = "time",
    order: Literal["asc", "desc"] = "desc",
    after: Annotated[str, Query(description="the page cursor (next of the page before)")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Filters:
    return Filters(partner, direction, kind, state, since, until, q, sort, order, after, limit)


SearchFilters = Annotated[Filters, Depends(_filters)]


def _run_search(session: Any, filters: Filters) -> SearchPage:
    try:
        return search(session, filters.search())
    except ValueError as error:  # a cursor that is not one of ours
        raise HTTPException(400, str(error)) from error


@router.get("/documents", include_in_schema=False)
def documents_page(request: Request, user: Viewer, s: Ledger, filters: SearchFilters) -> Response:
    problem: str | None = None
    try:
        page = _run_search(s, filters)
    except HTTPException as error:
        page, problem = SearchPage([], None, 0, False), str(error.detail)
    return render(
        request,
        "documents.html",
        400 if problem else 200,
        section="documents",
        filters=filters,
        page=page,
        problem=problem,
        states=STATES,
        directions=DIRECTIONS,
        sorts=SORTS,
    )


@router.get("/api/documents", summary="Search documents, inbound and outbound")
def documents_api(user: Viewer, s: Ledger, filters: SearchFilters) -> dict[str, Any]:
    """One page of documents, newest first by default; ``next`` is the next page's cursor.
    ``count`` is exact up to 1,000 (``more``: there are more) on a first page."""
    page = _run_search(s, filters)
    return {
        "documents": [dataclasses.asdict(row) for row in page.rows],
        "next": page.next,
        "count": page.count,
        "more": page.more,
    }


@router.get("/documents/{document_id}", include_in_schema=False)
def document_page(request: Request, document_id: str, user: Viewer, s: Ledger) -> Response:
    if document_id.isdigit():
        return _file_documents(s, int(document_id))
    view = document_view(s, document_id)
    if view is None:
        return render(
            request, "document.html", 404, section="documents", view=None, key=document_id
        )
    return render(
        request,
        "document.html",
        section="documents",
        orders=_orders(s, view),
        **_shown(request, view),
    )


@router.get("/api/documents/{document_id}", summary="Everything about one document")
def document_api(request: Request, document_id: str, user: Viewer, s: Ledger) -> dict[str, Any]:
    """A document (by its id, or an outbound request id): records, file, timeline, the
    acknowledgements sent and received, the messages published, the original file's text
    (at most 1 MB) and its findings."""
    view = document_view(s, document_id)
    if view is None:
        raise HTTPException(404, f"no document {document_id!r}")
    shown = _shown(request, view)
    plain: dict[str, Any] = json.loads(
        json.dumps(
            {
                "document_id": view.document_id,
                "direction": view.direction,
                "correlation_id": view.correlation_id,
                "records": [dataclasses.asdict(r) for r in view.records],
                "file": dataclasses.asdict(view.file) if view.file else None,
                "original": dataclasses.asdict(shown["original"]) if shown["original"] else None,
                "findings": view.findings,
                "events": [dataclasses.asdict(e) for e in view.events],
                "acks_sent": [dataclasses.asdict(a) for a in view.acks_sent],
                "messages": [
                    {**_message_fields(m), "body": body} for m, (body, _) in shown["messages"]
                ],
                "outbound": dataclasses.asdict(view.outbound) if view.outbound else None,
                "deliveries": [dataclasses.asdict(d) for d in view.deliveries],
                "partner_acks": [dataclasses.asdict(a) for a in view.partner_acks],
                "orders": [_order_fields(o) for o in _orders(s, view)],
            },
            default=str,
        )
    )
    return plain


def _orders(s: Any, view: DocumentView) -> list[OrderView]:
    """The orders the document is, ships, or was checked against (:mod:`gateway.fulfilment`)."""
    out = view.outbound
    ids = [view.document_id, *((out.document_id, out.request_id) if out is not None else ())]
    found: dict[Any, OrderView] = {}
    for document_id in dict.fromkeys(i for i in ids if i):
        found.update((o.order, o) for o in orders_of(s, document_id))
    return list(found.values())


def _order_fields(order: OrderView) -> dict[str, Any]:
    return {
        "order": dataclasses.asdict(order.order),
        "outcome": order.outcome,
        "order_document": order.order_document,
        "correlation_id": order.correlation_id,
        "items": [item.as_detail() for item in order.comparison.items],
        "shipped_by": list(order.shipped_by),
        "checks": [dataclasses.asdict(c) for c in order.checks],
    }


def _file_documents(s: Any, file_id: int) -> Response:
    """A file number: its only document's page, or a search for its documents."""
    documents = documents_of_file(s, file_id)
    if len(documents) == 1:
        return RedirectResponse(f"/documents/{documents[0].document_id}", status_code=303)
    return RedirectResponse(f"/documents?q={file_id}", status_code=303)


def _message_fields(message: Any) -> dict[str, Any]:
    fields = dataclasses.asdict(message)
    fields.pop("body")
    return fields


def _shown(request: Request, view: DocumentView) -> dict[str, Any]:
    """What the page shows beside the view: the original file's segments (those findings
    point at flagged), the messages' bodies as JSON, the rendered outbound text."""
    settings = state(request).settings
    folders = [settings.path(p) for p in (settings.archive, settings.quarantine, settings.outbox)]
    original = read_kept_file(view.file.final_path if view.file else None, folders)
    flagged = {f.get("file_position") for f in view.findings}
    lines = [
        (number, text, number in flagged)
        for number, text in enumerate(
            segments(original.text if original and original.text else ""), 1
        )
    ]
    messages = [(m, canonical_json(m)) for m in view.messages]
    rendered = segments(view.outbound.content) if view.outbound and view.outbound.content else []
    return {
        "view": view,
        "original": original,
        "lines": lines,
        "messages": messages,
        "rendered": rendered,
        "segments": segments,
        "request_json": json.dumps(view.outbound.request, indent=2, ensure_ascii=False)
        if view.outbound and view.outbound.request
        else None,
    }

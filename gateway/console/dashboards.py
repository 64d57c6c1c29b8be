"""The business dashboards (``/dashboards``): charts of documents per hour by partner and kind,
order-receipt-to-publish latency, partners' acknowledgement rate and cycle time, exceptions by
partner and cause, and the outbox backlog over time.

The figures are :mod:`gateway.ledger.dashboards`' (aggregated in SQL over bounded windows). The
page carries each chart's data as JSON in a ``data-chart`` attribute (the CSP allows no inline
script) and ``static/charts.js`` draws it with the vendored uPlot, sized to its container. The
same figures are the JSON API ``/api/dashboards/...`` in the same shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gateway.ledger import dashboards as figures

from .auth import Viewer
from .web import Ledger, render

router = APIRouter()

Hours = Annotated[int, Query(ge=1, le=24 * 14, description="hours back from now")]


def _time_chart(chart: figures.HourlyChart, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "time",
        "unit": unit,
        "x": chart.hours,
        "series": [dataclasses.asdict(s) for s in chart.series],
        **extra,
    }


def _bar_chart(
    labels: list[str], series: dict[str, list[float | None]], unit: str
) -> dict[str, Any]:
    return {
        "kind": "bars",
        "unit": unit,
        "labels": labels,
        "series": [{"label": label, "values": values} for label, values in series.items()],
    }


def documents_chart(s: Session, now: dt.datetime, hours: int = 48) -> dict[str, Any]:
    return _time_chart(figures.documents_per_hour(s, now, hours), "documents", stacked=True)


def latency_chart(s: Session, now: dt.datetime, hours: int = 48) -> dict[str, Any]:
    chart = figures.order_latency(s, now, hours)
    p50, p95, published = chart.series
    timed = figures.HourlyChart(chart.hours, [p50, p95])
    return _time_chart(timed, "seconds", published=published.values)


def acks_charts(s: Session, now: dt.datetime, hours: int = 7 * 24) -> dict[str, Any]:
    found = figures.acknowledgements(s, now, hours)
    partners = [a.partner for a in found]

    def percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    return {
        "rate": _bar_chart(
            partners,
            {
                "acknowledged %": [percent(a.acknowledged, a.sent) for a in found],
                "accepted %": [percent(a.accepted, a.sent) for a in found],
            },
            "%",
        ),
        "cycle": _bar_chart(
            partners,
            {
                "p50 cycle": [a.cycle_p50 for a in found],
                "p95 cycle": [a.cycle_p95 for a in found],
            },
            "seconds",
        ),
        "partners": [{**dataclasses.asdict(a), "rate": a.rate} for a in found],
    }


def exceptions_chart(s: Session, now: dt.datetime, hours: int = 48) -> dict[str, Any]:
    bars = figures.exceptions(s, now, hours)
    return _bar_chart([b.label for b in bars], {"exceptions": [b.value for b in bars]}, "")


def backlog_chart(s: Session, now: dt.datetime, hours: int = 48) -> dict[str, Any]:
    return _time_chart(figures.outbox_backlog(s, now, hours), "messages", fill=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.get("/dashboards", include_in_schema=False)
def dashboards_page(request: Request, s: Ledger, user: Viewer) -> Response:
    now = _now()
    acks = acks_charts(s, now)
    charts = [
        ("documents", "Documents per hour, by partner and kind (48 h)", documents_chart(s, now)),
        (
            "latency",
            "Purchase orders (850): file received to message published, p50 and p95 (48 h)",
            latency_chart(s, now),
        ),
        ("ack-rate", "Acknowledgement rate by partner (outbound, 7 days)", acks["rate"]),
        ("ack-cycle", "Acknowledgement cycle time by partner (sent to 997/999)", acks["cycle"]),
        ("exceptions", "Exceptions by partner and cause (48 h)", exceptions_chart(s, now)),
        ("backlog", "Outbox backlog: messages not published (48 h)", backlog_chart(s, now)),
    ]
    shown = [
        {"id": name, "title": title, "data": json.dumps(data, separators=(",", ":"))}
        for name, title, data in charts
    ]
    return render(request, "dashboards.html", section="dashboards", charts=shown, now=now)


@router.get("/api/dashboards/documents", summary="Documents per hour by partner and kind")
def documents_api(s: Ledger, user: Viewer, hours: Hours = 48) -> dict[str, Any]:
    return documents_chart(s, _now(), hours)


@router.get("/api/dashboards/latency", summary="850 receipt-to-publish latency, p50/p95 by hour")
def latency_api(s: Ledger, user: Viewer, hours: Hours = 48) -> dict[str, Any]:
    return latency_chart(s, _now(), hours)


@router.get("/api/dashboards/acknowledgements", summary="Acknowledgement rate and cycle time")
def acks_api(s: Ledger, user: Viewer, hours: Hours = 7 * 24) -> dict[str, Any]:
    return acks_charts(s, _now(), hours)


@router.get("/api/dashboards/exceptions", summary="Exceptions by partner and cause")
def exceptions_api(s: Ledger, user: Viewer, hours: Hours = 48) -> dict[str, Any]:
    return exceptions_chart(s, _now(), hours)


@router.get("/api/dashboards/backlog", summary="Outbox messages not published, by hour")
def backlog_api(s: Ledger, user: Viewer, hours: Hours = 48) -> dict[str, Any]:
    return backlog_chart(s, _now(), hours)

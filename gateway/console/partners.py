"""The partners: each one's last receipt and delivery, circuit breaker, error rate and backlog
(``/partners``, ``/api/partners``), its page with the profile as loaded, secrets masked (admins
only), and ``partner check`` on demand (operators).

- The ledger's part is :func:`gateway.ledger.partner_overview.partner_overview`.
- The breaker is the daemon's: read from its metrics endpoint (``metrics_address``,
  ``edigw_channel_paused``, ``edigw_channel_failures_in_a_row``, ``edigw_channel_runs_total``,
  ``edigw_partner_disabled``) with prometheus_client's parser. A daemon that does not answer is
  said to be so; the page never fails for it.
- "Check now" runs ``edi-gateway partner check P`` itself, in a process of its own: the very
  code of the command line, its output and exit code shown as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import Settings
from gateway.ledger.partner_overview import PartnerOverview, partner_overview
from gateway.operations import pauses
from gateway.partners import PARTNER_NAME, PARTNERS_DIR, PartnerProfile, load_partners_apart

from .auth import Admin, Operator, Viewer
from .web import Ledger, User, render, state

log = logging.getLogger(__name__)
router = APIRouter()

METRICS_TIMEOUT = 2.0
"""Seconds the daemon's metrics endpoint has to answer."""
CHECK_TIMEOUT = 120.0
"""Seconds ``partner check`` may take (an SFTP server's connect timeout is 15 s by default)."""
SECRET_WORDS = ("password", "passphrase", "key", "secret", "token")
"""A profile's value is masked when its name holds one of these."""
MASK = "********"


@dataclasses.dataclass(frozen=True)
class Channel:
    """One channel of a partner as the running daemon sees it."""

    kind: str
    paused: bool
    failures_in_a_row: int
    runs_succeeded: int
    runs_failed: int


@dataclasses.dataclass(frozen=True)
class Daemon:
    """What the daemon's metrics say of the partners; ``reachable`` False with ``why``."""

    reachable: bool
    why: str = ""
    channels: dict[str, list[Channel]] = dataclasses.field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

    def breaker(self, partner: str) -> str:
        """The partner's breaker in words: paused, failing, closed, no channel, unknown."""
        if not self.reachable:
            return "daemon not reachable"
        if partner in self.disabled:
            return "disabled (bad profile)"
        channels = self.channels.get(partner, [])
        if not channels:
            return "no channel"
        if any(c.paused for c in channels):
            return "paused"
        if any(c.failures_in_a_row for c in channels):
            return "failing"
        return "closed"


def read_daemon(settings: Settings) -> Daemon:
    """The daemon's view of its partners, read from its metrics endpoint."""
    address = settings.metrics_address
    if not address:
        return Daemon(False, "daemon not reachable: no metrics endpoint (metrics_address is empty)")
    host, _, port = address.rpartition(":")
    if port == "0":
        return Daemon(False, f"daemon not reachable: metrics_address {address} has no fixed port")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host.strip("[]")
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=METRICS_TIMEOUT) as answer:
            text = answer.read().decode()
    except (OSError, urllib.error.URLError) as error:
        why = error.reason if isinstance(error, urllib.error.URLError) else error
        return Daemon(False, f"daemon not reachable at {url}: {why}")
    return parse_metrics(text)


def parse_metrics(text: str) -> Daemon:
    """The partners' channels and disabled partners in the daemon's metrics ``text``."""
    values: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    disabled = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "edigw_partner_disabled" and sample.value:
                disabled.add(labels["partner"])
            elif "partner" in labels and "channel" in labels:
                name = sample.name.removeprefix("edigw_channel_")
                if name == "runs_total":
                    name = f"runs_{labels['outcome']}"
                values[labels["partner"], labels["channel"]][name] = sample.value
    channels: dict[str, list[Channel]] = defaultdict(list)
    for (partner, kind), found in sorted(values.items()):
        channels[partner].append(
            Channel(
                kind=kind,
                paused=bool(found.get("paused")),
                failures_in_a_row=int(found.get("failures_in_a_row", 0)),
                runs_succeeded=int(found.get("runs_succeeded", 0)),
                runs_failed=int(found.get("runs_failed", 0)),
            )
        )
    return Daemon(True, channels=dict(channels), disabled=frozenset(disabled))


def masked(value: Any, name: str = "") -> Any:
    """``value`` (a profile as JSON) with every secret masked: values whose name holds one of
    :data:`SECRET_WORDS`, and any text holding a private key."""
    if isinstance(value, dict):
        return {key: masked(item, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item, name) for item in value]
    if value is None or value == "":
        return value
    if any(word in name.lower() for word in SECRET_WORDS):
        return MASK
    if isinstance(value, str) and "PRIVATE KEY" in value:
        return MASK
    return value


def profile_json(profile: PartnerProfile) -> dict[str, Any]:
    """The profile as loaded (defaults filled in), secrets masked."""
    data: dict[str, Any] = masked(profile.model_dump(mode="json", serialize_as_any=True))
    return data


@dataclasses.dataclass(frozen=True)
class CheckResult:
    partner: str
    ok: bool
    exit_code: int
    output: str
    at: dt.datetime


_CHECKING: set[str] = set()
"""Partners whose check runs now: one at a time each (a button pressed twice, two users)."""
_CHECKING_LOCK = threading.Lock()


def check_partner(settings: Settings, partner: str) -> CheckResult:
    """``edi-gateway partner check P`` on the profiles the console reads, its output; said so,
    without a second run, when a check of ``partner`` runs already."""
    with _CHECKING_LOCK:
        running = partner in _CHECKING
        _CHECKING.add(partner)
    if running:
        why = f"a check of {partner} is running already: try again when it is done"
        return CheckResult(partner, False, -1, why, _now())
    try:
        return _check(settings, partner)
    finally:
        with _CHECKING_LOCK:
            _CHECKING.discard(partner)


def _check(settings: Settings, partner: str) -> CheckResult:
    command = [sys.executable, "-m", "gateway", "partner", "check", partner]
    command += ["--profiles", str(settings.path(PARTNERS_DIR))]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT,
            cwd=settings.home,
            check=False,
        )
    except subprocess.TimeoutExpired:
        why = f"partner check {partner}: no answer within {CHECK_TIMEOUT:.0f} s"
        return CheckResult(partner, False, -1, why, _now())
    output = (done.stdout + done.stderr).strip()
    return CheckResult(partner, done.returncode == 0, done.returncode, output, _now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when(at: dt.datetime | None, now: dt.datetime) -> str:
    """``2026-12-05 18:18 UTC (3 min ago)``; ``-`` for none."""
    if at is None:
        return "-"
    seconds = max(0, int((now - at).total_seconds()))
    ago = (
        f"{seconds} s"
        if seconds < 120
        else f"{seconds // 60} min"
        if seconds < 7200
        else f"{seconds // 3600} h"
        if seconds < 172_800
        else f"{seconds // 86400} d"
    )
    return f"{at:%Y-%m-%d %H:%M} UTC ({ago} ago)"


def _row(overview: PartnerOverview, daemon: Daemon, bad: dict[str, str]) -> dict[str, Any]:
    """A partner as the page and the API show it."""
    rate = overview.error_rate
    return {
        **dataclasses.asdict(overview),
        "error_rate": rate,
        "breaker": daemon.breaker(overview.partner),
        "channels": [dataclasses.asdict(c) for c in daemon.channels.get(overview.partner, [])],
        "profile_error": bad.get(overview.partner),
    }


def _partners(request: Request, s: Any) -> tuple[list[dict[str, Any]], Daemon, dt.datetime]:
    console = state(request)
    profiles, bad = load_partners_apart(console.settings.path(PARTNERS_DIR), console.registry)
    now = _now()
    overview = partner_overview(s, now, [*profiles, *bad])
    daemon = read_daemon(console.settings)
    return [_row(o, daemon, bad) for o in overview.values()], daemon, now


def _shown(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """``row`` with its times and rate as words, for a page."""
    shown = dict(row)
    for key in ("last_received", "last_pickup", "last_delivery"):
        shown[key] = _when(row[key], now)
    rate = row["error_rate"]
    shown["error_rate"] = "-" if rate is None else f"{rate:.0%}"
    return shown


@router.get("/partners", include_in_schema=False)
def partners_page(request: Request, s: Ledger, user: Viewer) -> Response:
    rows, daemon, now = _partners(request, s)
    partners = [_shown(row, now) for row in rows]
    return render(request, "partners.html", section="partners", partners=partners, daemon=daemon)


@router.get("/api/partners", summary="Every partner: last receipt and delivery, breaker, errors")
def partners_api(request: Request, s: Ledger, user: Viewer) -> dict[str, Any]:
    rows, daemon, _ = _partners(request, s)
    return {"daemon": {"reachable": daemon.reachable, "why": daemon.why}, "partners": rows}


def _partner(request: Request, s: Any, name: str) -> tuple[dict[str, Any], Daemon, dt.datetime]:
    if not PARTNER_NAME.fullmatch(name):
        raise HTTPException(404, f"no partner {name!r}")
    rows, daemon, now = _partners(request, s)
    row = next((r for r in rows if r["partner"] == name), None)
    if row is None:
        raise HTTPException(404, f"no partner {name!r} (no profile, nothing in the last 7 days)")
    return row, daemon, now


def _profile(request: Request, name: str) -> PartnerProfile | None:
    console = state(request)
    profiles, _ = load_partners_apart(console.settings.path(PARTNERS_DIR), console.registry)
    return profiles.get(name)


def _partner_page(
    request: Request, s: Any, name: str, user: User, check: CheckResult | None = None
) -> Response:
    row, daemon, now = _partner(request, s, name)
    profile = _profile(request, name) if user.may("admin") else None
    text = json.dumps(profile_json(profile), indent=2) if profile is not None else None
    return render(
        request,
        "partner.html",
        section="partners",
        partner=_shown(row, now),
        daemon=daemon,
        profile=text,
        check=check,
        pause=pauses.paused(pauses.folder(state(request).settings)).get(name),
    )


@router.get("/partners/{name}", include_in_schema=False)
def partner_page(request: Request, s: Ledger, user: Viewer, name: str) -> Response:
    return _partner_page(request, s, name, user)


@router.get("/api/partners/{name}", summary="One partner: receipt, delivery, breaker, errors")
def partner_api(request: Request, s: Ledger, user: Viewer, name: str) -> dict[str, Any]:
    row, daemon, _ = _partner(request, s, name)
    return {"daemon": {"reachable": daemon.reachable, "why": daemon.why}, **row}


@router.get("/api/partners/{name}/profile", summary="The profile as loaded, secrets masked")
def profile_api(request: Request, user: Admin, name: str) -> dict[str, Any]:
    profile = _profile(request, name) if PARTNER_NAME.fullmatch(name) else None
    if profile is None:
        raise HTTPException(404, f"no loadable profile for partner {name!r}")
    return profile_json(profile)


@router.post("/partners/{name}/check", include_in_schema=False)
def check_page(request: Request, s: Ledger, user: Operator, name: str) -> Response:
    _partner(request, s, name)
    result = check_partner(state(request).settings, name)
    log.info("console: %s ran partner check %s: exit %s", user.name, name, result.exit_code)
    return _partner_page(request, s, name, user, result)


@router.post("/api/partners/{name}/check", summary="Run `edi-gateway partner check` now")
def check_api(request: Request, s: Ledger, user: Operator, name: str) -> dict[str, Any]:
    _partner(request, s, name)
    result = check_partner(state(request).settings, name)
    log.info("console: %s ran partner check %s: exit %s", user.name, name, result.exit_code)
    return dataclasses.asdict(result)

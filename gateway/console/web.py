"""What every page and API route of the console shares: its state (settings, the ledger's
sessions, the registry), a ledger session per request, rendering a template with the user and
the CSRF token, and the current user with their role."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from gateway.config import Role, Settings
    from gateway.registry import Registry

    from .throttle import LoginThrottle

TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)
"""Every value a template writes is escaped (a PO number of ``<script>`` shows as text)."""

RANKS: dict[str, int] = {"viewer": 0, "operator": 1, "admin": 2}


@dataclasses.dataclass(frozen=True)
class ConsoleState:
    """What the console's routes work with (``app.state.console``)."""

    settings: Settings
    sessions: sessionmaker[Session]
    registry: Registry
    throttle: LoginThrottle


@dataclasses.dataclass(frozen=True)
class User:
    """Who is logged in (or named by the trusted proxy) and their role."""

    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return RANKS[self.role] >= RANKS[role]

    @property
    def actor(self) -> str:
        """How the ledger's events name them: ``console:<name>``."""
        return f"console:{self.name}"


def state(request: Request) -> ConsoleState:
    console: ConsoleState = request.app.state.console
    return console


def ledger(request: Request) -> Iterator[Session]:
    """A ledger session for one request, in a transaction rolled back at its end (reads)."""
    with state(request).sessions() as s:
        yield s


Ledger = Annotated[Session, Depends(ledger)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with ``context``, the user (if any) and the CSRF token for its forms."""
    token = request.scope.get("csrftoken")
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": getattr(request.state, "user", None),
            "csrftoken": token() if token is not None else "",
            **context,
        },
        status_code=status_code,
    )

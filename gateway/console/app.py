"""The console put together: its routers, sessions in signed cookies, CSRF tokens on every form
and action (asgi-csrf's double-submit cookie), security headers, the pages for "log in first"
and "not allowed"; :func:`serve` runs it with uvicorn."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from . import acks, actions, auth, dashboards, documents, exceptions, partners
from .throttle import LoginThrottle
from .web import ConsoleState, render

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from gateway.config import Settings
    from gateway.registry import Registry

log = logging.getLogger(__name__)
ROUTERS = (
    auth.router,
    documents.router,
    exceptions.router,
    acks.router,
    partners.router,
    dashboards.router,
    actions.router,
)
HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
"""Sent with every response: no script or style but the console's own files, never framed."""

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def create_app(settings: Settings, sessions: sessionmaker[Session], registry: Registry) -> ASGIApp:
    """The console's ASGI application on the ledger ``sessions`` open."""
    console = settings.console
    key = signing_key(settings.path(console.secret_file))
    app = FastAPI(
        title="edi-gateway console API",
        summary="The ledger's documents, exceptions, acknowledgements and partners, as JSON",
        version="1",
        docs_url=None,  # Swagger UI loads from a CDN: the console works without internet
        redoc_url=None,
        openapi_url=None,  # served below, behind the login
    )
    throttle = LoginThrottle(console.failed_logins, console.login_lock_minutes)
    app.state.console = ConsoleState(settings, sessions, registry, throttle)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="edigw_session",
        max_age=int(console.session_hours * 3600),
        same_site="lax",
        https_only=console.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["cache-control"] = "no-store"
        return response

    @app.exception_handler(auth.NotLoggedIn)
    async def not_logged_in(request: Request, error: auth.NotLoggedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": "log in first (a session, or HTTP Basic for GET)"},
                status_code=401,
                headers={"www-authenticate": 'Basic realm="edi-gateway console"'},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(auth.TooManyFailures)
    async def too_many_failures(request: Request, error: auth.TooManyFailures) -> Response:
        return JSONResponse(
            {"detail": str(error)},
            status_code=429,
            headers={"retry-after": str(error.seconds)},
        )

    @app.exception_handler(auth.NotAllowed)
    async def not_allowed(request: Request, error: auth.NotAllowed) -> Response:
        log.warning("console: %s refused %s %s", error.user.name, request.method, request.url.path)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=403)
        return render(request, "refused.html", 403, why=str(error))

    @app.get("/", include_in_schema=False)
    def home(user: auth.Viewer) -> Response:
        return RedirectResponse("/documents", status_code=303)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(user: auth.Viewer) -> dict[str, Any]:
        return app.openapi()

    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    protected: ASGIApp = asgi_csrf(
        app,
        signing_secret=key,
        always_protect={"/login"},
        cookie_secure=console.secure_cookies,
        cookie_samesite="Lax",
    )
    return protected


def signing_key(path: Path) -> str:
    """The key that signs sessions and CSRF tokens: read from ``path``, or made there (mode
    0600, never written over: two consoles starting at once agree on the first one's)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return path.read_text().strip()


def serve(settings: Settings, registry: Registry) -> None:
    """Run the console on ``[console] address`` until stopped (SIGTERM, Ctrl-C)."""
    import uvicorn

    from gateway.config_check import existing_ledger
    from gateway.ledger import migrate, session_factory

    engine = existing_ledger(settings)
    migrate(engine)
    host, _, port = settings.console.address.rpartition(":")
    if not settings.console.users and not settings.console.proxy_user_header:
        log.warning("console: no users in [console] of gateway.toml: nobody can log in")
    app = create_app(settings, session_factory(engine), registry)
    log.info("console: listening on http://%s:%s/", host, port)
    uvicorn.run(
        app,
        host=host or "127.0.0.1",
        port=int(port),
        log_config=None,  # the gateway's own logging
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.console.proxy_addresses,
        server_header=False,
    )

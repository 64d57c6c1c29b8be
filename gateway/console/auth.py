"""Who may use the console and what they may do.

Users and their roles are listed in ``[console]`` of gateway.toml (``[[console.users]]``: name,
role, argon2 ``password_hash`` made by ``edi-gateway console hash-password``). A user logs in on
``/login``; the session is a cookie signed with the console's key (HttpOnly, SameSite=Lax,
Secure with ``secure_cookies``), valid ``session_hours``. A reverse proxy that authenticated
the user may name them in ``proxy_user_header``, trusted only from ``proxy_addresses`` (the user
must still be listed: their role is here). Programs may read the JSON API (GET ``/api/...``)
with HTTP Basic credentials; everything that changes something needs a session and its CSRF
token, so a browser's remembered credentials can never act for a page of another site.

Passwords are never logged, nor kept: a login is logged with the name and the address.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.config import ConsoleSettings, Role
from gateway.errors import GatewayError

from .web import User, render, state

log = logging.getLogger(__name__)
HASHER = PasswordHasher()
_UNKNOWN_USER = HASHER.hash("a password no user has")
"""Checked against when the name is unknown, so that a wrong name takes as long as a wrong
password (the time does not tell which names exist)."""

router = APIRouter()


class NotLoggedIn(GatewayError):
    """A page or API asked for without a login: the page goes to /login, the API says 401."""


class TooManyFailures(GatewayError):
    """Logins refused unchecked for a while: too many failed from the address or for the name
    (:mod:`.throttle`); 429, with ``Retry-After``."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many failed logins: try again in {seconds} s")
        self.seconds = seconds


class NotAllowed(GatewayError):
    """A user whose role does not allow what they asked for (403)."""

    def __init__(self, user: User, role: Role) -> None:
        super().__init__(f"{user.name} is a {user.role}: this needs a {role} or more")
        self.user = user
        self.role = role


def hash_password(password: str) -> str:
    """The argon2 hash of ``password``, to put in gateway.toml as a user's ``password_hash``."""
    return HASHER.hash(password)


def checked_login(request: Request, name: str, password: str) -> User | None:
    """:func:`check_password`, throttled (:mod:`.throttle`): :class:`TooManyFailures`, the
    password unchecked, when too many logins failed lately from the request's address or for
    ``name``; a failure counts, a success clears the counts."""
    console = state(request)
    address = request.client.host if request.client else "?"
    wait = console.throttle.wait(address, name)
    if wait is not None:
        log.warning("console: login for %r from %s refused unchecked for %d s", name, address, wait)
        raise TooManyFailures(wait)
    user = check_password(console.settings.console, name, password)
    if user is None:
        console.throttle.failed(address, name)
    else:
        console.throttle.succeeded(address, name)
    return user


def check_password(settings: ConsoleSettings, name: str, password: str) -> User | None:
    """The user ``name`` when ``password`` is theirs; None otherwise (unknown user, no password
    hash, wrong password)."""
    listed = next((u for u in settings.users if u.name == name), None)
    known = listed.password_hash if listed is not None else None
    try:
        HASHER.verify(known or _UNKNOWN_USER, password)
    except (VerificationError, InvalidHashError):
        return None
    if listed is None or not known:
        return None
    return User(listed.name, listed.role)


def signed_in(request: Request) -> User:
    """The user of this request: the trusted proxy's header, the session, or (GET on the API
    only) HTTP Basic credentials; :class:`NotLoggedIn` when none."""
    settings = state(request).settings.console
    listed = {u.name: u for u in settings.users}
    user: User | None = None
    header = settings.proxy_user_header
    client = request.client.host if request.client else ""
    if header and client in settings.proxy_addresses and request.headers.get(header):
        named = listed.get(request.headers[header])
        user = User(named.name, named.role) if named else None
    elif (name := request.session.get("user")) in listed:
        user = User(listed[name].name, listed[name].role)
    elif request.method == "GET" and request.url.path.startswith("/api/"):
        user = _basic(request)
    if user is None:
        raise NotLoggedIn(request.url.path)
    request.state.user = user
    return user


def _basic(request: Request) -> User | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return checked_login(request, name, password)


def require(role: Role) -> Callable[[Request], User]:
    """A route dependency: the user, when their role is ``role`` or more."""

    def dependency(request: Request) -> User:
        user = signed_in(request)
        if not user.may(role):
            raise NotAllowed(user, role)
        return user

    return dependency


Viewer = Annotated[User, Depends(require("viewer"))]
Operator = Annotated[User, Depends(require("operator"))]
Admin = Annotated[User, Depends(require("admin"))]


def _local(target: str | None) -> str:
    """``target`` when it is a path of this site (never another site's address), else /."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 for c in target):  # browsers read /\x as //x
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_local(next), failed=False)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    client = request.client.host if request.client else "?"
    try:
        user = checked_login(request, name, password)
    except TooManyFailures as refused:
        page = render(
            request, "login.html", 429, next=_local(next), wait=refused.seconds, name=name
        )
        page.headers["retry-after"] = str(refused.seconds)
        return page
    if user is None:
        log.warning("console: login refused for %r from %s", name, client)
        return render(request, "login.html", 401, next=_local(next), failed=True, name=name)
    log.info("console: %s (%s) logged in from %s", user.name, user.role, client)
    request.session.clear()
    request.session["user"] = user.name
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)

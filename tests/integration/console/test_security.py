"""The console's doors: nothing without a login, passwords checked and never logged, cookies
that scripts and other sites cannot use, a CSRF token on everything that changes something,
no redirect to another site, a proxy's user header trusted only from the proxy."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from tests.integration.console.conftest import filled_home
from tests.support.console import USERS, Console, password, running_console

PAGES = ["/", "/documents", "/exceptions", "/acks", "/partners", "/dashboards"]


def _api_paths(console: Console) -> list[str]:
    """Every GET path of the API, from its OpenAPI document (read as admin), placeholders
    filled with a made-up value."""
    with console.logged_in("alice") as admin:
        spec = admin.get("/api/openapi.json").json()
    paths = [p for p, ops in spec["paths"].items() if "get" in ops]
    return ["/api/openapi.json", *(re.sub(r"\{[^}]+\}", "x1", p) for p in paths)]


def test_no_page_and_no_api_without_a_login(shared_console: tuple[Console, str]) -> None:
    console, _ = shared_console
    with console.client() as anonymous:
        for page in PAGES:
            answer = anonymous.get(page)
            assert answer.status_code == 303, page
            assert answer.headers["location"].startswith("/login?next="), page
        for path in _api_paths(console):
            answer = anonymous.get(path)
            assert answer.status_code == 401, path
            assert answer.headers["www-authenticate"].startswith("Basic"), path
    with console.logged_in("victor") as viewer:
        for page in PAGES:
            assert viewer.get(page, follow_redirects=True).status_code == 200, page


def test_a_wrong_password_is_refused_and_no_password_is_ever_logged(
    shared_console: tuple[Console, str],
) -> None:
    console, _ = shared_console
    with console.client() as client:
        client.get("/login")
        token = client.cookies["csrftoken"]
        for name, secret in (("alice", "not-her-password"), ("mallory", "pw-mallory")):
            answer = client.post(
                "/login", data={"name": name, "password": secret, "csrftoken": token}
            )
            assert answer.status_code == 401
            assert "Wrong name or password" in answer.text
            assert "edigw_session" not in answer.headers.get("set-cookie", "")
    with console.logged_in("alice"):
        pass
    log = console.output()
    assert "login refused for 'alice'" in log and "alice (admin) logged in" in log
    for secret in ("not-her-password", "pw-mallory", *(password(n) for n in USERS)):
        assert secret not in log


def test_the_session_cookie_is_signed_http_only_and_same_site(
    shared_console: tuple[Console, str],
) -> None:
    console, _ = shared_console
    with console.client() as client:
        client.get("/login")
        token = client.cookies["csrftoken"]
        answer = client.post(
            "/login", data={"name": "victor", "password": "pw-victor", "csrftoken": token}
        )
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("edigw_session=")
        )
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "httponly" in flags and "samesite=lax" in flags
        assert "secure" not in flags  # plain HTTP here: secure_cookies is off
        forged = client.cookies["edigw_session"][:-4] + "AAAA"
    with console.client() as forger:
        forger.cookies.set("edigw_session", forged)
        assert forger.get("/documents").status_code == 303  # a changed cookie is no login


def test_what_changes_something_needs_the_csrf_token(shared_console: tuple[Console, str]) -> None:
    console, _ = shared_console
    with console.logged_in("alice") as admin:
        token = admin.headers.pop("x-csrftoken")
        refused = admin.post("/logout")
        assert refused.status_code == 403
        assert admin.get("/documents").status_code == 200  # still logged in
        wrong = admin.post("/logout", data={"csrftoken": token[::-1]})
        assert wrong.status_code == 403
        done = admin.post("/logout", data={"csrftoken": token})
        assert done.status_code == 303
        assert admin.get("/documents").status_code == 303  # logged out
    with console.client() as client:  # a login form posted from elsewhere (no token)
        answer = client.post("/login", data={"name": "alice", "password": "pw-alice"})
        assert answer.status_code == 403


def test_a_login_never_redirects_to_another_site(shared_console: tuple[Console, str]) -> None:
    console, _ = shared_console
    for target, lands in (
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/documents?partner=a", "/documents?partner=a"),
    ):
        with console.client() as client:
            client.get("/login")
            token = client.cookies["csrftoken"]
            answer = client.post(
                "/login",
                data={"name": "olga", "password": "pw-olga", "csrftoken": token, "next": target},
            )
            assert answer.status_code == 303
            location = answer.headers["location"]
            assert location == lands, target
            assert httpx.URL(f"{console.url}{location}").host == "127.0.0.1"


def test_the_api_takes_http_basic_for_reading_only(shared_console: tuple[Console, str]) -> None:
    console, _ = shared_console
    basic = "Basic " + base64.b64encode(b"victor:pw-victor").decode()
    wrong = "Basic " + base64.b64encode(b"victor:nope").decode()
    with console.client() as client:
        assert client.get("/api/openapi.json", headers={"authorization": basic}).status_code == 200
        assert client.get("/api/openapi.json", headers={"authorization": wrong}).status_code == 401
        # a browser's remembered credentials never act: a POST needs a session
        answer = client.post("/logout", headers={"authorization": basic})
        assert answer.status_code in (303, 401, 403)
        assert "edigw_session" not in answer.headers.get("set-cookie", "")


def test_behind_a_tls_proxy_cookies_are_secure_and_its_user_header_is_trusted_only_from_it(
    tmp_path: Path, partner: str
) -> None:
    config = filled_home(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", partner)
    text = config.read_text().replace(
        "[console]\n",
        '[console]\nsecure_cookies = true\nproxy_user_header = "X-Remote-User"\n'
        'proxy_addresses = ["127.0.0.1"]\n',
    )
    config.write_text(text)
    with running_console(config) as console, console.client() as client:
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()  # the CSRF cookie
        proxied = {"x-remote-user": "victor"}
        assert client.get("/api/openapi.json", headers=proxied).status_code == 200
        assert client.get("/documents", headers=proxied).status_code == 200
        stranger = {"x-remote-user": "mallory"}  # not a console user
        assert client.get("/api/openapi.json", headers=stranger).status_code == 401
    config.write_text(
        text.replace('proxy_addresses = ["127.0.0.1"]', 'proxy_addresses = ["10.9.9.9"]')
    )
    with running_console(config) as console, console.client() as client:
        # the header from anywhere else is just a header
        headers = {"x-remote-user": "alice"}
        assert client.get("/api/openapi.json", headers=headers).status_code == 401


def _login(console: Console, name: str, secret: str, address: str = "127.0.0.1") -> httpx.Response:
    """A login from the loopback ``address`` (any 127.x address reaches the console)."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=console.url, transport=transport, timeout=30) as client:
        client.get("/login")
        token = client.cookies["csrftoken"]
        return client.post("/login", data={"name": name, "password": secret, "csrftoken": token})


def test_failed_logins_are_throttled_by_address_and_by_name_and_then_refused_unchecked(
    tmp_path: Path, partner: str
) -> None:
    config = filled_home(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}", partner)
    config.write_text(config.read_text().replace("[console]\n", "[console]\nfailed_logins = 3\n"))
    with running_console(config) as console:
        # a success clears the address's count: a user who mistyped is not held back
        for _ in range(2):
            assert _login(console, "alice", "typo").status_code == 401
        assert _login(console, "alice", password("alice")).status_code == 303
        for _ in range(3):
            assert _login(console, "alice", "guess").status_code == 401
        # the address has failed 3 times: even the right password is refused, unchecked
        refused = _login(console, "alice", password("alice"))
        assert refused.status_code == 429, refused.text
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
        assert "Too many failed logins" in refused.text
        basic = "Basic " + base64.b64encode(b"victor:pw-victor").decode()
        with console.client() as client:  # the API's credentials too
            answer = client.get("/api/openapi.json", headers={"authorization": basic})
            assert answer.status_code == 429 and "retry-after" in answer.headers
        # a guesser spread over addresses: a name is refused after 4 times as many failures
        for n in range(2, 6):
            for _ in range(3):
                assert _login(console, "olga", "guess", f"127.0.0.{n}").status_code == 401
        assert _login(console, "olga", password("olga"), "127.0.0.6").status_code == 429
        assert _login(console, "victor", password("victor"), "127.0.0.6").status_code == 303
    log = console.output()
    assert "login for 'alice' from 127.0.0.1 refused unchecked" in log
    assert "login for 'olga' from 127.0.0.6 refused unchecked" in log
    assert "guess" not in log and "pw-alice" not in log


@pytest.mark.parametrize("secret", ["correct horse battery staple"])
def test_hash_password_prints_an_argon2_hash_of_the_password(secret: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "console", "hash-password"],
        input=secret + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    hashed = done.stdout.strip()
    assert hashed.startswith("$argon2id$")
    assert PasswordHasher().verify(hashed, secret)
    assert secret not in done.stderr

"""The web console as the tests use it: a real ``edi-gateway console`` process on a free
loopback port, its users, and a real headless Chromium (Debian's ``chromium`` through its
``chromedriver``: nothing downloads a browser) that saves screenshots as test artifacts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("EDIGW_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
"""Where screenshots go (``build/``, ignored by git; CI keeps it)."""

USERS = {"alice": "admin", "olga": "operator", "victor": "viewer"}
"""The console's users in the tests, by role; each one's password is ``pw-<name>``."""


def password(name: str) -> str:
    return f"pw-{name}"


def console_settings(port: int, **extra: object) -> str:
    """The ``[console]`` table of a test home's gateway.toml: :data:`USERS` on ``port``."""
    from gateway.console.auth import hash_password

    lines = ["[console]", f'address = "127.0.0.1:{port}"']
    lines += [f"{key} = {_toml(value)}" for key, value in extra.items()]
    for name, role in USERS.items():
        lines += [
            "[[console.users]]",
            f'name = "{name}"',
            f'role = "{role}"',
            f'password_hash = "{hash_password(password(name))}"',
        ]
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Console:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-20_000:] if self.log.exists() else ""

    def client(self) -> httpx.Client:
        """An HTTP client of the console (no login yet)."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    @contextmanager
    def logged_in(self, name: str) -> Iterator[httpx.Client]:
        """An HTTP client logged in as ``name`` (its CSRF token in ``headers``)."""
        with self.client() as client:
            client.get("/login")
            token = client.cookies["csrftoken"]
            answer = client.post(
                "/login", data={"name": name, "password": password(name), "csrftoken": token}
            )
            assert answer.status_code == 303, answer.text
            client.headers["x-csrftoken"] = token
            yield client


def add_console(config: Path, **extra: object) -> int:
    """Add a ``[console]`` table with :data:`USERS` to the gateway.toml ``config``; its port."""
    port = free_port()
    config.write_text(config.read_text() + "\n" + console_settings(port, **extra))
    return port


@contextmanager
def running_console(config: Path) -> Iterator[Console]:
    """``edi-gateway console`` on ``config`` (which :func:`add_console` gave a port), until
    the block ends (SIGTERM; it must stop cleanly)."""
    from tests.integration.support import _gateway_environment

    port = int(tomllib.loads(config.read_text())["console"]["address"].rpartition(":")[2])
    log = config.parent / "console.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "console"],
            cwd=config.parent,
            env=_gateway_environment(config),
            stdout=sink,
            stderr=sink,
        )
    console = Console(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{console.url}/login", timeout=2)
                break
            except httpx.TransportError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    why = f"the console did not start:\n{console.output()}"
                    raise AssertionError(why) from error
                time.sleep(0.1)
        yield console
    finally:
        process.terminate()
        # uvicorn ends by raising the SIGTERM it handled again, once it has shut down
        assert process.wait(timeout=30) in (0, -signal.SIGTERM), console.output()


def require_chromium() -> None:
    """Fail (never skip) when Debian's Chromium is missing, saying what to run."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        raise AssertionError(
            f"{', '.join(missing)} missing: run scripts/services as root, or "
            "apt-get install -y chromium chromium-driver"
        )


@contextmanager
def chromium(width: int = 1366, height: int = 768) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a window of ``width`` x ``height``."""
    require_chromium()
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: webdriver.Chrome, console: Console, name: str) -> None:
    """Log in as ``name`` through the login page."""
    driver.get(f"{console.url}/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password(name))
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    deadline = time.monotonic() + 10
    while "/login" in driver.current_url:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} could not log in: {driver.page_source[:2000]}")
        time.sleep(0.05)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save what the browser shows as ``<ARTIFACTS>/console/<name>.png`` (the whole page)."""
    folder = ARTIFACTS / "console"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    size = driver.get_window_size()
    driver.set_window_size(max(size["width"], width), max(size["height"], min(height, 4000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(size["width"], size["height"])
    return path


def clear_artifacts() -> None:
    shutil.rmtree(ARTIFACTS / "console", ignore_errors=True)

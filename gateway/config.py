"""The gateway's settings: ``gateway.toml``, overridden by ``EDIGW_*`` environment variables.

Every setting has a default that works on a fresh machine (SQLite ledger under ``var/``, local
``inbox/`` and ``outbox/``, RabbitMQ on localhost). Relative paths are taken from ``home``
(the directory holding ``gateway.toml``, or the working directory).

Examples: ``EDIGW_DATABASE_URL=postgresql://gateway@db/ledger``, ``EDIGW_MIN_AGE=2``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError, did_you_mean

_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")
CONFIG_ENV = "EDIGW_CONFIG"
"""Environment variable naming the ``gateway.toml`` to read (default: ``./gateway.toml``)."""


Role = Literal["viewer", "operator", "admin"]
"""What a console user may do: a viewer looks, an operator also acts on documents and partners
(replay, resend, reprocess, dismiss, pause), an admin also sees the partners' profiles."""


class ConsoleUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="the name the user logs in with")
    role: Role = Field(default="viewer", description="viewer, operator or admin")
    password_hash: str | None = Field(
        default=None,
        description="argon2 hash of the password (edi-gateway console hash-password); none: "
        "only through the reverse proxy's header",
    )


class ConsoleSettings(BaseModel):
    """The web console (``edi-gateway console``): ``[console]`` in gateway.toml."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(
        default="127.0.0.1:8470",
        pattern=r"^[^\s:]*:\d{1,5}$",
        description="host:port the console listens on (loopback by default: put a reverse "
        "proxy with TLS in front of it for other machines)",
    )
    users: list[ConsoleUser] = Field(
        default_factory=list, description="who may log in ([[console.users]] tables)"
    )
    proxy_user_header: str | None = Field(
        default=None,
        description="a header naming the user, set by a reverse proxy that authenticated them "
        "(e.g. X-Remote-User); trusted only from proxy_addresses, the user still listed here",
    )
    proxy_addresses: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="addresses of the reverse proxy whose user header is trusted",
    )
    secure_cookies: bool = Field(
        default=False,
        description="mark cookies Secure (sent over TLS only): set it behind a TLS proxy",
    )
    secret_file: Path = Field(
        default=Path("var/console.secret"),
        description="key signing sessions and CSRF tokens, made (mode 0600) on first start",
    )
    session_hours: float = Field(default=12.0, gt=0, description="a login lasts this long")
    failed_logins: int = Field(
        default=5,
        ge=1,
        description="failed logins from one address (four times as many for one name) in "
        "login_lock_minutes, after which its logins are refused until the window has room",
    )
    login_lock_minutes: int = Field(
        default=15, ge=1, description="the window failed logins are counted in"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EDIGW_", extra="forbid")

    home: Path = Field(default=Path("."), description="base of every relative path below")
    inbox: Path = Field(default=Path("inbox"), description="partners drop files here, by partner")
    outbox: Path = Field(default=Path("outbox"), description="files for partners, by partner")
    work: Path = Field(default=Path("var/work"), description="claimed files being processed")
    archive: Path = Field(default=Path("archive"), description="processed originals")
    quarantine: Path = Field(default=Path("quarantine"), description="bad files and their reports")
    database_url: str = Field(
        default="sqlite:///var/ledger.sqlite3",
        description="SQLAlchemy URL of the ledger: SQLite (default) or postgresql://...",
    )
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/%2F", description="RabbitMQ connection URL"
    )
    min_age: float = Field(
        default=1.0, ge=0, description="seconds a file must stay unchanged before it is taken"
    )
    done_marker: str | None = Field(
        default=None,
        description="when set (e.g. '.done'), a file is taken only once NAME+marker exists",
    )
    ignore: list[str] = Field(
        default_factory=lambda: ["*.tmp", "*.part", "*.partial", "*.filepart", "~*"],
        description="name patterns never taken (dotfiles are always ignored)",
    )
    rescan_interval: float = Field(
        default=5.0, gt=0, description="seconds between full inbox scans (inotify drops events)"
    )
    duplicate_window_days: float = Field(
        default=30.0, ge=0, description="same content or control numbers within this are duplicates"
    )
    retention_days: float | None = Field(
        default=None,
        gt=0,
        description="days after which `edi-gateway prune` forgets settled work: its ledger "
        "rows, archived and quarantined files, sent copies (never anything unsettled); at least "
        "duplicate_window_days; unset: nothing is pruned",
    )
    publish_window: int = Field(default=256, ge=1, description="unconfirmed publishes in flight")
    overdue_check_interval: float = Field(
        default=60.0,
        gt=0,
        description="seconds between checks for outbound documents whose acknowledgement is "
        "overdue (past the partner's ack_deadline_hours)",
    )
    parse_workers: int = Field(
        default_factory=lambda: max(0, min(4, (os.cpu_count() or 1) - 1)),
        ge=0,
        description="processes that parse inbound files and render outbound documents beside "
        "the daemon (0: all in the daemon)",
    )
    max_file_size: int = Field(
        default=2 * 1024 * 1024 * 1024,
        ge=1,
        description="bytes; a safety limit: a larger inbound file is quarantined unread, unless "
        "its format reads it as a stream (CSV, fixed width, XML, X12: in the memory of a part, "
        "whatever its size, a huge 846 or 856 set in parts); a file read whole takes about 65 "
        "times its size in memory (without the large-file lane, large_file_workers = 0; for a "
        "partner refusing reused control numbers; an X12 file up to 64 MiB without a huge set of "
        "a kind read in parts, in a parse worker); "
        "a remote channel leaves a larger file on the server, unread",
    )
    large_file_size: int = Field(
        default=1024 * 1024,
        ge=0,
        description="bytes; a larger inbound file is parsed in the large-file lane, beside the "
        "others, and committed on its own, so that it holds up no other file or request",
    )
    large_file_workers: int = Field(
        default=1,
        ge=0,
        description="large files parsed at once, each in a process of its own (a parse takes "
        "about 65 times a file's size in memory); more wait in the inbox; 0: no lane, large "
        "files are parsed with the others",
    )
    batch_size: int = Field(
        default=200, ge=1, description="files recorded and parsed together in one transaction"
    )
    gather_window: float = Field(
        default=0.0,
        ge=0,
        le=1.0,
        description="seconds the daemon waits, when only a few files are ready, for more to "
        "come before it takes them together (0: each as it comes); a steady trickle then shares "
        "commits and hand-overs, for less CPU per file and up to this much more latency",
    )
    instance: str = Field(
        default="",
        pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="this gateway's name among those on one broker, {instance} in "
        "outbound_queue (letters, digits, '_', '.', '-'); default: its home folder's name",
    )
    outbound_queue: str = Field(
        default="edi.out.requests.{instance}",
        description="the queue of outbound requests the daemon consumes, its own: {instance} "
        "is replaced by the instance's name",
    )
    outbound_bindings: list[str] = Field(
        default_factory=lambda: ["edi.out.#"],
        description="routing keys binding the request queue to the exchange edi.out",
    )
    outbound_prefetch: int = Field(
        default=500, ge=1, description="unacknowledged outbound requests in hand (basic.qos)"
    )
    catch_all_max_length: int = Field(
        default=10_000,
        ge=0,
        description="messages each catch-all queue (edi.in.all, edi.events.all) keeps, the "
        "oldest dropped beyond; 0: no catch-all queue is declared",
    )
    dead_letter_max_length: int = Field(
        default=100_000, ge=1, description="messages edi.dlq keeps, the oldest dropped beyond"
    )
    metrics_address: str = Field(
        default="127.0.0.1:9464",
        pattern=r"^$|^[^\s:]*:\d{1,5}$",
        description="host:port of the HTTP endpoint with /metrics (Prometheus), /livez and "
        '/readyz, loopback by default; "" for none',
    )
    metrics_ledger_every: float = Field(
        default=15.0,
        gt=0,
        description="seconds the ledger's figures on /metrics (documents and files by state, "
        "the outbox backlog, partners' acknowledgements) are kept before a scrape reads them "
        "again: each read is a few queries over the ledger",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="the least severe log lines written (INFO: a line per lifecycle event)",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description='"text" for a terminal, "json" (one object a line, ids as fields) for a '
        "log collector",
    )
    outbound_batch: int = Field(
        default=500, ge=1, description="outbound requests rendered in one ledger transaction"
    )
    console: ConsoleSettings = Field(
        default_factory=ConsoleSettings, description="the web console ([console] table)"
    )

    @field_validator("retention_days")
    @classmethod
    def _retention_covers_duplicate_window(
        cls, value: float | None, info: ValidationInfo
    ) -> float | None:
        window = info.data.get("duplicate_window_days")
        if value is not None and window is not None and value < window:
            raise ValueError(
                f"shorter than duplicate_window_days ({window:g}): the duplicate check compares "
                "each file with those of the window, which must still be in the ledger"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return init_settings, env_settings, toml

    @field_validator("outbound_queue")
    @classmethod
    def _one_queue_name(cls, value: str) -> str:
        name = value.replace("{instance}", "i" * 64)
        if not value or "{" in name or "}" in name:
            raise ValueError("a queue name, where only {instance} is replaced")
        if value.startswith("amq."):
            raise ValueError("names starting 'amq.' are the broker's own")
        if len(name.encode()) > 255:
            raise ValueError("at most 255 bytes, with an instance name of 64")
        return value

    @property
    def instance_name(self) -> str:
        """``instance``, else its home folder's name (other characters than letters, digits,
        ``_``, ``.`` and ``-`` made ``_``): stable for a configuration, one per daemon (one
        daemon runs per home), the systemd instance with ``edi-gateway@.service``."""
        if self.instance:
            return self.instance
        return _NOT_IN_NAME.sub("_", self.home.resolve().name)[:64].lstrip("_.-") or "edi-gateway"

    @property
    def request_queue(self) -> str:
        """The queue of outbound requests the daemon consumes: ``outbound_queue`` with
        ``{instance}`` replaced (``edi.out.requests.<instance>`` by default)."""
        return self.outbound_queue.replace("{instance}", self.instance_name)

    def path(self, which: Path) -> Path:
        """``which`` resolved against ``home``."""
        return which if which.is_absolute() else (self.home / which)

    @property
    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path taken from ``home``."""
        prefix = "sqlite:///"
        url = self.database_url
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            return prefix + str(self.path(Path(url[len(prefix) :])).resolve())
        return url


def config_file() -> Path:
    return Path(os.environ.get(CONFIG_ENV, "gateway.toml"))


OTHER_VARIABLES = (CONFIG_ENV, "EDIGW_CRASH_AT")
"""The ``EDIGW_*`` variables that are not settings: the file to read, and the crash points of
the crash tests (:mod:`gateway.runtime.crashpoints`). ``EDIGW_TEST_*`` are the test suite's."""
TEST_PREFIX = "EDIGW_TEST_"


def load_settings(**overrides: object) -> Settings:
    """Settings from ``gateway.toml`` (if present), the environment, then ``overrides``;
    :class:`ConfigError` naming the file, line and key, or the variable, of what is wrong (with
    the valid choices or the name meant): an ``EDIGW_*`` variable that is no setting, a missing
    ``EDIGW_CONFIG`` file, a file that is not TOML, an unknown key, a bad value."""
    environment = {key: value for key, value in os.environ.items() if key.startswith("EDIGW_")}
    _known_variables(environment)
    file = config_file()
    if CONFIG_ENV in environment and not file.is_file():
        raise ConfigError(f"{CONFIG_ENV}={environment[CONFIG_ENV]}: no such file")
    text = _toml_text(file)
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(_explained(error, file, text, environment)) from None
    if "home" not in overrides and not os.environ.get("EDIGW_HOME") and file.exists():
        settings = settings.model_copy(update={"home": file.resolve().parent})
    return settings


def _known_variables(environment: Mapping[str, str]) -> None:
    names = [f"EDIGW_{name.upper()}" for name in Settings.model_fields]
    known = [*names, *OTHER_VARIABLES]
    problems = [
        f"{variable}: no such setting{did_you_mean(variable, known)} (settings: {', '.join(names)})"
        for variable in sorted(environment)
        if variable not in known and not variable.startswith(TEST_PREFIX)
    ]
    if problems:
        raise ConfigError("\n".join(problems))


def _toml_text(file: Path) -> str:
    """The text of ``file`` ('' when there is none), checked to be TOML."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot be read: {error}") from None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    return text


def _explained(
    error: ValidationError, file: Path, text: str, environment: Mapping[str, str]
) -> str:
    """Each problem of ``error`` on a line: where (the variable, else the file and line) and
    what (an unknown key with the one meant, or the value's problem)."""
    lines = []
    for problem in error.errors(include_url=False):
        key = ".".join(str(part) for part in problem["loc"])
        top = str(problem["loc"][0]) if problem["loc"] else ""
        variable = f"EDIGW_{top.upper()}"
        if variable in environment:
            where = variable
        else:
            found = re.search(rf"^\s*{re.escape(top)}\s*=", text, re.MULTILINE)
            line = f", line {text[: found.start()].count(chr(10)) + 1}" if found else ""
            where = f"{file}{line}: {key}"
        if problem["type"] == "extra_forbidden":
            what = f"unknown key{did_you_mean(top, list(Settings.model_fields))}"
        else:
            what = f"{problem['msg']} (found {problem['input']!r})"
        lines.append(f"{where}: {what}")
    return "\n".join(lines)

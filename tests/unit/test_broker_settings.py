"""The broker settings (issue 23, the broker topology): each daemon's request queue is its own
by default, named after its instance (its home folder's name unless set), and the bounds of the
catch-all and dead-letter queues are checked like every setting, errors naming the file, line
and key, or the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.bus.topology import CATCH_ALL_MAX_LENGTH, DEAD_LETTER_MAX_LENGTH
from gateway.config import Settings, load_settings
from gateway.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_edigw_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("EDIGW_"):
            monkeypatch.delenv(key)


def settings_in(home: Path, monkeypatch: pytest.MonkeyPatch, text: str = "") -> Settings:
    """The settings a daemon reads from ``home/gateway.toml`` (written with ``text``)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "gateway.toml").write_text(text)
    monkeypatch.setenv("EDIGW_CONFIG", str(home / "gateway.toml"))
    return load_settings()


def test_two_instances_with_default_settings_do_not_share_a_request_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    production = settings_in(tmp_path / "production", monkeypatch)
    test = settings_in(tmp_path / "test", monkeypatch)
    assert production.instance_name == "production"
    assert production.request_queue == "edi.out.requests.production"
    assert test.request_queue == "edi.out.requests.test"
    again = settings_in(tmp_path / "production", monkeypatch)  # stable for a configuration
    assert again.request_queue == production.request_queue


def test_the_systemd_instance_names_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """edi-gateway@test: settings in /etc/edi-gateway/test/, home /var/lib/edi-gateway/test."""
    monkeypatch.setenv("EDIGW_HOME", str(tmp_path / "var" / "test"))
    settings = settings_in(tmp_path / "etc" / "test", monkeypatch)
    assert settings.request_queue == "edi.out.requests.test"


def test_an_instance_name_set_or_a_queue_named_outright_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = settings_in(tmp_path / "home", monkeypatch, 'instance = "eu-1"\n')
    assert (named.instance_name, named.request_queue) == ("eu-1", "edi.out.requests.eu-1")
    monkeypatch.setenv("EDIGW_INSTANCE", "us.2")
    assert load_settings().request_queue == "edi.out.requests.us.2"
    monkeypatch.delenv("EDIGW_INSTANCE")
    shared = settings_in(tmp_path / "home", monkeypatch, 'outbound_queue = "edi.out.requests"\n')
    assert shared.request_queue == "edi.out.requests"  # as before: shared, on purpose
    mine = settings_in(tmp_path / "home", monkeypatch, 'outbound_queue = "wms.{instance}.in"\n')
    assert mine.request_queue == "wms.home.in"


def test_a_home_folder_name_is_made_a_queue_word(tmp_path: Path) -> None:
    assert Settings(home=tmp_path / "my gateway (EU)").instance_name == "my_gateway__EU_"
    assert Settings(home=Path("/")).instance_name == "edi-gateway"


def test_the_bounds_default_to_those_of_the_topology(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in(tmp_path / "home", monkeypatch)
    assert settings.catch_all_max_length == CATCH_ALL_MAX_LENGTH == 10_000
    assert settings.dead_letter_max_length == DEAD_LETTER_MAX_LENGTH == 100_000
    off = settings_in(tmp_path / "home", monkeypatch, "catch_all_max_length = 0\n")
    assert off.catch_all_max_length == 0


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "# broker\ncatch_all_max_length = -1\n",
            "gateway.toml, line 2: catch_all_max_length: Input should be greater than or equal "
            "to 0 (found -1)",
        ),
        (
            "dead_letter_max_length = 0\n",
            "gateway.toml, line 1: dead_letter_max_length: Input should be greater than or "
            "equal to 1 (found 0)",
        ),
        (
            "catch_all_max_lenght = 5\n",
            "gateway.toml, line 1: catch_all_max_lenght: unknown key: did you mean "
            "'catch_all_max_length'?",
        ),
        (
            'instance = "prod/eu"\n',
            "gateway.toml, line 1: instance: String should match pattern",
        ),
        (
            'outbound_queue = "edi.out.{env}"\n',
            "gateway.toml, line 1: outbound_queue: Value error, a queue name, where only "
            "{instance} is replaced (found 'edi.out.{env}')",
        ),
        (
            'outbound_queue = "amq.requests"\n',
            "outbound_queue: Value error, names starting 'amq.' are the broker's own",
        ),
        (
            f'outbound_queue = "{"q" * 200}.{{instance}}"\n',
            "outbound_queue: Value error, at most 255 bytes, with an instance name of 64",
        ),
    ],
)
def test_bad_broker_settings_are_named_with_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, said: str
) -> None:
    with pytest.raises(ConfigError) as error:
        settings_in(tmp_path / "home", monkeypatch, text)
    assert said in str(error.value)


def test_a_bad_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDIGW_CATCH_ALL_MAX_LENGTH", "many")
    with pytest.raises(ConfigError) as error:
        settings_in(tmp_path / "home", monkeypatch)
    assert "EDIGW_CATCH_ALL_MAX_LENGTH: Input should be a valid integer" in str(error.value)


def test_check_config_says_so_and_exits_78(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text("catch_all_max_length = -5\n")
    clean = {key: value for key, value in os.environ.items() if not key.startswith("EDIGW_")}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config"],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 78, done.stderr
    assert "line 1: catch_all_max_length: Input should be greater than or equal to 0" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr

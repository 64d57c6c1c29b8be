"""Configuration errors as an administrator meets them (issue 23): ``edi-gateway check-config``
and every command name the file, line and key (or the variable) of each error, with the name
meant or the valid choices, and exit 78 (EX_CONFIG) without a traceback; the daemon refuses to
start with the same message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EX_CONFIG = 78


def gateway(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("EDIGW_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=home,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def profile(home: Path, name: str, text: str) -> None:
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(text)


def test_a_good_home_checks_out(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('inbox = "in"\nmin_age = 2\n')
    profile(tmp_path, "acme", 'format = "csv"\n[csv]\nmapping = "example-asn"\n')
    done = gateway(tmp_path, "check-config")
    assert done.returncode == 0, done.stderr
    assert f"ok   settings ({tmp_path / 'gateway.toml'}" in done.stdout
    assert "ok   mappings/partners/acme.toml (csv)" in done.stdout.replace(str(tmp_path) + "/", "")


def test_gateway_toml_errors_name_line_key_and_the_name_meant(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('# the gateway\ninbx = "in"\nmin_age = -1\n')
    done = gateway(tmp_path, "check-config")
    assert done.returncode == EX_CONFIG
    assert "gateway.toml, line 2: inbx: unknown key: did you mean 'inbox'?" in done.stderr
    assert "gateway.toml, line 3: min_age: Input should be greater than or equal to 0" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    run = gateway(tmp_path, "run", "--once")  # the daemon refuses to start, saying the same
    assert run.returncode == EX_CONFIG and "Traceback" not in run.stderr
    assert "line 2: inbx: unknown key: did you mean 'inbox'?" in run.stderr


def test_a_file_that_is_not_toml_names_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('inbox = "in\n')
    done = gateway(tmp_path, "status")
    assert done.returncode == EX_CONFIG
    assert "gateway.toml: not valid TOML:" in done.stderr and "(at line 1, column 12)" in (
        done.stderr
    )


def test_a_misspelt_variable_and_a_missing_config_file_are_errors(tmp_path: Path) -> None:
    done = gateway(tmp_path, "check-config", EDIGW_MIN_AEG="2")
    assert done.returncode == EX_CONFIG
    assert "EDIGW_MIN_AEG: no such setting: did you mean 'EDIGW_MIN_AGE'?" in done.stderr
    missing = tmp_path / "etc" / "gateway.toml"
    done = gateway(tmp_path, "run", "--once", EDIGW_CONFIG=str(missing))
    assert done.returncode == EX_CONFIG
    assert f"EDIGW_CONFIG={missing}: no such file" in done.stderr
    bad_value = gateway(tmp_path, "check-config", EDIGW_MIN_AGE="soon")
    assert "EDIGW_MIN_AGE: Input should be a valid number" in bad_value.stderr


def test_every_bad_profile_is_named_with_its_lines_not_only_the_first(tmp_path: Path) -> None:
    profile(tmp_path, "acme", 'format = "csv"\n\n[csv]\nmaping = "example-asn"\nreply = "x"\n')
    profile(tmp_path, "globex", 'format = "x12"\n[sftp]\nhost = "127.0.0.1"\n')
    profile(tmp_path, "initech", 'format = "x12"\n')
    done = gateway(tmp_path, "check-config")
    assert done.returncode == EX_CONFIG
    errors = done.stderr.replace(str(tmp_path) + "/", "")
    assert "acme.toml, line 3: csv.mapping: Field required" in errors
    assert "acme.toml, line 4: csv.maping: unknown key 'maping': did you mean 'mapping'?" in errors
    assert "acme.toml, line 5: csv.reply: Input should be 'none' or 'rejected-rows'" in errors
    assert "globex.toml, line 2: sftp.user: Field required" in errors
    assert "initech.toml (x12)" in done.stdout


def test_a_command_run_outside_the_home_finds_no_ledger_and_makes_none(tmp_path: Path) -> None:
    for command in (["status"], ["show", "0"], ["acks"]):
        done = gateway(tmp_path, *command)
        assert done.returncode == EX_CONFIG, (command, done.stderr)
        assert f"no ledger at {tmp_path / 'var' / 'ledger.sqlite3'}: {tmp_path} is not the " in (
            done.stderr
        )
        assert "set EDIGW_CONFIG" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists()


def test_a_ledger_that_cannot_be_reached_is_said_plainly_without_its_password(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg://gateway:s3cret@127.0.0.1:1/ledger"  # nothing listens on port 1
    (tmp_path / "gateway.toml").write_text(f'database_url = "{url}"\n')
    done = gateway(tmp_path, "status")
    assert done.returncode == 75
    assert done.stderr.startswith("edi-gateway: the ledger cannot be reached: connection failed")
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr


def test_a_broken_reading_mapping_is_its_profiles_error_and_disables_only_that_partner(
    tmp_path: Path,
) -> None:
    own = tmp_path / "mappings" / "csv"
    own.mkdir(parents=True)
    broken = (ROOT / "mappings" / "csv" / "example-orders.toml").read_text()
    (own / "broken-orders.toml").write_text(broken.replace("[layout]", "[layout]\nquoting = 7", 1))
    profile(tmp_path, "acme", 'format = "csv"\n\n[csv]\nmapping = "broken-orders"\n')
    profile(tmp_path, "globex", 'format = "xml"\n[xml]\nmappings = ["cxml-order-requst"]\n')
    profile(tmp_path, "initech", 'format = "csv"\n[csv]\nmapping = "example-orders"\n')
    done = gateway(tmp_path, "check-config")
    assert done.returncode == EX_CONFIG
    errors = done.stderr.replace(str(tmp_path) + "/", "")
    assert "acme.toml, line 4: csv.mapping: Value error, " in errors
    assert "mappings/csv/broken-orders.toml: layout.quoting" in errors
    assert "globex.toml, line 3: xml.mappings: Value error, " in errors
    assert "cxml-order-requst.toml: cannot read: No such file or directory" in errors
    assert "initech.toml (csv)" in done.stdout and "Traceback" not in done.stderr

    from adapters import REGISTRY
    from gateway.partners import load_partners_apart

    good, bad = load_partners_apart(tmp_path / "mappings" / "partners", REGISTRY)
    assert list(good) == ["initech"] and sorted(bad) == ["acme", "globex"]

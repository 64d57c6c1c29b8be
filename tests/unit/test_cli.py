"""The command line, run as a user runs it: ``python -m gateway`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.schemas import PUBLISHED

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "x12"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_translate_prints_one_json_message_per_transaction_set() -> None:
    result = run("translate", FIXTURES / "856-004010.edi")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    message = json.loads(line)
    assert message["message_type"] == "ShipNotice"
    assert message["shipment_id"] == "ASN-2026-555"
    assert message["envelope"]["sender"] == {"id": "WIDGETCO", "qualifier": "ZZ"}
    assert message["envelope"]["x12"]["sender_id"] == "WIDGETCO"
    assert message["envelope"]["format"] == "x12"
    assert len(message["document_id"]) == 36


def test_validate_a_valid_file_shows_the_997_it_would_send() -> None:
    result = run("validate", FIXTURES / "850-004010.edi")
    assert result.returncode == 0
    assert "valid: 1 interchange(s), 1 transaction set(s), 1 accepted" in result.stdout
    assert "AK9*A*1*1*1~" in result.stdout


def test_validate_an_invalid_file_exits_1_with_findings_and_a_rejecting_997() -> None:
    result = run("validate", FIXTURES / "850-004010-broken.edi")
    assert result.returncode == 1
    assert "element SE01: SE01 does not match the number of segments" in result.stdout
    assert "element BEG01" in result.stdout
    assert "AK5*R*" in result.stdout and "AK9*R*1*1*0~" in result.stdout


def test_validate_json_is_machine_readable() -> None:
    result = run("validate", "--json", FIXTURES / "850-004010-broken.edi")
    report = json.loads(result.stdout)
    assert report["valid"] is False
    codes = {f["code"] for f in report["findings"]}
    assert {"envelope.se_count", "syntax.invalid_code"} <= codes
    [ack] = report["acknowledgements"]
    assert ack["functional"][0]["status"] == "R"


def test_a_file_that_is_not_x12_is_unreadable_with_a_clear_message(tmp_path: Path) -> None:
    csv = tmp_path / "order.csv"
    csv.write_text("po,sku,qty\n1001,ABC,3\n")
    for command in ("validate", "translate"):
        result = run(command, csv)
        assert result.returncode == 3
        assert "not an X12 file: it starts with 'po,sku,qty" in result.stderr


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nope.edi")
    assert (result.returncode, "no such file" in result.stderr) == (3, True)


def test_a_wrong_command_line_exits_2() -> None:
    assert run("validate").returncode == 2


def test_replay_without_a_selector_is_a_usage_error_not_a_crash() -> None:
    result = run("replay")
    assert result.returncode == 2
    assert "replay needs a document id, --partner or --since" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.edi")))
def test_every_fixture_translates(name: str) -> None:
    result = run("translate", FIXTURES / name)
    expected = 1 if "broken" in name else 0
    assert result.returncode == expected, result.stderr
    if not expected:
        assert result.stdout.count("\n") == 1


def test_schema_writes_one_file_per_message(tmp_path: Path) -> None:
    result = run("schema", "--out", tmp_path)
    assert result.returncode == 0
    assert len(list(tmp_path.glob("*.schema.json"))) == len(PUBLISHED)


def test_fixtures_are_what_their_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(FIXTURES / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_translate_turns_a_ta1_into_an_interchange_ack(tmp_path: Path) -> None:
    from tests.unit.x12.samples import isa

    ta1 = tmp_path / "ta1.edi"
    ta1.write_text(
        "~\n".join([isa(), "TA1*000000123*261120*1000*R*022", "IEA*0*000000001"]) + "~\n"
    )
    result = run("translate", ta1)
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert message["message_type"] == "InterchangeAck"
    assert (message["interchange_control_number"], message["status"]) == ("000000123", "R")
    assert message["note_code"] == "022"


def test_translate_reads_any_format_as_a_partner_s_files_are_read(tmp_path: Path) -> None:
    corpus = ROOT.parent / "shared" / "corpus" / "other"
    (tmp_path / "buyer.toml").write_text(
        'format = "xml"\n[xml]\nmappings = ["cxml-order-request"]\n'
    )
    (tmp_path / "shop.toml").write_text('format = "csv"\n[csv]\nmapping = "example-orders"\n')
    order = corpus / "officeluv__cxml__spec__fixtures__order_request.xml"
    result = run("translate", order, "--partner", "buyer", "--profiles", tmp_path)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line)["po_number"] == "3309"
    broken = tmp_path / "broken.csv"
    broken.write_text(
        '"O","SHOP","US","1","PO-9","yesterday"' + ',""' * 23 + ',"1","E","","","1"\n'
    )
    result = run("translate", broken, "--partner", "shop", "--profiles", tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "po_date (6): expected a date (%Y%m%d), found 'yesterday'" in result.stderr
    result = run("translate", broken, "--partner", "nobody", "--profiles", tmp_path)
    assert result.returncode == 1 and "no profile" in result.stderr


def test_translate_and_validate_read_any_format_with_one_mapping() -> None:
    order = ROOT / "fixtures" / "xml" / "cxml-order-request.xml"
    result = run("translate", order, "--mapping", "xml/cxml-order-request")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["po_number"] == "PO-2026-0042"
    result = run("validate", order, "--mapping", "xml/cxml-order-request", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "xml" and report["problems"] == []
    [document] = report["documents"]
    assert (document["kind"], document["accepted"]) == ("850", True)
    bad = ROOT / "fixtures" / "csv" / "example-orders-bad.csv"
    result = run("validate", bad, "--mapping", "csv/example-orders")
    assert result.returncode == 1
    assert "rows 2-2 (ORD-602): quantity (30): expected a number, found 'three'" in result.stderr
    result = run("validate", bad, "--mapping", "cvs/example-orders")
    assert result.returncode == 1 and "did you mean 'csv'?" in result.stderr
    result = run("translate", order, "--mapping", "xml/no-such-mapping")
    assert result.returncode == 1 and "no-such-mapping.toml: cannot read" in result.stderr


def test_translate_and_validate_read_fixed_width_files_naming_line_field_and_columns(
    tmp_path: Path,
) -> None:
    orders = ROOT / "fixtures" / "fixed" / "bots-orders.fix"
    result = run("translate", orders, "--mapping", "fixed/bots-orders")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["po_number"] for line in result.stdout.splitlines()] == [
        "ORD-501",
        "ORD-502",
    ]
    (tmp_path / "mill.toml").write_text('format = "fixed"\n[fixed]\nmapping = "bots-orders"\n')
    bad = ROOT / "fixtures" / "fixed" / "bots-orders-bad.fix"
    result = run("validate", bad, "--partner", "mill", "--profiles", tmp_path)
    assert result.returncode == 1
    assert (
        "lines 3-4: quantity (LIN.BESTELDAANTAL at line 4, columns 76-91): "
        "expected a number, found '0000000three.000'"
    ) in result.stderr


def test_mapping_test_runs_the_shipped_cases_and_shows_what_differs(tmp_path: Path) -> None:
    result = run("mapping", "test")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    cases = ROOT / "mappings" / "cases"
    changed = json.loads((cases / "example-orders.json").read_text())
    changed[0]["po_number"] = "ORD-999"
    (tmp_path / "orders.json").write_text(json.dumps(changed))
    fixture = ROOT / "fixtures" / "csv" / "example-orders.csv"
    (tmp_path / "orders.toml").write_text(
        f'mapping = "csv/example-orders"\ninput = "{fixture}"\nexpect = "orders.json"\n'
    )
    (tmp_path / "both.toml").write_text(
        f'mapping = "csv/example-orders"\ninput = "{fixture}"\nexpect = "x"\nfinding = "y"\n'
    )
    result = run("mapping", "test", tmp_path)
    assert result.returncode == 1
    assert "FAIL both: " in result.stdout and "either expect" in result.stdout
    assert '-    "po_number": "ORD-999",' in result.stdout
    assert '+    "po_number": "ORD-501",' in result.stdout
    result = run("mapping", "test", tmp_path / "orders.toml", "--update")
    assert result.returncode == 0
    assert run("mapping", "test", tmp_path / "orders.toml").returncode == 0


def test_mapping_test_checks_what_a_mapping_writes(tmp_path: Path) -> None:
    cases = ROOT / "mappings" / "cases"
    written = (cases / "render" / "asn.csv").read_bytes()
    assert written.count(b"\r\n") == written.count(b"\n") > 1  # as written: CRLF
    (tmp_path / "asn.csv").write_bytes(written.replace(b"SHP-1001", b"SHP-1002", 1))
    case = (cases / "render-example-asn.toml").read_text()
    case = case.replace('render = "render/', f'render = "{cases}/render/')
    (tmp_path / "asn.toml").write_text(case.replace('rendered = "render/', 'rendered = "'))
    (tmp_path / "both.toml").write_text('input = "x.csv"\nexpect = "x.json"\n' + case)
    result = run("mapping", "test", tmp_path)
    assert result.returncode == 1
    assert "FAIL both: " in result.stdout and "give an input (reading) or render" in result.stdout
    assert "-draft,GATEWAY,3PL-EAST,SHP-1002," in result.stdout
    assert "+draft,GATEWAY,3PL-EAST,SHP-1001," in result.stdout


def test_every_verb_s_help_explains_each_of_its_arguments() -> None:
    import argparse

    from gateway.cli_arguments import command_line

    def verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        return {
            name: command
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, command in action.choices.items()
        }

    for name, command in verbs(command_line()).items():
        for each in [command, *verbs(command).values()]:
            for action in each._actions:
                if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                    assert action.help, f"{name}: {action.dest} has no help"

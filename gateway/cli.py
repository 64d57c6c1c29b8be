"""The ``edi-gateway`` command line.

Exit codes (every command): 0 the input is valid / the command succeeded, 1 the input was read
but is invalid (errors were found), 2 the command line itself is wrong, 3 the input is unreadable
(not X12, missing, or not a file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .errors import UnreadableInput
from .schemas import message_schemas, write_schemas

if TYPE_CHECKING:
    from adapters.formats.x12.findings import Finding
    from adapters.formats.x12.report import Document

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edi-gateway",
        description="Bridges X12 EDI, flat files and XML to RabbitMQ.",
        epilog="Exit codes: 0 valid, 1 invalid, 2 usage error, 3 unreadable input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    translate = commands.add_parser(
        "translate", help="print the canonical messages of an X12 file as JSON, one per line"
    )
    translate.add_argument("file", type=Path)
    translate.add_argument("--pretty", action="store_true", help="indent the JSON")

    validate = commands.add_parser(
        "validate", help="print the findings for an X12 file and the acknowledgements it gets"
    )
    validate.add_argument("file", type=Path)
    validate.add_argument("--json", action="store_true", help="machine-readable output")

    schema = commands.add_parser("schema", help="export the canonical messages' JSON Schemas")
    schema.add_argument(
        "--out", type=Path, help="directory to write one file per message (default: print)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "translate":
            return translate_command(args.file, pretty=args.pretty, out=sys.stdout)
        if args.command == "validate":
            return validate_command(args.file, as_json=args.json, out=sys.stdout)
        if args.command == "schema":
            return schema_command(args.out, out=sys.stdout)
    except UnreadableInput as error:
        print(f"edi-gateway: {args.file}: unreadable: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


def _check_file(path: Path) -> None:
    if not path.exists():
        raise UnreadableInput("no such file")
    if not path.is_file():
        raise UnreadableInput("not a regular file")


def translate_command(path: Path, *, pretty: bool, out: TextIO) -> int:
    """Print one canonical JSON message per transaction set, as each is read."""
    from adapters.formats.x12.report import scan
    from adapters.formats.x12.translation import translate_or_report

    _check_file(path)

    def emit(document: Document) -> list[Finding]:
        message, findings = translate_or_report(document)
        if message is not None:
            payload = message.model_dump(mode="json")
            out.write(json.dumps(payload, indent=2 if pretty else None, ensure_ascii=False) + "\n")
        return findings

    report = scan(path, on_document=emit)
    for line in report.error_lines():
        print(f"edi-gateway: {line}", file=sys.stderr)
    return EXIT_INVALID if report.has_errors else EXIT_VALID


def validate_command(path: Path, *, as_json: bool, out: TextIO) -> int:
    """Print the findings and the acknowledgements the file would get."""
    from adapters.formats.x12.report import scan

    _check_file(path)
    report = scan(path)
    if as_json:
        out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(report.to_text())
    return EXIT_INVALID if report.has_errors else EXIT_VALID


def schema_command(directory: Path | None, *, out: TextIO) -> int:
    if directory is None:
        out.write(json.dumps(message_schemas(), indent=2, sort_keys=True) + "\n")
    else:
        for path in write_schemas(directory):
            out.write(f"{path}\n")
    return EXIT_VALID

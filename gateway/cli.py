"""The ``edi-gateway`` command line.

Exit codes (every command): 0 the input is valid / the command succeeded, 1 the input was read
but is invalid (errors were found), 2 the command line itself is wrong, 3 the input is unreadable
(not X12, missing, or not a file), 4 another edi-gateway runs on this home (``run``), 78 the
configuration is bad (EX_CONFIG: the message names file, line and key), 75 ``run --once`` or
``replay`` or ``retry`` left work undone (EX_TEMPFAIL: messages the broker did not take, files a
failure left), 1 ``replay`` or ``retry`` of an id with nothing to publish again.

This module is the composition root: the one core module that imports ``adapters`` (their
registry, ``adapters.REGISTRY``, which it hands to the daemon and the commands).

(Over 400 lines: a function per command, each short; the commands' work is in the modules
they call, the arguments in :mod:`gateway.cli_arguments`. It stays one module because it is the
one composition root.)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.exc import OperationalError

from .config_check import check_config, existing_ledger
from .errors import ConfigError, UnreadableInput
from .exit_codes import (
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_INVALID,
    EXIT_TEMPFAIL,
    EXIT_UNREADABLE,
    EXIT_VALID,
)
from .operations.commands import COMMANDS as OPERATOR_COMMANDS
from .schemas import message_schemas, write_schemas

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from adapters.formats.x12.findings import Finding
    from adapters.formats.x12.report import Document

    from .config import Settings


def main(argv: Sequence[str] | None = None) -> int:
    from .cli_arguments import command_line

    parser = command_line()
    args = parser.parse_args(argv)
    if args.command == "replay" and not (args.id or args.partner or args.since):
        parser.error("replay needs a document id, --partner or --since")
    if args.command == "retry" and not (args.request_id or args.partner):
        parser.error("retry needs a request id or --partner")
    try:
        if args.command in ("translate", "validate") and (args.partner or args.mapping):
            return declared_command(args, out=sys.stdout)
        if args.command == "translate":
            return translate_command(args.file, pretty=args.pretty, out=sys.stdout)
        if args.command == "validate":
            return validate_command(args.file, as_json=args.json, out=sys.stdout)
        if args.command == "mapping":
            return mapping_test_command(args.cases, update=args.update, out=sys.stdout)
        if args.command == "schema":
            return schema_command(args.out, out=sys.stdout)
        if args.command == "asyncapi":
            from .bus.asyncapi import asyncapi_document

            sys.stdout.write(json.dumps(asyncapi_document(), indent=2) + "\n")
            return EXIT_VALID
        if args.command in ("run", "status", "show", "replay", "retry", "acks", "resend", "order"):
            return operate(args, out=sys.stdout)
        if args.command == "prune":
            return prune_command(dry_run=args.dry_run, out=sys.stdout)
        if args.command == "partner":
            return partner_check_command(args.partner, args.profiles, out=sys.stdout)
        if args.command == "dry-run":
            from adapters import REGISTRY

            from .config import load_settings
            from .dry_run import dry_run

            _check_file(args.file)
            return dry_run(REGISTRY, load_settings(), args.file, args.partner, sys.stdout)
        if args.command in OPERATOR_COMMANDS:
            from .operations.commands import operator_command

            return operator_command(args, out=sys.stdout)
        if args.command == "console":
            return console_command(args.console_command, out=sys.stdout)
        if args.command == "check-config":
            from adapters import REGISTRY

            return check_config(REGISTRY, sys.stdout, sys.stderr)
    except UnreadableInput as error:
        print(f"edi-gateway: {args.file}: unreadable: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except ConfigError as error:
        print(f"edi-gateway: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except OperationalError as error:  # the ledger's server is down or refuses us
        reason = str(error.orig or error).strip().splitlines()[0]
        print(f"edi-gateway: the ledger cannot be reached: {reason}", file=sys.stderr)
        return EXIT_TEMPFAIL
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


def declared_command(args: argparse.Namespace, *, out: TextIO) -> int:
    """``translate`` or ``validate`` ``FILE --partner P`` (read as the daemon reads the
    partner's files: its format and mappings) or ``--mapping M`` (read with that one mapping).
    translate: one canonical JSON message per accepted document; validate: each document's
    kind, id and verdict. The problems go to stderr (``--json``: into the report)."""
    from adapters import REGISTRY
    from adapters.formats.mapping_cases import messages_of, problems_of, read_with_mapping

    from .config import load_settings
    from .errors import ConfigError
    from .partner_formats import PartnerFormats
    from .partners import PARTNERS_DIR, load_partners

    path: Path = args.file
    _check_file(path)
    try:
        if args.mapping:
            result = read_with_mapping(REGISTRY, args.mapping, path.read_bytes(), path.name)
        else:
            folder = args.profiles or load_settings().path(PARTNERS_DIR)
            known = load_partners(folder, REGISTRY)
            if args.partner not in known:
                raise ConfigError(f"no profile {folder / f'{args.partner}.toml'}")
            result = PartnerFormats.of(REGISTRY, known).parse(
                path.read_bytes(), file_name=path.name, partner=args.partner
            )
    except ConfigError as error:
        print(f"edi-gateway: {error}", file=sys.stderr)
        return EXIT_INVALID
    problems = problems_of(result)
    if args.command == "translate":
        indent = 2 if args.pretty else None
        for payload in messages_of(result):
            out.write(json.dumps(payload, indent=indent, ensure_ascii=False) + "\n")
    documents = [
        {"kind": d.kind, "document_id": d.document_id, "accepted": d.accepted}
        for d in result.documents
    ]
    if args.command == "validate" and args.json:
        report = {"format": result.format, "documents": documents, "problems": problems}
        out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        if args.command == "validate":
            for d in documents:
                verdict = "accepted" if d["accepted"] else "refused"
                out.write(f"{d['kind']:6} {d['document_id']}  {verdict}\n")
        for line in problems:
            print(f"edi-gateway: {line}", file=sys.stderr)
    if result.unreadable is not None:
        return EXIT_UNREADABLE
    return EXIT_INVALID if result.has_errors else EXIT_VALID


def mapping_test_command(paths: list[Path], *, update: bool, out: TextIO) -> int:
    """``mapping test [CASES...]``: one line per case (and what differs); 0 all passed."""
    from adapters import REGISTRY
    from adapters.formats.mapping_cases import CASES_DIR, run_cases

    outcomes = run_cases(REGISTRY, paths or [CASES_DIR], update=update)
    for outcome in outcomes:
        out.write(f"{'ok  ' if outcome.passed else 'FAIL'} {outcome.name}: {outcome.detail}\n")
    failed = sum(not outcome.passed for outcome in outcomes)
    out.write(f"{len(outcomes) - failed} passed, {failed} failed\n")
    return EXIT_INVALID if failed or not outcomes else EXIT_VALID


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


def operate(args: argparse.Namespace, *, out: TextIO) -> int:
    """The commands that work on the ledger (and the daemon itself)."""
    from .config import load_settings
    from .runtime.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "run":
        from adapters import REGISTRY

        from .errors import HomeBusy
        from .runtime.daemon import run

        try:
            run(settings, REGISTRY, once=args.once, drain=args.drain)
        except HomeBusy as error:
            print(f"edi-gateway: {error}", file=sys.stderr)
            return EXIT_BUSY
        return _work_left(settings) if args.once else EXIT_VALID
    from . import ledger as repository
    from .ledger import migrate, session_factory

    engine = existing_ledger(settings)
    migrate(engine)  # a ledger of an older version is brought up to date
    factory = session_factory(engine)
    if args.command == "resend":
        return resend_command(settings, factory, args.id, args.new_control_numbers, out=out)
    if args.command == "replay" and args.id and not args.dry_run:
        from .operations import cli_actor, republish

        return republish.replay(factory, settings, args.id, by=cli_actor(), out=out)
    if args.command == "replay":
        from .publish_again import replay_command

        return replay_command(
            settings,
            factory,
            document_id=args.id,
            partner=args.partner,
            since=args.since,
            dry_run=args.dry_run,
            out=out,
        )
    if args.command == "retry":
        from .publish_again import retry_command

        return retry_command(
            settings,
            factory,
            request_id=args.request_id,
            partner=args.partner,
            dry_run=args.dry_run,
            out=out,
        )
    with factory.begin() as s:
        if args.command == "status":
            report = repository.status(s, dt.datetime.now(dt.UTC))
            if args.json:
                out.write(json.dumps(dataclasses.asdict(report), indent=2, default=str) + "\n")
            else:
                from .status_table import print_status

                print_status(report, out)
            return EXIT_VALID
        if args.command == "acks":
            from .acks_table import print_acks

            print_acks(
                s,
                overdue=args.overdue,
                partner=args.partner,
                limit=args.limit,
                as_json=args.json,
                out=out,
            )
            return EXIT_VALID
        if args.command == "order":
            from .fulfilment.view import orders_named, print_order

            views = orders_named(s, args.number, args.partner)
            if not views:
                print(f"edi-gateway: no order {args.number} recorded", file=sys.stderr)
                return EXIT_INVALID
            for view in views:
                print_order(view, out)
            return EXIT_VALID
        if args.command == "show":
            found = repository.find(s, args.id)
            if found is None:
                print(f"edi-gateway: nothing recorded for {args.id}", file=sys.stderr)
                return EXIT_INVALID
            for name in found.timelines:
                if found.what not in ("document", "file"):  # say what the id named
                    kind = "file" if isinstance(name, int) else "document"
                    out.write(f"# {found.what} {args.id}: {kind} {name}\n")
                for event in repository.timeline(s, name):
                    out.write(f"{event.at.isoformat()}  {event.kind:22} {event.message}\n")
                    out.writelines(f"    {line}\n" for line in _reasons(event.detail))
            return EXIT_VALID
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


def _reasons(detail: dict[str, object] | None) -> list[str]:
    """Why, as an event's detail says it (a document's errors, a quarantined file's report)."""
    detail = detail or {}
    errors = detail.get("errors")
    lines = [str(error) for error in errors] if isinstance(errors, list) else []
    report = detail.get("report")
    if isinstance(report, dict) and report.get("why"):
        lines.append(f"why: {report['why']}")
    return lines


def _work_left(settings: Settings) -> int:
    """After ``run --once``: :data:`EXIT_TEMPFAIL`, saying what, when messages wait to be
    published (the broker did not take them) or files to be finished (a failure left them)."""
    from . import ledger as repository
    from .ledger import FileState, create_engine_for, session_factory

    engine = create_engine_for(settings.resolved_database_url)
    try:
        with session_factory(engine).begin() as s:
            pending = repository.outbox_pending(s)
            unfinished = len(repository.files_in_state(s, [FileState.RECEIVED]))
    finally:
        engine.dispose()
    if not (pending or unfinished):
        return EXIT_VALID
    print(
        f"edi-gateway: work left: {pending} message(s) to publish, {unfinished} file(s) to "
        "finish; the next run takes them up",
        file=sys.stderr,
    )
    return EXIT_TEMPFAIL


def console_command(command: str | None, *, out: TextIO) -> int:
    """``console``: run the web console; ``console hash-password``: a password's hash."""
    from .console.auth import hash_password

    if command == "hash-password":
        if sys.stdin.isatty():
            import getpass

            password = getpass.getpass("password: ")
            if getpass.getpass("again: ") != password:
                print("edi-gateway: the two passwords differ", file=sys.stderr)
                return EXIT_INVALID
        else:
            password = sys.stdin.readline().rstrip("\n")
        if not password:
            print("edi-gateway: an empty password", file=sys.stderr)
            return EXIT_INVALID
        out.write(hash_password(password) + "\n")
        return EXIT_VALID
    from adapters import REGISTRY

    from .config import load_settings
    from .console.app import serve
    from .runtime.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    serve(settings, REGISTRY)
    return EXIT_VALID


def prune_command(*, dry_run: bool, out: TextIO) -> int:
    """``prune [--dry-run]``: what :func:`gateway.retention.prune` removed, or would remove."""
    from .config import load_settings
    from .ledger import migrate, session_factory
    from .retention import prune

    settings = load_settings()
    if settings.retention_days is None:
        out.write("retention_days is not set (gateway.toml): nothing is pruned\n")
        return EXIT_VALID
    engine = existing_ledger(settings)
    try:
        migrate(engine)
        pruned = prune(settings, session_factory(engine), dry_run=dry_run)
    finally:
        engine.dispose()
    out.writelines(f"{line}\n" for line in pruned.lines(settings.retention_days))
    return EXIT_VALID


def schema_command(directory: Path | None, *, out: TextIO) -> int:
    if directory is None:
        out.write(json.dumps(message_schemas(), indent=2, sort_keys=True) + "\n")
    else:
        for path in write_schemas(directory):
            out.write(f"{path}\n")
    return EXIT_VALID


def partner_check_command(partner: str, profiles: Path | None, *, out: TextIO) -> int:
    """``partner check P``: each step of reaching the partner, said plainly; 0 ok, 1 failed."""
    from adapters import REGISTRY

    from .config import load_settings
    from .errors import PartnerConfigError
    from .partners import PARTNERS_DIR, load_partner, partner_file

    folder = profiles if profiles is not None else load_settings().path(PARTNERS_DIR)
    try:
        profile = load_partner(partner_file(folder, partner), REGISTRY)
    except PartnerConfigError as error:
        print(f"edi-gateway: {error}", file=sys.stderr)
        return EXIT_INVALID
    if not profile.channels:
        print(f"edi-gateway: partner {partner}: no channel in its profile", file=sys.stderr)
        return EXIT_INVALID
    ok = all(
        REGISTRY.channel(kind).check(partner, config, out)
        for kind, config in profile.channels.items()
    )
    out.write("all checks passed\n" if ok else "check failed\n")
    return EXIT_VALID if ok else EXIT_INVALID


def resend_command(
    settings: Settings, factory: sessionmaker[Session], key: str, new_numbers: bool, *, out: TextIO
) -> int:
    """``resend DOC_ID [--new-control-numbers]``: says what was done; 1 when it cannot be."""
    from adapters import REGISTRY

    from .operations import ActionRefused, cli_actor, republish

    try:
        done = republish.resend(
            factory, settings, REGISTRY, key, new_control_numbers=new_numbers, by=cli_actor()
        )
    except ActionRefused as error:
        print(f"edi-gateway: {error}", file=sys.stderr)
        return EXIT_INVALID
    out.write(done + "\n")
    return EXIT_VALID

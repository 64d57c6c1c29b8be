"""The operators' commands of ``edi-gateway`` (:mod:`gateway.cli` dispatches to
:func:`operator_command`): ``exceptions``, ``reprocess``, ``dismiss``, ``pause``, ``resume``.
Each says what it did in a sentence; exit codes: 0 done, 1 refused (the reason on stderr: no
such file, not quarantined, already paused...), 2 wrong command line, 78 bad configuration,
75 the ledger cannot be reached. Who ran it is recorded as ``cli:<OS user>``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from ..exit_codes import EXIT_INVALID, EXIT_VALID
from . import ActionRefused, cli_actor

COMMANDS = ("exceptions", "reprocess", "dismiss", "pause", "resume")


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The operators' commands and their arguments (:mod:`gateway.cli_arguments`)."""
    listed = commands.add_parser(
        "exceptions",
        help="quarantined files, refused requests and withheld documents not dismissed yet, by "
        "partner and cause",
    )
    listed.add_argument("--partner", help="only this partner")
    listed.add_argument("--json", action="store_true", help="machine-readable output")
    reprocess = commands.add_parser(
        "reprocess",
        help="after a fix: put a quarantined file back in its partner's inbox (a copy, read "
        "again by the daemon), send a refused request again, or publish a withheld document "
        "once the reference data knows what it names",
    )
    reprocess.add_argument(
        "id",
        help="a quarantined file's number, a refused request's id or a withheld document's id "
        "(see exceptions)",
    )
    reprocess.add_argument(
        "--wait",
        type=float,
        default=10.0,
        help="seconds to wait for the daemon to take the copy (default 10)",
    )
    dismiss = commands.add_parser(
        "dismiss",
        help="close a quarantined file, a refused request or a withheld document, with a reason",
    )
    dismiss.add_argument(
        "id", help="a quarantined file's number, a refused request's id or a withheld document's id"
    )
    dismiss.add_argument("--reason", required=True, help="why it needs nothing more")
    pause = commands.add_parser(
        "pause",
        help="stop taking a partner's files and running its channels until resumed "
        "(the running daemon sees it within seconds; it holds across restarts)",
    )
    pause.add_argument("partner", help="the partner")
    pause.add_argument("--reason", default="", help="why, for whoever looks")
    resume = commands.add_parser("resume", help="take a paused partner's files again")
    resume.add_argument("partner", help="the partner")


def operator_command(args: argparse.Namespace, *, out: TextIO) -> int:
    """Run one of :data:`COMMANDS`."""
    from ..config import load_settings
    from ..config_check import existing_ledger
    from ..ledger import migrate, session_factory
    from ..runtime.logs import configure_logging
    from . import dismiss, pauses, reprocess
    from .exceptions import grouped, open_exceptions

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = existing_ledger(settings)
    migrate(engine)
    factory = session_factory(engine)
    by = cli_actor()
    try:
        if args.command == "exceptions":
            with factory() as s:
                found = open_exceptions(s, partner=args.partner)
            if args.json:
                out.write(json.dumps([e.as_json() for e in found], indent=2) + "\n")
                return EXIT_VALID
            for group in grouped(found):
                out.write(f"{group.partner}: {group.heading} ({len(group.items)})\n")
                for item in group.items:
                    out.write(f"  {item.kind} {item.target}  {item.name}  {item.why}\n")
            if not found:
                out.write("no exception waits\n")
            return EXIT_VALID
        if args.command == "reprocess":
            if not args.id.isdigit() and reprocess.is_withheld(factory, args.id):
                said = reprocess.release_document(factory, settings, args.id, by=by)
                out.write(said + "\n")
            elif not args.id.isdigit():
                return reprocess.retry_request(factory, settings, args.id, by=by, out=out)
            else:
                done = reprocess.reprocess_file(
                    factory, settings, int(args.id), by=by, wait=args.wait
                )
                out.write(done.sentence() + "\n")
        elif args.command == "dismiss":
            if args.id.isdigit():
                said = dismiss.dismiss_file(factory, int(args.id), args.reason, by=by)
            elif reprocess.is_withheld(factory, args.id):
                said = dismiss.dismiss_document(factory, args.id, args.reason, by=by)
            else:
                said = dismiss.dismiss_request(factory, args.id, args.reason, by=by)
            out.write(said + "\n")
        elif args.command == "pause":
            made = pauses.pause(factory, settings, args.partner, by=by, reason=args.reason)
            out.write(made.sentence() + "\n")
        elif args.command == "resume":
            pauses.resume(factory, settings, args.partner, by=by)
            out.write(f"partner {args.partner} resumed\n")
    except ActionRefused as refused:
        print(
            f"edi-gateway: {args.command} {getattr(args, 'id', '') or args.partner}: {refused}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    finally:
        engine.dispose()
    return EXIT_VALID

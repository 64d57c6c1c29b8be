"""The arguments of the ``edi-gateway`` command line (:mod:`gateway.cli` runs them)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from . import __version__


def command_line() -> argparse.ArgumentParser:
    """Every verb of ``edi-gateway``, its arguments each with its help."""
    parser = argparse.ArgumentParser(
        prog="edi-gateway",
        description="Bridges X12 EDI, flat files and XML to RabbitMQ.",
        epilog="Exit codes: 0 valid, 1 invalid, 2 usage error, 3 unreadable input, "
        "4 another edi-gateway runs on this home, 75 work left undone (run --once, replay), "
        "78 bad configuration.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    translate = commands.add_parser(
        "translate",
        help="print the canonical messages of a file as JSON, one per line (X12; any format "
        "with --partner)",
    )
    translate.add_argument(
        "file", type=Path, help="the file to read (X12, or any format with --partner/--mapping)"
    )
    translate.add_argument("--pretty", action="store_true", help="indent the JSON")
    validate = commands.add_parser(
        "validate",
        help="print the findings for a file (X12: and the acknowledgements it gets; any format "
        "with --partner or --mapping)",
    )
    validate.add_argument("file", type=Path, help="the file to check")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    for command in (translate, validate):
        chosen = command.add_mutually_exclusive_group()
        chosen.add_argument(
            "--partner", help="read it as this partner's files are read: its format and mappings"
        )
        chosen.add_argument(
            "--mapping", help="read it with this mapping: <format>/<name> (xml/cxml-order-request)"
        )
        command.add_argument(
            "--profiles", type=Path, help="folder of the profiles (default: mappings/partners/)"
        )

    mapping = commands.add_parser("mapping", help="declarative mappings (mappings/)")
    mapping_commands = mapping.add_subparsers(dest="mapping_command", required=True)
    cases = mapping_commands.add_parser(
        "test",
        help="run mapping cases: each input read through its mapping must give the expected "
        "canonical JSON, or the expected finding (default: mappings/cases/)",
    )
    cases.add_argument("cases", nargs="*", type=Path, help="case files or folders of them")
    cases.add_argument(
        "--update", action="store_true", help="write what each case gives as its expected JSON"
    )

    schema = commands.add_parser("schema", help="export the canonical messages' JSON Schemas")
    schema.add_argument(
        "--out", type=Path, help="directory to write one file per message (default: print)"
    )

    run = commands.add_parser("run", help="the daemon: watch inbox/, record, publish, acknowledge")
    run.add_argument(
        "--once", action="store_true", help="process what is ready, drain the outbox, exit"
    )
    run.add_argument(
        "--drain",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --once: wait at most this long for the broker to take the outbox (default "
        "30); what is left is said, with exit status 75",
    )
    status = commands.add_parser(
        "status", help="inbound and outbound by partner and state, the backlog, overdue acks"
    )
    status.add_argument("--json", action="store_true", help="the same as JSON, for scripts")
    acks = commands.add_parser(
        "acks", help="partners' 997/999/TA1 and what they settled; --overdue: still unanswered"
    )
    acks.add_argument(
        "--overdue", action="store_true", help="outbound documents whose ack is overdue"
    )
    acks.add_argument("--partner", help="only this partner")
    acks.add_argument("--limit", type=int, default=50, help="newest N acks (default 50)")
    acks.add_argument("--json", action="store_true", help="machine-readable output")
    resend = commands.add_parser(
        "resend", help="send an outbound document again (same control numbers by default)"
    )
    resend.add_argument("id", help="the outbound document's id (or its request id)")
    resend.add_argument(
        "--new-control-numbers",
        action="store_true",
        help="render the stored request again with fresh control numbers, as a new document",
    )
    order = commands.add_parser(
        "order",
        help="an order and what shipped it: a 940 and its 945s, an 850 and its 856s (ordered and "
        "shipped per item, short, over, substituted, and what each check found)",
    )
    order.add_argument("number", help="the depositor order number (W0502) or PO number (BEG03)")
    order.add_argument("--partner", help="only this partner's")
    show = commands.add_parser(
        "show",
        help="the timeline of a document or file, found by document id, file number, claim "
        "(correlation) id, outbound request id or business key (PurchaseOrder:PO-1, or PO-1)",
    )
    show.add_argument("id", help="a document id, file number, claim id, request id or business key")
    replay = commands.add_parser("replay", help="republish documents with their message ids")
    replay.add_argument("id", nargs="?", help="a document id")
    replay.add_argument("--partner", help="every published document of this partner")
    replay.add_argument("--since", type=_timestamp, help="ISO date or date-time (UTC)")
    replay.add_argument("--dry-run", action="store_true", help="list what would be republished")
    retry = commands.add_parser(
        "retry",
        help="send again outbound requests refused for a cause since fixed (an unknown partner, "
        "a profile missing a field): the daemon renders them, or refuses them for the reason "
        "of now",
    )
    retry.add_argument("request_id", nargs="?", help="the refused request's id")
    retry.add_argument("--partner", help="every refused request of this partner")
    retry.add_argument("--dry-run", action="store_true", help="list what would be sent again")
    commands.add_parser(
        "asyncapi", help="print the AsyncAPI document of what the gateway publishes"
    )
    partner = commands.add_parser("partner", help="partner profiles (mappings/partners/)")
    partner_commands = partner.add_subparsers(dest="partner_command", required=True)
    check = partner_commands.add_parser(
        "check",
        help="connect to the partner's SFTP server, verify its host key, list the inbound "
        "folder, write and delete a probe in the outbound folder (exit 0 ok, 1 failed)",
    )
    check.add_argument("partner", help="the partner (its profile: mappings/partners/P.toml)")
    check.add_argument(
        "--profiles", type=Path, help="folder of the profiles (default: mappings/partners/)"
    )
    dry = commands.add_parser(
        "dry-run",
        help="what the daemon would do with FILE from partner P (format, ids, duplicates, "
        "routing keys, the replies, or why it would be quarantined), changing nothing",
    )
    dry.add_argument("file", type=Path, help="the file the partner would drop")
    dry.add_argument("--partner", required=True, help="the partner it would come from")
    prune = commands.add_parser(
        "prune",
        help="forget what was settled more than retention_days ago: ledger rows, archived and "
        "quarantined files, sent copies; never unsettled work (exit 0 done, 78 bad config)",
    )
    prune.add_argument(
        "--dry-run", action="store_true", help="say what would be removed, remove nothing"
    )
    console = commands.add_parser(
        "console",
        help="the web console: find documents, see why, act on them ([console] in gateway.toml)",
    )
    console_commands = console.add_subparsers(dest="console_command")
    console_commands.add_parser(
        "hash-password",
        help="read a password (asked twice, or one line on standard input) and print its argon2 "
        "hash, for a user's password_hash in [console]",
    )
    from .operations.commands import add_arguments

    add_arguments(commands)  # exceptions, reprocess, dismiss, pause, resume
    commands.add_parser(
        "check-config",
        help="check gateway.toml, the EDIGW_* variables and every partner profile with its "
        "mappings, as the daemon reads them; each error names file, line and key (exit 0 ok, "
        "78 bad)",
    )
    return parser


def _timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

"""``edi-gateway status`` for a person: the ledger at a glance as tables (``rich``), inbound and
outbound by partner and state, the outbox backlog and its oldest message, acknowledgements to
write, overdue ones first named; ``--json`` gives the same for scripts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from rich.console import Console
from rich.table import Table

from .ledger import StatusReport


def print_status(report: StatusReport, out: TextIO) -> None:
    console = Console(file=out, width=120, highlight=False, soft_wrap=True)
    console.print(f"edi-gateway status at {report.at:%Y-%m-%d %H:%M:%S %Z}")
    sections = [
        ("Inbound files", report.files),
        ("Inbound documents", report.documents),
        ("Outbound documents", report.outbound),
        ("Messages to publish", report.outbox_backlog),
    ]
    for title, counts in sections:
        console.print(_table(title, counts))
    oldest = report.oldest_pending_age_seconds
    waiting = "none" if oldest is None else f"the oldest for {_duration(oldest)}"
    console.print(f"Messages waiting to be published: {report.outbox_pending:,} ({waiting})")
    console.print(f"Messages returned unroutable: {report.outbox_unroutable:,}")
    console.print(f"Acknowledgements to write: {report.acks_to_write:,}")
    overdue = sum(states.get("overdue", 0) for states in report.outbound.values())
    console.print(f"Outbound documents overdue for the partner's acknowledgement: {overdue:,}")


def _table(title: str, counts: Mapping[str, Mapping[str, int]]) -> Table | str:
    if not counts:
        return f"{title}: none"
    states = sorted({state for by_state in counts.values() for state in by_state})
    table = Table(title=title, title_justify="left")
    table.add_column("partner")
    for state in states:
        table.add_column(state, justify="right")
    table.add_column("total", justify="right")
    for partner, by_state in sorted(counts.items()):
        cells = [f"{by_state.get(state, 0):,}" for state in states]
        table.add_row(partner, *cells, f"{sum(by_state.values()):,}")
    return table


def _duration(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute} min" if hours else f"{minute} min {second} s"

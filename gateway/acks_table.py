"""``edi-gateway acks`` for a person (a table) or a script (``--json``): the partners' newest
acknowledgements and what came of each, or the outbound documents whose acknowledgement is
overdue."""

from __future__ import annotations

import datetime as dt
import json
from typing import TextIO

from sqlalchemy.orm import Session


def print_acks(
    s: Session, *, overdue: bool, partner: str | None, limit: int, as_json: bool, out: TextIO
) -> None:
    """``acks``: the partners' newest acknowledgements and what came of each (applied, noted,
    unmatched, already reconciled); ``--overdue``: the outbound documents still unanswered past
    their deadline. A table, or ``--json``."""
    from .ledger.reconciliation import overdue_report, recent_partner_acks

    now = dt.datetime.now(dt.UTC)
    lines: list[dict[str, object]]
    if overdue:
        lines = [
            {
                "due": row.ack_due_at,
                "overdue_by": _age(now - row.ack_due_at) if row.ack_due_at else "",
                "partner": row.partner,
                "kind": row.kind,
                "interchange": row.interchange_ref,
                "group": row.group_ref,
                "transaction": row.transaction_ref,
                "state": row.state.value,
                "request_id": row.request_id,
                "document_id": row.document_id,
            }
            for row in overdue_report(s, now, partner=partner)
        ]
        empty = "no acknowledgement is overdue"
    else:
        lines = [
            {
                "received": ack.created_at,
                "partner": ack.partner,
                "ack": ack.kind,
                "interchange": ack.acknowledged_interchange,
                "group": ack.acknowledged_group,
                "transaction": ack.acknowledged_transaction,
                "outcome": ack.outcome.value,
                "codes": ",".join((ack.detail or {}).get("codes", [])),
                "document": row.kind if row else None,
                "state": row.state.value if row else None,
                "request_id": row.request_id if row else None,
                "ack_document_id": ack.document_id,
            }
            for ack, row in recent_partner_acks(s, partner=partner, limit=limit)
        ]
        empty = "no acknowledgement received from partners"
    if as_json:
        out.write(json.dumps(lines, indent=2, default=_json_value) + "\n")
    elif not lines:
        out.write(empty + (f" (partner {partner})" if partner else "") + "\n")
    else:
        hidden = {"document_id", "ack_document_id"}
        columns = [key for key in lines[0] if key not in hidden]
        cells = [[_cell(line[key]) for key in columns] for line in lines]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
        for row in [[c.upper() for c in columns], *cells]:
            out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
            out.write("\n")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def _age(delta: dt.timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"

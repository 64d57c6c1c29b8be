"""The rejected-rows reply: a CSV partner whose profile asks for it (``[csv] reply =
"rejected-rows"``) gets, for each file with rows the gateway did not take, a CSV of those rows,
each after its row number and the reason (``row``, ``error``, then the row as it came; a header
row when the partner's layout has one). A file that could not be read at all is one row without
a number. Written in the partner's delimiter and quote, as ``<file stem>.rejected.csv`` in its
outbox; a file whose rows were all taken, or that was refused for its sender, gets none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from gateway.ports import Reply


@dataclass(frozen=True, slots=True)
class RejectedRows:
    """The rows of one file that were not taken, and why (drafted in the parse)."""

    file_name: str
    delimiter: str
    quote: str
    header: tuple[str, ...] | None
    """The partner's column names, when its layout has a header row."""
    rows: tuple[tuple[str, str, tuple[str, ...]], ...]
    """Row number ('' for the whole file), reason, values."""


def render_rejected(owed: RejectedRows) -> Reply:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=owed.delimiter, quotechar=owed.quote, lineterminator="\n")
    if owed.header is not None:
        writer.writerow(["row", "error", *owed.header])
    for number, reason, values in owed.rows:
        writer.writerow([number, reason, *values])
    stem = PurePath(owed.file_name).stem or "file"
    return Reply(f"{stem}.rejected.csv", out.getvalue())


def rows_of(
    group: Sequence[tuple[int, Sequence[str]]], reason: str
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each row of a rejected document's ``group``, with the document's ``reason``."""
    return [(str(number), reason, tuple(values)) for number, values in group]

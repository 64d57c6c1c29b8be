"""The keys of a huge document's runs of rows, and the first that came back (issue 22).

A list read ``each = "rows by <column>"`` makes one item of the rows that share the column's
value, wherever they are in the document. Read whole, a document's rows are grouped so; read
in parts (:mod:`.in_parts`), each run of rows sharing a value is an item as it comes, which is
the same only when no value comes back after its run ended. :class:`RunKeys` finds the first
that does, in flat memory: each run's key and first row go to a temporary file as they come
(a list of some thousands at a time), and only when the keys did not come in order (the
commonest: line numbers 1, 2, 3..., or sorted item numbers) are they looked over once the
document is read, a share of them at a time (by their hash), each share in a dict.
"""

from __future__ import annotations

import marshal
import tempfile
from collections.abc import Iterator
from typing import IO, Final

BATCH: Final = 8_192
"""Keys written to the file at a time."""
KEYS_AT_A_TIME: Final = 100_000
"""Keys looked over at a time, in one dict (some 15 MB)."""

Order = tuple[int, int | str]


def _order(key: str) -> Order:
    """Where ``key`` comes in the keys' natural order: numbers (of up to 18 digits) by their
    value, before texts (longer numbers too: any order in which each key comes after the one
    before tells that none came back)."""
    return (0, int(key)) if len(key) <= 18 and key.isascii() and key.isdigit() else (1, key)


class RunKeys:
    """The keys of one document's runs, in order (:meth:`add`), then the first that came back
    (:meth:`returned`); :meth:`close` drops its file."""

    def __init__(self) -> None:
        self.ordered = True
        """Each key came after the one before in their natural order: none came back."""
        self.count = 0
        self._last: Order | None = None
        self._batch: list[tuple[int, str]] = []
        self._file: IO[bytes] | None = None

    def add(self, key: str, row: int) -> None:
        """The run of ``key`` that begins at ``row``."""
        if self.ordered:
            order = _order(key)
            if self._last is not None and not order > self._last:
                self.ordered = False
            self._last = order
        self.count += 1
        batch = self._batch
        batch.append((row, key))
        if len(batch) >= BATCH:
            self._flush()

    def returned(self) -> tuple[str, int, int] | None:
        """The first key (in the file's order) whose run began after one of its own had ended,
        with that one's first row and its own; None when none did."""
        if self.ordered:
            return None
        self._flush()
        shares = -(-self.count // KEYS_AT_A_TIME)
        if shares <= 1:
            return _first_returned(self._runs(self._file))
        files = [tempfile.TemporaryFile() for _ in range(shares)]  # noqa: SIM115 - closed below
        try:
            batches: list[list[tuple[int, str]]] = [[] for _ in range(shares)]
            for row, key in self._runs(self._file):
                share = hash(key) % shares
                batch = batches[share]
                batch.append((row, key))
                if len(batch) >= BATCH:
                    marshal.dump(batch, files[share])
                    batch.clear()
            found = []
            for file, batch in zip(files, batches, strict=True):
                if batch:
                    marshal.dump(batch, file)
                first = _first_returned(self._runs(file))
                if first is not None:
                    found.append(first)
            return min(found, key=lambda returned: returned[2], default=None)
        finally:
            for file in files:
                file.close()

    def close(self) -> None:
        self._batch = []
        if self._file is not None:
            self._file.close()
            self._file = None

    def _flush(self) -> None:
        if not self._batch:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - close()
        marshal.dump(self._batch, self._file)
        self._batch = []

    @staticmethod
    def _runs(file: IO[bytes] | None) -> Iterator[tuple[int, str]]:
        """The runs written to ``file``, in order."""
        if file is None:
            return
        file.seek(0)
        while True:
            try:
                batch = marshal.load(file)
            except EOFError:
                return
            yield from batch


def _first_returned(runs: Iterator[tuple[int, str]]) -> tuple[str, int, int] | None:
    """The first of ``runs`` (in order) whose key had a run before it: the key, that run's
    first row and its own."""
    seen: dict[str, int] = {}
    for row, key in runs:
        earlier = seen.setdefault(key, row)
        if earlier != row:
            return key, earlier, row
    return None

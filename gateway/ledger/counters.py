"""Control-number sequences kept in the ledger: they survive restarts and are shared by every
process on the same database.

Two ways to draw numbers:

- :class:`LedgerCounter` takes each number in a short transaction of its own (a crash may skip a
  number, never repeat one);
- :func:`counter_in` draws numbers inside the caller's transaction, so they commit together with
  what carries them (the acknowledgements of a batch of files): no gap, no reuse, and two
  statements per sequence however many numbers are drawn; one statement for all of them when
  the caller knows beforehand what it will draw (:meth:`TransactionCounter.reserve`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, case, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from gateway.control_numbers import MAX_CONTROL_NUMBER

from ._statements import direct
from .models import CONTROL_NUMBERS

_NOW = bindparam("p_now", type_=CONTROL_NUMBERS.c.updated_at.type)
_INCREMENT = (
    update(CONTROL_NUMBERS)
    .where(CONTROL_NUMBERS.c.name == bindparam("p_name"))
    .values(
        value=case(
            (CONTROL_NUMBERS.c.value >= MAX_CONTROL_NUMBER, 1),
            else_=CONTROL_NUMBERS.c.value + 1,
        ),
        updated_at=_NOW,
    )
    .returning(CONTROL_NUMBERS.c.value)
)
_CREATE: dict[str, Insert] = {
    "postgresql": postgresql.insert(CONTROL_NUMBERS)
    .values(name=bindparam("p_name"), value=0, updated_at=_NOW)
    .on_conflict_do_nothing(index_elements=[CONTROL_NUMBERS.c.name]),
    "sqlite": sqlite.insert(CONTROL_NUMBERS)
    .values(name=bindparam("p_name"), value=0, updated_at=_NOW)
    .on_conflict_do_nothing(index_elements=[CONTROL_NUMBERS.c.name]),
}
"""Insert-if-missing, per dialect (the only two the ledger runs on)."""
_LOCK = (
    update(CONTROL_NUMBERS)
    .where(CONTROL_NUMBERS.c.name == bindparam("p_name"))
    .values(value=CONTROL_NUMBERS.c.value)
    .returning(CONTROL_NUMBERS.c.value)
)
"""Reads a sequence's last value and locks its row (PostgreSQL) or the database (SQLite) until
the transaction ends."""
_SAVE = (
    update(CONTROL_NUMBERS)
    .where(CONTROL_NUMBERS.c.name == bindparam("p_name"))
    .values(value=bindparam("p_value"), updated_at=_NOW)
)
_RESERVE = {
    "postgresql": text(
        "UPDATE control_numbers AS c"
        " SET value = (c.value + v.n - 1) % :p_max + 1, updated_at = :p_now"
        " FROM unnest(CAST(:p_names AS VARCHAR[]), CAST(:p_counts AS INTEGER[])) AS v(name, n)"
        " WHERE c.name = v.name RETURNING c.name, c.value"
    ),
    "sqlite": text(
        "UPDATE control_numbers SET value = (control_numbers.value + v.n - 1) % :p_max + 1,"
        " updated_at = :p_now FROM (SELECT key AS name, value AS n FROM json_each(:p_counts))"
        " AS v WHERE control_numbers.name = v.name"
        " RETURNING control_numbers.name, control_numbers.value"
    ),
}
"""Takes several numbers of sequences at once (wrapping after the maximum, as ``next`` does)
and locks their rows, in one statement for every sequence: the names and counts as arrays on
PostgreSQL, as a JSON object (name -> count) on SQLite (``UPDATE ... FROM``, SQLite 3.33, as
``RETURNING`` needs 3.35)."""
_PEEK = select(CONTROL_NUMBERS.c.value).where(CONTROL_NUMBERS.c.name == bindparam("p_name"))


class LedgerCounter:
    """A :class:`gateway.control_numbers.ControlNumberCounter` on the ``control_numbers`` table.

    Each number is taken in its own short transaction by one atomic
    ``UPDATE ... SET value = value + 1 ... RETURNING value``: two threads or processes never get
    the same number, and a number once returned is committed, so it is never handed out again
    after a crash (a crash may skip a number, never repeat one). Sequences start at 1 and wrap to
    1 after :data:`~gateway.control_numbers.MAX_CONTROL_NUMBER`.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

    def next(self, sequence: str) -> int:
        params = {"p_name": sequence, "p_now": dt.datetime.now(dt.UTC)}
        with self._factory.begin() as s:
            connection = s.connection()
            return _take(connection, _INCREMENT, params)

    def peek(self, sequence: str) -> int | None:
        """The last number handed out of ``sequence`` (``None`` before the first)."""
        with self._factory() as s:
            value = s.connection().execute(_PEEK, {"p_name": sequence}).scalar_one_or_none()
            return None if value is None else int(value)


def _take(connection: Connection, statement: Any, params: dict[str, Any]) -> int:
    """Run ``statement`` (an UPDATE ... RETURNING value) on a sequence, creating the sequence at
    0 first when it does not exist yet (unless another process just did)."""
    value = connection.execute(statement, params).scalar_one_or_none()
    if value is None:
        connection.execute(_CREATE[connection.dialect.name], params)
        value = connection.execute(statement, params).scalar_one()
    return int(value)


class TransactionCounter:
    """A :class:`~gateway.control_numbers.ControlNumberCounter` inside one ledger transaction
    (made by :func:`counter_in`).

    The first number drawn from a sequence locks its row and reads its last value; later ones are
    counted in memory; :meth:`save` writes the last values back. A rolled-back transaction
    hands out nothing: the same numbers are drawn again by whoever commits next.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._values: dict[str, int] = {}
        self._drawn: set[str] = set()
        self._reserved: dict[str, deque[int]] = {}

    def reserve(self, draws: Iterable[str]) -> None:
        """Take now the numbers that the calls to :meth:`next` about to come will hand out (one
        ``draws`` entry per number): every sequence's in one statement, instead of one lock per
        sequence and a save at the end. Those calls then get them in the same order."""
        counts = Counter(draws)
        if not counts:
            return
        connection = self._session.connection()
        now = dt.datetime.now(dt.UTC)
        taken = self._take_many(connection, counts, now)
        missing = counts.keys() - taken.keys()
        for name in sorted(missing):  # sequences never drawn from before
            connection.execute(_CREATE[connection.dialect.name], {"p_name": name, "p_now": now})
        if missing:
            taken.update(self._take_many(connection, {n: counts[n] for n in missing}, now))
        for name, last in taken.items():
            count = counts[name]
            numbers = [(last - count + i) % MAX_CONTROL_NUMBER + 1 for i in range(count)]
            self._reserved.setdefault(name, deque()).extend(numbers)
            self._values[name] = last

    @staticmethod
    def _take_many(
        connection: Connection, counts: Mapping[str, int], now: dt.datetime
    ) -> dict[str, int]:
        """Advance each sequence by its count; returns the new last values (of those that
        exist)."""
        names = sorted(counts)  # locked in one order: two reservations never deadlock
        common = {"p_max": MAX_CONTROL_NUMBER, "p_now": now}
        if connection.dialect.name == "postgresql":
            params = {"p_names": names, "p_counts": [counts[n] for n in names], **common}
            return {str(n): int(v) for n, v in connection.execute(_RESERVE["postgresql"], params)}
        params = {"p_counts": json.dumps({name: counts[name] for name in names}), **common}
        return {
            str(row["name"]): int(row["value"])
            for row in direct(_RESERVE["sqlite"]).rows(connection, params)
        }

    def next(self, sequence: str) -> int:
        reserved = self._reserved.get(sequence)
        if reserved:
            return reserved.popleft()
        value = self._values.get(sequence)
        if value is None:
            params = {"p_name": sequence, "p_now": dt.datetime.now(dt.UTC)}
            value = _take(self._session.connection(), _LOCK, params)
        value = 1 if value >= MAX_CONTROL_NUMBER else value + 1
        self._values[sequence] = value
        self._drawn.add(sequence)
        return value

    def save(self) -> None:
        """Write the last number drawn from each sequence (before the transaction commits)."""
        if not self._drawn:
            return
        now = dt.datetime.now(dt.UTC)
        self._session.connection().execute(
            _SAVE,
            [
                {"p_name": sequence, "p_value": self._values[sequence], "p_now": now}
                for sequence in sorted(self._drawn)
            ],
        )
        self._drawn.clear()


@contextmanager
def counter_in(session: Session) -> Iterator[TransactionCounter]:
    """A counter drawing numbers in ``session``'s transaction, saved when the block ends
    without an error; use it inside ``with factory.begin() as s:``."""
    counter = TransactionCounter(session)
    yield counter
    counter.save()

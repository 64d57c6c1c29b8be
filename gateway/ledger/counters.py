"""Control-number sequences kept in the ledger: they survive restarts and are shared by every
process on the same database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Insert, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from gateway.control_numbers import MAX_CONTROL_NUMBER

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
            value = connection.execute(_INCREMENT, params).scalar_one_or_none()
            if value is None:  # a new sequence: create it at 0 (unless another process just did)
                connection.execute(_CREATE[connection.dialect.name], params)
                value = connection.execute(_INCREMENT, params).scalar_one()
            return int(value)

    def peek(self, sequence: str) -> int | None:
        """The last number handed out of ``sequence`` (``None`` before the first)."""
        with self._factory() as s:
            value = s.connection().execute(_PEEK, {"p_name": sequence}).scalar_one_or_none()
            return None if value is None else int(value)

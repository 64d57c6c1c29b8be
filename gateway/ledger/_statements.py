"""What every part of the ledger builds its statements with: running a prebuilt statement on the
session's connection, rows as frozen dataclasses, ids in chunks, and :class:`BulkInsert`.

The ledger is on the path of every file, so its statements are built once, at import, and run on
the session's connection: building SQLAlchemy statements per call costs more than running them.
"""

from __future__ import annotations

import datetime as dt
import operator
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    CursorResult,
    Executable,
    Insert,
    Table,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from ._direct import DirectStatement, execute

Detail = Mapping[str, Any]

IN_CHUNK = 500
"""Ids per ``IN (...)`` list: well under every backend's limit on bound parameters."""


_RowT = TypeVar("_RowT")
_T = TypeVar("_T")


def _run(s: Session, statement: Executable, params: Any = None) -> CursorResult[*tuple[Any, ...]]:
    """Run a prebuilt statement on the session's connection (in the caller's transaction)."""
    return s.connection().execute(statement, params or {})


_DIRECT: weakref.WeakKeyDictionary[Executable, DirectStatement] = weakref.WeakKeyDictionary()


def direct(statement: Executable) -> DirectStatement:
    """``statement`` run on the driver's cursor (:class:`DirectStatement`: its forms are kept
    as long as it is)."""
    found = _DIRECT.get(statement)
    if found is None:
        found = _DIRECT[statement] = DirectStatement(statement)
    return found


def _rows(
    s: Session, statement: Executable, params: Any, row_type: type[_RowT], **enums: Any
) -> list[_RowT]:
    """Run ``statement`` (a select of a whole table) and build one ``row_type`` per row."""
    result = []
    for values in direct(statement).rows(s.connection(), params or {}):
        for key, enum in enums.items():
            values[key] = enum(values[key])
        result.append(row_type(**values))
    return result


def _first(found: list[_RowT]) -> _RowT | None:
    return found[0] if found else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chunks(ids: Iterable[_T]) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for value in ids:
        chunk.append(value)
        if len(chunk) == IN_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _plain(detail: Detail | None) -> dict[str, Any] | None:
    return None if detail is None else dict(detail)


def _values(states: Iterable[StrEnum]) -> list[str]:
    return [state.value for state in states]


class BulkInsert:
    """An INSERT of many rows in one statement, each row a dict with every column but ``id``.

    PostgreSQL: one array per column, unnested on the server (``INSERT ... SELECT FROM
    unnest(...) WITH ORDINALITY ORDER BY``). The statement's text is the same for any number of
    rows, so neither SQLAlchemy nor psycopg rebuilds it, and the server plans a few parameters
    instead of one per value. The sequence gives the rows their ids in the order of the
    ``ORDER BY``, so the ids sorted are the rows' ids in order (what SQLAlchemy's own
    ``sort_by_parameter_order`` relies on there). A single row (a file that came alone, an
    event) goes as a plain ``INSERT ... VALUES``: cheaper to send than an array per column.

    SQLite: SQLAlchemy can only order the returned ids by running one statement per row, which
    costs more than the rest of the row's work; but there a statement of many rows assigns each
    row the largest id so far plus one, in the order of its rows, and nothing else writes
    between them (SQLite has one writer, and the rows go in one transaction), so the ids sorted
    are the rows' ids in order. Should they ever not be consecutive, the transaction fails
    rather than give a row another row's id.

    Either way the rows go to the driver directly (:class:`_SQLiteInsert`,
    :class:`_PostgresInsert`): the statement's text and its columns' conversions are made once
    per dialect, and each call converts the rows and runs one statement. SQLAlchemy's execution
    of a prebuilt statement costs several times the driver's own work for the few rows of a
    trickle's batch (about 0.1 ms a statement), and a batch has five inserts.
    """

    def __init__(self, table: Table) -> None:
        self.columns = [column.name for column in table.c if not column.primary_key]
        self.rows = insert(table)
        self.rows_returning_ids = insert(table).returning(table.c.id)
        unnested = (
            func.unnest(
                *(bindparam(name, type_=ARRAY(table.c[name].type)) for name in self.columns)
            )
            .table_valued(*self.columns, with_ordinality="row_number")
            .render_derived()
        )
        self.arrays = insert(table).from_select(
            self.columns,
            select(*(unnested.c[name] for name in self.columns)).order_by(unnested.c.row_number),
        )
        self.arrays_returning_ids = self.arrays.returning(table.c.id)
        self.table = table
        self._direct: dict[Dialect, _SQLiteInsert | _PostgresInsert] = {}

    def __call__(self, s: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows``."""
        if rows:
            connection = s.connection()
            direct = self._driver(connection)
            if direct is None:
                self._execute(connection, rows, self.rows, self.arrays)
            else:
                direct.run(connection, rows, returning=False)

    def returning_ids(self, s: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert ``rows``; returns their new ids, in the order of the rows."""
        if not rows:
            return []
        connection = s.connection()
        direct = self._driver(connection)
        if direct is None:
            result = self._execute(
                connection, rows, self.rows_returning_ids, self.arrays_returning_ids
            )
            ids: list[int] = sorted(result.scalars())
        else:
            ids = sorted(direct.run(connection, rows, returning=True))
        if len(ids) != len(rows) or (
            connection.dialect.name == "sqlite" and ids[-1] - ids[0] != len(ids) - 1
        ):
            raise RuntimeError("the ledger handed out ids out of order: nothing recorded")
        return ids

    def _execute(
        self,
        connection: Connection,
        rows: Sequence[dict[str, Any]],
        plain: Executable,
        arrays: Executable,
    ) -> CursorResult[Any]:
        """``arrays`` for more than one row on PostgreSQL; else ``plain``, with the rows (one
        row as plain parameters costs less than one array per column, each inspected to be
        sent)."""
        if connection.dialect.name == "postgresql" and len(rows) > 1:
            return connection.execute(arrays, self._arrays(rows))
        return connection.execute(plain, rows[0] if len(rows) == 1 else rows)

    def _arrays(self, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
        return {name: [row[name] for row in rows] for name in self.columns}

    def _driver(self, connection: Connection) -> _SQLiteInsert | _PostgresInsert | None:
        """How the rows go to ``connection``'s driver (None: through SQLAlchemy's execution,
        for another database)."""
        dialect = connection.dialect
        direct = self._direct.get(dialect)
        if direct is None:
            if dialect.name == "sqlite":
                direct = _SQLiteInsert(self.table, self.columns, dialect)
            elif dialect.name == "postgresql" and dialect.driver == "psycopg":
                direct = _PostgresInsert(self, dialect)
            else:
                return None
            self._direct[dialect] = direct
        return direct


SQLITE_PARAMETERS = 999
"""Bound parameters per statement at most on SQLite (its limit before 3.32): more rows go in
several statements."""


class _SQLiteInsert:
    """A table's INSERT as SQLite's driver runs it, made once per dialect: the statement's text
    for a number of rows, and each column's conversion (the dialect's own and the type's, as
    SQLAlchemy's execution applies them). :meth:`run` goes to the driver's cursor as
    SQLAlchemy's execution would (:func:`_execute`): the connection's cursor listeners see the
    statement (the ledger's turn to write is taken there), and an error of the driver is raised
    as SQLAlchemy's (``IntegrityError``...)."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        self.processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]
        self.head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) VALUES "
        self.row = f"({', '.join('?' * len(columns))})"
        self.returning = f" RETURNING {quote(table.c.id.name)}"
        self.per_statement = max(1, SQLITE_PARAMETERS // len(columns))
        self.columns = list(columns)
        self._texts: dict[tuple[int, bool], str] = {}

    def text(self, count: int, returning: bool) -> str:
        key = (count, returning)
        text = self._texts.get(key)
        if text is None:
            text = self.head + ", ".join([self.row] * count) + (self.returning if returning else "")
            if len(self._texts) < 64:  # the usual sizes of a batch
                self._texts[key] = text
        return text

    def run(
        self, connection: Connection, rows: Sequence[dict[str, Any]], *, returning: bool
    ) -> list[int]:
        """Insert ``rows``; their ids (in the order SQLite returns them) with ``returning``."""
        ids: list[int] = []
        columns = list(zip(self.columns, self.processors, strict=True))
        for start in range(0, len(rows), self.per_statement):
            chunk = rows[start : start + self.per_statement]
            text = self.text(len(chunk), returning)
            try:
                values = [
                    value if convert is None else convert(value)
                    for row in chunk
                    for name, convert in columns
                    for value in (row[name],)
                ]
            except Exception as error:
                raise _unbindable(text, error) from error
            ids += _execute(connection, text, values, returning)
        return ids


class _PostgresInsert:
    """A table's INSERT as psycopg runs it, made once per dialect: the text SQLAlchemy compiles
    for one row (``INSERT ... VALUES``) and for many (one array per column, see
    :class:`BulkInsert`), with the conversion of each of its parameters; :meth:`run` goes to
    the driver as :class:`_SQLiteInsert` does."""

    def __init__(self, bulk: BulkInsert, dialect: Dialect) -> None:
        self.columns = bulk.columns
        self.one = {
            returning: _Compiled(statement, dialect, bulk.columns)
            for returning, statement in ((False, bulk.rows), (True, bulk.rows_returning_ids))
        }
        self.many = {
            returning: _Compiled(statement, dialect, bulk.columns)
            for returning, statement in ((False, bulk.arrays), (True, bulk.arrays_returning_ids))
        }

    def run(
        self, connection: Connection, rows: Sequence[dict[str, Any]], *, returning: bool
    ) -> list[int]:
        """Insert ``rows``; their ids (in the order PostgreSQL returns them) with
        ``returning``."""
        if len(rows) == 1:
            compiled, values = self.one[returning], rows[0]
        else:
            compiled = self.many[returning]
            values = {name: [row[name] for row in rows] for name in self.columns}
        return _execute(connection, compiled.text, compiled.bind(values), returning)


class _Compiled:
    """A statement compiled once for a dialect whose driver takes named parameters: its text,
    and the conversion of each parameter (as SQLAlchemy's execution applies it)."""

    def __init__(self, statement: Insert, dialect: Dialect, columns: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        self.text = compiled.string
        self.processors = [
            (name, parameter.type.dialect_impl(dialect).bind_processor(dialect))
            for name, parameter in compiled.binds.items()
        ]

    def bind(self, values: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return {
                name: value if convert is None else convert(value)
                for name, convert in self.processors
                for value in (values[name],)
            }
        except Exception as error:
            raise _unbindable(self.text, error) from error


def _unbindable(text: str, error: Exception) -> StatementError:
    """What SQLAlchemy raises for a value it cannot bind."""
    kind = type(error)
    return StatementError(f"({kind.__module__}.{kind.__qualname__}) {error}", text, None, error)


def _first_column(_description: Any) -> Callable[[Sequence[Any]], Any]:
    return operator.itemgetter(0)


def _execute(connection: Connection, text: str, values: Any, returning: bool) -> list[int]:
    """Run ``text`` with ``values`` (converted) on the driver's cursor (:func:`._direct.execute`);
    returns the first column of the rows returned (with ``returning``)."""
    if not returning:
        execute(connection, text, values)
        return []
    return execute(connection, text, values, read=_first_column)

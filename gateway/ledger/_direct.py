"""Prebuilt statements run on the driver's cursor, without SQLAlchemy's work per execution.

The ledger runs a few statements on the path of every batch (the earlier copies of its files,
the earlier documents under its keys, its control numbers, its files' new state). Through
SQLAlchemy's execution each costs several times the driver's own work for a trickle's batch:
the compiled statement looked up, its ``IN`` lists expanded again, every parameter and every
result column's conversion looked up, a result object built. :class:`DirectStatement` does
that work once per dialect and per lengths of the statement's ``IN`` lists (a *form*), with
SQLAlchemy's own compiler (``construct_expanded_state``), and then each call only converts
the values and runs the text (:func:`execute`, as the ledger's inserts do: the connection's
cursor listeners see it; the driver's errors are raised as SQLAlchemy's).

A statement whose text depends on its values in another way (a parameter rendered as a
literal, a list of tuples) is run by SQLAlchemy, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Convert = Callable[[Any], Any]
T = TypeVar("T")
ReadRow = Callable[[Sequence[Any]], T]
"""What a row of the driver's is read into."""
Lengths = tuple[tuple[str, int], ...]
"""The lengths of a call's lists, by name."""

_LISTS_KEPT = 32
"""Forms kept per statement (the lengths of the usual batches); further lengths are run by
SQLAlchemy."""


@dataclass(frozen=True, slots=True)
class _Form:
    """A statement compiled for a dialect and for the lengths of its lists."""

    text: str
    order: Sequence[str] | None
    """The parameters' names in their order (the driver takes them by position), or None (by
    name)."""
    constants: Mapping[str, Any]
    """The statement's own values (converted), by name."""
    expanded: Mapping[str, Sequence[str]]
    """A list parameter's name -> the names of its values."""
    converts: Mapping[str, Convert]
    """The conversion of each parameter given by the caller (by the names of its values)."""
    columns: Sequence[Any]
    """The compiled statement's result columns (none for a text)."""


class DirectStatement:
    """``statement`` (a select, or a write that returns rows or not) run on the driver's
    cursor (see the module's docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[Dialect, SQLCompiler | None] = {}
        self._forms: dict[tuple[Dialect, Lengths], _Form] = {}
        self._results: dict[Dialect, tuple[list[str], list[Convert | None]]] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows the statement returns with ``params``, each a dict by column key, their
        values converted as SQLAlchemy's result would."""
        found = self._run(connection, params, returns=True)
        if found is None:  # SQLAlchemy runs it
            return [dict(row) for row in connection.execute(self.statement, params).mappings()]
        return found

    def run(self, connection: Connection, params: Mapping[str, Any]) -> None:
        """Run the statement (a write) with ``params``."""
        if self._run(connection, params, returns=False) is None:
            connection.execute(self.statement, params)

    def _run(
        self, connection: Connection, params: Mapping[str, Any], *, returns: bool
    ) -> list[dict[str, Any]] | None:
        dialect = connection.dialect
        lengths = tuple(
            sorted((name, len(value)) for name, value in params.items() if type(value) is list)
        )
        key = (dialect, lengths)
        form = self._forms.get(key)
        if form is None:
            form = self._form(dialect, params, lengths)
            if form is None:
                return None
        values = dict(form.constants)
        converts = form.converts
        for name, value in params.items():
            names = form.expanded.get(name)
            for each, item in zip(names, value, strict=True) if names else ((name, value),):
                convert = converts.get(each)
                values[each] = item if convert is None else convert(item)
        arguments = (
            values
            if form.order is None
            else dialect.execute_sequence_format([values[name] for name in form.order])
        )
        if not returns:
            execute(connection, form.text, arguments)
            return []
        return execute(
            connection, form.text, arguments, read=functools.partial(self._reader, dialect, form)
        )

    def _reader(
        self, dialect: Dialect, form: _Form, description: Sequence[Sequence[Any]]
    ) -> ReadRow[dict[str, Any]]:
        """What makes each row of a result described by ``description`` a dict by column key,
        its values converted as SQLAlchemy's result converts them."""
        result = self._results.get(dialect)
        if result is None:
            result = self._results[dialect] = _result(dialect, form.columns, description)
        columns, converters = result

        def read(row: Sequence[Any]) -> dict[str, Any]:
            return {
                name: value if convert is None else convert(value)
                for name, convert, value in zip(columns, converters, row, strict=True)
            }

        return read

    def _form(self, dialect: Dialect, params: Mapping[str, Any], lengths: Lengths) -> _Form | None:
        """The statement compiled for ``dialect`` and lists of ``params``' lengths; None when
        SQLAlchemy is to run it (its text depends on its values otherwise, or forms enough are
        kept)."""
        if dialect not in self._compiled:
            made = (
                self.statement.compile(dialect=dialect)
                if isinstance(self.statement, ClauseElement)
                else None
            )
            self._compiled[dialect] = (
                made
                if isinstance(made, SQLCompiler)
                and not made.literal_execute_params
                and not made.schema_translate_map
                else None
            )
        compiled = self._compiled[dialect]
        if compiled is None or len(self._forms) >= _LISTS_KEPT:
            return None
        state = compiled.construct_expanded_state(dict(params))
        expanded = {
            name: names
            for name, names in state.parameter_expansion.items()
            if name in params and len(names) == len(params[name])
        }
        if set(expanded) != {name for name, _ in lengths}:  # a list of tuples, or not a list
            self._compiled[dialect] = None
            return None
        given = set(params) | {name for names in expanded.values() for name in names}
        converts: dict[str, Convert] = {  # a list of tuples' (sequences) fell back above
            name: convert
            for name, convert in {**compiled._bind_processors, **state.processors}.items()
            if callable(convert)
        }
        form = _Form(
            text=state.statement,
            order=state.positiontup,
            constants={
                name: value if converts.get(name) is None else converts[name](value)
                for name, value in state.parameters.items()
                if name not in given
            },
            expanded=expanded,
            converts={name: converts[name] for name in given if converts.get(name) is not None},
            columns=compiled._result_columns,
        )
        self._forms[(dialect, lengths)] = form
        return form


def _result(
    dialect: Dialect, columns: Sequence[Any], description: Sequence[Sequence[Any]]
) -> tuple[list[str], list[Convert | None]]:
    """A result's column keys and each one's conversion, as SQLAlchemy's result makes them: of
    the statement's ``columns``, or, for a text (none), the driver's (unconverted)."""
    if not columns:
        return [str(described[0]) for described in description], [None] * len(description)
    return [column[0] for column in columns], [
        column[3]._cached_result_processor(dialect, described[1])
        for column, described in zip(columns, description, strict=True)
    ]


def execute(
    connection: Connection,
    text: str,
    arguments: Any,
    *,
    read: Callable[[Sequence[Sequence[Any]]], ReadRow[T]] | None = None,
) -> list[T]:
    """Run ``text`` with ``arguments`` (converted) on the driver's cursor of ``connection``, as
    SQLAlchemy's execution would: the connection's cursor listeners see it, and the driver's
    errors are raised as SQLAlchemy's (``connection_invalidated`` when the connection is lost:
    the rollback that follows gives it up). With ``read`` (given the cursor's description, it
    says how to read a row), returns the rows read, each as it comes from the cursor: a row's
    values and what it is read into are never all held at once (a pending message's body is
    MBs)."""
    dispatch = connection.dispatch
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        dispatch.before_cursor_execute(connection, cursor, text, arguments, None, False)
        cursor.execute(text, arguments)
        dispatch.after_cursor_execute(connection, cursor, text, arguments, None, False)
        if read is None:
            return []
        read_row = read(cursor.description)
        return [read_row(row) for row in iter(cursor.fetchone, None)]
    except dbapi.Error as error:
        lost = connection.dialect.is_disconnect(error, connection.connection, cursor)
        raise DBAPIError.instance(
            text, arguments, error, dbapi.Error, connection_invalidated=lost
        ) from error
    finally:
        cursor.close()

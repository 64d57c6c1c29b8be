"""Statements run on the driver's cursor (``gateway/ledger/_direct.py``) give what SQLAlchemy's
execution of the same statement gives: the same rows, values converted the same way, the same
writes, with lists of any length in any order, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError

from gateway import ledger as r
from gateway.ledger._direct import DirectStatement
from gateway.ledger.models import FILES
from tests.integration.ledger.databases import Ledger

AT = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)

_BY_PARTNERS_AND_NAMES = (
    select(FILES)
    .where(
        FILES.c.partner.in_(bindparam("p_partners", expanding=True)),
        FILES.c.name.in_(bindparam("p_names", expanding=True)),
        FILES.c.received_at >= bindparam("p_since", type_=FILES.c.received_at.type),
        FILES.c.state.not_in(["quarantined", "duplicate"]),  # a list the statement holds
    )
    .order_by(FILES.c.id)
)


def _files(ledger: Ledger) -> list[int]:
    with ledger.factory.begin() as s:
        return [
            r.record_file(
                s,
                partner=partner,
                name=f"f{n}.x12",
                sha256=f"{n:064d}",
                size=n,
                work_path=f"/work/{partner}/f{n}.x12",
                correlation_id=f"c{n}",
                detail={"n": n, "text": "é"},
            )
            for n, partner in enumerate(["acme", "acme", "beta", "gamma", "beta"], 1)
        ]


def _through_sqlalchemy(ledger: Ledger, statement: Any, params: dict[str, Any]) -> list[Any]:
    with ledger.factory.begin() as s:
        return [dict(row) for row in s.connection().execute(statement, params).mappings()]


@pytest.mark.parametrize(
    ("partners", "names"),
    [
        (["acme"], ["f1.x12"]),
        (["acme", "beta"], ["f1.x12", "f2.x12", "f3.x12"]),
        (["acme", "beta", "gamma"], ["f1.x12"]),  # the lengths of the line before, swapped
        (["acme", "beta"], []),
        ([], ["f1.x12"]),
        (["beta"], ["f3.x12", "f5.x12", "f4.x12", "f3.x12"]),
    ],
)
def test_a_select_with_lists_gives_sqlalchemys_rows(
    ledger: Ledger, partners: list[str], names: list[str]
) -> None:
    _files(ledger)
    direct = DirectStatement(_BY_PARTNERS_AND_NAMES)
    since = AT - dt.timedelta(days=36500)
    params = {"p_partners": partners, "p_names": names, "p_since": since}
    expected = _through_sqlalchemy(ledger, _BY_PARTNERS_AND_NAMES, params)
    for _ in range(2):  # compiled, then from its kept form
        with ledger.factory.begin() as s:
            found = direct.rows(s.connection(), params)
        assert found == expected
        assert [type(value) for row in found for value in row.values()] == [
            type(value) for row in expected for value in row.values()
        ]
    assert direct._forms  # run by the driver, not left to SQLAlchemy
    assert all(row["received_at"].tzinfo is not None for row in found)
    assert all(row["detail"]["text"] == "é" for row in found)


def test_the_forms_of_one_statement_never_mix_their_lists(ledger: Ledger) -> None:
    """One list of 1 and one of 2, then the other way round: each call gets its own text."""
    _files(ledger)
    direct = DirectStatement(_BY_PARTNERS_AND_NAMES)
    since = AT - dt.timedelta(days=36500)
    calls = [
        {"p_partners": ["acme"], "p_names": ["f1.x12", "f3.x12"], "p_since": since},
        {"p_partners": ["acme", "beta"], "p_names": ["f3.x12"], "p_since": since},
        {"p_names": ["f2.x12"], "p_partners": ["acme", "gamma"], "p_since": since},
    ]
    for params in calls * 2:
        with ledger.factory.begin() as s:
            found = [row["id"] for row in direct.rows(s.connection(), params)]
        assert found == [row["id"] for row in _through_sqlalchemy(ledger, direct.statement, params)]
    assert len(direct._forms) == 2  # the third call has the second's lengths, in another order


def test_a_naive_time_is_refused_as_sqlalchemy_refuses_it(ledger: Ledger) -> None:
    direct = DirectStatement(_BY_PARTNERS_AND_NAMES)
    params = {"p_partners": ["acme"], "p_names": ["f1.x12"], "p_since": dt.datetime(2026, 1, 1)}
    with ledger.factory.begin() as s, pytest.raises(Exception, match=r"naive|time ?zone"):
        direct.rows(s.connection(), params)


def test_a_write_and_a_text_run_as_by_sqlalchemy(ledger: Ledger) -> None:
    ids = _files(ledger)
    rename = DirectStatement(
        update(FILES).where(FILES.c.id == bindparam("p_id")).values(name=bindparam("p_name"))
    )
    names = DirectStatement(text("SELECT id, name FROM files WHERE size >= :p_size ORDER BY id"))
    seen: list[str] = []

    @event.listens_for(ledger.engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    try:
        with ledger.factory.begin() as s:
            rename.run(s.connection(), {"p_id": ids[0], "p_name": "renamed.x12"})
            found = names.rows(s.connection(), {"p_size": 1})
    finally:
        event.remove(ledger.engine, "before_cursor_execute", _seen)
    assert found[0] == {"id": ids[0], "name": "renamed.x12"}
    assert found == _through_sqlalchemy(ledger, names.statement, {"p_size": 1})
    assert any(statement.startswith("UPDATE files") for statement in seen)  # the listeners see it


def test_a_drivers_error_is_sqlalchemys(ledger: Ledger) -> None:
    ids = _files(ledger)
    duplicate = DirectStatement(
        update(FILES).where(FILES.c.id == bindparam("p_id")).values(id=bindparam("p_new"))
    )
    with ledger.factory.begin() as s, pytest.raises(IntegrityError):
        duplicate.run(s.connection(), {"p_id": ids[0], "p_new": ids[1]})


def test_a_list_of_tuples_is_left_to_sqlalchemy(ledger: Ledger) -> None:
    _files(ledger)
    pairs = (
        select(FILES.c.id)
        .where(tuple_(FILES.c.partner, FILES.c.name).in_(bindparam("p_pairs", expanding=True)))
        .order_by(FILES.c.id)
    )
    direct = DirectStatement(pairs)
    params = {"p_pairs": [("acme", "f1.x12"), ("beta", "f5.x12")]}
    with ledger.factory.begin() as s:
        found = direct.rows(s.connection(), params)
    assert found == _through_sqlalchemy(ledger, pairs, params)
    assert len(found) == 2
    assert not direct._forms

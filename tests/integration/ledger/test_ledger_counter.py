"""LedgerCounter: persistent, atomic across threads, engines and processes; wraps to 1.
counter_in: numbers drawn inside a transaction commit (or roll back) with it."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from gateway.control_numbers import MAX_CONTROL_NUMBER, ControlNumberCounter
from gateway.ledger import LedgerCounter, session_factory
from gateway.ledger.counters import counter_in
from gateway.ledger.models import CONTROL_NUMBERS
from tests.integration.ledger.databases import Ledger, ledger_engine

ROOT = Path(__file__).resolve().parents[3]


def test_sequences_start_at_one_and_are_separate(ledger: Ledger) -> None:
    counter: ControlNumberCounter = LedgerCounter(ledger.factory)
    assert [counter.next("acme/isa") for _ in range(3)] == [1, 2, 3]
    assert counter.next("acme/gs") == 1
    assert counter.next("acme/isa") == 4
    assert LedgerCounter(ledger.factory).peek("acme/isa") == 4
    assert LedgerCounter(ledger.factory).peek("unknown") is None


def test_numbers_survive_a_new_engine(ledger: Ledger) -> None:
    assert [LedgerCounter(ledger.factory).next("seq") for _ in range(5)] == [1, 2, 3, 4, 5]
    with ledger_engine(ledger.url, migrated=False) as engine:
        assert LedgerCounter(session_factory(engine)).next("seq") == 6


def test_wraps_to_one_after_the_largest_control_number(ledger: Ledger) -> None:
    counter = LedgerCounter(ledger.factory)
    counter.next("seq")
    _set_last_value(ledger, "seq", MAX_CONTROL_NUMBER - 2)
    assert [counter.next("seq") for _ in range(4)] == [
        MAX_CONTROL_NUMBER - 1,
        MAX_CONTROL_NUMBER,
        1,
        2,
    ]


def test_threads_on_two_engines_never_get_the_same_number(ledger: Ledger) -> None:
    threads_per_engine, numbers_per_thread = 4, 40
    results: list[list[int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads_per_engine * 2)

    def take(counter: LedgerCounter, out: list[int]) -> None:
        try:
            start.wait(timeout=30)
            # a new sequence: the first numbers also race to create its row
            out.extend(counter.next("shared") for _ in range(numbers_per_thread))
        except BaseException as error:  # reported below
            errors.append(error)

    with ledger_engine(ledger.url, migrated=False) as second:
        counters = [LedgerCounter(ledger.factory), LedgerCounter(session_factory(second))]
        threads = []
        for n in range(threads_per_engine * 2):
            out: list[int] = []
            results.append(out)
            thread = threading.Thread(target=take, args=(counters[n % 2], out))
            threads.append(thread)
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    taken = [number for out in results for number in out]
    total = threads_per_engine * 2 * numbers_per_thread
    assert sorted(taken) == list(range(1, total + 1))
    for out in results:  # each thread sees its own numbers increase
        assert out == sorted(out)


COUNT_IN_A_PROCESS = """
import sys
from gateway.ledger import LedgerCounter, create_engine_for, session_factory
counter = LedgerCounter(session_factory(create_engine_for(sys.argv[1])))
print("ready", flush=True)
sys.stdin.readline()
print(" ".join(str(counter.next("shared")) for _ in range(int(sys.argv[2]))), flush=True)
"""


def test_processes_never_get_the_same_number(ledger: Ledger) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, ledger.url, "150"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        for process in processes:  # all started and connected: now go, together
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=60)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [process.returncode for process in processes] == [0, 0, 0]
    taken = [int(number) for output in outputs for number in output.split()]
    assert sorted(taken) == list(range(1, 451))


def test_numbers_drawn_in_a_transaction_commit_with_it(ledger: Ledger) -> None:
    with ledger.factory.begin() as s, counter_in(s) as counter:
        assert [counter.next("acme/isa") for _ in range(3)] == [1, 2, 3]
        assert counter.next("acme/gs") == 1
    assert LedgerCounter(ledger.factory).peek("acme/isa") == 3
    assert LedgerCounter(ledger.factory).next("acme/isa") == 4  # both kinds share a sequence
    with ledger.factory.begin() as s, counter_in(s) as counter:
        assert counter.next("acme/isa") == 5


def test_numbers_of_a_rolled_back_transaction_are_drawn_again(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError), ledger.factory.begin() as s, counter_in(s) as counter:
        assert [counter.next("seq") for _ in range(3)] == [1, 2, 3]
        raise RuntimeError("crash before commit")
    assert LedgerCounter(ledger.factory).peek("seq") is None
    with ledger.factory.begin() as s, counter_in(s) as counter:
        assert counter.next("seq") == 1


def test_a_transaction_counter_wraps_to_one(ledger: Ledger) -> None:
    LedgerCounter(ledger.factory).next("seq")
    _set_last_value(ledger, "seq", MAX_CONTROL_NUMBER - 1)
    with ledger.factory.begin() as s, counter_in(s) as counter:
        assert [counter.next("seq") for _ in range(3)] == [MAX_CONTROL_NUMBER, 1, 2]
    assert LedgerCounter(ledger.factory).peek("seq") == 2


def test_numbers_reserved_in_one_statement_are_those_next_would_draw(ledger: Ledger) -> None:
    """``reserve`` takes a batch's numbers at once (one statement for every sequence that
    exists, on either database): the calls to ``next`` that follow get exactly the numbers they
    would have drawn one by one, wrapping included, and numbers drawn past the reservation go on
    from there. A rolled-back reservation takes nothing."""
    LedgerCounter(ledger.factory).next("a")
    LedgerCounter(ledger.factory).next("c")
    _set_last_value(ledger, "c", MAX_CONTROL_NUMBER - 1)
    draws = ["a", "c", "a", "c", "c"]

    with pytest.raises(RuntimeError), ledger.factory.begin() as s, counter_in(s) as counter:
        counter.reserve([*draws, "new"])
        raise RuntimeError("crash before commit")
    assert [LedgerCounter(ledger.factory).peek(n) for n in ("a", "c", "new")] == [
        1,
        MAX_CONTROL_NUMBER - 1,
        None,
    ]

    statements: list[str] = []
    with ledger.factory.begin() as s, counter_in(s) as counter:
        with _statements_run(s, statements):
            counter.reserve(draws)
        assert [counter.next(n) for n in draws] == [2, MAX_CONTROL_NUMBER, 3, 1, 2]
        counter.reserve(["new", "new"])  # a sequence never drawn from: created, then taken
        assert [counter.next("new") for _ in range(3)] == [1, 2, 3]  # the third past it
        assert counter.next("a") == 4  # past the reservation too
    assert len(statements) == 1
    assert [LedgerCounter(ledger.factory).peek(n) for n in ("a", "c", "new")] == [4, 2, 3]


def test_names_that_need_quoting_are_reserved_as_they_are(ledger: Ledger) -> None:
    """Sequence names come from partners' settings: quotes, dots and backslashes in them do not
    confuse the statement that reserves numbers of several sequences at once."""
    names = ['isa "x".y', "gs\\z", "plain"]
    for name in names:
        LedgerCounter(ledger.factory).next(name)
    with ledger.factory.begin() as s, counter_in(s) as counter:
        counter.reserve([*names, names[0]])
        assert [counter.next(n) for n in [*names, names[0]]] == [2, 2, 2, 3]
    assert [LedgerCounter(ledger.factory).peek(n) for n in names] == [3, 2, 2]


@contextmanager
def _statements_run(s: Session, into: list[str]) -> Iterator[None]:
    engine = s.get_bind()

    def seen(*args: object) -> None:
        into.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _set_last_value(ledger: Ledger, sequence: str, value: int) -> None:
    with ledger.engine.begin() as connection:
        connection.execute(
            update(CONTROL_NUMBERS).where(CONTROL_NUMBERS.c.name == sequence).values(value=value)
        )

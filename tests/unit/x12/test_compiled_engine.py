"""The compiled validator beyond what it shares with pyx12's walker (test_pyx12_engine.py runs
every engine test on both; tests/conformance/test_compiled_validator.py proves the findings equal
over the corpus and generated files): it is the gateway's default, a set is checked one segment
at a time in flat memory, and a failure inside it becomes a finding."""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Iterator

import pytest

from adapters.formats.x12.compiled import CompiledValidator
from adapters.formats.x12.compiled import machine as compiled_machine
from adapters.formats.x12.compiled.machine import SetRun
from adapters.formats.x12.compiled.validator import program_of
from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.pyx12_guard import transaction_context
from adapters.formats.x12.pyx12_maps import MAP_CACHE
from adapters.formats.x12.report import default_validator
from adapters.formats.x12.segments import Segment, Separators
from tests.unit.x12.test_pyx12_engine import PO_4010, make_transaction


def test_the_gateway_validates_with_the_compiled_validator_without_loop_tree() -> None:
    validator = default_validator()
    assert isinstance(validator, CompiledValidator) and not validator.loop_tree


def test_a_crash_inside_the_compiled_validator_becomes_a_finding(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*args: object) -> None:
        raise IndexError("list index out of range")

    tx = make_transaction(PO_4010.replace("PO1*1*", "PO1*1*X"))  # handed to the element checks
    monkeypatch.setattr(compiled_machine, "check_elements", crash)
    with caplog.at_level(logging.ERROR):
        findings = CompiledValidator().validate(tx).findings
    assert [(f.code, f.segment_id, f.segment_position) for f in findings] == [
        ("validation.engine_failure", "PO1", 16)
    ]
    assert "IndexError" in findings[0].message and any(r.exc_info for r in caplog.records)


def ship_notice_segments(items: int) -> Iterator[Segment]:
    """A valid 856 of ``items`` cartons of one item, made one segment at a time (never held)."""
    separators = Separators("*", ">", "~")
    texts = ["BSN*00*SHIP-1*20240120*1530*0001", "HL*1**S", "TD1*CTN25*10"]
    texts += ["TD5*B*2*UPSN", "REF*BM*BOL-1", "HL*2*1*O", "PRF*PO-1***20240115"]
    yield from (Segment(t.split("*")[0], t.split("*")[1:], separators) for t in texts)
    for item in range(items):
        hl = 3 + 2 * item
        for text in (
            f"HL*{hl}*2*P",
            f"MAN*GM*{hl:020d}",
            f"HL*{hl + 1}*{hl}*I",
            f"LIN*{item}*UP*012345678905*VN*SKU{item}",
            f"SN1**{item % 97 + 1}*EA",
            f"PID*F****WIDGET {item}",
        ):
            tag, *elements = text.split("*")
            yield Segment(tag, elements, separators)


def test_a_set_is_checked_in_flat_memory_one_segment_at_a_time() -> None:
    tx = make_transaction("ST*856*0001", functional_id="SH")
    validator = CompiledValidator()
    map_file = validator.map_file(tx)
    assert map_file is not None
    program = program_of(MAP_CACHE.load(validator.map_path, map_file, "004010"))
    context = transaction_context(tx)

    def peak(items: int) -> int:
        run = SetRun(program, tx, context, frozenset(), keep_tree=False)
        run.feed(1, tx.segments[0])
        tracemalloc.start()
        assert run.feed_all(ship_notice_segments(items), 2)
        _, most = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert run.findings == []
        return most

    small, large = peak(200), peak(5_000)  # 1,200 and 30,000 segments
    assert large < small + 64_000, (small, large)


def test_the_loop_tree_is_pyx12s() -> None:
    tx = make_transaction(PO_4010)
    assert CompiledValidator().validate(tx).tree == Pyx12Validator().validate(tx).tree


def test_the_loop_tree_can_be_left_out() -> None:
    tx = make_transaction(PO_4010.replace("PO1*1*", "PO1*1*X"))
    with_tree, without = CompiledValidator().validate(tx), CompiledValidator(loop_tree=False)
    result = without.validate(tx)
    assert result.findings == with_tree.findings and result.findings
    assert with_tree.tree.children and (result.tree.children, result.tree.segments) == ([], [])

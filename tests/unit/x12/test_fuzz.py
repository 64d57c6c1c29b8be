"""Mutated X12 (bytes dropped, inserted, separators swapped, truncated) raises nothing but the
gateway's own errors, all the way through reading, validation, translation and acknowledgement."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.acks import acks_for, render_acks
from adapters.formats.x12.reader import read_x12
from adapters.formats.x12.report import default_validator
from adapters.formats.x12.structure import (
    GroupEnd,
    InterchangeEnd,
    InterchangeStart,
    TransactionSet,
)
from adapters.formats.x12.translation import translate
from gateway.control_numbers import InMemoryCounter
from gateway.errors import GatewayError
from tests.conformance.corpus import CORPUS
from tests.unit.x12.samples import interchange, transaction

SEEDS: list[bytes] = [
    interchange().encode(),
    interchange([transaction(), transaction(control="0002")], version="005010", isa11="^").encode(),
    *(
        (CORPUS / "x12" / name).read_bytes()
        for name in (
            "aaronhuggins__node-x12__test__test-data__850.edi",
            "aaronhuggins__node-x12__test__test-data__855.edi",
            "xlate__staedi__src__test__resources__x12__simple999.edi",
            "xlate__staedi__src__test__resources__x12__simple810.edi",
        )
        if (CORPUS / "x12" / name).exists()
    ),
]
ASN = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
SEEDS += [p.read_bytes() for p in sorted(ASN.glob("*.edi"))[:6]]
NOW = dt.datetime(2026, 11, 23, 12, 0)


def process(data: bytes) -> None:
    """Everything the gateway does with an inbound file; only GatewayError may escape."""
    try:
        groups: list[GroupEnd] = []
        for event in read_x12(data, validator=default_validator()):
            if isinstance(event, InterchangeStart):
                groups = []
            elif isinstance(event, TransactionSet):
                with contextlib.suppress(GatewayError):
                    translate(event)
            elif isinstance(event, GroupEnd):
                groups.append(event)
            elif isinstance(event, InterchangeEnd):
                render_acks(acks_for(event, groups, now=NOW), InMemoryCounter(), at=NOW)
    except GatewayError:
        pass


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_dropped_bytes(seed: bytes, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(seed) - 1))
    length = data.draw(st.integers(1, 40))
    process(seed[:start] + seed[start + length :])


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_inserted_bytes(seed: bytes, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(seed)))
    noise = data.draw(
        st.binary(min_size=1, max_size=20)
        | st.sampled_from([b"~", b"*", b"~~", b"ISA", b"SE*", b"\xef\xbb\xbf", b"HL*1*1*S"])
    )
    process(seed[:at] + noise + seed[at:])


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_swapped_separators(seed: bytes, data: st.DataObject) -> None:
    old = data.draw(st.sampled_from([b"*", b"~", b":", b">", b"^", b"\n"]))
    new = data.draw(st.sampled_from([b"*", b"~", b":", b"|", b"\n", b"", b"\x00"]))
    count = data.draw(st.integers(1, 50))
    process(seed.replace(old, new, count))


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_truncation(seed: bytes, data: st.DataObject) -> None:
    process(seed[: data.draw(st.integers(0, len(seed)))])


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_after_an_isa(data: bytes) -> None:
    process(SEEDS[0][:106] + data)

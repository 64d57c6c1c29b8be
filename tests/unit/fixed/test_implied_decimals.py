"""Implied decimals in the field map (adapters/formats/field_map.py), as fixed-width files write
amounts: digits only, the decimal point implied, a sign before or after them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest

from adapters.formats.field_map import FieldSpec, MappingError


@dataclass(frozen=True)
class One:
    """A node holding one value at every path."""

    text: str

    def texts(self, path: str) -> Sequence[str]:
        return [self.text]

    def children(self, path: str) -> Sequence[One]:
        return []


def test_implied_decimals_read_digits_with_a_sign_before_or_after() -> None:
    two = FieldSpec(path="AMOUNT", type="decimal", implied_decimals=2)
    assert two.read(One("000000012345"), "q") == Decimal("123.45")
    assert two.read(One("-00012345"), "q") == Decimal("-123.45")
    assert two.read(One("00012345-"), "q") == Decimal("-123.45")
    assert two.read(One("+00012345"), "q") == Decimal("123.45")
    assert str(two.read(One("000000000700"), "q")) == "7.00"
    three = FieldSpec(path="AMOUNT", type="decimal", implied_decimals=3)
    assert three.read(One("1"), "q") == Decimal("0.001")
    assert FieldSpec(path="AMOUNT", type="decimal").read(One("0012"), "q") == Decimal("12")


@pytest.mark.parametrize("text", ["123.45", "12,345", "12 345", "1e5", "--1", "-", "١٢٣"])
def test_anything_but_digits_is_an_error_naming_field_path_and_value(text: str) -> None:
    two = FieldSpec(path="AMOUNT", type="decimal", implied_decimals=2)
    expected = f"q (AMOUNT): expected digits with 2 implied decimals, found {text!r}"
    with pytest.raises(MappingError) as caught:
        two.read(One(text), "q")
    assert str(caught.value) == expected


def test_implied_decimals_are_never_negative() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        FieldSpec(path="AMOUNT", type="decimal", implied_decimals=-1)

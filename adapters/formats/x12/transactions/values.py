"""How the transaction modules write values: numbers plain (never with an exponent), trailing
zeros and the leading zero of a fraction suppressed, as X12.6 asks for type R; a value with more
digits than its element holds raises :class:`~gateway.errors.RenderError` rather than being
rounded. Dates are CCYYMMDD. (Moved out of common.py, which had grown past 400 lines.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from gateway.errors import RenderError


def format_date(day: dt.date) -> str:
    """CCYYMMDD."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def format_decimal(value: Decimal | None, max_digits: int, element: str) -> str:
    """An R (decimal) element value: plain digits, no exponent, no superfluous zeros.

    ``max_digits`` is the element's maximum length (digits only: sign and decimal point do not
    count). ``""`` for None.
    """
    if value is None:
        return ""
    if not value.is_finite():
        raise RenderError(f"{element} value {value} is not a number")
    if value.is_zero():
        return "0"
    text = format(value.normalize(), "f")
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("-")
    if digits.startswith("0."):
        digits = digits[1:]
    if sum(c.isdigit() for c in digits) > max_digits:
        raise RenderError(f"{element} value {value} has more than {max_digits} digits")
    return sign + digits


def format_integer(value: int | None, max_digits: int, element: str) -> str:
    """An N0 (integer) element value; ``""`` for None."""
    if value is None:
        return ""
    text = str(value)
    if len(text.lstrip("-")) > max_digits:
        raise RenderError(f"{element} value {value} has more than {max_digits} digits")
    return text


def hash_total(values: Iterable[Decimal], max_digits: int = 10) -> str:
    """A CTT02 hash total of quantities, or ``""`` when the sum does not fit the element."""
    try:
        return format_decimal(sum(values, Decimal(0)), max_digits, "CTT02")
    except RenderError:
        return ""


def format_implied(value: Decimal | None, places: int, max_digits: int, element: str) -> str:
    """An Nn element value (implied decimal places: SAC05 ``N2`` writes 1.50 as ``150``)."""
    if value is None:
        return ""
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise RenderError(f"{element} value {value} has more than {places} decimal places")
    return format_integer(int(scaled), max_digits, element)

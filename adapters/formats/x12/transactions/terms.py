"""ITD terms of sale <-> :class:`~gateway.messages.PaymentTerms`, as the 850 and the 810 carry
them: ITD01-ITD07 and ITD12 (an ITD saying more is read the same, and kept whole)."""

from __future__ import annotations

from gateway.messages import PaymentTerms

from ..segments import Segment
from .common import SegmentAt, seg
from .values import format_date, format_decimal, format_integer


def parse_terms(s: SegmentAt) -> PaymentTerms:
    s.take((1, 2, 3, 4, 5, 6, 7, 12))
    return PaymentTerms(
        type_code=s.text(1),
        basis_date_code=s.text(2),
        discount_percent=s.decimal(3),
        discount_due_date=s.date(4),
        discount_days_due=s.integer(5),
        net_due_date=s.date(6),
        net_days=s.integer(7),
        description=s.text(12),
    )


def render_terms(terms: PaymentTerms) -> Segment:
    return seg(
        "ITD",
        terms.type_code,
        terms.basis_date_code,
        format_decimal(terms.discount_percent, 6, "ITD03"),
        format_date(terms.discount_due_date) if terms.discount_due_date else None,
        format_integer(terms.discount_days_due, 3, "ITD05"),
        format_date(terms.net_due_date) if terms.net_due_date else None,
        format_integer(terms.net_days, 3, "ITD07"),
        None,
        None,
        None,
        None,
        terms.description,
    )

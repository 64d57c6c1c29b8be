"""The commercial segments schema 2.1 maps (issue 25): SAC, TXI, MEA, FOB, AMT, CTP, PO4, SCH,
SDQ, PKG and the CTT control totals, each read into its canonical block and written back from it.

Each ``parse_*`` reads a segment whose every element its block holds (:func:`~.common.holds_only`)
and takes it (:meth:`~.common.SegmentAt.take`), so that it is not kept as unmapped; a segment
saying more (SAC03/SAC04 an agency's code, a second component of a unit...) gives None and is
kept whole in ``unmapped``: a field never holds part of a segment whose rest is lost. Each
``render_*`` writes the elements its block holds at their positions, so that canonical -> X12 ->
canonical is the identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from gateway.messages.blocks import AllowanceCharge, ControlTotals, Measurement, Tax
from gateway.messages.orders import (
    Amount,
    CatalogPrice,
    DeliverySchedule,
    DestinationQuantities,
    FobTerms,
    LocationQuantity,
    PackagingDescription,
    PackSize,
)

from ..segments import Segment
from .common import SegmentAt, holds_only, seg
from .values import format_date, format_decimal, format_implied, format_integer, hash_total


def read_implied(s: SegmentAt, element: int, places: int) -> Decimal | None:
    """An Nn element (implied decimal places); a value written with a decimal point, as some
    partners do, is taken as written."""
    value = s.decimal(element)
    if value is None or "." in (s.text(element) or ""):
        return value
    return value.scaleb(-places)


def _first_component(s: SegmentAt, element: int) -> str | None:
    """The first component of a composite element (C001 unit of measure: MEA04, CTP05)."""
    text = s.segment.components(element)[0].strip()
    return text or None


def parse_allowance_charge(s: SegmentAt) -> AllowanceCharge | None:
    if not holds_only(s, frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15})):
        return None
    s.take()
    return AllowanceCharge(
        indicator=s.need(s.text(1), 1, "allowance or charge indicator"),
        code=s.text(2),
        agency_qualifier=s.text(3),
        agency_code=s.text(4),
        amount=read_implied(s, 5, 2),
        percent_qualifier=s.text(6),
        percent=s.decimal(7),
        rate=s.decimal(8),
        unit_of_measure=s.text(9),
        quantity=s.decimal(10),
        handling_code=s.text(12),
        reference=s.text(13),
        description=s.text(15),
    )


def render_allowance_charge(sac: AllowanceCharge) -> Segment:
    return seg(
        "SAC",
        sac.indicator,
        sac.code,
        sac.agency_qualifier,
        sac.agency_code,
        format_implied(sac.amount, 2, 15, "SAC05"),
        sac.percent_qualifier,
        format_decimal(sac.percent, 6, "SAC07"),
        format_decimal(sac.rate, 9, "SAC08"),
        sac.unit_of_measure,
        format_decimal(sac.quantity, 15, "SAC10"),
        None,
        sac.handling_code,
        sac.reference,
        None,
        sac.description,
    )


def parse_tax(s: SegmentAt) -> Tax | None:
    if not holds_only(s, frozenset({1, 2, 3, 4, 5, 6, 9})):
        return None
    s.take()
    return Tax(
        type_code=s.need(s.text(1), 1, "tax type code"),
        amount=s.decimal(2),
        percent=s.decimal(3),
        jurisdiction_qualifier=s.text(4),
        jurisdiction=s.text(5),
        exempt_code=s.text(6),
        tax_id=s.text(9),
    )


def render_tax(tax: Tax) -> Segment:
    return seg(
        "TXI",
        tax.type_code,
        format_decimal(tax.amount, 18, "TXI02"),
        format_decimal(tax.percent, 10, "TXI03"),
        tax.jurisdiction_qualifier,
        tax.jurisdiction,
        tax.exempt_code,
        None,
        None,
        tax.tax_id,
    )


def parse_measurement(s: SegmentAt) -> Measurement | None:
    if not holds_only(s, frozenset({1, 2, 3, 4}), frozenset({4})):
        return None
    s.take()
    return Measurement(
        reference_code=s.text(1),
        qualifier=s.text(2),
        value=s.decimal(3),
        unit=_first_component(s, 4),
    )


def render_measurement(mea: Measurement) -> Segment:
    value = format_decimal(mea.value, 20, "MEA03")
    return seg("MEA", mea.reference_code, mea.qualifier, value, mea.unit)


def parse_fob(s: SegmentAt) -> FobTerms | None:
    if not holds_only(s, frozenset({1, 2, 3, 4, 5})):
        return None
    s.take()
    return FobTerms(
        payment_method=s.need(s.text(1), 1, "shipment method of payment"),
        location_qualifier=s.text(2),
        location=s.text(3),
        terms_qualifier=s.text(4),
        terms_code=s.text(5),
    )


def render_fob(fob: FobTerms) -> Segment:
    return seg(
        "FOB",
        fob.payment_method,
        fob.location_qualifier,
        fob.location,
        fob.terms_qualifier,
        fob.terms_code,
    )


def parse_amount(s: SegmentAt) -> Amount | None:
    if not holds_only(s, frozenset({1, 2, 3})):
        return None
    s.take()
    return Amount(
        qualifier=s.need(s.text(1), 1, "amount qualifier code"),
        amount=s.need(s.decimal(2), 2, "monetary amount"),
        credit_debit=s.text(3),
    )


def render_amount(amount: Amount) -> Segment:
    value = format_decimal(amount.amount, 18, "AMT02")
    return seg("AMT", amount.qualifier, value, amount.credit_debit)


def parse_catalog_price(s: SegmentAt) -> CatalogPrice | None:
    if not holds_only(s, frozenset(range(1, 12)), frozenset({5})):
        return None
    s.take()
    return CatalogPrice(
        class_of_trade=s.text(1),
        qualifier=s.text(2),
        unit_price=s.decimal(3),
        quantity=s.decimal(4),
        unit_of_measure=_first_component(s, 5),
        multiplier_qualifier=s.text(6),
        multiplier=s.decimal(7),
        amount=s.decimal(8),
        basis_code=s.text(9),
        condition_value=s.text(10),
        multiple_price_quantity=s.integer(11),
    )


def render_catalog_price(ctp: CatalogPrice) -> Segment:
    return seg(
        "CTP",
        ctp.class_of_trade,
        ctp.qualifier,
        format_decimal(ctp.unit_price, 17, "CTP03"),
        format_decimal(ctp.quantity, 15, "CTP04"),
        ctp.unit_of_measure,
        ctp.multiplier_qualifier,
        format_decimal(ctp.multiplier, 10, "CTP07"),
        format_decimal(ctp.amount, 18, "CTP08"),
        ctp.basis_code,
        ctp.condition_value,
        format_integer(ctp.multiple_price_quantity, 2, "CTP11"),
    )


def parse_pack_size(s: SegmentAt) -> PackSize | None:
    if not holds_only(s, frozenset(range(1, 15))):
        return None
    s.take()
    return PackSize(
        pack=s.integer(1),
        size=s.decimal(2),
        unit_of_measure=s.text(3),
        packaging_code=s.text(4),
        weight_qualifier=s.text(5),
        gross_weight=s.decimal(6),
        weight_unit=s.text(7),
        gross_volume=s.decimal(8),
        volume_unit=s.text(9),
        length=s.decimal(10),
        width=s.decimal(11),
        height=s.decimal(12),
        dimension_unit=s.text(13),
        inner_pack=s.integer(14),
    )


def render_pack_size(po4: PackSize) -> Segment:
    return seg(
        "PO4",
        format_integer(po4.pack, 6, "PO401"),
        format_decimal(po4.size, 8, "PO402"),
        po4.unit_of_measure,
        po4.packaging_code,
        po4.weight_qualifier,
        format_decimal(po4.gross_weight, 9, "PO406"),
        po4.weight_unit,
        format_decimal(po4.gross_volume, 9, "PO408"),
        po4.volume_unit,
        format_decimal(po4.length, 8, "PO410"),
        format_decimal(po4.width, 8, "PO411"),
        format_decimal(po4.height, 8, "PO412"),
        po4.dimension_unit,
        format_integer(po4.inner_pack, 6, "PO414"),
    )


def parse_schedule(s: SegmentAt) -> DeliverySchedule | None:
    if not holds_only(s, frozenset({1, 2, 5, 6, 7, 8, 9, 10, 12})):
        return None
    s.take()
    return DeliverySchedule(
        quantity=s.need(s.decimal(1), 1, "quantity"),
        unit_of_measure=s.need(s.text(2), 2, "unit of measure"),
        date_qualifier=s.need(s.text(5), 5, "date/time qualifier"),
        date=s.need(s.date(6), 6, "date"),
        time=s.time(7),
        end_date_qualifier=s.text(8),
        end_date=s.date(9),
        end_time=s.time(10),
        line_number=s.text(12),
    )


def render_schedule(sch: DeliverySchedule) -> Segment:
    return seg(
        "SCH",
        format_decimal(sch.quantity, 15, "SCH01"),
        sch.unit_of_measure,
        None,
        None,
        sch.date_qualifier,
        format_date(sch.date),
        sch.time,
        sch.end_date_qualifier,
        format_date(sch.end_date) if sch.end_date else None,
        sch.end_time,
        None,
        sch.line_number,
    )


def parse_packaging(s: SegmentAt) -> PackagingDescription | None:
    if not holds_only(s, frozenset(range(1, 7))):
        return None
    s.take()
    return PackagingDescription(
        type=s.text(1),
        characteristic_code=s.text(2),
        agency=s.text(3),
        code=s.text(4),
        text=s.text(5),
        unit_load_option=s.text(6),
    )


def render_packaging(pkg: PackagingDescription) -> Segment:
    return seg(
        "PKG",
        pkg.type,
        pkg.characteristic_code,
        pkg.agency,
        pkg.code,
        pkg.text,
        pkg.unit_load_option,
    )


def parse_destination_quantities(s: SegmentAt) -> DestinationQuantities | None:
    """SDQ: a unit, a qualifier, up to ten location/quantity pairs and an area; None (kept) when
    a pair misses its location or quantity, as no field could say so."""
    quantities: list[LocationQuantity] = []
    for element in range(3, 23, 2):
        location, quantity = s.text(element), s.decimal(element + 1)
        if location is None and quantity is None:
            continue
        if location is None or quantity is None:
            return None
        quantities.append(LocationQuantity(location=location, quantity=quantity))
    if not quantities or not holds_only(s, frozenset(range(1, 24))):
        return None
    s.take()
    return DestinationQuantities(
        unit_of_measure=s.need(s.text(1), 1, "unit of measure"),
        id_qualifier=s.text(2),
        quantities=quantities,
        area=s.text(23),
    )


def render_destination_quantities(sdq: DestinationQuantities) -> Segment:
    pairs: list[str | None] = []
    for pair in sdq.quantities:
        pairs += [pair.location, format_decimal(pair.quantity, 15, "SDQ04")]
    pairs += [None] * (20 - len(pairs))
    return seg("SDQ", sdq.unit_of_measure, sdq.id_qualifier, *pairs, sdq.area)


def parse_control_totals(
    summary: Sequence[SegmentAt], count: int, quantities: Iterable[Decimal]
) -> ControlTotals | None:
    """The first CTT, taken: None when CTT01 is ``count`` and CTT02 is absent (it is optional)
    or the hash total the gateway would write for ``quantities``, as the content says these
    already; else what the CTT holds."""
    ctt = next((s for s in summary if s.tag == "CTT"), None)
    if ctt is None:
        return None
    ctt.take()
    declared_count, declared_total = ctt.integer(1), ctt.decimal(2)
    computed = hash_total(quantities)
    total_agrees = declared_total is None or (
        computed != "" and declared_total == Decimal(computed)
    )
    if declared_count == count and total_agrees:
        return None
    return ControlTotals(count=declared_count, hash_total=declared_total)


def render_control_totals(
    totals: ControlTotals | None, count: int, quantities: Iterable[Decimal]
) -> Segment:
    """CTT: the partner's totals when the message holds them, else the computed ones."""
    if totals is None:
        return seg("CTT", str(count), hash_total(quantities))
    return seg(
        "CTT",
        format_integer(totals.count, 6, "CTT01"),
        format_decimal(totals.hash_total, 10, "CTT02"),
    )

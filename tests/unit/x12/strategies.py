"""Hypothesis strategies for canonical messages that X12 can carry.

Values respect what the X12 elements allow: no separator characters, no leading or trailing
spaces (X12 readers strip them), lengths within each element's maximum, code values of the right
length taken from the real code lists, numbers within each element's digits, and the syntax
rules of the segments (paired elements, "at least one of"). Fields that the 850/855/856
translations give a meaning by qualifier hold values consistent with it (``ship_from`` has role
SF, ``bill_of_lading`` is not also among ``references``...), so that a message survives
canonical -> X12 -> canonical unchanged.

Use :func:`envelopes` for an :class:`Envelope` alone and :func:`purchase_orders`,
:func:`purchase_order_acks`, :func:`ship_notices` for whole messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
import string
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from hypothesis import strategies as st

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.structure import FUNCTIONAL_IDS, TransactionSet
from adapters.formats.x12.writer import InterchangeSpec, interchange_version_for, isa_segment
from gateway.messages import (
    Address,
    Carrier,
    Contact,
    DateReference,
    Envelope,
    ItemId,
    ItemIdentification,
    LineAcknowledgment,
    LineStatus,
    Note,
    Pack,
    Party,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderAck,
    PurchaseOrderAckLine,
    PurchaseOrderLine,
    Reference,
    ShipmentOrder,
    ShipNotice,
    ShippedItem,
    Tare,
    Weight,
    X12Envelope,
)

TEXT_ALPHABET = string.ascii_letters + string.digits + " -.,/#&()'+@"
"""Characters for free text: none of them is a separator in the default or tested styles."""

ID_ALPHABET = string.ascii_uppercase + string.digits
"""Characters for identifiers (ISA/GS ids)."""

SEPARATOR_CHARACTERS = "*:~^\n\r|>\\`!\x1c\x1d\x1e\x1f"
"""Characters no generated value contains: default separators and the alternative ones."""

assert not set(TEXT_ALPHABET) & set(SEPARATOR_CHARACTERS)


T = TypeVar("T")
P = ParamSpec("P")


def shared(build: Callable[P, st.SearchStrategy[T]]) -> Callable[P, st.SearchStrategy[T]]:
    """``build`` made once per arguments, its strategy object shared by every caller: Hypothesis
    checks each new strategy object when it is first drawn from, and the composites below, which
    ask for their parts at every draw, spent most of the round-trip tests' time there. The
    strategies are the same; only their objects are reused."""
    made: dict[Any, st.SearchStrategy[T]] = {}

    @functools.wraps(build)
    def strategy(*args: P.args, **kwargs: P.kwargs) -> st.SearchStrategy[T]:
        key = (tuple(map(_hashable, args)), tuple((k, _hashable(v)) for k, v in kwargs.items()))
        if key not in made:
            made[key] = build(*args, **kwargs)
        return made[key]

    return strategy


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@shared
def text(max_size: int, min_size: int = 1) -> st.SearchStrategy[str]:
    """Free text of ``min_size`` to ``max_size`` characters without surrounding spaces."""
    return st.text(TEXT_ALPHABET, min_size=min_size, max_size=max_size).filter(
        lambda s: s == s.strip()
    )


@shared
def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


@shared
def identifiers(max_size: int, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(ID_ALPHABET, min_size=min_size, max_size=max_size)


@shared
def decimals(max_digits: int, max_places: int = 4) -> st.SearchStrategy[Decimal]:
    """Non-negative decimals written with at most ``max_digits`` digits."""
    return st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(0, 10**max_digits - 1),
        st.integers(0, min(max_places, max_digits)),
    )


@shared
def dates() -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31))


@shared
def times() -> st.SearchStrategy[str]:
    """HHMM or HHMMSS."""
    return st.builds(
        lambda t, seconds: t.strftime("%H%M%S" if seconds else "%H%M"),
        st.times(),
        st.booleans(),
    )


# ----------------------------------------------------------------------------------------------
# Code lists (a realistic sample of each)

UNITS = ["EA", "CA", "BX", "DZ", "PK", "LB", "KG", "CT", "PL", "UN"]
REFERENCE_QUALIFIERS = ["DP", "IA", "VR", "PD", "CO", "IT", "ZZ", "IV", "PK", "LS"]
DATE_QUALIFIERS = ["002", "010", "037", "038", "063", "064", "067", "068"]
CONTACT_FUNCTIONS = ["BD", "IC", "OC", "SR", "CN"]
ENTITY_CODES = ["BY", "ST", "BT", "SF", "SE", "VN", "RI", "OB", "SU", "MF"]
PARTY_ID_QUALIFIERS = ["1", "9", "92", "91", "UL", "ZZ"]
OTHER_ITEM_QUALIFIERS = ["EN", "IN", "MG", "SK", "CB", "VC", "VP", "PI"]
"""Product id qualifiers (235) other than the named BP, VN, UP and UK."""
COUNTRIES = ["US", "CA", "MX", "DE", "FR", "USA"]
CURRENCIES = ["USD", "CAD", "EUR", "GBP", "MXN"]


@shared
def codes(values: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


# ----------------------------------------------------------------------------------------------
# Envelope


@shared
@st.composite
def envelopes(draw: st.DrawFn) -> Envelope:
    """An envelope as the writer writes and the reader reads it (ISA13 zero-padded to 9 digits,
    GS06 without leading zeros, ISA12 consistent with GS08, GS04/GS05 to the second), with or
    without what the gateway adds and X12 cannot carry (partner, received-at, correlation id)."""
    version = draw(st.sampled_from(["004010", "005010"]))
    facts = X12Envelope(
        sender_qualifier=draw(codes(["01", "12", "14", "ZZ", "08"])),
        sender_id=draw(identifiers(15)),
        receiver_qualifier=draw(codes(["01", "12", "14", "ZZ", "08"])),
        receiver_id=draw(identifiers(15)),
        interchange_control_number=f"{draw(st.integers(1, 999_999_999)):09d}",
        interchange_version={"004010": "00401", "005010": "00501"}[version],
        usage_indicator=draw(st.sampled_from(["P", "T", "I"])),
        application_sender=draw(identifiers(15, min_size=2)),
        application_receiver=draw(identifiers(15, min_size=2)),
        group_control_number=str(draw(st.integers(1, 999_999_999))),
        version=version,
        transaction_control_number=f"{draw(st.integers(1, 999_999_999)):04d}",
        implementation_reference=(
            draw(optional(st.sampled_from(["005010", "005010VICS"])))
            if version == "005010"
            else None
        ),
        created_at=draw(
            st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2049, 12, 31, 23, 59, 59))
        ).replace(microsecond=0),
    )
    return Envelope.of_x12(
        facts,
        partner=draw(optional(identifiers(20))),
        received_at=draw(optional(st.datetimes(timezones=st.just(dt.UTC)))),
        correlation_id=draw(optional(identifiers(36))),
    )


# ----------------------------------------------------------------------------------------------
# Shared building blocks


@shared
def references(
    qualifiers: list[str] = REFERENCE_QUALIFIERS,
) -> st.SearchStrategy[Reference]:
    """REF: REF02 or REF03 present (R0203); REF02 at most 30 characters (004010)."""
    return st.builds(
        Reference,
        qualifier=codes(qualifiers),
        value=optional(text(30)),
        description=optional(text(80)),
    ).filter(lambda r: r.value is not None or r.description is not None)


@shared
def date_references(qualifiers: list[str] = DATE_QUALIFIERS) -> st.SearchStrategy[DateReference]:
    return st.builds(
        DateReference, qualifier=codes(qualifiers), date=dates(), time=optional(times())
    )


@shared
def contacts() -> st.SearchStrategy[Contact]:
    return st.builds(
        Contact,
        function_code=codes(CONTACT_FUNCTIONS),
        name=optional(text(60)),
        phone=optional(text(30)),
        email=optional(text(60)),
    )


@shared
def addresses() -> st.SearchStrategy[Address]:
    """N3 lines and N4; never empty (an empty address is no address)."""
    return st.builds(
        Address,
        lines=st.lists(text(55), max_size=4),
        city=optional(text(30, min_size=2)),
        state=optional(st.text(string.ascii_uppercase, min_size=2, max_size=2)),
        postal_code=optional(text(15, min_size=3)),
        country=optional(codes(COUNTRIES)),
    ).filter(lambda a: bool(a.lines or a.city or a.state or a.postal_code or a.country))


@shared
@st.composite
def parties(draw: st.DrawFn, roles: list[str] = ENTITY_CODES) -> Party:
    """N1 loop: N102 or N103/N104 (R0203, P0304), up to 2 N2 and 2 N3 segments."""
    with_id = draw(st.booleans())
    return Party(
        role=draw(codes(roles)),
        name=draw(text(60) if not with_id else optional(text(60))),
        id_qualifier=draw(codes(PARTY_ID_QUALIFIERS)) if with_id else None,
        id=draw(text(80, min_size=2)) if with_id else None,
        additional_names=draw(st.lists(text(60), max_size=4)),
        address=draw(optional(addresses())),
        contacts=draw(st.lists(contacts(), max_size=2)),
    )


@shared
def notes() -> st.SearchStrategy[Note]:
    return st.builds(Note, text=text(80))


@shared
@st.composite
def item_identifications(
    draw: st.DrawFn, min_ids: int = 0, max_ids: int = 10
) -> ItemIdentification:
    """Named ids plus other pairs; ``min_ids`` to ``max_ids`` pairs in all."""
    named = [draw(optional(text(48))) for _ in range(4)]
    present = sum(v is not None for v in named)
    others = draw(
        st.lists(
            st.builds(ItemId, qualifier=codes(OTHER_ITEM_QUALIFIERS), value=text(48)),
            min_size=max(0, min_ids - present),
            max_size=max(0, min(4, max_ids - present)),
        )
    )
    return ItemIdentification(
        buyer_item_number=named[0],
        vendor_item_number=named[1],
        upc=named[2],
        gtin=named[3],
        other_ids=others,
    )


# ----------------------------------------------------------------------------------------------
# 850


@shared
@st.composite
def payment_terms(draw: st.DrawFn) -> PaymentTerms:
    """ITD: a discount percent comes with a discount due date or days (L03040513)."""
    discount = draw(optional(decimals(6, 2)))
    due_date = draw(optional(dates()))
    days = draw(optional(st.integers(0, 999)))
    if discount is not None and due_date is None and days is None:
        days = draw(st.integers(0, 999))
    terms = PaymentTerms(
        type_code=draw(optional(codes(["01", "02", "05", "08", "14"]))),
        basis_date_code=draw(optional(codes(["1", "2", "3", "15"]))),
        discount_percent=discount,
        discount_due_date=due_date,
        discount_days_due=days,
        net_due_date=draw(optional(dates())),
        net_days=draw(optional(st.integers(0, 999))),
        description=draw(optional(text(80))),
    )
    if terms == PaymentTerms():
        return PaymentTerms(type_code="01")
    return terms


@shared
@st.composite
def carriers(draw: st.DrawFn) -> Carrier:
    """TD5: TD502/TD503 together; at least one of TD502, TD504, TD505."""
    scac = draw(optional(identifiers(4, min_size=2)))
    method = draw(optional(codes(["M", "A", "U", "H", "L", "R"])))
    routing = draw(optional(text(35)))
    if scac is None and method is None and routing is None:
        scac = draw(identifiers(4, min_size=2))
    return Carrier(
        routing_sequence_code=draw(optional(codes(["A", "B", "O"]))),
        id_qualifier="2" if scac else None,
        scac=scac,
        transport_method=method,
        routing=routing,
    )


@shared
@st.composite
def purchase_order_lines(draw: st.DrawFn) -> PurchaseOrderLine:
    price = draw(optional(decimals(12)))
    return PurchaseOrderLine(
        line_number=draw(optional(identifiers(20))),
        quantity=draw(decimals(12)),
        unit_of_measure=draw(codes(UNITS)),
        unit_price=price,
        price_basis=draw(optional(codes(["PE", "CP", "QT"]))) if price is not None else None,
        item=draw(item_identifications()),
        description=draw(optional(text(80))),
        dates=draw(st.lists(date_references(), max_size=2)),
        notes=draw(st.lists(notes(), max_size=2)),
    )


@shared
@st.composite
def purchase_orders(draw: st.DrawFn) -> PurchaseOrder:
    return PurchaseOrder(
        envelope=draw(envelopes()),
        purpose_code=draw(codes(["00", "01", "05", "06", "07"])),
        order_type_code=draw(codes(["SA", "DS", "RL", "NE", "BK", "KN"])),
        po_number=draw(text(22)),
        release_number=draw(optional(text(30))),
        po_date=draw(dates()),
        currency=draw(optional(codes(CURRENCIES))),
        references=draw(st.lists(references(), max_size=3)),
        contacts=draw(st.lists(contacts(), max_size=3)),
        terms=draw(st.lists(payment_terms(), max_size=2)),
        dates=draw(st.lists(date_references(), max_size=3)),
        carriers=draw(st.lists(carriers(), max_size=2)),
        notes=draw(st.lists(notes(), max_size=3)),
        parties=draw(st.lists(parties(), max_size=3)),
        lines=draw(st.lists(purchase_order_lines(), min_size=1, max_size=4)),
    )


# ----------------------------------------------------------------------------------------------
# 855


@shared
@st.composite
def line_acknowledgments(draw: st.DrawFn) -> LineAcknowledgment:
    """ACK: quantity with its unit (P0203), date with its qualifier (P0405)."""
    with_quantity = draw(st.booleans())
    with_date = draw(st.booleans())
    return LineAcknowledgment(
        status=draw(st.sampled_from(LineStatus)),
        quantity=draw(decimals(12)) if with_quantity else None,
        unit_of_measure=draw(codes(UNITS)) if with_quantity else None,
        date_qualifier=draw(codes(["067", "068", "002", "017"])) if with_date else None,
        date=draw(dates()) if with_date else None,
    )


@shared
def purchase_order_ack_lines() -> st.SearchStrategy[PurchaseOrderAckLine]:
    return st.builds(
        PurchaseOrderAckLine,
        line_number=optional(identifiers(20)),
        quantity=decimals(12),
        unit_of_measure=codes(UNITS),
        unit_price=optional(decimals(12)),
        item=item_identifications(),
        description=optional(text(80)),
        acknowledgments=st.lists(line_acknowledgments(), max_size=3),
    )


@shared
@st.composite
def purchase_order_acks(draw: st.DrawFn) -> PurchaseOrderAck:
    return PurchaseOrderAck(
        envelope=draw(envelopes()),
        purpose_code=draw(codes(["00", "01", "06", "19"])),
        ack_type=draw(codes(["AC", "AD", "AK", "RD", "RJ", "AT"])),
        po_number=draw(text(22)),
        po_date=draw(dates()),
        release_number=draw(optional(text(30))),
        ack_date=draw(optional(dates())),
        references=draw(st.lists(references(), max_size=3)),
        dates=draw(st.lists(date_references(), max_size=3)),
        notes=draw(st.lists(notes(), max_size=3)),
        parties=draw(st.lists(parties(), max_size=3)),
        lines=draw(st.lists(purchase_order_ack_lines(), max_size=4)),
    )


# ----------------------------------------------------------------------------------------------
# 856


@shared
def weights() -> st.SearchStrategy[Weight]:
    return st.builds(
        Weight,
        qualifier=optional(codes(["G", "N", "A3"])),
        value=decimals(8, 3),
        unit=codes(["LB", "KG"]),
    )


@shared
def ssccs() -> st.SearchStrategy[str]:
    """SSCC-18 as written in MAN02 (00 application identifier + 18 digits)."""
    return st.text(string.digits, min_size=20, max_size=20)


@shared
@st.composite
def shipped_items(draw: st.DrawFn) -> ShippedItem:
    """LIN (written when there are product ids), SN1 with SN105/SN106 together, PID."""
    ordered = draw(st.booleans())
    return ShippedItem(
        line_number=draw(optional(identifiers(20))),
        item=draw(item_identifications(max_ids=6)),
        quantity_shipped=draw(decimals(9)),
        unit_of_measure=draw(codes(UNITS)),
        quantity_ordered=draw(decimals(12)) if ordered else None,
        ordered_unit_of_measure=draw(codes(UNITS)) if ordered else None,
        description=draw(optional(text(80))),
    )


@shared
def packs() -> st.SearchStrategy[Pack]:
    return st.builds(
        Pack,
        sscc=optional(ssccs()),
        tracking_number=optional(identifiers(30)),
        weight=optional(weights()),
        items=st.lists(shipped_items(), max_size=3),
    )


@shared
def tares() -> st.SearchStrategy[Tare]:
    return st.builds(Tare, sscc=optional(ssccs()), packs=st.lists(packs(), max_size=2))


@shared
def shipment_orders() -> st.SearchStrategy[ShipmentOrder]:
    return st.builds(
        ShipmentOrder,
        po_number=text(22),
        release_number=optional(text(30)),
        po_date=optional(dates()),
        references=st.lists(references(), max_size=2),
        parties=st.lists(parties(), max_size=2),
        tares=st.lists(tares(), max_size=2),
        packs=st.lists(packs(), max_size=2),
        items=st.lists(shipped_items(), max_size=2),
    )


SHIPMENT_ROLES = [r for r in ENTITY_CODES if r not in ("SF", "ST")]
SHIPMENT_REFERENCES = [q for q in REFERENCE_QUALIFIERS if q not in ("BM", "CN", "2I")]


@shared
@st.composite
def ship_notices(draw: st.DrawFn) -> ShipNotice:
    """TD101 needs TD102 (C0102); SCAC, PRO, BOL, SF/ST parties and DTM 011/017 by qualifier."""
    packaging_code = draw(optional(codes(["CTN25", "PLT94", "CTN", "PLT71", "BOX"])))
    lading = draw(optional(st.integers(0, 9_999_999)))
    if packaging_code is not None and lading is None:
        lading = draw(st.integers(1, 9_999_999))
    return ShipNotice(
        envelope=draw(envelopes()),
        purpose_code=draw(codes(["00", "01", "05", "06"])),
        shipment_id=draw(text(30, min_size=2)),
        ship_date=draw(dates()),
        ship_time=draw(times()),
        hierarchy_code=draw(optional(codes(["0001", "0002", "0004"]))),
        packaging_code=packaging_code,
        lading_quantity=lading,
        gross_weight=draw(optional(weights())),
        carrier_scac=draw(optional(identifiers(4, min_size=2))),
        transport_method=draw(optional(codes(["M", "A", "U", "H", "L", "R"]))),
        routing=draw(optional(text(35))),
        bill_of_lading=draw(optional(text(30))),
        pro_number=draw(optional(text(30))),
        tracking_numbers=draw(st.lists(text(30), max_size=3)),
        references=draw(st.lists(references(SHIPMENT_REFERENCES), max_size=2)),
        ship_date_time=draw(optional(date_references(["011"]))),
        delivery_date=draw(optional(date_references(["017"]))),
        ship_from=draw(optional(parties(["SF"]))),
        ship_to=draw(optional(parties(["ST"]))),
        parties=draw(st.lists(parties(SHIPMENT_ROLES), max_size=2)),
        orders=draw(st.lists(shipment_orders(), min_size=1, max_size=3)),
    )


# ----------------------------------------------------------------------------------------------
# Small X12 samples in tests


def transaction_from_text(
    body: str, set_id: str, version: str = "004010", control_number: str = "0001"
) -> TransactionSet:
    """The one transaction set of an interchange wrapped around ``body``, read by the reader.

    ``body`` holds the segments between ST and SE with the default separators (``*`` and ``~``);
    line breaks around segments are ignored, as the reader ignores them.
    """
    segments = [s.strip() for s in body.split("~") if s.strip()]
    spec = InterchangeSpec(
        "ZZ", "SENDER", "ZZ", "RECEIVER", version=interchange_version_for(version)
    )
    at = dt.datetime(2024, 5, 17, 9, 30)
    text = isa_segment(spec, 1, at) + "".join(
        f"{segment}~"
        for segment in (
            f"GS*{FUNCTIONAL_IDS[set_id]}*SENDER*RECEIVER*20240517*0930*1*X*{version}",
            f"ST*{set_id}*{control_number}",
            *segments,
            f"SE*{len(segments) + 2}*{control_number}",
            "GE*1*1",
            "IEA*1*000000001",
        )
    )
    [tx] = list(transactions_in(text.encode()))
    return tx


CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
"""Public X12 samples (read only, never copied into the repository)."""


def corpus_files(set_id: str) -> list[str]:
    """``saved_name`` of every corpus file holding ``set_id`` sets that looks valid.

    Rows of ``MANIFEST.tsv`` whose ``transaction_set(s)`` include ``set_id`` and whose
    ``valid_guess`` is ``yes``.
    """
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="", encoding="utf-8") as rows:
        return [
            row["saved_name"]
            for row in csv.DictReader(rows, delimiter="\t")
            if row["valid_guess"] == "yes"
            and set_id in re.findall(r"\d{3}", row["transaction_set(s)"])
        ]

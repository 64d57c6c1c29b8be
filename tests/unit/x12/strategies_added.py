"""Hypothesis strategies for what schema 2.1 added to the 850, 855 and 856 (issue 25): each
``*_with_added`` strategy draws a message of :mod:`tests.unit.x12.strategies` and fills the new
fields, within the syntax rules of the segments they are written as (so that the rendered
documents still validate clean).

Two limits of the round trip, by design: ``unmapped`` stays empty (the segments kept are not
written back: their positions are the original set's), and a note's code is drawn only in 005010
(MTX01; the MSG of 004010 has no element for it). ``control_totals`` always differ from what
the content gives (otherwise a read leaves them out, as they say nothing more).
"""

from __future__ import annotations

from hypothesis import strategies as st

from adapters.formats.x12.transactions.common import NOTES_CONTAINER, is_005010_or_later
from gateway.messages import (
    Contact,
    ItemIdentification,
    Party,
    PurchaseOrder,
    PurchaseOrderAck,
    PurchaseOrderLine,
    ShipNotice,
    ShippedItem,
)
from gateway.messages.blocks import (
    AllowanceCharge,
    ControlTotals,
    ItemDescription,
    Measurement,
    Tax,
)
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
from gateway.messages.shipments import Equipment, Volume
from tests.unit.x12.strategies import (
    DATE_QUALIFIERS,
    REFERENCE_QUALIFIERS,
    UNITS,
    codes,
    date_references,
    dates,
    decimals,
    identifiers,
    optional,
    parties,
    purchase_order_acks,
    purchase_orders,
    references,
    ship_notices,
    text,
    times,
)


@st.composite
def allowances_charges(draw: st.DrawFn) -> AllowanceCharge:
    """SAC: SAC02 given (R0203); SAC03/SAC04, SAC06/SAC07 and SAC09/SAC10 in pairs."""
    with_percent, with_quantity = draw(st.booleans()), draw(st.booleans())
    with_agency = draw(st.booleans())
    return AllowanceCharge(
        indicator=draw(codes(["A", "C", "N"])),
        code=draw(codes(["D240", "C310", "H850", "B720", "F050"])),
        agency_qualifier=draw(codes(["VI", "AB", "ZZ"])) if with_agency else None,
        agency_code=draw(identifiers(10)) if with_agency else None,
        amount=draw(optional(decimals(13, 2))),
        percent_qualifier=draw(codes(["1", "3", "Z"])) if with_percent else None,
        percent=draw(decimals(6, 2)) if with_percent else None,
        rate=draw(optional(decimals(9, 2))),
        unit_of_measure=draw(codes(UNITS)) if with_quantity else None,
        quantity=draw(decimals(12)) if with_quantity else None,
        handling_code=draw(optional(codes(["02", "06", "04"]))),
        reference=draw(optional(text(30))),
        description=draw(optional(text(80))),
    )


@st.composite
def taxes(draw: st.DrawFn) -> Tax:
    """TXI: TXI02 given (R020306); TXI04/TXI05 in a pair."""
    with_jurisdiction = draw(st.booleans())
    return Tax(
        type_code=draw(codes(["ST", "LS", "CT", "GS", "VA"])),
        amount=draw(decimals(12, 2)),
        percent=draw(optional(decimals(6, 2))),
        jurisdiction_qualifier=draw(codes(["CD", "SP"])) if with_jurisdiction else None,
        jurisdiction=draw(identifiers(10)) if with_jurisdiction else None,
        exempt_code=draw(optional(codes(["1", "2", "0"]))),
        tax_id=draw(optional(identifiers(20))),
    )


def measurements() -> st.SearchStrategy[Measurement]:
    """MEA: MEA03 given (R03050608)."""
    return st.builds(
        Measurement,
        reference_code=optional(codes(["PD", "CT", "WT"])),
        qualifier=optional(codes(["WT", "LN", "WD", "HT", "VOL"])),
        value=decimals(10, 3),
        unit=optional(codes(["LB", "KG", "IN", "CM"])),
    )


@st.composite
def fob_terms(draw: st.DrawFn) -> FobTerms:
    """FOB: FOB02/FOB03 and FOB04/FOB05 in pairs."""
    with_location, with_terms = draw(st.booleans()), draw(st.booleans())
    return FobTerms(
        payment_method=draw(codes(["CC", "PP", "PB", "DF", "PC"])),
        location_qualifier=draw(codes(["OR", "DE", "CA"])) if with_location else None,
        location=draw(text(80)) if with_location else None,
        terms_qualifier="01" if with_terms else None,
        terms_code=draw(codes(["FOB", "EXW", "DDP", "FCA"])) if with_terms else None,
    )


def amounts() -> st.SearchStrategy[Amount]:
    return st.builds(
        Amount,
        qualifier=codes(["TT", "GV", "1", "5"]),
        amount=decimals(15, 2),
        credit_debit=optional(codes(["C", "D"])),
    )


@st.composite
def catalog_prices(draw: st.DrawFn) -> CatalogPrice:
    """CTP: CTP02 and CTP03 given; CTP04/CTP05 and CTP06/CTP07 in pairs."""
    with_quantity, with_multiplier = draw(st.booleans()), draw(st.booleans())
    return CatalogPrice(
        class_of_trade=draw(optional(codes(["RS", "WH", "AG"]))),
        qualifier=draw(codes(["RES", "UCP", "CON", "MSR"])),
        unit_price=draw(decimals(12)),
        quantity=draw(decimals(12)) if with_quantity else None,
        unit_of_measure=draw(codes(UNITS)) if with_quantity else None,
        multiplier_qualifier=draw(codes(["DIS", "SEL"])) if with_multiplier else None,
        multiplier=draw(decimals(8, 2)) if with_multiplier else None,
        amount=draw(optional(decimals(12, 2))),
        basis_code=draw(optional(codes(["PE", "CP", "QT"]))),
        condition_value=draw(optional(identifiers(10))),
        multiple_price_quantity=draw(optional(st.integers(1, 99))),
    )


@st.composite
def pack_sizes(draw: st.DrawFn) -> PackSize:
    """PO4: PO402/PO403 in a pair; PO404 only with the weight PO405-PO407; PO408/PO409 in a
    pair; PO410-PO413 together."""
    with_size, with_weight = draw(st.booleans()), draw(st.booleans())
    with_volume, with_dimensions = draw(st.booleans()), draw(st.booleans())
    return PackSize(
        pack=draw(optional(st.integers(1, 999_999))),
        size=draw(decimals(6, 2)) if with_size else None,
        unit_of_measure=draw(codes(UNITS)) if with_size else None,
        packaging_code=draw(optional(codes(["CTN25", "BOX25"]))) if with_weight else None,
        weight_qualifier=draw(codes(["G", "N"])) if with_weight else None,
        gross_weight=draw(decimals(7, 2)) if with_weight else None,
        weight_unit=draw(codes(["LB", "KG"])) if with_weight else None,
        gross_volume=draw(decimals(7, 2)) if with_volume else None,
        volume_unit=draw(codes(["CF", "CR"])) if with_volume else None,
        length=draw(decimals(6, 2)) if with_dimensions else None,
        width=draw(decimals(6, 2)) if with_dimensions else None,
        height=draw(decimals(6, 2)) if with_dimensions else None,
        dimension_unit=draw(codes(["IN", "CM"])) if with_dimensions else None,
        inner_pack=draw(optional(st.integers(1, 999_999))),
    ).model_copy(update={"pack": draw(st.integers(1, 999_999))} if not with_size else {})


@st.composite
def schedules(draw: st.DrawFn) -> DeliverySchedule:
    """SCH: SCH08 with SCH09 (and SCH10)."""
    with_end = draw(st.booleans())
    return DeliverySchedule(
        quantity=draw(decimals(12)),
        unit_of_measure=draw(codes(UNITS)),
        date_qualifier=draw(codes(["002", "010", "067"])),
        date=draw(dates()),
        time=draw(optional(times())),
        end_date_qualifier=draw(codes(["002", "010"])) if with_end else None,
        end_date=draw(dates()) if with_end else None,
        end_time=draw(optional(times())) if with_end else None,
        line_number=draw(optional(identifiers(6))),
    )


def named_in(item: ItemIdentification) -> ItemIdentification:
    """``item`` as the 850/855/856 read it from 2.1 on: the first IN pair is ``buyer_item_id``."""
    first = next((i for i in item.other_ids if i.qualifier == "IN"), None)
    if item.buyer_item_id is not None or first is None:
        return item
    others = [i for i in item.other_ids if i is not first]
    return item.model_copy(update={"buyer_item_id": first.value, "other_ids": others})


@st.composite
def with_fax(draw: st.DrawFn, contacts: list[Contact]) -> list[Contact]:
    """``contacts`` with a fax number now and then."""
    return [c.model_copy(update={"fax": draw(optional(text(30)))}) for c in contacts]


@st.composite
def with_references(draw: st.DrawFn, parties: list[Party]) -> list[Party]:
    """``parties`` with REF segments in their N1 loops (and faxes in their PERs)."""
    return [
        p.model_copy(
            update={
                "references": draw(st.lists(references(), max_size=2)),
                "contacts": draw(with_fax(p.contacts)),
            }
        )
        for p in parties
    ]


def destination_quantities() -> st.SearchStrategy[DestinationQuantities]:
    pair = st.builds(LocationQuantity, location=identifiers(10, min_size=2), quantity=decimals(9))
    return st.builds(
        DestinationQuantities,
        unit_of_measure=codes(UNITS),
        id_qualifier=optional(codes(["92", "91", "UL"])),
        quantities=st.lists(pair, min_size=1, max_size=10),
        area=optional(identifiers(10)),
    )


@st.composite
def item_descriptions(draw: st.DrawFn, free_form: bool = True) -> ItemDescription:
    """PID: free-form (F, PID05) or structured (S, PID03/PID04, PID05 optional); PID09 only with
    PID05. ``free_form=False`` draws no F with a PID05: read back, that one would be the item's
    ``description``."""
    if free_form and draw(st.booleans()):
        return ItemDescription(
            type="F",
            characteristic_code=draw(optional(codes(["08", "75", "91"]))),
            text=draw(text(80)),
            language=draw(optional(codes(["EN", "FR"]))),
        )
    described = draw(optional(text(80)))
    return ItemDescription(
        type="S",
        characteristic_code=draw(optional(codes(["08", "75", "91"]))),
        agency=draw(codes(["VI", "UN"])),
        code=draw(identifiers(12)),
        text=described,
        surface_code=draw(optional(codes(["AB", "ZZ"]))),
        language=draw(optional(codes(["EN", "FR"]))) if described else None,
    )


def descriptions_for(description: str | None) -> st.SearchStrategy[list[ItemDescription]]:
    return st.lists(item_descriptions(free_form=description is not None), max_size=2)


@st.composite
def packaging_descriptions(draw: st.DrawFn) -> PackagingDescription:
    """PKG: free-form (PKG05) or coded (PKG03/PKG04)."""
    coded = draw(st.booleans())
    return PackagingDescription(
        type="S" if coded else "F",
        characteristic_code=draw(optional(codes(["68", "66", "01"]))),
        agency=draw(codes(["VI", "UN"])) if coded else None,
        code=draw(identifiers(7)) if coded else None,
        text=None if coded else draw(text(80)),
    )


def totals(count: int, max_count: int = 999_999) -> st.SearchStrategy[ControlTotals | None]:
    """CTT totals differing from the content's (count ``count``), or None."""
    return optional(
        st.builds(
            ControlTotals,
            count=st.integers(0, max_count).filter(lambda n: n != count),
            hash_total=optional(decimals(8, 2)),
        )
    )


@st.composite
def purchase_order_lines_added(draw: st.DrawFn, line: PurchaseOrderLine) -> PurchaseOrderLine:
    return line.model_copy(
        update={
            "item": named_in(line.item),
            "descriptions": draw(descriptions_for(line.description)),
            "prices": draw(st.lists(catalog_prices(), max_size=2)),
            "packaging": draw(st.lists(pack_sizes(), max_size=2)),
            "allowances_charges": draw(st.lists(allowances_charges(), max_size=2)),
            "taxes": draw(st.lists(taxes(), max_size=2)),
            "measurements": draw(st.lists(measurements(), max_size=2)),
            "references": draw(st.lists(references(), max_size=2)),
            "schedules": draw(st.lists(schedules(), max_size=2)),
            "destination_quantities": draw(st.lists(destination_quantities(), max_size=2)),
            "parties": draw(with_references(draw(st.lists(parties(), max_size=2)))),
        }
    )


@st.composite
def purchase_orders_with_added(draw: st.DrawFn) -> PurchaseOrder:
    order = draw(purchase_orders())
    version = (order.envelope.x12.version if order.envelope.x12 else None) or "004010"
    notes = order.notes
    if is_005010_or_later(version):
        notes = [
            n.model_copy(update={"code": draw(optional(codes(["GEN", "SPH", "ORI"])))})
            for n in notes
        ]
    extended = st.lists(
        references(["ZZ", "AH", "CT", "L1", "PO"]).filter(
            lambda r: (r.qualifier, r.value, r.description) != NOTES_CONTAINER
        ),
        max_size=2,
    )
    return order.model_copy(
        update={
            "notes": notes,
            "contacts": draw(with_fax(order.contacts)),
            "contract_number": draw(optional(text(30))),
            "parties": draw(with_references(order.parties)),
            "lines": [draw(purchase_order_lines_added(line)) for line in order.lines],
            "fob": draw(st.lists(fob_terms(), max_size=2)),
            "allowances_charges": draw(st.lists(allowances_charges(), max_size=2)),
            "taxes": draw(st.lists(taxes(), max_size=2)),
            "measurements": draw(st.lists(measurements(), max_size=2)),
            "packaging_descriptions": draw(st.lists(packaging_descriptions(), max_size=2)),
            "extended_references": draw(extended),
            "amounts": draw(st.lists(amounts(), max_size=2)),
            "control_totals": draw(totals(len(order.lines))),
        }
    )


@st.composite
def purchase_order_acks_with_added(draw: st.DrawFn) -> PurchaseOrderAck:
    ack = draw(purchase_order_acks())
    control_totals = draw(totals(len(ack.lines)))
    if not ack.lines and control_totals is not None and control_totals.count == 0:
        control_totals = None  # CTT*0 with no lines says nothing: read, it is left out
    parties = draw(with_references(ack.parties))
    lines = [
        line.model_copy(
            update={
                "item": named_in(line.item),
                "descriptions": draw(descriptions_for(line.description)),
                "schedules": draw(st.lists(schedules(), max_size=2)),
                "price_basis": (
                    draw(optional(codes(["PE", "CP", "QT"])))
                    if line.unit_price is not None  # C0504
                    else None
                ),
            }
        )
        for line in ack.lines
    ]
    return ack.model_copy(
        update={
            "control_totals": control_totals,
            "parties": parties,
            "lines": lines,
            "request_reference": draw(optional(text(45))),
            "contract_number": draw(optional(text(30))),
            "seller_order_number": draw(optional(text(30))),
        }
    )


ITEM_REFERENCES = [q for q in REFERENCE_QUALIFIERS if q not in ("LT", "SE")]
ITEM_DATES = [q for q in DATE_QUALIFIERS if q != "036"]


@st.composite
def shipped_items_added(draw: st.DrawFn, item: ShippedItem) -> ShippedItem:
    return item.model_copy(
        update={
            "item": named_in(item.item),
            "descriptions": draw(descriptions_for(item.description)),
            "packaging": draw(st.lists(pack_sizes(), max_size=1)),
            "measurements": draw(st.lists(measurements(), max_size=2)),
            "quantity_shipped_to_date": draw(optional(decimals(12))),
            "lot_number": draw(optional(text(30))),
            "serial_numbers": draw(st.lists(text(30), max_size=3)),
            "expiration_date": draw(optional(dates())),
            "references": draw(st.lists(references(ITEM_REFERENCES), max_size=2)),
            "dates": draw(st.lists(date_references(ITEM_DATES), max_size=2)),
        }
    )


@st.composite
def equipment(draw: st.DrawFn) -> Equipment:
    """TD3: TD301 given; TD302 only with TD303."""
    number = draw(optional(identifiers(10)))
    return Equipment(
        description_code=draw(codes(["TL", "CN", "TV", "RT"])),
        initial=draw(optional(identifiers(4))) if number else None,
        number=number,
        seal_number=draw(optional(identifiers(15, min_size=2))),
    )


def _hl_count(notice: ShipNotice) -> int:
    count = 1
    for order in notice.orders:
        count += 1 + len(order.tares) + len(order.packs) + len(order.items)
        packs = [*order.packs, *(p for t in order.tares for p in t.packs)]
        count += sum(len(t.packs) for t in order.tares) + sum(len(p.items) for p in packs)
    return count


@st.composite
def ship_notices_with_added(draw: st.DrawFn) -> ShipNotice:
    notice = draw(ship_notices())
    orders = []
    for order in notice.orders:
        tares = [
            t.model_copy(
                update={
                    "packs": [
                        p.model_copy(
                            update={"items": [draw(shipped_items_added(i)) for i in p.items]}
                        )
                        for p in t.packs
                    ]
                }
            )
            for t in order.tares
        ]
        packs = [
            p.model_copy(update={"items": [draw(shipped_items_added(i)) for i in p.items]})
            for p in order.packs
        ]
        items = [draw(shipped_items_added(i)) for i in order.items]
        orders.append(order.model_copy(update={"tares": tares, "packs": packs, "items": items}))
    td5_given = notice.carrier_scac or notice.transport_method or notice.routing
    volume = st.builds(Volume, value=decimals(8, 2), unit=codes(["CF", "CR", "E3"]))
    return notice.model_copy(
        update={
            "orders": orders,
            "parties": draw(with_references(notice.parties)),
            "routing_sequence_code": draw(optional(codes(["A", "B", "O"]))) if td5_given else None,
            "equipment": draw(st.lists(equipment(), max_size=2)),
            "volume": draw(optional(volume)),
            "dates": draw(st.lists(date_references(), max_size=2)),
            "control_totals": draw(totals(_hl_count(notice))),
        }
    )

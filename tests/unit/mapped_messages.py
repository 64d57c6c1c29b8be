"""Hypothesis strategies for canonical messages holding exactly the fields a shipped mapping
declares (tests of writing through mappings: canonical -> file -> canonical is the identity), and
the round trip itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from gateway.control_numbers import InMemoryCounter
from gateway.messages import Envelope, Message, PartyId
from gateway.ports import Format, FormatConfig

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
PLACEHOLDER = Envelope(format="request", sender=PartyId(id="-"), receiver=PartyId(id="-"))
"""What a request's envelope is before the gateway writes it (replaced wholesale)."""

TEXT = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
        min_size=1,
        max_size=16,
    )
    .map(str.strip)
    .filter(bool)
)
"""A value as partners' files carry them: no control characters, no surrounding spaces (every
reader strips those)."""
DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31))
HHMM = st.times().map(lambda t: f"{t.hour:02d}{t.minute:02d}")
QUANTITIES = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000000"), places=3)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def cxml_ship_notices() -> st.SearchStrategy[dict[str, Any]]:
    """ShipNotices as mappings/xml/cxml-ship-notice-request.toml carries them."""
    item = st.builds(
        lambda number, quantity, unit, vendor: drop_none(
            {
                "line_number": number,
                "quantity_shipped": quantity,
                "unit_of_measure": unit,
                "item": drop_none({"vendor_item_number": vendor}),
            }
        ),
        optional(TEXT),
        QUANTITIES,
        TEXT,
        optional(TEXT),
    )
    order = st.builds(
        lambda po, date, items: drop_none({"po_number": po, "po_date": date, "items": items}),
        TEXT,
        optional(DATES),
        st.lists(item, max_size=3),
    )
    return st.builds(
        lambda purpose, shipment, date, time, shipped, due, scac, tracking, orders: drop_none(
            {
                "purpose_code": purpose,
                "shipment_id": shipment,
                "ship_date": date,
                "ship_time": time,
                "ship_date_time": {"qualifier": "011", "date": shipped},
                "delivery_date": {"qualifier": "017", "date": due},
                "carrier_scac": scac,
                "tracking_numbers": tracking,
                "orders": orders,
            }
        ),
        st.sampled_from(["00", "05", "03"]),
        TEXT,
        DATES,
        HHMM,
        DATES,
        DATES,
        optional(TEXT),
        st.lists(TEXT, max_size=3),
        st.lists(order, min_size=1, max_size=3),
    )


def cxml_confirmations() -> st.SearchStrategy[dict[str, Any]]:
    """PurchaseOrderAcks as mappings/xml/cxml-confirmation-request.toml carries them."""
    status = st.builds(
        lambda code, quantity, unit, date: drop_none(
            {
                "status": code,
                "quantity": quantity,
                "unit_of_measure": unit,
                "date_qualifier": "068" if date is not None else None,  # a ship date
                "date": date,
            }
        ),
        st.sampled_from(["IA", "IC", "IB", "IR"]),
        optional(QUANTITIES),
        optional(TEXT),
        optional(DATES),
    )
    line = st.builds(
        lambda number, quantity, unit, statuses: drop_none(
            {
                "line_number": number,
                "quantity": quantity,
                "unit_of_measure": unit,
                "acknowledgments": statuses,
            }
        ),
        optional(TEXT),
        QUANTITIES,
        TEXT,
        st.lists(status, max_size=3),
    )
    return st.builds(
        lambda ack_type, purpose, ack_date, po, po_date, lines: drop_none(
            {
                "ack_type": ack_type,
                "purpose_code": purpose,
                "ack_date": ack_date,
                "po_number": po,
                "po_date": po_date,
                "lines": lines,
            }
        ),
        st.sampled_from(["AK", "AC", "AD", "AE", "RJ"]),
        st.sampled_from(["00", "05"]),
        optional(DATES),
        TEXT,
        DATES,
        st.lists(line, max_size=3),
    )


def csv_ship_notices() -> st.SearchStrategy[dict[str, Any]]:
    """ShipNotices as mappings/csv/example-asn.toml carries them (an order's number is its own
    in the notice: its rows are grouped by it)."""
    item = st.builds(
        lambda number, vendor, gtin, description, quantity, unit: drop_none(
            {
                "line_number": number,
                "item": drop_none({"vendor_item_number": vendor, "gtin": gtin}),
                "description": description,
                "quantity_shipped": quantity,
                "unit_of_measure": unit,
            }
        ),
        optional(TEXT),
        optional(TEXT),
        optional(TEXT),
        optional(TEXT),
        QUANTITIES,
        TEXT,
    )
    order = st.builds(
        lambda po, date, items: drop_none({"po_number": po, "po_date": date, "items": items}),
        TEXT,
        optional(DATES),
        st.lists(item, min_size=1, max_size=3),
    )
    return st.builds(
        lambda shipment, purpose, date, time, scac, bol, tracking, orders: drop_none(
            {
                "shipment_id": shipment,
                "purpose_code": purpose,
                "ship_date": date,
                "ship_time": time,
                "carrier_scac": scac,
                "bill_of_lading": bol,
                "tracking_numbers": tracking,
                "orders": orders,
            }
        ),
        TEXT,
        st.sampled_from(["00", "05", "01"]),
        DATES,
        HHMM,
        optional(TEXT),
        optional(TEXT),
        st.lists(TEXT, max_size=1),
        st.lists(order, min_size=1, max_size=3, unique_by=lambda o: o["po_number"]),
    )


def csv_orders() -> st.SearchStrategy[dict[str, Any]]:
    """PurchaseOrders as mappings/csv/example-orders.toml carries them."""
    line = st.builds(
        lambda number, quantity, ean: drop_none(
            {
                "line_number": number,
                "quantity": quantity,
                "unit_of_measure": "EA",
                "item": {"other_ids": [{"qualifier": "EN", "value": ean}]},
            }
        ),
        optional(TEXT),
        QUANTITIES,
        TEXT,
    )
    return st.builds(
        lambda po, date, lines: {
            "po_number": po,
            "po_date": date,
            "purpose_code": "00",
            "order_type_code": "SA",
            "lines": lines,
        },
        TEXT,
        DATES,
        st.lists(line, min_size=1, max_size=4),
    )


LATIN_1 = (
    st.text(
        alphabet=st.characters(
            codec="latin-1", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\xa0"
        ),
        min_size=1,
        max_size=35,
    )
    .map(str.strip)
    .filter(bool)
)
"""A value as Latin-1 fixed-width files carry them (at most 35 characters: take a slice to fit
a field)."""


def fixed_orders() -> st.SearchStrategy[dict[str, Any]]:
    """PurchaseOrders as mappings/fixed/bots-orders.toml carries them: one buyer party (its
    GLN), lines with an EAN each; values within their columns."""

    def fits(width: int) -> st.SearchStrategy[str]:
        return LATIN_1.map(lambda text: text[:width].strip()).filter(bool)

    line = st.builds(
        lambda number, quantity, ean, description: drop_none(
            {
                "line_number": number,
                "quantity": quantity,
                "unit_of_measure": "EA",
                "description": description,
                "item": {"other_ids": [{"qualifier": "EN", "value": ean}]},
            }
        ),
        optional(fits(6)),
        st.decimals(min_value=Decimal("-99999999"), max_value=Decimal("999999999"), places=3),
        fits(14),
        optional(fits(35)),
    )
    return st.builds(
        lambda po, date, buyer, lines: {
            "po_number": po,
            "po_date": date,
            "purpose_code": "00",
            "order_type_code": "SA",
            "parties": [{"role": "BY", "id_qualifier": "UL", "id": buyer}],
            "lines": lines,
        },
        fits(17),
        DATES,
        fits(13),
        st.lists(line, min_size=1, max_size=4),
    )


def round_trip(
    format_: Format, config: FormatConfig, message: Message, kind: str
) -> tuple[Message, str, str]:
    """``message`` drafted, numbered and read back as nobody's: (what it reads back as, the
    id it is read back with, the id the numbering gave)."""
    draft = format_.draft(message, kind, config, NOW)
    document = format_.number(draft, config, InMemoryCounter())
    parser = format_.parser({"partner": config})
    data = document.text.encode(document.encoding)  # as it is delivered
    result = parser.parse(data, file_name="rendered", partner=None)
    assert not result.has_errors, (result.why, result.findings)
    [back] = result.documents
    assert back.message is not None
    return back.message, back.document_id, document.document_id

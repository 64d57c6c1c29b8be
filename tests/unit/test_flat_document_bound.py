"""A flat document its mapping cannot read in parts is read whole only up to a bound
(adapters/formats/flat_in_parts.HUGE_ROWS: rows of CSV, records of fixed width): read as a
stream, one past it is refused with a clear finding (``csv.too_large``, ``fixed.too_large``:
the file, its first row or line, the one that passed the bound, the bound, and for CSV why its
mapping cannot read it in parts), its rows passed over and never held, the file's other
documents read as usual; a CSV partner that wants its rejected rows back gets one row naming
them. ``parse`` (the bytes in hand: small files, the command line, read-backs) holds any
document. A CSV ship notice and fixed-width orders of a few hundred rows are made huge by a low
bound."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.formats import charset, flat_in_parts
from adapters.formats.delimited.format import CsvParser
from adapters.formats.delimited.mapping import load_mapping as csv_mapping
from adapters.formats.delimited.reply import RejectedRows
from adapters.formats.fixed.format import FixedParser
from adapters.formats.fixed.mapping import FixedMapping
from adapters.formats.fixed.mapping import load_mapping as fixed_mapping
from gateway.ports import ParseResult, collect

ROOT = Path(__file__).resolve().parents[2]
PARTNER = "p"
BOUND = 100
ASN_HEADER = (
    "file_reference,sender,receiver,shipment_id,purpose,ship_date,ship_time,carrier_scac,"
    "bill_of_lading,tracking_number,po_number,po_date,line_number,vendor_item,gtin,description,"
    "quantity,unit\n"
)


@pytest.fixture(autouse=True)
def bound_of_100_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flat_in_parts, "HUGE_ROWS", BOUND)


def shipment(shipment_id: str, rows: int) -> str:
    """A CSV ship notice (example-asn) of ``rows`` items, 20 to an order."""
    return "".join(
        f"F-1,3PL-EAST,GATEWAY,{shipment_id},original,20261204,1530,UPSN,BOL-1,1Z{n:08d},"
        f'PO-{n // 20:04d},20261120,{n % 20 + 1},WID-{n},,"Widget, {n}",{n % 30 + 1},EA\n'
        for n in range(rows)
    )


def notices(huge_rows: int) -> bytes:
    return (
        ASN_HEADER + shipment("SHP-1", 3) + shipment("SHP-HUGE", huge_rows) + shipment("SHP-2", 2)
    ).encode()


def csv_parser(replies: bool = False) -> CsvParser:
    mapping = csv_mapping("example-asn")
    return CsvParser({PARTNER: mapping}, {}, {}, frozenset({PARTNER}) if replies else frozenset())


def stream(parser: CsvParser | FixedParser, data: bytes, name: str) -> list[ParseResult]:
    return list(parser.parse_stream(io.BytesIO(data), file_name=name, partner=PARTNER))


def test_a_csv_ship_notice_past_the_bound_is_refused_and_the_others_read() -> None:
    parts = stream(csv_parser(replies=True), notices(250), "asn.csv")
    result = collect(iter(parts))
    assert [d.message.shipment_id for d in result.documents] == ["SHP-1", "SHP-2"]  # type: ignore[union-attr]
    assert not any(part.ahead for part in parts)
    [finding] = result.findings
    assert finding["code"] == "csv.too_large" and finding["severity"] == "error"
    # the header is row 1, SHP-1 rows 2-4: SHP-HUGE's rows 5-254, its 101st row is row 105
    assert finding["message"] == (
        "asn.csv, rows 5-254 (SHP-HUGE): more than 100 rows (row 105 passes them), and its "
        "mapping cannot read it in parts: it reads no one list ShipNotice is split along at its "
        "top (its lists: orders.tares, orders.packs, orders.items, unmapped); a document read "
        "whole this large is refused"
    )
    [owed] = parts[-1].owed
    assert isinstance(owed, RejectedRows)
    assert owed.rows == (("5-254", finding["message"].partition(": ")[2], ()),)


def test_at_the_bound_a_csv_ship_notice_is_read_whole_as_before() -> None:
    data = notices(BOUND)
    result = collect(iter(stream(csv_parser(), data, "asn.csv")))
    whole = csv_parser().parse(data, file_name="asn.csv", partner=PARTNER)
    assert not result.has_errors and result.documents == whole.documents
    assert len(result.documents) == 3


def test_parse_holds_a_document_past_the_bound() -> None:
    result = csv_parser().parse(notices(250), file_name="asn.csv", partner=PARTNER)
    assert not result.has_errors and len(result.documents) == 3


def test_a_refused_csv_document_is_passed_over_never_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 rows of a ship notice (some 5 MB as rows, 25 MB read whole): under 2 MB of memory
    read (the file read 64 kB at a time)."""
    monkeypatch.setattr(charset, "CHUNK", 1 << 16)
    data = notices(5_000)
    assert peak_of(lambda: stream(csv_parser(), data, "asn.csv"), "csv.too_large") < 2 << 20


def peak_of(read: Callable[[], list[ParseResult]], code: str) -> int:
    """The memory ``read`` took at its peak, once its one finding is ``code``."""
    tracemalloc.start()
    try:
        parts = read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f["code"] for part in parts for f in part.findings] == [code]
    return peak


def bots_orders(lines_of: dict[str, int]) -> bytes:
    """Fixed-width orders (bots-orders): each order's HEA record and its LIN records."""
    head, line = (ROOT / "fixtures" / "fixed" / "bots-orders.fix").read_text().splitlines()[:2]
    text = ""
    for order, lines in lines_of.items():
        text += head.replace("ORD-501  ", f"{order:9}") + "\r\n"
        text += "".join(line.replace("000001", f"{n:06d}", 1) + "\r\n" for n in range(1, lines + 1))
    return text.encode("latin-1")


def unbounded_lines() -> FixedMapping:
    """bots-orders with no ``max`` on its LIN records: the layout does not bound an order."""
    mapping = fixed_mapping("bots-orders")
    records = dict(mapping.layout.records)
    records["LIN"] = records["LIN"].model_copy(update={"max": None})
    layout = mapping.layout.model_copy(update={"records": records})
    return mapping.model_copy(update={"layout": layout})


def test_a_fixed_width_document_past_the_bound_is_refused_and_the_others_read() -> None:
    data = bots_orders({"ORD-1": 2, "ORD-HUGE": 250, "ORD-2": 3})
    parser = FixedParser({PARTNER: unbounded_lines()}, {})
    result = collect(iter(stream(parser, data, "orders.fix")))
    assert [d.message.po_number for d in result.documents] == ["ORD-1", "ORD-2"]  # type: ignore[union-attr]
    [finding] = result.findings
    # ORD-1 is lines 1-3: ORD-HUGE's HEA is line 4, its LIN records lines 5-254
    assert finding == {
        "code": "fixed.too_large",
        "severity": "error",
        "line": 4,
        "message": "orders.fix, line 4: the HEA document that begins here holds more than 100 "
        "records (line 104 passes them): a fixed-width document is read whole, and one this "
        "large is refused; its lines up to the next document are passed over",
    }
    whole = parser.parse(data, file_name="orders.fix", partner=PARTNER)
    assert not whole.has_errors and len(whole.documents) == 3


def test_at_the_bound_a_fixed_width_document_is_read_and_past_it_even_a_bad_one_is_refused() -> (
    None
):
    parser = FixedParser({PARTNER: unbounded_lines()}, {})
    at_bound = collect(iter(stream(parser, bots_orders({"ORD-1": BOUND - 1}), "orders.fix")))
    assert not at_bound.has_errors and len(at_bound.documents) == 1
    data = bots_orders({"ORD-1": 300}).replace(b"LIN000150", b"XXX000150")  # a bad record far in
    result = collect(iter(stream(parser, data, "orders.fix")))
    assert [f["code"] for f in result.findings] == ["fixed.too_large"]  # passed over, not read


def test_a_refused_fixed_width_document_is_passed_over_never_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20,000 records (some 100 MB read whole): under 2 MB of memory (read 64 kB at a time)."""
    monkeypatch.setattr(charset, "CHUNK", 1 << 16)
    data = bots_orders({"ORD-1": 2, "ORD-HUGE": 20_000, "ORD-2": 2})
    parser = FixedParser({PARTNER: unbounded_lines()}, {})
    assert peak_of(lambda: stream(parser, data, "orders.fix"), "fixed.too_large") < 2 << 20

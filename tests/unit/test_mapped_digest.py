"""A document read through a field map gets its content digest written from the map's values
(adapters/formats/mapped_digest.py), not from ``model_dump``: it must be the very digest (and so
the very document id) ``content_digest`` gives the message, for generated field maps and rows,
for every shipped mapping over the fixtures and the corpus, and where the map reads a value the
model converts (then the format takes ``content_digest`` itself)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import REGISTRY
from adapters.formats.delimited.mapping import CsvMapping, CsvNode, CsvPaths
from adapters.formats.field_map import MappingError
from adapters.formats.mapped_digest import MappedDigest
from adapters.formats.mappings import document_reader
from gateway.messages import PurchaseOrder, content_digest, document_id_of
from gateway.partner_formats import PartnerFormats
from gateway.partners import parse_profile
from gateway.ports import ParsedDocument

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "other"
FILES = {"csv": (".csv",), "fixed": (".fix", ".inh"), "xml": (".xml",)}


def assert_same_identity(doc: ParsedDocument) -> None:
    message = doc.message
    assert message is not None
    digest = content_digest(message)  # from model_dump, as ever
    assert doc.content_digest == digest
    assert message.content_digest == digest
    assert doc.document_id == message.document_id == document_id_of(message.envelope, digest)


def shipped() -> list[tuple[str, str]]:
    return [
        (section, path.stem)
        for section in FILES
        for path in sorted((ROOT / "mappings" / section).glob("*.toml"))
    ]


@pytest.mark.parametrize(("section", "mapping"), shipped())
def test_shipped_mappings_give_content_digest_over_fixtures_and_corpus(
    section: str, mapping: str
) -> None:
    settings_ = {"mapping": mapping} if section != "xml" else {"mappings": [mapping]}
    profile = parse_profile("p", {"format": section, section: settings_}, REGISTRY)
    formats = PartnerFormats.of(REGISTRY, {"p": profile})
    inputs = [ROOT / "fixtures" / section, CORPUS]
    read = 0
    for folder in inputs:
        for path in sorted(folder.iterdir()):
            if path.suffix not in FILES[section]:
                continue
            result = formats.parse(path.read_bytes(), file_name=path.name, partner="p")
            for doc in result.documents:
                if doc.message is not None:
                    assert_same_identity(doc)
                    read += 1
    print(f"{section}/{mapping}: {read} documents")


def test_the_shipped_orders_mappings_take_the_mapped_digest() -> None:
    from adapters.formats.delimited.mapping import load_mapping as csv_mapping
    from adapters.formats.fixed.mapping import load_mapping as fixed_mapping

    for mapping in (csv_mapping("example-orders"), fixed_mapping("bots-orders")):
        assert MappedDigest.of(PurchaseOrder, mapping.fields) is not None


# -- generated field maps and rows ---------------------------------------------------------------

TEXTS = st.text(st.characters(blacklist_categories=["Cs"]), max_size=6) | st.sampled_from(
    ["", " ", "A-1", 'a"b', "a\\b", "tab\there", "line\nbreak", "Käse", "\x7f", "\u2028"]
)
DECIMALS = st.sampled_from(["1", "1.50", "-0.000", "12.000", "1E+3", "0.1", "x", "", "7,5"])
DATES = st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))
COLUMNS = 8
"""Each generated row: number, sender, receiver, then a text, a decimal, a date, a text, a
decimal."""

DATE = {"path": "6", "type": "date", "format": "%Y%m%d"}
HEADER_FIELDS: dict[str, Any] = {
    "release_number": "4",
    "contract_number": "7",  # a field of 2.1: left out of the dump while empty
    "currency": {"path": "4", "codes": {"A-1": "EUR", "": "USD"}, "default": "A-1"},
    "references": {"each": "rows", "fields": {"qualifier": {"value": "DP"}, "value": "7"}},
    "notes": {"each": "this", "fields": {"text": "4", "code": "7"}},
    "parties": {
        "each": "rows",
        "fields": {"role": {"value": "BY"}, "id": "4", "address.city": "7"},
    },
    "dates": {"each": "this", "fields": {"qualifier": {"value": "002"}, "date": DATE}},
}
LINE_FIELDS: dict[str, Any] = {
    "line_number": "4",
    "unit_price": {"path": "8", "type": "decimal"},
    "description": "7",
    "item.upc": "4",
    "item.buyer_item_id": "7",  # 2.1
    "item.other_ids": {"each": "this", "fields": {"qualifier": {"value": "EN"}, "value": "4"}},
    "dates": {"each": "this", "fields": {"qualifier": {"value": "002"}, "date": DATE}},
    "references": {"each": "this", "fields": {"qualifier": "4", "value": "7"}},  # 2.1
    "price_basis": {"path": "8", "type": "decimal"},  # a decimal into a text: converted
}


@st.composite
def field_maps(draw: st.DrawFn) -> dict[str, Any]:
    header = draw(st.lists(st.sampled_from(sorted(HEADER_FIELDS)), unique=True))
    lines = draw(st.lists(st.sampled_from(sorted(LINE_FIELDS)), unique=True))
    comma = draw(st.booleans())
    fields: dict[str, Any] = {
        "po_number": "1",
        "po_date": {"path": "6", "type": "date", "format": "%Y%m%d"},
        "purpose_code": {"value": "00"},
        "order_type_code": draw(st.sampled_from([{"value": "SA"}, "4"])),
        **{name: HEADER_FIELDS[name] for name in header},
        "lines": {
            "each": "rows",
            "fields": {
                "quantity": {"path": "5", "type": "decimal", "decimal_comma": comma},
                "unit_of_measure": {"value": "EA"},
                **{name: LINE_FIELDS[name] for name in lines},
            },
        },
    }
    return fields


ROWS = st.lists(
    st.tuples(TEXTS, DECIMALS, DATES, TEXTS, DECIMALS).map(
        lambda r: ("PO-1", "SHOP", "US", r[0], r[1], r[2], r[3], r[4])
    ),
    min_size=1,
    max_size=4,
)


def order_mapping(fields: dict[str, Any], *, sender: str, receiver: str) -> CsvMapping:
    """A CSV mapping of purchase orders grouped by column 1, with these fields."""
    return CsvMapping.model_validate(
        {
            "message": "PurchaseOrder",
            "kind": "850",
            "layout": {"group_by": ["1"]},
            "envelope": {"sender": sender, "receiver": receiver},
            "fields": fields,
        }
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_maps(), ROWS)
def test_generated_maps_and_rows_give_content_digest(
    fields: dict[str, Any], rows: list[tuple[str, ...]]
) -> None:
    mapping = order_mapping(fields, sender="2", receiver="3")
    paths = CsvPaths.of({})
    read = document_reader("csv", mapping, "p", paths)
    try:
        doc = read(CsvNode([(n, row) for n, row in enumerate(rows, start=1)], paths))
    except MappingError:
        return  # not a valid order: no digest at all
    assert_same_identity(doc)


def test_a_value_the_model_converts_takes_content_digest() -> None:
    fields = {
        "po_number": "1",
        "po_date": {"path": "2", "type": "date"},
        "purpose_code": {"value": "00"},
        "order_type_code": {"value": "SA"},
        "lines": {"each": "rows", "fields": {"quantity": "3", "unit_of_measure": "4"}},
    }
    mapping = order_mapping(fields, sender="1", receiver="1")
    assert MappedDigest.of(PurchaseOrder, mapping.fields) is None  # a text into a decimal
    paths = CsvPaths.of({})
    read = document_reader("csv", mapping, "p", paths)
    assert_same_identity(read(CsvNode([(1, ("A", "2026-12-05", "1.50", "EA"))], paths)))

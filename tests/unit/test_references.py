"""Reference data (gateway.references): lists read from files with errors naming file and key,
lists joined, and the check of what a message names (generic over NamesItems: the 846 and 945
implement it), also of a message a parse worker serialized."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import REGISTRY
from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.translation import translate
from gateway.bus.cloudevents import SerializedMessage, cloud_events
from gateway.errors import ConfigError, PartnerConfigError
from gateway.messages import (
    InventoryAdjustment,
    InventoryAdvice,
    PurchaseOrder,
    StockTransferReceipt,
    WarehouseShippingAdvice,
)
from gateway.messages.references import NamesItems
from gateway.partners import load_partner
from gateway.references import ReferenceData, ReferenceFiles, model_of, unknown_in
from gateway.references.check import (
    LISTED,
    UNKNOWN_ITEM,
    UNKNOWN_LOCATION,
    Withheld,
    model_of_events,
)
from gateway.references.lists import load_list

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"


def fixture(name: str) -> object:
    [tx] = transactions_in(FIXTURES / name)
    return translate(tx)


def data(items: list[str] | None = None, locations: list[str] | None = None) -> ReferenceData:
    return ReferenceData(
        None if items is None else frozenset(items),
        None if locations is None else frozenset(locations),
        ("test list",),
    )


def test_the_846_names_each_line_s_item_ids_at_the_facility_and_its_own_location() -> None:
    advice = fixture("846-004010.edi")
    assert isinstance(advice, InventoryAdvice) and isinstance(advice, NamesItems)
    assert [(n.line, n.item_ids, n.locations) for n in advice.named_items()] == [
        ("line 1", ("SKU-1", "012345678905"), ("DC-EAST", "A4")),
        ("line #2", ("SKU-2",), ("DC-EAST",)),
    ]


def test_the_945_names_its_lines_items_at_its_warehouse() -> None:
    advice = fixture("945-004010.edi")
    assert isinstance(advice, WarehouseShippingAdvice)
    named = list(advice.named_items())
    assert named and all(n.locations == named[0].locations for n in named)


@pytest.mark.parametrize("name", ["944-004010.edi", "947-004010.edi"])
def test_the_944_and_947_name_their_lines_items_with_their_case_codes_at_the_warehouse(
    name: str,
) -> None:
    message = fixture(name)
    assert isinstance(message, NamesItems)
    named = list(message.named_items())
    assert named and all(n.item_ids for n in named)
    assert [n.line for n in named] == [f"line #{i}" for i in range(1, len(named) + 1)]
    assert isinstance(message, StockTransferReceipt | InventoryAdjustment)
    warehouse = message.warehouse
    assert warehouse is not None
    assert all(n.locations == ((warehouse.id or warehouse.name or ""),) for n in named)
    cases = [line.upc_case_code for line in message.lines if line.upc_case_code]
    assert all(any(c in n.item_ids for n in named) for c in cases)


def test_an_order_names_no_items_to_check() -> None:
    order = fixture("850-004010.edi")
    assert isinstance(order, PurchaseOrder) and not isinstance(order, NamesItems)
    assert unknown_in(order, data(items=[])) is None


def test_an_item_is_known_by_any_of_its_ids_and_each_location_must_be() -> None:
    advice = fixture("846-004010.edi")
    assert unknown_in(advice, data(["012345678905", "SKU-2"], ["DC-EAST", "A4"])) is None
    unknowns = unknown_in(advice, data(["SKU-1"], ["DC-EAST"]))
    assert unknowns is not None
    assert [u.describe() for u in unknowns.lines] == [
        "line 1: location A4",
        "line #2: item SKU-2",
    ]
    assert (unknowns.count, unknowns.items, unknowns.cause) == (2, 1, UNKNOWN_ITEM)
    said = Withheld.of(unknowns, "846")
    assert said.reason.startswith(
        "846 names what the reference data (test list) does not know, in 2 line(s): "
        "line 1: location A4, line #2: item SKU-2; not published until reprocessed"
    )
    assert said.detail["lines"][1] == {"line": "line #2", "item": ["SKU-2"], "locations": []}


def test_a_kind_of_id_no_list_names_is_not_checked() -> None:
    advice = fixture("846-004010.edi")
    assert unknown_in(advice, data(items=["SKU-1", "SKU-2"])) is None  # no list of locations
    only_places = unknown_in(advice, data(locations=["DC-EAST"]))
    assert only_places is not None and only_places.cause == UNKNOWN_LOCATION
    assert unknown_in(advice, ReferenceData()) is None  # no list at all: nothing unknown


def test_lists_join_into_what_any_of_them_knows() -> None:
    joined = ReferenceData.joined([data(["A"]), data(["B"], ["X"]), ReferenceData()])
    assert (joined.items, joined.locations) == (frozenset({"A", "B"}), frozenset({"X"}))
    assert joined.sources == ("test list", "test list")


def test_a_verdict_keeps_at_most_so_many_lines_and_counts_them_all() -> None:
    advice = fixture("846-004010.edi")
    assert isinstance(advice, InventoryAdvice)
    many = advice.model_copy(update={"lines": advice.lines * 40})
    unknowns = unknown_in(many, data(items=[]))
    assert unknowns is not None
    assert (len(unknowns.lines), unknowns.count) == (LISTED, 80)
    assert "(and 75 more line(s))" in unknowns.sentence("846")


def test_a_serialized_message_is_read_back_to_be_checked() -> None:
    advice = fixture("846-004010.edi")
    assert isinstance(advice, InventoryAdvice)
    assert model_of(SerializedMessage.of(advice)) == advice
    order = fixture("850-004010.edi")
    assert isinstance(order, PurchaseOrder)
    assert model_of(SerializedMessage.of(order)) is None  # never read back: it names no items


def test_reference_files_are_read_again_when_they_change(tmp_path: Path) -> None:
    files = ReferenceFiles(tmp_path)
    assert files.for_partner("acme") == []
    (tmp_path / "all.toml").write_text('items = ["A"]\n')
    (tmp_path / "acme.toml").write_text('description = "ours"\nlocations = ["DC"]\n')
    shared, own = files.for_partner("acme")
    assert (shared.items, shared.locations, own.items, own.locations) == (
        frozenset({"A"}),
        None,
        None,
        frozenset({"DC"}),
    )
    assert own.sources == ("mappings/reference/acme.toml",)
    (tmp_path / "acme.toml").write_text('locations = ["DC", "DC-2"]\n')
    assert files.for_partner("acme")[1].locations == frozenset({"DC", "DC-2"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('item = ["A"]\n', "item: unknown key: did you mean 'items'?"),
        ('items = "A"\n', r"items: expected a list of texts \(ids\)"),
        ("items = [\n", "not valid TOML"),
    ],
)
def test_a_bad_reference_file_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_list(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert ReferenceFiles(tmp_path).check() == [str(caught.value)]


def test_a_profile_names_the_kinds_it_checks_and_only_those_naming_items(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text('reference_check = ["846", "945"]\n')
    profile = load_partner(path, REGISTRY)
    assert profile.inbound_policy.reference_kinds == frozenset({"846", "945"})
    path.write_text('reference_check = ["850"]\n')
    with pytest.raises(PartnerConfigError, match="'850' is no kind of document naming items"):
        load_partner(path, REGISTRY)
    path.write_text('reference_check = ["864"]\n')
    with pytest.raises(PartnerConfigError, match=r"line 1: reference_check: .*did you mean '846'"):
        load_partner(path, REGISTRY)


def test_a_message_published_in_parts_is_checked_whole() -> None:
    """A document too large for one message (gateway.messages.parts): read back from its parts,
    in the pipeline (serialized) and for a reprocess (its outbox rows' bodies)."""
    advice = fixture("846-004010.edi")
    assert isinstance(advice, InventoryAdvice)
    many = advice.model_copy(update={"lines": advice.lines * 3})
    serialized = SerializedMessage.of(many, part_items=2)
    assert serialized.parts > 2
    assert model_of(serialized) == many
    events = cloud_events(serialized, correlation_id="c", partner="p", kind="846")
    assert model_of_events([body for _, body, _ in reversed(events)]) == many
    whole = cloud_events(SerializedMessage.of(advice), correlation_id="c", partner="p", kind="846")
    assert model_of_events([body for _, body, _ in whole]) == advice


def test_a_bad_reference_file_withholds_the_documents_it_would_check(tmp_path: Path) -> None:
    """Nothing is vouched for while the partner's reference data cannot be read: its documents
    wait, saying why, rather than the batch failing or their being published unchecked."""
    from gateway.references import ReferenceBook

    (tmp_path / "acme.toml").write_text("items = [\n")
    check = ReferenceBook(ReferenceFiles(tmp_path)).checking(None)  # type: ignore[arg-type]
    why = check.withheld("acme", "846", fixture("846-004010.edi"))
    assert why is not None and why.cause == "reference.unreadable"
    assert why.reason.startswith("846 cannot be checked: its reference data cannot be read: ")
    broken = check.withheld("acme", "846", object())  # no message of an item-naming type
    assert broken is None

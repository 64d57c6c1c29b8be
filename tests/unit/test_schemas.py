from __future__ import annotations

import json
from pathlib import Path

from gateway.messages import SCHEMA_VERSION
from gateway.schemas import message_schemas, write_schemas


def test_every_canonical_message_has_a_versioned_schema() -> None:
    schemas = message_schemas()
    assert set(schemas) == {
        "PurchaseOrder", "PurchaseOrderAck", "ShipNotice", "InventoryAdvice", "FunctionalAck",
        "InterchangeAck", "UntranslatedTransaction", "WarehouseShippingOrder",
        "WarehouseShippingAdvice", "InventoryAdjustment",
        "StockTransferReceipt", "StockTransferShipment", "Invoice",
        "DocumentPart",  # a part of a large one (its header part holds the envelope)
    }  # fmt: skip
    for name, schema in schemas.items():
        assert schema["$id"].endswith(f"/{SCHEMA_VERSION}/{name}.json")
        assert schema["x-schema-version"] == SCHEMA_VERSION
        assert "document_id" in schema["properties"]
        assert "envelope" in schema["properties"] or name == "DocumentPart"


def test_schemas_are_written_one_file_per_message(tmp_path: Path) -> None:
    paths = write_schemas(tmp_path)
    assert sorted(p.name for p in paths) == sorted(
        f"{n}.{SCHEMA_VERSION}.schema.json" for n in message_schemas()
    )
    assert json.loads(paths[0].read_text())["$schema"].startswith("https://json-schema.org/")


def test_a_translated_message_validates_against_its_schema() -> None:
    import datetime as dt

    import jsonschema

    from adapters.formats.x12.reader import transactions_in
    from adapters.formats.x12.translation import translate
    from tests.unit.x12.samples import interchange

    message = translate(next(transactions_in(interchange().encode())))
    payload = json.loads(message.model_dump_json())
    assert payload["message_type"] == "PurchaseOrder"
    jsonschema.validate(payload, message_schemas()["PurchaseOrder"])
    assert dt.date.fromisoformat(payload["po_date"]) == dt.date(2026, 11, 20)

"""JSON Schemas of the canonical messages, versioned with :data:`~gateway.messages.SCHEMA_VERSION`.

The modern layer validates what it receives (and what it sends us) against these documents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .messages import CANONICAL_MESSAGES, SCHEMA_VERSION, CanonicalModel
from .messages.parts import DocumentPart

SCHEMA_BASE_URI = "https://schemas.edi-gateway.dev/canonical"


def schema_id(name: str) -> str:
    return f"{SCHEMA_BASE_URI}/{SCHEMA_VERSION}/{name}.json"


PUBLISHED: tuple[type[CanonicalModel], ...] = (*CANONICAL_MESSAGES, DocumentPart)
"""What the gateway publishes: the canonical messages, and the parts of a large one."""


def message_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema (draft 2020-12) of every message the gateway publishes (:data:`PUBLISHED`),
    keyed by message name."""
    schemas: dict[str, dict[str, Any]] = {}
    for model in PUBLISHED:
        name = model.__name__
        body = model.model_json_schema(mode="serialization")
        schemas[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": schema_id(name),
            "x-schema-version": SCHEMA_VERSION,
            **body,
        }
    return schemas


def write_schemas(directory: Path) -> list[Path]:
    """Write one ``<Message>.<version>.schema.json`` file per message; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in message_schemas().items():
        path = directory / f"{name}.{SCHEMA_VERSION}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written

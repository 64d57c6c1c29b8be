"""A field map's reader made as code (adapters/formats/field_code.py), its paths' commonest reads
written in it (CSV columns, a fixed-width record's own fields, read without noting them), reads
what each field's own reader reads (FieldSpec.read, the node asked), nested and left out as the
field map says: for every shipped CSV and fixed-width mapping over the fixtures and the corpus,
and for generated CSV maps and rows."""

from __future__ import annotations

import csv
import io
import itertools
from functools import partial
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from adapters.formats.delimited.mapping import CsvNode, CsvPaths
from adapters.formats.delimited.mapping import load_mapping as csv_mapping
from adapters.formats.field_map import FieldSpec, MappingError, compiled, spec_of
from adapters.formats.fixed.mapping import FixedNode
from adapters.formats.fixed.mapping import load_mapping as fixed_mapping
from adapters.formats.fixed.records import Document, read_documents
from adapters.formats.fixed.untracked import RecordPaths, UntrackedPaths, reads_above
from tests.unit.test_mapped_digest import ROWS, field_maps, order_mapping

ROOT = Path(__file__).resolve().parents[1].parent
CORPUS = ROOT.parent / "shared" / "corpus" / "other"


def reference(node: Any, specs: dict[str, FieldSpec | str]) -> dict[str, Any]:
    """The fields ``specs`` read at ``node``, each by its own reader (a list's items by this),
    nested by their dotted names, an object whose fields found nothing but constants left out."""
    values: dict[str, Any] = {}
    found: set[str] = set()
    objects: set[str] = set()
    for name, raw in specs.items():
        spec = spec_of(raw)
        if spec.each is not None and spec.value is None:
            items = [reference(child, spec.fields or {}) for child in node.children(spec.each)]
            value: Any = items or None
        else:
            value = spec.read(node, name)
        *parents, last = name.split(".")
        if parents:
            objects.add(parents[0])
        if value is None:
            continue
        target = values
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
        if parents and spec.value is None:
            found.add(parents[0])
    for name in objects - found:
        values.pop(name, None)
    return values


def outcome(read: Any, node: Any) -> Any:
    try:
        return read(node)
    except (MappingError, KeyError) as error:
        return type(error).__name__


def test_shipped_csv_mappings_read_as_each_field_reads() -> None:
    files = [*sorted((ROOT / "fixtures" / "csv").glob("*.csv")), *sorted(CORPUS.glob("*.csv"))]
    compared = 0
    for mapping_file in sorted((ROOT / "mappings" / "csv").glob("*.toml")):
        mapping = csv_mapping(mapping_file.stem)
        layout = mapping.layout
        for path in files:
            text = path.read_bytes().decode("utf-8", "replace")
            rows = list(csv.reader(io.StringIO(text), delimiter=layout.delimiter))
            numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(row)]
            columns: dict[str, int] = {}
            if layout.header and numbered:
                columns = {name.strip(): i for i, name in enumerate(numbered.pop(0)[1])}
            paths = CsvPaths.of(columns)
            try:
                indexes = [paths.column(p) for p in layout.group_by]
                read = compiled(mapping.fields, paths)
            except KeyError:
                continue
            for _, group in itertools.groupby(numbered, key=lambda row: _key(row, indexes)):
                node = CsvNode(list(group), paths)
                assert outcome(read, node) == outcome(
                    partial(reference, specs=mapping.fields), node
                )
                compared += 1
    assert compared > 5


def _key(row: tuple[int, list[str]], indexes: list[int]) -> list[str]:
    return [row[1][i] if i < len(row[1]) else "" for i in indexes]


def test_shipped_fixed_mappings_read_as_each_field_reads_without_noting() -> None:
    suffixes = (".fix", ".inh")
    files = [
        p for folder in (ROOT / "fixtures" / "fixed", CORPUS) for p in sorted(folder.iterdir())
    ]
    compared = read_records = 0
    for mapping_file in sorted((ROOT / "mappings" / "fixed").glob("*.toml")):
        mapping = fixed_mapping(mapping_file.stem)
        layout = mapping.layout
        read = compiled(mapping.fields, UntrackedPaths.of(layout))
        records = compiled(mapping.fields, RecordPaths.of(layout))
        for path in files:
            if path.suffix not in suffixes:
                continue
            lines = io.StringIO(path.read_bytes().decode(layout.encoding, "replace"), newline="")
            for found in read_documents(lines, layout):
                if not isinstance(found, Document) or found.problems:
                    continue
                fast = outcome(read, FixedNode.of(found.root, layout))
                node = FixedNode.of(found.root, layout)
                assert fast == outcome(partial(reference, specs=mapping.fields), node)
                if not reads_above(layout, mapping.fields):  # the records themselves
                    assert outcome(records, found.root) == fast
                    read_records += 1
                compared += 1
    assert compared > 5 and read_records > 5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_maps(), ROWS)
def test_generated_csv_maps_read_as_each_field_reads(
    fields: dict[str, Any], rows: list[tuple[str, ...]]
) -> None:
    mapping = order_mapping(fields, sender="2", receiver="3")
    paths = CsvPaths.of({})
    node = CsvNode([(n, row) for n, row in enumerate(rows, start=1)], paths)
    read = compiled(mapping.fields, paths)
    assert outcome(read, node) == outcome(partial(reference, specs=mapping.fields), node)

"""Acknowledgements drafted in a parse worker and numbered later are, byte for byte, the ones
rendered with the numbers at hand: for every X12 file of the public corpus and of ``fixtures/``.

The inbound pipeline renders each 997/999/TA1 in the parse (a worker process) with placeholder
control numbers and writes the real ones in when its ledger transaction draws them
(:class:`~adapters.formats.x12.report.DraftAcks`); this proves the two ways agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.formats.x12.findings import Finding
from adapters.formats.x12.report import draft_owed, render_owed, scan
from gateway.control_numbers import InMemoryCounter
from gateway.errors import UnreadableInput
from tests.conformance.corpus import x12_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x12"
FILES = [entry.path for entry in x12_files()] + sorted(FIXTURES.glob("*.edi"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[-60:])
def test_drafted_acks_are_the_rendered_ones(path: Path) -> None:
    try:
        report = scan(path.read_bytes(), file_name=path.name, defer_acks=True)
    except UnreadableInput:
        return
    rendering, drafting = InMemoryCounter(start=998), InMemoryCounter(start=998)
    for owed in report.owed:
        rendered, draft = render_owed(owed, rendering), draft_owed(owed)
        if isinstance(rendered, Finding):
            assert draft == rendered
            continue
        assert not isinstance(draft, Finding)
        kinds = {a.kind for a in rendered.functional} | ({"TA1"} if rendered.technical else set())
        assert draft.kinds == tuple(sorted(kinds))
        assert draft.numbered(drafting) == (rendered.interchange_control_number, rendered.text)


def test_the_corpus_has_acks_of_every_shape() -> None:
    """The test above meets what it must: several groups in one ack, TA1s, 997s and 999s."""
    shapes: set[str] = set()
    for path in FILES:
        try:
            report = scan(path.read_bytes(), file_name=path.name, defer_acks=True)
        except UnreadableInput:
            continue
        for owed in report.owed:
            draft = draft_owed(owed)
            if isinstance(draft, Finding):
                continue
            shapes.update(draft.kinds)
            if len(draft.sequences) > 2:
                shapes.add("several groups")
    assert {"997", "999", "TA1", "several groups"} <= shapes

"""The acknowledgements' text, written without the acks' final models, is the text their models
give; and segments are written as the writer always wrote them, value by value.

A parse drafts its 997/999/TA1 as text alone (:func:`~adapters.formats.x12.acks.
render_acks_text`): it used to copy every model of a 997 into its final envelope
(``model_copy``) and render those copies, which cost as much as writing the text. Here the
text is checked against that route (the final models, rendered one by one with
:func:`~adapters.formats.x12.transactions.functional_ack.render` and written around them) for
every X12 file of the public corpus and of ``fixtures/``; and the writer's one look at all the
values of a segment against the per-value checks it replaced.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.formats.x12.acks import (
    FUNCTIONAL_ACK_GROUP,
    RenderedAcks,
    render_acks,
    render_acks_text,
    reply_separators,
)
from adapters.formats.x12.envelopes import group_version, x12_facts
from adapters.formats.x12.report import scan
from adapters.formats.x12.segments import Segment, Separators
from adapters.formats.x12.transactions.functional_ack import render
from adapters.formats.x12.transactions.interchange_ack import render_ta1
from adapters.formats.x12.writer import (
    COMPONENT_PLACEHOLDER,
    LINE_BREAKS,
    GroupContent,
    InterchangeSpec,
    TransactionContent,
    format_segments,
    write_interchange,
)
from gateway.control_numbers import InMemoryCounter
from gateway.errors import RenderError, UnreadableInput
from tests.conformance.corpus import x12_files

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "x12"
FILES = [entry.path for entry in x12_files()] + sorted(FIXTURES.glob("*.edi"))


def _from_models(rendered: RenderedAcks, spec: InterchangeSpec, at: dt.datetime) -> str:
    """The interchange the final models of ``rendered`` make, each 997/999 rendered on its own
    (ST02, GS06 and ISA13 from its envelope), as acks were written before the text alone."""
    groups: dict[tuple[str, str | None, str | None, str | None], list[TransactionContent]] = {}
    for ack in rendered.functional:
        facts = x12_facts(ack.envelope)
        assert facts.created_at == at
        key = (
            group_version(ack.envelope),
            facts.application_sender,
            facts.application_receiver,
            facts.group_control_number,
        )
        groups.setdefault(key, []).append(render(ack))
    contents = [
        GroupContent(
            FUNCTIONAL_ACK_GROUP,
            version,
            members,
            application_sender=sender,
            application_receiver=receiver,
            control_number=int(gs06 or ""),
            created_at=at,
        )
        for (version, sender, receiver, gs06), members in groups.items()
    ]
    technical = rendered.technical
    return write_interchange(
        spec,
        contents,
        InMemoryCounter(),
        control_number=int(rendered.interchange_control_number),
        at=at,
        interchange_segments=[render_ta1(technical)] if technical is not None else (),
    )


OUTBOUND = [None, Separators(element="|", component="^", segment="\n", line_break="")]
"""The inbound interchange's separators (the acks' own), and others given."""


@pytest.mark.parametrize("outbound", OUTBOUND, ids=["inbound", "given"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[-60:])
def test_the_acks_text_is_what_their_final_models_make(
    path: Path, outbound: Separators | None
) -> None:
    try:
        report = scan(path.read_bytes(), file_name=path.name, defer_acks=True)
    except UnreadableInput:
        return
    for owed in report.owed:
        try:
            rendered = render_acks(
                owed.acks, InMemoryCounter(start=41), separators=outbound, at=owed.at
            )
        except RenderError as error:
            with pytest.raises(RenderError) as again:
                render_acks_text(
                    owed.acks, InMemoryCounter(start=41), separators=outbound, at=owed.at
                )
            assert str(again.value) == str(error)
            continue
        assert rendered is not None
        text = render_acks_text(
            owed.acks, InMemoryCounter(start=41), separators=outbound, at=owed.at
        )
        assert text == rendered.text
        separators = _separators_of(text)
        given = outbound or reply_separators(owed.acks.inbound)
        assert separators.element == given.element
        at = owed.at.replace(microsecond=0)
        assert _from_models(rendered, _spec_of(text, separators), at) == text


def _separators_of(text: str) -> Separators:
    """The separators an interchange the gateway wrote was written with, read from its ISA."""
    element, component, segment = text[3], text[104], text[105]
    isa11 = text[:105].split(element)[11]
    after = text[106:]
    next_tag = min(
        at for at in (after.find(f"TA1{element}"), after.find(f"GS{element}")) if at >= 0
    )
    return Separators(
        element=element,
        component=component,
        segment=segment,
        repetition=None if isa11 == "U" else isa11,
        line_break=after[:next_tag],
    )


def _spec_of(text: str, separators: Separators) -> InterchangeSpec:
    isa = text[:105].split(separators.element)
    return InterchangeSpec(
        sender_qualifier=isa[5],
        sender_id=isa[6],
        receiver_qualifier=isa[7],
        receiver_id=isa[8],
        version=isa[12],
        usage_indicator=isa[15],
        ack_requested=isa[14],
        separators=separators,
    )


# ----------------------------------------------------------------------------------------------
# The writer


def _written_value_by_value(segments: list[Segment], separators: Separators) -> str:
    """Segments as the writer wrote them before it looked at all the values of one at once."""
    out: list[str] = []
    for seg in segments:
        elements = list(seg.elements)
        while elements and elements[-1] == "":
            elements.pop()
        parts = [seg.tag]
        for number, value in enumerate(elements, start=1):
            for sep in separators.used():
                if sep in value:
                    raise RenderError(
                        f"{seg.tag}{number:02d} value {value!r} contains the separator {sep!r}, "
                        "which X12 cannot carry; choose other separators or change the value"
                    )
            for line_break in LINE_BREAKS:
                if line_break in value:
                    raise RenderError(
                        f"{seg.tag}{number:02d} value {value!r} contains a line break "
                        f"({line_break!r}), which X12 cannot carry; change the value"
                    )
            parts.append(value.replace(COMPONENT_PLACEHOLDER, separators.component))
        out.append(separators.element.join(parts) + separators.segment + separators.line_break)
    return "".join(out)


_CHARACTERS = st.sampled_from(["A", "1", " ", "*", ":", "~", "^", "|", "\r", "\n", "", "\x1f"])
_VALUES = st.lists(_CHARACTERS, max_size=4).map("".join)
_SEGMENTS = st.lists(
    st.builds(Segment, st.sampled_from(["N1", "AK4", "REF"]), st.lists(_VALUES, max_size=6)),
    max_size=4,
)
_SEPARATORS = st.sampled_from(
    [
        Separators(),
        Separators(repetition="^", line_break=""),
        Separators(element="|", component="^", segment="\n", line_break=""),
        Separators(element="\x1f", component=":", segment="~", repetition="^"),
        Separators(component="\x1f", line_break="\r\n"),
    ]
)


@given(_SEGMENTS, _SEPARATORS)
def test_segments_are_written_as_value_by_value(
    segments: list[Segment], separators: Separators
) -> None:
    try:
        expected = _written_value_by_value(segments, separators)
    except RenderError as error:
        with pytest.raises(RenderError) as raised:
            format_segments(segments, separators)
        assert str(raised.value) == str(error)
    else:
        assert format_segments(segments, separators) == expected

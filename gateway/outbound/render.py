"""A request rendered for its partner: one interchange, one group, one transaction set, in the
partner's version, separators, ids and usage indicator, read back with the gateway's own reader
and validated against the maps before it may leave, then given control numbers drawn from the
ledger's counters.

Rendering and validating (the costly part) make a :class:`Draft`, numbered 1, in a worker
process and outside any transaction; :func:`number_document` then draws the numbers in the
ledger transaction that records the document. Only valid documents draw numbers: a refused
request leaves no gap in the sequences.

Control numbers: ISA13 from the sequence :meth:`~adapters.formats.x12.writer.InterchangeSpec.
sequence` ``("ISA")`` of our id -> the partner's id (the same sequence as the 997/999/TA1 the
gateway writes to that partner, so the numbers never collide), GS06 from ``GS.<functional id>``,
ST02 ``0001``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from adapters.formats.x12.findings import Severity
from adapters.formats.x12.reader import read_x12
from adapters.formats.x12.report import default_validator
from adapters.formats.x12.segments import Separators
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import RENDERERS, render_message
from adapters.formats.x12.writer import (
    InterchangeSpec,
    effective_separators,
    interchange_file_name,
    interchange_version_for,
    renumber_interchange,
)

from ..control_numbers import ControlNumberCounter, InMemoryCounter
from ..errors import RenderError
from ..messages import Envelope, content_digest, document_id_of
from ..partners import X12Profile
from .requests import OutboundRequest

MAX_FINDINGS = 5
"""At most this many findings are quoted in a refusal."""
DRAFT_NUMBER = 1
"""ISA13 and GS06 of a :class:`Draft`."""
ST02 = "0001"
NO_COUNTER = InMemoryCounter()
"""A draft keeps its envelope's numbers: it draws none."""


class DocumentRefused(Exception):
    """The rendered document cannot be sent (it fails the maps, or cannot be written)."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A request rendered for its partner and validated against the maps, numbered ISA13 1 and
    GS06 1 until :func:`number_document` gives it the numbers drawn from the ledger (nothing
    else in the text depends on them). Drafts are made in the worker processes, without the
    ledger."""

    kind: str
    functional_id: str
    text: str
    content_digest: str
    """The digest of the document's content as read back (:func:`gateway.messages.
    content_digest`): with the numbers, its ``document_id``."""


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    document_id: str
    """The stable id of the document: both parties' ids, ISA13, GS06, ST02 and the digest of
    its content, as the gateway's reader gives it (without a partner name: the document is our
    own, its receiver ids name the partner)."""
    text: str
    functional_id: str
    isa13: str
    """Nine digits."""
    gs06: str
    st02: str
    file_name: str
    """``<kind>-<our id>-<its id>-<ISA13>.x12`` in ``outbox/<partner>/``
    (:func:`~adapters.formats.x12.writer.interchange_file_name`)."""


def interchange_spec(profile: X12Profile) -> InterchangeSpec:
    """How interchanges for the partner are written: ids, qualifiers, version, usage, style."""
    return InterchangeSpec(
        sender_qualifier=profile.sender_qualifier,
        sender_id=profile.sender_id,
        receiver_qualifier=profile.receiver_qualifier,
        receiver_id=profile.receiver_id,
        version=interchange_version_for(profile.version),
        usage_indicator=profile.usage_indicator,
        separators=Separators(
            element=profile.element_separator,
            component=profile.component_separator,
            segment=profile.segment_terminator,
            repetition=profile.repetition_separator,
            line_break="\n" if profile.line_break else "",
        ),
    )


def render_request(
    request: OutboundRequest,
    profile: X12Profile,
    counter: ControlNumberCounter,
    *,
    at: dt.datetime | None = None,
) -> RenderedDocument:
    """Render ``request`` for its partner, validate it, and number it from ``counter``;
    :class:`DocumentRefused` when it cannot be written or fails the partner's maps."""
    return number_document(draft_document(request, profile, at=at), profile, counter)


def draft_document(
    request: OutboundRequest, profile: X12Profile, *, at: dt.datetime | None = None
) -> Draft:
    """Render ``request`` for its partner and validate it, numbered 1 (see :class:`Draft`);
    :class:`DocumentRefused` when it cannot be written or fails the partner's maps."""
    spec = interchange_spec(profile)
    renderer = RENDERERS[type(request.message)]
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    envelope = _envelope(
        profile,
        DRAFT_NUMBER,
        DRAFT_NUMBER,
        implementation_reference=request.message.envelope.implementation_reference,
        created_at=when,
    )
    message = request.message.model_copy(update={"envelope": envelope})
    try:
        text = render_message(message, NO_COUNTER, spec=spec, keep_control_numbers=True, at=when)
    except RenderError as error:
        raise DocumentRefused(f"the {request.kind} cannot be written in X12: {error}") from None
    check_document(text, request.kind, profile.version)
    # the content digest of the request: what the rendered text reads back as (the round trip
    # canonical -> X12 -> canonical is the identity), without a second translation
    return Draft(request.kind, renderer.FUNCTIONAL_ID, text, content_digest(message))


def number_document(
    draft: Draft, profile: X12Profile, counter: ControlNumberCounter
) -> RenderedDocument:
    """``draft`` with its control numbers drawn from ``counter``: ISA13 from the partner's
    interchange sequence, GS06 from its group sequence, ST02 ``0001``."""
    spec = interchange_spec(profile)
    isa13 = counter.next(spec.sequence("ISA"))
    gs06 = counter.next(spec.sequence(f"GS.{draft.functional_id}"))
    text = renumber_interchange(draft.text, effective_separators(spec), isa13, gs06)
    return RenderedDocument(
        document_id=document_id_of(_envelope(profile, isa13, gs06), draft.content_digest),
        text=text,
        functional_id=draft.functional_id,
        isa13=f"{isa13:09d}",
        gs06=str(gs06),
        st02=ST02,
        file_name=interchange_file_name(draft.kind, profile.sender_id, profile.receiver_id, isa13),
    )


def _envelope(
    profile: X12Profile,
    isa13: int,
    gs06: int,
    *,
    implementation_reference: str | None = None,
    created_at: dt.datetime | None = None,
) -> Envelope:
    """The envelope of a document for the partner, numbered ``isa13`` and ``gs06``."""
    return Envelope(
        sender_qualifier=profile.sender_qualifier,
        sender_id=profile.sender_id,
        receiver_qualifier=profile.receiver_qualifier,
        receiver_id=profile.receiver_id,
        interchange_control_number=f"{isa13:09d}",
        interchange_version=interchange_version_for(profile.version),
        usage_indicator=profile.usage_indicator,
        application_sender=profile.sender_id,
        application_receiver=profile.receiver_id,
        group_control_number=str(gs06),
        version=profile.version,
        transaction_control_number=ST02,
        implementation_reference=implementation_reference,
        created_at=created_at,
    )


def check_document(text: str, kind: str, version: str) -> None:
    """Read ``text`` back with the gateway's reader and validate it against the maps;
    :class:`DocumentRefused` quoting the errors found."""
    errors = []
    transactions = 0
    for event in read_x12(text.encode("utf-8"), file_name=f"{kind}", validator=default_validator()):
        if isinstance(event, TransactionSet):
            transactions += 1
        errors += [f for f in getattr(event, "findings", ()) if f.severity is Severity.ERROR]
    if errors:
        shown = "; ".join(f.describe() for f in errors[:MAX_FINDINGS])
        more = f" (and {len(errors) - MAX_FINDINGS} more)" if len(errors) > MAX_FINDINGS else ""
        raise DocumentRefused(f"the rendered {kind} fails the {kind} {version} map: {shown}{more}")
    if transactions != 1:
        raise DocumentRefused(f"the rendered {kind} holds {transactions} transaction sets, not 1")

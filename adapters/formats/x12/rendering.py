"""An outbound document rendered for its partner: one interchange, one group, one transaction set,
in the partner's version, separators, ids and usage indicator, read back with the gateway's own
reader and validated against the maps before it may leave, then given control numbers drawn from
the ledger's counters.

Rendering and validating (the costly part) make a :class:`Draft`, numbered 1, in a worker
process and outside any transaction; :func:`number` then draws the numbers in the
ledger transaction that records the document. Only valid documents draw numbers: a refused
request leaves no gap in the sequences.

Control numbers: ISA13 from the sequence :meth:`~.writer.InterchangeSpec.sequence` ``("ISA")``
of our id -> the partner's id (the same sequence as the 997/999/TA1 the gateway writes to that
partner, so the numbers never collide), GS06 from ``GS.<functional id>``, ST02 ``0001``.
"""

from __future__ import annotations

import datetime as dt

from gateway.control_numbers import ControlNumberCounter, InMemoryCounter
from gateway.errors import RenderError
from gateway.messages import Envelope, Message, X12Envelope, content_digest, document_id_of
from gateway.ports import DocumentRefused, Draft, RenderedDocument

from .findings import Severity
from .profile import X12Profile
from .reader import read_x12
from .report import default_validator
from .segments import Separators
from .structure import TransactionSet
from .translation import RENDERERS, render_message
from .writer import (
    InterchangeSpec,
    effective_separators,
    interchange_file_name,
    interchange_version_for,
    renumber_interchange,
)

MAX_FINDINGS = 5
"""At most this many findings are quoted in a refusal."""
DRAFT_NUMBER = 1
"""ISA13 and GS06 of a :class:`Draft`."""
ST02 = "0001"
NO_COUNTER = InMemoryCounter()
"""A draft keeps its envelope's numbers: it draws none."""


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


def draft(message: Message, kind: str, profile: X12Profile, at: dt.datetime) -> Draft:
    """Render ``message`` for its partner and validate it, numbered 1 (see
    :class:`~gateway.ports.Draft`); :class:`~gateway.ports.DocumentRefused` when it cannot be
    written or fails the partner's maps."""
    spec = interchange_spec(profile)
    renderer = RENDERERS.get(type(message))
    if renderer is None:
        raise DocumentRefused(f"the {kind} cannot be written in X12: no map writes it")
    when = at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    envelope = _envelope(
        profile,
        DRAFT_NUMBER,
        DRAFT_NUMBER,
        implementation_reference=_implementation_reference(message.envelope),
        created_at=when,
    )
    message = message.model_copy(update={"envelope": envelope})
    try:
        text = render_message(message, NO_COUNTER, spec=spec, keep_control_numbers=True, at=when)
    except RenderError as error:
        raise DocumentRefused(f"the {kind} cannot be written in X12: {error}") from None
    check_document(text, kind, profile.version)
    # the content digest of the request: what the rendered text reads back as (the round trip
    # canonical -> X12 -> canonical is the identity), without a second translation
    return Draft(kind, renderer.FUNCTIONAL_ID, text, content_digest(message))


def number(draft: Draft, profile: X12Profile, counter: ControlNumberCounter) -> RenderedDocument:
    """``draft`` with its control numbers drawn from ``counter``: ISA13 from the partner's
    interchange sequence, GS06 from its group sequence, ST02 ``0001``."""
    spec = interchange_spec(profile)
    isa13 = counter.next(spec.sequence("ISA"))
    gs06 = counter.next(spec.sequence(f"GS.{draft.group_kind}"))
    text = renumber_interchange(draft.text, effective_separators(spec), isa13, gs06)
    return RenderedDocument(
        document_id=document_id_of(_envelope(profile, isa13, gs06), draft.content_digest),
        text=text,
        group_kind=draft.group_kind,
        interchange=f"{isa13:09d}",
        group=str(gs06),
        transaction=ST02,
        file_name=interchange_file_name(draft.kind, profile.sender_id, profile.receiver_id, isa13),
        sender_id=profile.sender_id,
        receiver_id=profile.receiver_id,
        sender_qualifier=profile.sender_qualifier,
        receiver_qualifier=profile.receiver_qualifier,
    )


def _envelope(
    profile: X12Profile,
    isa13: int,
    gs06: int,
    *,
    implementation_reference: str | None = None,
    created_at: dt.datetime | None = None,
) -> Envelope:
    """The envelope of a document for the partner, numbered ``isa13`` and ``gs06`` (no partner:
    the ids of outbound documents never had one)."""
    facts = X12Envelope(
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
    return Envelope.of_x12(facts)


def _implementation_reference(envelope: Envelope) -> str | None:
    """ST03 a request asks for: the one thing of its envelope the rendering keeps."""
    return envelope.x12.implementation_reference if envelope.x12 is not None else None


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

"""A request rendered for its partner: one interchange, one group, one transaction set, in the
partner's version, separators, ids and usage indicator, with control numbers drawn from the
ledger's counters, and read back with the gateway's own reader and validated against the maps
before it may leave.

Control numbers: ISA13 from the sequence :meth:`~adapters.formats.x12.writer.InterchangeSpec.
sequence` ``("ISA")`` of our id -> the partner's id (the same sequence as the 997/999/TA1 the
gateway writes to that partner, so the numbers never collide), GS06 from ``GS.<functional id>``,
ST02 ``0001``. A request refused after its numbers were drawn (it fails the maps) leaves a gap in
the sequence, never a reuse.
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
from adapters.formats.x12.validation import TransactionValidator
from adapters.formats.x12.writer import InterchangeSpec, interchange_version_for

from ..control_numbers import ControlNumberCounter
from ..errors import RenderError
from ..messages import Envelope, Message
from ..partners import X12Profile
from .requests import OutboundRequest

MAX_FINDINGS = 5
"""At most this many findings are quoted in a refusal."""


class DocumentRefused(Exception):
    """The rendered document cannot be sent (it fails the maps, or cannot be written)."""


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    message: Message
    """The canonical message with its final envelope (ids, version, control numbers)."""
    text: str
    functional_id: str
    isa13: str
    """Nine digits."""
    gs06: str
    st02: str
    file_name: str
    """``<kind>-<ISA13>.x12`` in ``outbox/<partner>/``."""


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


def file_name_for(kind: str, isa13: str | int) -> str:
    return f"{kind}-{int(isa13):09d}.x12"


def render_request(
    request: OutboundRequest,
    profile: X12Profile,
    counter: ControlNumberCounter,
    *,
    at: dt.datetime | None = None,
    validator: TransactionValidator | None = None,
) -> RenderedDocument:
    """Render ``request`` for its partner and validate it; :class:`DocumentRefused` when it
    cannot be written or fails the partner's maps."""
    spec = interchange_spec(profile)
    renderer = RENDERERS[type(request.message)]
    functional_id = renderer.FUNCTIONAL_ID
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    isa13 = counter.next(spec.sequence("ISA"))
    gs06 = counter.next(spec.sequence(f"GS.{functional_id}"))
    envelope = Envelope(
        sender_qualifier=profile.sender_qualifier,
        sender_id=profile.sender_id,
        receiver_qualifier=profile.receiver_qualifier,
        receiver_id=profile.receiver_id,
        interchange_control_number=f"{isa13:09d}",
        interchange_version=spec.version,
        usage_indicator=profile.usage_indicator,
        application_sender=profile.sender_id,
        application_receiver=profile.receiver_id,
        group_control_number=str(gs06),
        version=profile.version,
        transaction_control_number="0001",
        implementation_reference=request.message.envelope.implementation_reference,
        created_at=when,
    )
    message = request.message.model_copy(update={"envelope": envelope})
    try:
        text = render_message(message, counter, spec=spec, keep_control_numbers=True, at=when)
    except RenderError as error:
        raise DocumentRefused(f"the {request.kind} cannot be written in X12: {error}") from None
    check_document(text, request.kind, profile.version, validator=validator)
    return RenderedDocument(
        message=message,
        text=text,
        functional_id=functional_id,
        isa13=f"{isa13:09d}",
        gs06=str(gs06),
        st02="0001",
        file_name=file_name_for(request.kind, isa13),
    )


def check_document(
    text: str, kind: str, version: str, *, validator: TransactionValidator | None = None
) -> None:
    """Read ``text`` back with the gateway's reader and validate it against the maps;
    :class:`DocumentRefused` quoting the errors found."""
    errors = []
    transactions = 0
    for event in read_x12(
        text.encode("utf-8"), file_name=f"{kind}", validator=validator or default_validator()
    ):
        if isinstance(event, TransactionSet):
            transactions += 1
        errors += [f for f in getattr(event, "findings", ()) if f.severity is Severity.ERROR]
    if errors:
        shown = "; ".join(f.describe() for f in errors[:MAX_FINDINGS])
        more = f" (and {len(errors) - MAX_FINDINGS} more)" if len(errors) > MAX_FINDINGS else ""
        raise DocumentRefused(f"the rendered {kind} fails the {kind} {version} map: {shown}{more}")
    if transactions != 1:
        raise DocumentRefused(f"the rendered {kind} holds {transactions} transaction sets, not 1")

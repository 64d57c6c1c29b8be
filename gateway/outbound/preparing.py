"""Step 0 of the outbound pipeline (:mod:`.pipeline`): a batch of broker deliveries made
ready outside the ledger, in the worker processes when there are some. Every request is parsed,
checked against its partner's profile, rendered in its partner's format and validated as a
:class:`~gateway.ports.Draft` with draft numbers, or refused with its reason
(:func:`prepare_requests`). Nothing is recorded, nothing written: the pipeline records them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import RequestRefused
from ..partner_formats import PartnerFormats
from ..partners import PartnerProfile
from ..ports import DocumentRefused, Draft
from .requests import OutboundRequest, parse_request
from .requirements import check_partner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A request as the broker delivered it."""

    tag: int
    body: bytes
    routing_key: str = ""
    headers: Mapping[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A delivery made ready outside the ledger: what is known of its request, and its
    :class:`~gateway.ports.Draft` or the reason it is refused."""

    request_id: str
    partner: str
    kind: str
    correlation_id: str
    request: dict[str, Any] | None
    """The CloudEvent (or, when it could not be read, the body), kept in the ledger."""
    source: str | None = None
    draft: Draft | None = None
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class Preparing:
    """A batch being prepared (see :meth:`OutboundPipeline.begin`)."""

    deliveries: Sequence[Delivery]
    at: dt.datetime
    job: Callable[[], list[Prepared]]
    """Waits for the batch's :class:`Prepared`, in the order of the deliveries."""
    partners: Partners
    """The profiles and formats it is prepared with (a reload meanwhile does not mix them)."""


@dataclass(frozen=True, slots=True)
class Partners:
    """The partners' profiles and formats, replaced together when they are reloaded."""

    profiles: Mapping[str, PartnerProfile]
    formats: PartnerFormats


def prepare_requests(
    deliveries: Sequence[Delivery],
    profiles: Mapping[str, PartnerProfile],
    formats: PartnerFormats,
    at: dt.datetime,
) -> list[Prepared]:
    """Parse each delivery's request, check it against its partner's profile, render and
    validate it (in a worker process, or in the caller's thread)."""
    prepared = []
    for delivery in deliveries:
        try:
            request = parse_request(
                delivery.body,
                routing_key=delivery.routing_key,
                headers=delivery.headers,
                message_id=delivery.message_id,
                correlation_id=delivery.correlation_id,
            )
        except RequestRefused as refused:
            prepared.append(_refused(refused, refused.reason))
            continue
        try:
            config = check_partner(request, profiles)
            draft = formats.draft(request.partner, request.message, request.kind, config, at)
        except (RequestRefused, DocumentRefused) as error:
            prepared.append(_refused(request, str(error)))
            continue
        except Exception as error:  # a bug, or input nobody foresaw: refused, never redelivered
            log.exception("rendering outbound request %.80s failed", request.request_id)
            reason = f"the request could not be rendered: {type(error).__name__}: {error}"
            prepared.append(_refused(request, reason))
            continue
        prepared.append(
            Prepared(
                request.request_id,
                request.partner,
                request.kind,
                request.correlation_id,
                request.event,
                source=request.source,
                draft=draft,
            )
        )
    return prepared


def _refused(request: OutboundRequest | RequestRefused, reason: str) -> Prepared:
    stored = request.event if isinstance(request, OutboundRequest) else request.request
    return Prepared(
        request.request_id,
        request.partner,
        request.kind,
        request.correlation_id,
        stored,
        refusal=reason,
    )

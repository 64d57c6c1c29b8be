"""What a partner requires of a request before anything is rendered for it: a profile, with a
section for its format, and the fields its profile lists as required (``required = {"856" =
["carrier_scac", "orders.packs.sscc"]}``); a request short of them is refused with the paths
that are missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import RequestRefused
from ..messages import Message
from ..partners import PartnerProfile
from ..ports import FormatConfig
from .requests import OutboundRequest


def check_partner(request: OutboundRequest, profiles: Mapping[str, PartnerProfile]) -> FormatConfig:
    """The partner's settings for its format, once the request meets them;
    :class:`RequestRefused` when the partner is unknown, its profile has no section for its
    format, or a field it requires is missing."""

    def refuse(reason: str) -> RequestRefused:
        return RequestRefused(
            reason,
            request_id=request.request_id,
            partner=request.partner,
            kind=request.kind,
            correlation_id=request.correlation_id,
            request=request.event,
        )

    profile = profiles.get(request.partner)
    if profile is None:
        known = ", ".join(sorted(profiles)[:10]) or "none"
        raise refuse(
            f"unknown partner {request.partner!r}: no mappings/partners/{request.partner}.toml "
            f"(known: {known})"
        )
    config = profile.format_config
    if config is None:
        raise refuse(
            f"partner {request.partner!r} has no [{profile.format}] section in its profile"
        )
    missing = missing_required(request.message, config.required.get(request.kind, []))
    if missing:
        raise refuse(
            f"partner {request.partner!r} requires for {request.kind}: "
            + "; ".join(f"data.{path} is missing or empty" for path in missing)
        )
    return config


def missing_required(message: Message, paths: list[str]) -> list[str]:
    """The required dotted paths that are missing or empty in ``message``, each as the
    concrete path that is missing (``orders[1].packs[0].sscc``). Through a list, every element
    must have the rest of the path; an empty list is missing."""
    missing: list[str] = []
    for path in paths:
        _walk(message, path.split("."), "", missing)
    return missing


def _walk(value: Any, parts: list[str], where: str, missing: list[str]) -> None:
    if not parts:
        if value is None or value == "" or value == []:
            missing.append(where)
        return
    if isinstance(value, list):
        if not value:
            missing.append(where)
        for index, item in enumerate(value):
            _walk(item, parts, f"{where}[{index}]", missing)
        return
    head, rest = parts[0], parts[1:]
    child = getattr(value, head, None) if value is not None else None
    path = f"{where}.{head}" if where else head
    if child is None or child == "" or child == []:
        missing.append(path)
        return
    _walk(child, rest, path, missing)

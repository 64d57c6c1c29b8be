"""The X12 facts of a canonical envelope (:attr:`gateway.messages.Envelope.x12`), as the renderers
need them: a message read from another format has none, and must be given an X12 envelope first
(as the outbound rendering does, from the partner's profile)."""

from __future__ import annotations

from gateway.errors import RenderError
from gateway.messages import Envelope, X12Envelope


def x12_facts(envelope: Envelope) -> X12Envelope:
    """The X12 facts of ``envelope``; :class:`RenderError` for an envelope of another format."""
    if envelope.x12 is None:
        raise RenderError(f"the envelope is a {envelope.format} one: it holds no X12 facts")
    return envelope.x12


def group_version(envelope: Envelope) -> str:
    """GS08 of ``envelope``: the version a transaction set is written in; :class:`RenderError`
    when the envelope has none (another format's, or a TA1's)."""
    version = x12_facts(envelope).version
    if version is None:
        raise RenderError("the envelope's X12 facts hold no GS08 version: it is a TA1's")
    return version

"""Replay and resend, recorded with who asked for them: the command line's own functions
(:func:`gateway.publish_again.replay_command`, :func:`gateway.outbound.resend.resend`), then an
event on the document's timeline with ``detail["by"]``."""

from __future__ import annotations

from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from .. import ledger
from ..config import Settings
from ..exit_codes import EXIT_VALID
from ..registry import Registry
from . import ActionRefused


def replay(
    factory: sessionmaker[Session], settings: Settings, document_id: str, *, by: str, out: TextIO
) -> int:
    """Republish document ``document_id`` under its message id (``edi-gateway replay ID``);
    its exit code (1: nothing of that id was published)."""
    from ..publish_again import replay_command

    code = replay_command(
        settings,
        factory,
        document_id=document_id,
        partner=None,
        since=None,
        dry_run=False,
        out=out,
    )
    if code == EXIT_VALID:
        with factory.begin() as s:
            ledger.add_event(
                s,
                kind="replayed",
                message=f"republished under its message id, by {by}",
                document_id=document_id,
                detail={"by": by},
            )
    return code


def resend(
    factory: sessionmaker[Session],
    settings: Settings,
    registry: Registry,
    key: str,
    *,
    new_control_numbers: bool,
    by: str,
) -> str:
    """Send outbound document ``key`` again (``edi-gateway resend``); what was done, in a
    sentence. :class:`ActionRefused` when it cannot be (refused, unknown, a profile that no
    longer renders it, or cannot be read)."""
    from ..errors import ConfigError, DocumentRefused, RequestRefused, ResendError
    from ..outbound import resend as outbound
    from ..partner_formats import PartnerFormats
    from ..partners import PARTNERS_DIR, load_partners

    try:
        profiles = load_partners(settings.path(PARTNERS_DIR), registry)
        with factory.begin() as s:
            row = outbound.find_outbound(s, key)
        done = outbound.resend(
            factory,
            settings.path(settings.outbox),
            profiles,
            PartnerFormats.of(registry, profiles),
            key,
            new_control_numbers=new_control_numbers,
        )
    except (ResendError, RequestRefused, DocumentRefused, ConfigError) as error:
        raise ActionRefused(f"resend {key}: {error}") from error
    how = "with new control numbers" if new_control_numbers else "as it was"
    with factory.begin() as s:
        ledger.add_event(
            s,
            kind="resend.requested",
            message=f"sent again {how}, by {by}",
            document_id=row.document_id or row.request_id,
            correlation_id=row.correlation_id,
            detail={"by": by, "new_control_numbers": new_control_numbers},
        )
    return done

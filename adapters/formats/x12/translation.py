"""Which module translates which transaction set, in one place, and the calls that use them.

Each translator module declares ``SET_ID`` (or ``SET_IDS``), ``FUNCTIONAL_ID``, ``MESSAGE`` and two
functions: ``parse(tx) -> message`` and ``render(message) -> TransactionContent``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Protocol

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import RenderError, TranslationError
from gateway.messages import Message

from .findings import Finding, Level, Severity
from .segments import Separators
from .structure import TransactionSet
from .transactions import asn856, functional_ack, po850, poack855
from .writer import (
    GroupContent,
    InterchangeSpec,
    TransactionContent,
    interchange_version_for,
    write_interchange,
)

log = logging.getLogger(__name__)


class Translator(Protocol):
    FUNCTIONAL_ID: str

    def parse(self, tx: TransactionSet) -> Message: ...

    def render(self, message: Message) -> TransactionContent: ...


TRANSLATORS: dict[str, Translator] = {
    "850": po850,  # type: ignore[dict-item]
    "855": poack855,  # type: ignore[dict-item]
    "856": asn856,  # type: ignore[dict-item]
    "997": functional_ack,  # type: ignore[dict-item]
    "999": functional_ack,  # type: ignore[dict-item]
}
"""ST01 -> the module that translates it."""

RENDERERS: dict[type[Message], Translator] = {
    po850.MESSAGE: po850,  # type: ignore[dict-item]
    poack855.MESSAGE: poack855,  # type: ignore[dict-item]
    asn856.MESSAGE: asn856,  # type: ignore[dict-item]
    functional_ack.MESSAGE: functional_ack,  # type: ignore[dict-item]
}
"""Canonical message class -> the module that renders it."""


def translate(tx: TransactionSet) -> Message:
    """The canonical message of ``tx``; :class:`TranslationError` when it cannot be made."""
    translator = TRANSLATORS.get(tx.set_id)
    if translator is None:
        raise TranslationError(f"transaction set {tx.set_id} is not translated by this gateway")
    return translator.parse(tx)


def translate_or_report(tx: TransactionSet) -> tuple[Message | None, list[Finding]]:
    """Translate ``tx``; whatever goes wrong comes back as a finding, never as an exception."""
    where = {
        "file": tx.file_name,
        "interchange": tx.interchange.control_number.strip(),
        "group": tx.group.control_number,
        "transaction": tx.control_number,
        "transaction_set_id": tx.set_id,
    }
    if tx.set_id not in TRANSLATORS:
        message = f"transaction set {tx.set_id} is read and acknowledged but not translated"
        return None, [
            Finding(
                "translation.unsupported",
                message,
                Level.TRANSACTION,
                Severity.WARNING,
                **where,  # type: ignore[arg-type]
            )
        ]
    try:
        return translate(tx), []
    except TranslationError as error:
        text = f"cannot be translated: {error}"
        return None, [Finding("translation.failed", text, Level.TRANSACTION, **where)]  # type: ignore[arg-type]
    except Exception as error:  # a bug in a translator must not stop the gateway
        log.exception("translator for %s failed on %s", tx.set_id, tx.describe())
        text = f"the translator failed ({type(error).__name__}: {error}); this is a gateway bug"
        return None, [Finding("translation.internal_error", text, Level.TRANSACTION, **where)]  # type: ignore[arg-type]


def render_message(
    message: Message,
    counter: ControlNumberCounter,
    *,
    separators: Separators | None = None,
    spec: InterchangeSpec | None = None,
    keep_control_numbers: bool = False,
    at: dt.datetime | None = None,
) -> str:
    """``message`` as a complete interchange.

    The envelope's sender, receiver, version and usage come from the message unless ``spec`` is
    given. Control numbers come from ``counter``, or from the message's envelope when
    ``keep_control_numbers`` is set (a resend, or a round trip).
    """
    renderer = RENDERERS.get(type(message))
    if renderer is None:
        raise RenderError(f"no renderer for {type(message).__name__}")
    env = message.envelope
    spec = spec or InterchangeSpec(
        sender_qualifier=env.sender_qualifier,
        sender_id=env.sender_id,
        receiver_qualifier=env.receiver_qualifier,
        receiver_id=env.receiver_id,
        version=env.interchange_version or interchange_version_for(env.version),
        usage_indicator=env.usage_indicator,
        separators=separators or Separators(),
    )
    content = renderer.render(message)
    keep = keep_control_numbers
    if not keep:
        content = replace(content, control_number=None)
    group = GroupContent(
        renderer.FUNCTIONAL_ID,
        env.version,
        [content],
        application_sender=env.application_sender,
        application_receiver=env.application_receiver,
        control_number=int(env.group_control_number) if keep else None,
        created_at=env.created_at,
    )
    control = int(env.interchange_control_number) if keep else None
    return write_interchange(spec, [group], counter, control_number=control, at=at)

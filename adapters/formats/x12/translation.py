"""Which module translates which transaction set, in one place, and the calls that use them.

Each translator module declares ``SET_ID`` (or ``SET_IDS``), ``FUNCTIONAL_ID``, ``MESSAGE`` and two
functions: ``parse(tx) -> message`` and ``render(message) -> TransactionContent``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any, Protocol

from gateway.control_numbers import ControlNumberCounter
from gateway.errors import RenderError, TranslationError
from gateway.messages import InterchangeAck, Message, document_id_of
from gateway.messages.upgrade import former_content_digest

from .envelopes import group_version, x12_facts
from .findings import Finding, Level
from .segments import Separators
from .structure import TechnicalAck, TransactionSet
from .transactions import (
    asn856,
    functional_ack,
    interchange_ack,
    inventory846,
    invoice810,
    po850,
    poack855,
    stock943,
    stock944,
    stock947,
    untranslated,
    warehouse940,
    warehouse945,
)
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
    "846": inventory846,  # type: ignore[dict-item]
    "940": warehouse940,  # type: ignore[dict-item]
    "945": warehouse945,  # type: ignore[dict-item]
    "947": stock947,  # type: ignore[dict-item]
    "944": stock944,  # type: ignore[dict-item]
    "943": stock943,  # type: ignore[dict-item]
    "810": invoice810,  # type: ignore[dict-item]
    "997": functional_ack,  # type: ignore[dict-item]
    "999": functional_ack,  # type: ignore[dict-item]
}
"""ST01 -> the module that translates it."""

TRANSLATED_BY_2_0 = frozenset({"850", "855", "856", "997", "999"})
"""The sets canonical schema 2.0 translated. A partner whose profile passes untranslated sets
through had every other set of :data:`TRANSLATORS` published as an
:class:`~gateway.messages.UntranslatedTransaction`: that is its document's former reading
(:func:`former_identity`)."""

RENDERERS: dict[type[Message], Translator] = {
    po850.MESSAGE: po850,  # type: ignore[dict-item]
    poack855.MESSAGE: poack855,  # type: ignore[dict-item]
    asn856.MESSAGE: asn856,  # type: ignore[dict-item]
    inventory846.MESSAGE: inventory846,  # type: ignore[dict-item]
    warehouse940.MESSAGE: warehouse940,  # type: ignore[dict-item]
    warehouse945.MESSAGE: warehouse945,  # type: ignore[dict-item]
    stock947.MESSAGE: stock947,  # type: ignore[dict-item]
    stock944.MESSAGE: stock944,  # type: ignore[dict-item]
    stock943.MESSAGE: stock943,  # type: ignore[dict-item]
    invoice810.MESSAGE: invoice810,  # type: ignore[dict-item]
    functional_ack.MESSAGE: functional_ack,  # type: ignore[dict-item]
}
"""Canonical message class -> the module that renders it."""


def translate(
    document: TransactionSet | TechnicalAck, *, pass_through: bool = False
) -> Message | InterchangeAck:
    """The canonical message of a transaction set or TA1; :class:`TranslationError` when it
    cannot be made. A set no translator knows becomes an :class:`UntranslatedTransaction` with
    ``pass_through``, and an error without."""
    if isinstance(document, TechnicalAck):
        return interchange_ack.parse_ta1(document.segment, document.interchange)
    tx = document
    translator = TRANSLATORS.get(tx.set_id)
    if translator is not None:
        return translator.parse(tx)
    if pass_through:
        return untranslated.parse(tx)
    raise TranslationError(f"transaction set {tx.set_id} is not translated by this gateway")


def former_identity(
    tx: TransactionSet, message: Message | InterchangeAck, *, pass_through: bool
) -> tuple[str, str]:
    """The id and content digest canonical schema 2.0 gave ``tx``'s document (translated to
    ``message`` now), where 2.1 reads it otherwise; empty strings where they are the same.

    Either 2.0 passed the set through (:data:`TRANSLATED_BY_2_0`), or 2.1 reads more of it
    (:func:`gateway.messages.upgrade.former_content_digest`). Only X12 needs this: a flat file
    or XML reads the same under both."""
    if pass_through and tx.set_id in TRANSLATORS and tx.set_id not in TRANSLATED_BY_2_0:
        passed = untranslated.parse(tx)
        return passed.document_id, passed.content_digest
    digest = former_content_digest(message)
    if digest is None:
        return "", ""
    return document_id_of(message.envelope, digest), digest


def translate_or_report(
    document: TransactionSet | TechnicalAck, *, pass_through: bool = False
) -> tuple[Message | InterchangeAck | None, list[Finding]]:
    """Translate ``document``; whatever goes wrong comes back as a finding, never raised.

    A set no translator knows is rejected (``translation.unsupported``, AK5/IK5 code 1:
    transaction set not supported): it cannot be published, so it must not be acknowledged as
    accepted. With ``pass_through`` (a partner's profile opts in) it is passed through as its
    segments instead."""
    if isinstance(document, TechnicalAck):
        kind = "TA1"
    else:
        kind = document.set_id
        if kind not in TRANSLATORS and not pass_through:
            message = (
                f"transaction set {kind} is not translated by this gateway: rejected (a partner "
                'profile may pass such sets through: [x12] unsupported_sets = "pass_through")'
            )
            unsupported = Finding(
                "translation.unsupported",
                message,
                Level.TRANSACTION,
                transaction_code="1",
                **_where(document),
            )
            return None, [unsupported]
    try:
        return translate(document, pass_through=pass_through), []
    except TranslationError as error:
        text = f"cannot be translated: {error}"
        return None, [Finding("translation.failed", text, Level.TRANSACTION, **_where(document))]
    except Exception as error:  # a bug in a translator must not stop the gateway
        log.exception("translator for %s failed on %s", kind, _what(document))
        text = f"the translator failed ({type(error).__name__}: {error}); this is a gateway bug"
        return None, [
            Finding("translation.internal_error", text, Level.TRANSACTION, **_where(document))
        ]


def _where(document: TransactionSet | TechnicalAck) -> dict[str, Any]:
    """Where ``document`` is, for a finding about its translation (worked out only for one:
    most documents translate)."""
    if isinstance(document, TechnicalAck):
        return {
            "interchange": document.interchange.control_number.strip(),
            "segment_id": "TA1",
            "file_position": document.segment.position,
        }
    return {
        "file": document.file_name,
        "interchange": document.interchange.control_number.strip(),
        "group": document.group.control_number,
        "transaction": document.control_number,
        "transaction_set_id": document.set_id,
    }


def _what(document: TransactionSet | TechnicalAck) -> str:
    if isinstance(document, TechnicalAck):
        return f"TA1 in interchange {document.interchange.control_number.strip()}"
    return document.describe()


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

    The envelope's sender, receiver, version and usage come from the X12 facts of the message's
    envelope (``envelope.x12``; :class:`RenderError` without) unless ``spec`` is given. Control
    numbers come from ``counter``, or from those X12 facts when
    ``keep_control_numbers`` is set (a resend, or a round trip).
    """
    renderer = RENDERERS.get(type(message))
    if renderer is None:
        raise RenderError(f"no renderer for {type(message).__name__}")
    env = x12_facts(message.envelope)
    version = group_version(message.envelope)
    spec = spec or InterchangeSpec(
        sender_qualifier=env.sender_qualifier,
        sender_id=env.sender_id,
        receiver_qualifier=env.receiver_qualifier,
        receiver_id=env.receiver_id,
        version=env.interchange_version or interchange_version_for(version),
        usage_indicator=env.usage_indicator,
        separators=separators or Separators(),
    )
    content = renderer.render(message)
    keep = keep_control_numbers
    if not keep:
        content = replace(content, control_number=None)
    group = GroupContent(
        renderer.FUNCTIONAL_ID,
        version,
        [content],
        application_sender=env.application_sender,
        application_receiver=env.application_receiver,
        control_number=int(env.group_control_number or "") if keep else None,
        created_at=env.created_at,
    )
    control = int(env.interchange_control_number) if keep else None
    return write_interchange(spec, [group], counter, control_number=control, at=at)

"""Reconciliation: each 997, 999 or TA1 a partner sends is matched to the outbound documents it
answers for, which become accepted, accepted with errors or rejected, with a status event for
the modern layer, in the transaction that records the acknowledgement.

:func:`reconcile` is the X12 format's document hook (:data:`gateway.ports.DocumentHook`): it
sees every accepted inbound document and ignores all but kinds ``997``, ``999`` and ``ta1``.

**Matching.** An outbound document is one interchange holding one group holding one transaction
set (:class:`gateway.ledger.models.OutboundDocument`). A 997/999 names the group it answers
(AK101 functional id, AK102 GS06) and each set in it (AK201 set id, AK202 ST02); a TA1 names the
interchange (TA101 = ISA13). Candidates are the documents sent to the partner the ack came from
(its inbox folder) with that GS06 (or ISA13) whose GS01 equals AK101 and whose ISA ids are the
ack's, swapped: the ack's sender is the partner's id (our ISA08), its receiver ours (our ISA06).
Control numbers wrap after 999,999,999, so the newest matching interchange is the one answered.
Numbers compare as numbers when both are digits (``0001`` = ``1``).

**Outcome of a transaction set** (:func:`set_verdict`):

- the group rejected (AK901 ``R``, ``M``, ``W`` or ``X``): **rejected**, whatever the set's AK5
  says (a rejected group is not processed; the AK9 codes are kept with the set's);
- else the set's AK5/IK5 when an AK2 loop names it: ``A`` **accepted**, ``E`` **accepted with
  errors**, ``R``/``M``/``W``/``X`` **rejected**, with the AK5 codes and the AK3/AK4 (IK3/IK4)
  segment and element errors;
- else (no AK2 for it) the AK9: ``A`` and ``P`` (partially accepted: the sets it did not
  list were accepted) **accepted**, ``E`` **accepted with errors**.

**TA1** (:func:`interchange_verdict`): ``R`` rejects every document of the interchange (TA105 is
the code); ``A`` and ``E`` only say the envelope was read, so they are recorded (outcome
``noted``, on the document's timeline) and the state waits for the 997/999: a partner that sends
no functional ack leaves the document to the overdue sweep.

**Recorded, never applied twice.** Every acknowledgement is recorded in ``partner_acks``
(:mod:`gateway.ledger.reconciliation`), one row per set it answers for: ``applied``, ``noted``,
``unmatched`` (we never sent it; a warning is logged) or ``already_reconciled`` (the document
was settled by an earlier ack: kept, reported, its state unchanged). A late ack for a document
already marked ``overdue`` applies. An exact copy of an ack file (same content, or same ISA13,
GS06 and ST02) never reaches this hook: the pipeline records it as a duplicate.

The document's ``ack`` column keeps the partner's answer (:func:`ack_record`): kind, the status
that decided and which segment said it, the codes, the segment and element errors, the group's
AK9 and the acknowledgement's own document id; the status event carries the same.

(Over 400 lines: the rules (:func:`set_verdict`, :func:`interchange_verdict`) and their
application share the vocabulary of one acknowledgement; split, the docstring above would
have to be told twice.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from gateway import ledger
from gateway.ledger.outbound import (
    OutboundRow,
    OutboundState,
    claim_state,
    outbound_by_control_numbers,
    set_outbound_state,
)
from gateway.ledger.reconciliation import OPEN_STATES, AckOutcome, record_partner_ack
from gateway.messages import Envelope, FunctionalAck, InterchangeAck, TransactionSetAck
from gateway.outbound.status import OutboundStatus, document_status
from gateway.ports import ParsedDocument

log = logging.getLogger(__name__)

ACK_KINDS = ("997", "999", "ta1")
"""The document kinds :func:`reconcile` looks at."""

SET_OUTCOMES: dict[str, OutboundState] = {
    "A": OutboundState.ACCEPTED,
    "E": OutboundState.ACCEPTED_WITH_ERRORS,
    "R": OutboundState.REJECTED,
    "M": OutboundState.REJECTED,
    "W": OutboundState.REJECTED,
    "X": OutboundState.REJECTED,
}
"""AK501 / IK501 -> the document's state."""
GROUP_OUTCOMES: dict[str, OutboundState] = {**SET_OUTCOMES, "P": OutboundState.ACCEPTED}
"""AK901 -> the state of a set the ack does not list in an AK2 loop."""
GROUP_REJECTIONS = frozenset({"R", "M", "W", "X"})
"""AK901 values that reject every set of the group."""

STATUSES: dict[OutboundState, OutboundStatus] = {
    OutboundState.ACCEPTED: OutboundStatus.ACCEPTED,
    OutboundState.ACCEPTED_WITH_ERRORS: OutboundStatus.ACCEPTED_WITH_ERRORS,
    OutboundState.REJECTED: OutboundStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an acknowledgement says about one outbound document."""

    state: OutboundState
    """accepted, accepted_with_errors or rejected"""
    status: str
    """The code that decided (AK501, IK501, AK901 or TA104)."""
    decided_by: str
    """Which element said it: ``AK5``, ``IK5``, ``AK9`` or ``TA1``."""
    codes: tuple[str, ...] = ()
    """The partner's error codes: AK502-506 / IK502-506 (plus AK905-909 when the group was
    rejected), AK905-909 when AK9 decided, TA105 for a TA1."""
    segment_errors: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """AK3/AK4 (IK3/IK4) loops, as :class:`gateway.messages.SegmentError` dictionaries."""


def set_verdict(ack: FunctionalAck, set_ack: TransactionSetAck | None) -> Verdict:
    """The verdict of 997/999 ``ack`` on one of the sets of the group it answers; ``set_ack`` is
    the AK2 loop naming that set, ``None`` when there is none (see the module docstring)."""
    set_tag = "IK5" if ack.kind == "999" else "AK5"
    errors = tuple(e.model_dump(mode="json") for e in set_ack.segment_errors) if set_ack else ()
    if ack.status in GROUP_REJECTIONS:
        own = tuple(set_ack.error_codes) if set_ack else ()
        return Verdict(
            OutboundState.REJECTED, ack.status, "AK9", own + tuple(ack.error_codes), errors
        )
    if set_ack is not None:
        return Verdict(
            SET_OUTCOMES[set_ack.status],
            set_ack.status,
            set_tag,
            tuple(set_ack.error_codes),
            errors,
        )
    return Verdict(GROUP_OUTCOMES[ack.status], ack.status, "AK9", tuple(ack.error_codes))


def interchange_verdict(ta1: InterchangeAck) -> Verdict | None:
    """A rejecting TA1's verdict on the documents of the interchange; ``None`` for ``A`` and
    ``E`` (recorded, the 997/999 decides)."""
    if ta1.status != "R":
        return None
    return Verdict(OutboundState.REJECTED, "R", "TA1", (ta1.note_code,))


def ack_record(
    verdict: Verdict, doc: ParsedDocument, message: FunctionalAck | InterchangeAck
) -> dict[str, Any]:
    """The JSON kept in the document's ``ack`` column and carried by the status event."""
    record: dict[str, Any] = {
        "kind": doc.kind,
        "document_id": doc.document_id,
        "interchange": doc.interchange,
        "state": verdict.state.value,
        "status": verdict.status,
        "decided_by": verdict.decided_by,
        "codes": list(verdict.codes),
        "segment_errors": list(verdict.segment_errors),
        "received_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    if isinstance(message, FunctionalAck):
        record["group"] = {
            "functional_id": message.functional_id,
            "control_number": message.group_control_number,
            "status": message.status,
            "codes": list(message.error_codes),
            "included": message.transaction_sets_included,
            "received": message.transaction_sets_received,
            "accepted": message.transaction_sets_accepted,
        }
    else:
        record["interchange_ack"] = {
            "control_number": message.interchange_control_number,
            "status": message.status,
            "note_code": message.note_code,
        }
    return record


# -- the hook ----------------------------------------------------------------------------------


def reconcile(s: Session, partner: str, doc: ParsedDocument) -> None:
    """Match ``doc`` (when it is a 997, 999 or TA1 from ``partner``) to what was sent, and
    settle, record and announce it, in the caller's transaction.

    A failure while doing so (an answer the code does not expect, a bug) does not fail the
    file's batch: its work is undone to a savepoint, it is logged, and the acknowledgement's
    timeline says why (``reconcile_failed``). The documents it answers for stay open, and go
    overdue if nothing else answers for them."""
    message = doc.message
    apply: Callable[[], None]
    if doc.kind in ("997", "999") and isinstance(message, FunctionalAck):
        apply = partial(_Reconciliation(s, partner, doc).functional, message)
    elif doc.kind == "ta1" and isinstance(message, InterchangeAck):
        apply = partial(_Reconciliation(s, partner, doc).interchange, message)
    else:
        return  # every other document (the 850s): nothing to reconcile, nothing to set up
    try:
        with ledger.savepoint(s):
            apply()
    except Exception as error:
        log.exception("reconciling %s %s from %s failed", doc.kind, doc.document_id, partner)
        ledger.add_event(
            s,
            kind="reconcile_failed",
            message=f"the {doc.kind.upper()} could not be reconciled "
            f"({type(error).__name__}: {error}); what it answers for stays open",
            document_id=doc.document_id,
            detail={"error": f"{type(error).__name__}: {error}"},
        )


def padded_isa13(value: str | int) -> str:
    """ISA13 as the gateway stores it: nine digits."""
    text = str(value).strip()
    return text.zfill(9) if text.isdigit() else text


def plain_gs06(value: str | int) -> str:
    """GS06 as the gateway stores it: no leading zeros."""
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else text


def same_number(a: str | None, b: str | None) -> bool:
    """Control numbers compare as numbers when both are digits (``0001`` = ``1``)."""
    if a is None or b is None:
        return False
    a, b = a.strip(), b.strip()
    return int(a) == int(b) if a.isdigit() and b.isdigit() else a == b


def answers_for(row: OutboundRow, envelope: Envelope) -> bool:
    """Whether an acknowledgement in ``envelope`` can answer for ``row``: it comes from the id
    we sent to and goes to the id we sent from (ids the row does not record are not checked;
    for X12 the envelope's parties are ISA06 and ISA08)."""
    return _same_id(row.receiver_id, envelope.sender.id) and _same_id(
        row.sender_id, envelope.receiver.id
    )


def _same_id(ours: str | None, theirs: str) -> bool:
    return ours is None or ours.strip() == theirs.strip()


class _Reconciliation:
    """One acknowledgement being reconciled."""

    def __init__(self, s: Session, partner: str, doc: ParsedDocument) -> None:
        self.s, self.partner, self.doc = s, partner, doc
        self.now = dt.datetime.now(dt.UTC)

    # -- 997 / 999 -----------------------------------------------------------------------------

    def functional(self, ack: FunctionalAck) -> None:
        gs06 = ack.group_control_number
        group = self._newest_interchange(
            [
                row
                for row in outbound_by_control_numbers(
                    self.s, self.partner, group_ref=plain_gs06(gs06)
                )
                if (row.group_kind is None or row.group_kind == ack.functional_id)
                and answers_for(row, ack.envelope)
            ]
        )
        if not group:
            names: list[str | None] = [t.control_number for t in ack.transactions] or [None]
            for st02 in names:
                self._unmatched(
                    f"no {ack.functional_id} group {gs06} was sent to {self.partner}",
                    group_ref=gs06,
                    transaction_ref=st02,
                )
            return
        listed: set[int] = set()
        for set_ack in ack.transactions:
            row = next(
                (
                    r
                    for r in group
                    if r.kind == set_ack.transaction_set_id
                    and same_number(r.transaction_ref, set_ack.control_number)
                ),
                None,
            )
            if row is None:
                self._unmatched(
                    f"group {gs06} sent to {self.partner} holds no {set_ack.transaction_set_id} "
                    f"with ST02 {set_ack.control_number}",
                    interchange_ref=group[0].interchange_ref,
                    group_ref=gs06,
                    transaction_ref=set_ack.control_number,
                )
                continue
            listed.add(row.id)
            self._apply(row, set_verdict(ack, set_ack), ack)
        for row in group:
            if row.id not in listed:
                self._apply(row, set_verdict(ack, None), ack)

    # -- TA1 -----------------------------------------------------------------------------------

    def interchange(self, ta1: InterchangeAck) -> None:
        isa13 = ta1.interchange_control_number
        rows = self._newest_interchange(
            [
                row
                for row in outbound_by_control_numbers(
                    self.s, self.partner, interchange_ref=padded_isa13(isa13)
                )
                if answers_for(row, ta1.envelope)
            ]
        )
        if not rows:
            self._unmatched(
                f"no interchange {isa13} was sent to {self.partner}", interchange_ref=isa13
            )
            return
        verdict = interchange_verdict(ta1)
        for row in rows:
            if verdict is not None:
                self._apply(row, verdict, ta1)
            else:
                self._note(row, ta1)

    # -- outcomes ------------------------------------------------------------------------------

    @staticmethod
    def _newest_interchange(rows: Sequence[OutboundRow]) -> list[OutboundRow]:
        """The rows of the newest interchange among ``rows`` (numbers wrap over the years)."""
        if not rows:
            return []
        newest = max(rows, key=lambda row: row.id)
        return [row for row in rows if row.interchange_ref == newest.interchange_ref]

    def _apply(
        self, row: OutboundRow, verdict: Verdict, message: FunctionalAck | InterchangeAck
    ) -> None:
        record = ack_record(verdict, self.doc, message)
        moved = row.state in OPEN_STATES and claim_state(
            self.s, row.id, verdict.state, from_states=OPEN_STATES, at=self.now
        )
        if not moved:
            self._already_reconciled(row, verdict)
            return
        what = f"{self.doc.kind} {self.doc.interchange}"
        codes = f" (codes {', '.join(verdict.codes)})" if verdict.codes else ""
        set_outbound_state(
            self.s,
            row.id,
            verdict.state,
            ack=record,
            message=f"{row.kind} {verdict.state.value} by the partner's {what}: "
            f"{verdict.decided_by} {verdict.status}{codes}",
            at=self.now,
        )
        self._record(row, AckOutcome.APPLIED, {"state": verdict.state.value, **_brief(verdict)})
        status = document_status(row, STATUSES[verdict.state], detail=record, at=self.now)
        ledger.enqueue_messages(self.s, [status])
        log.info(
            "%s for %s (request %s) %s by %s %s",
            row.kind,
            row.partner,
            row.request_id,
            verdict.state.value,
            self.doc.kind,
            self.doc.document_id,
        )

    def _note(self, row: OutboundRow, ta1: InterchangeAck) -> None:
        text = (
            f"partner's TA1 {ta1.status} (note {ta1.note_code}) for interchange "
            f"{row.interchange_ref}: "
            "envelope read; waiting for the functional acknowledgement"
        )
        self._timeline(row, "partner_ack", text)
        self._record(row, AckOutcome.NOTED, {"status": ta1.status, "note_code": ta1.note_code})

    def _already_reconciled(self, row: OutboundRow, verdict: Verdict) -> None:
        current = row.ack or {}
        detail = {
            "state": row.state.value,
            "settled_by": current.get("document_id"),
            "this_says": verdict.state.value,
            **_brief(verdict),
        }
        text = (
            f"partner's {self.doc.kind} {self.doc.interchange} says {verdict.state.value}, but "
            f"the {row.kind} was already {row.state.value}: recorded, not applied"
        )
        self._timeline(row, "partner_ack_ignored", text, detail)
        self._record(row, AckOutcome.ALREADY_RECONCILED, detail)
        log.warning(
            "%s from %s (%s): %s request %s already reconciled (%s); not applied again",
            self.doc.kind,
            self.partner,
            self.doc.document_id,
            row.kind,
            row.request_id,
            row.state.value,
        )

    def _unmatched(
        self,
        why: str,
        *,
        interchange_ref: str | None = None,
        group_ref: str | None = None,
        transaction_ref: str | None = None,
    ) -> None:
        record_partner_ack(
            self.s,
            partner=self.partner,
            kind=self.doc.kind,
            document_id=self.doc.document_id,
            outcome=AckOutcome.UNMATCHED,
            interchange_ref=interchange_ref,
            group_ref=group_ref,
            transaction_ref=transaction_ref,
            detail={"reason": why},
            at=self.now,
        )
        ledger.add_event(
            self.s,
            kind="reconciliation",
            message=f"unmatched: {why}",
            document_id=self.doc.document_id,
            detail={"gs06": group_ref, "st02": transaction_ref, "isa13": interchange_ref},
            at=self.now,
        )
        log.warning(
            "%s from %s (%s) unmatched: %s", self.doc.kind, self.partner, self.doc.document_id, why
        )

    def _record(self, row: OutboundRow, outcome: AckOutcome, detail: dict[str, Any]) -> None:
        record_partner_ack(
            self.s,
            partner=self.partner,
            kind=self.doc.kind,
            document_id=self.doc.document_id,
            outcome=outcome,
            interchange_ref=row.interchange_ref,
            group_ref=row.group_ref,
            transaction_ref=None if self.doc.kind == "ta1" else row.transaction_ref,
            outbound_id=row.id,
            detail=detail,
            at=self.now,
        )
        ledger.add_event(
            self.s,
            kind="reconciliation",
            message=f"{outcome.value}: {row.kind} request {row.request_id} "
            f"(ISA13 {row.interchange_ref}, GS06 {row.group_ref}, ST02 {row.transaction_ref})",
            document_id=self.doc.document_id,
            detail={"outbound_id": row.id, "outcome": outcome.value, **detail},
            at=self.now,
        )

    def _timeline(
        self, row: OutboundRow, kind: str, text: str, detail: dict[str, Any] | None = None
    ) -> None:
        ledger.add_event(
            self.s,
            kind=kind,
            message=text,
            document_id=row.document_id or row.request_id,
            correlation_id=row.correlation_id,
            detail={"ack_document_id": self.doc.document_id, **(detail or {})},
            at=self.now,
        )


def _brief(verdict: Verdict) -> dict[str, Any]:
    return {
        "status": verdict.status,
        "decided_by": verdict.decided_by,
        "codes": list(verdict.codes),
    }

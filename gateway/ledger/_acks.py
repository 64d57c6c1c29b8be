"""Replies the gateway owes partners (acknowledgements: X12 997/999/TA1): recorded with the file
they answer, then written to ``outbox/<partner>/``, each change with its event."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.orm import Session

from ._events import _event, _write_events
from ._statements import BulkInsert, _chunks, _now, _rows, _run
from .models import ACKS


class AckState(StrEnum):
    PENDING_WRITE = "pending_write"
    WRITTEN = "written"


@dataclasses.dataclass(frozen=True, slots=True)
class AckRow:
    id: int
    file_id: int
    partner: str
    name: str
    text: str
    state: AckState
    created_at: dt.datetime
    written_at: dt.datetime | None


_INSERT_ACKS = BulkInsert(ACKS)
_ACKS_TO_WRITE = (
    select(ACKS).where(ACKS.c.state == AckState.PENDING_WRITE.value).order_by(ACKS.c.id)
)
_ACKS_TO_WRITE_LIMIT = _ACKS_TO_WRITE.limit(bindparam("p_limit", type_=Integer))
_MARK_ACKS_WRITTEN = (
    update(ACKS)
    .where(
        ACKS.c.id.in_(bindparam("p_ids", expanding=True)),
        ACKS.c.state == AckState.PENDING_WRITE.value,
    )
    .values(
        state=AckState.WRITTEN.value,
        written_at=bindparam("p_now", type_=ACKS.c.written_at.type),
    )
    .returning(ACKS.c.id, ACKS.c.file_id, ACKS.c.partner, ACKS.c.name)
)


@dataclasses.dataclass(frozen=True, slots=True)
class NewAck:
    """An acknowledgement to write to ``outbox/<partner>/<name>`` (see :func:`record_acks`)."""

    file_id: int
    partner: str
    name: str
    text: str


def record_acks(s: Session, acks: Sequence[NewAck]) -> list[int]:
    """Acknowledgements to write (state ``pending_write``), in one statement; returns their
    ids."""
    if not acks:
        return []
    now = _now()
    rows = [
        {
            "file_id": a.file_id,
            "partner": a.partner,
            "name": a.name,
            "text": a.text,
            "state": AckState.PENDING_WRITE.value,
            "created_at": now,
            "written_at": None,
        }
        for a in acks
    ]
    ids = _INSERT_ACKS.returning_ids(s, rows)
    _write_events(
        s,
        [
            _event(
                now,
                "ack_recorded",
                f"acknowledgement {a.name} recorded",
                file_id=a.file_id,
                detail={"ack_id": ack_id},
            )
            for a, ack_id in zip(acks, ids, strict=True)
        ],
    )
    return ids


def record_ack(s: Session, *, file_id: int, partner: str, name: str, text: str) -> int:
    """An acknowledgement to write to ``outbox/<partner>/<name>`` (state ``pending_write``);
    returns its id."""
    [ack_id] = record_acks(s, [NewAck(file_id, partner, name, text)])
    return ack_id


def acks_to_write(s: Session, *, limit: int | None = None) -> list[AckRow]:
    """Acknowledgements not written yet, oldest first."""
    if limit is None:
        return _rows(s, _ACKS_TO_WRITE, None, AckRow, state=AckState)
    return _rows(s, _ACKS_TO_WRITE_LIMIT, {"p_limit": limit}, AckRow, state=AckState)


def mark_acks_written(s: Session, ack_ids: Sequence[int]) -> None:
    """These acknowledgements' files are written (and synced); a second call changes nothing."""
    now = _now()
    changed: list[Any] = []
    for chunk in _chunks(ack_ids):
        changed += _run(s, _MARK_ACKS_WRITTEN, {"p_ids": chunk, "p_now": now}).all()
    _write_events(
        s,
        [
            _event(
                now,
                "ack_written",
                f"acknowledgement written: outbox/{row.partner}/{row.name}",
                file_id=row.file_id,
                detail={"ack_id": row.id},
            )
            for row in changed
        ],
    )


_RENAME_ACK = (
    update(ACKS)
    .where(ACKS.c.id == bindparam("p_id"), ACKS.c.state == AckState.PENDING_WRITE.value)
    .values(name=bindparam("p_name"))
    .returning(ACKS.c.id, ACKS.c.file_id, ACKS.c.partner, ACKS.c.name)
)


def rename_acks(s: Session, names: Mapping[int, str]) -> None:
    """These acknowledgements were written under other names (``ack id -> name``): theirs were
    taken by other files (:mod:`gateway.spool`). Each gets an ``ack_renamed`` event saying
    why; one written already keeps its name."""
    if not names:
        return
    now = _now()
    events = []
    for ack_id, name in names.items():
        old = _run(s, select(ACKS.c.name).where(ACKS.c.id == ack_id)).scalar()
        for row in _run(s, _RENAME_ACK, {"p_id": ack_id, "p_name": name}):
            events.append(
                _event(
                    now,
                    "ack_renamed",
                    f"acknowledgement {old} written as {name}: outbox/{row.partner}/{old} is "
                    "taken by another file",
                    file_id=row.file_id,
                    detail={"ack_id": row.id, "name": name, "taken": old},
                )
            )
    _write_events(s, events)


def mark_ack_written(s: Session, ack_id: int) -> None:
    """The acknowledgement's file is written (and synced); a second call changes nothing."""
    mark_acks_written(s, [ack_id])

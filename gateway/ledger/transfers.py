"""What the ledger records about remote transfers: pickups from and deliveries to partners' servers.

Like :mod:`gateway.ledger.repository`, every function takes a session and leaves the transaction
to the caller, and returns plain frozen rows.

A pickup goes ``downloaded`` (in a temporary dotfile in ``inbox/<partner>/``, fsynced, recorded)
-> ``delivered`` (renamed to its final name in the inbox) -> ``done`` (removed, moved or kept on
the partner's server, as the profile says). The row is committed *before* the file enters the inbox
and before anything happens remotely, so after a crash the next poll knows what it already holds.

A delivery goes ``pending`` (recorded, being uploaded; ``attempts`` and ``last_error`` tell how
it goes) -> ``sent`` (the partner's server has it under its final name, size checked).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .models import DELIVERIES, REMOTE_PICKUPS


class PickupState(StrEnum):
    DOWNLOADED = "downloaded"
    """Complete in a temporary file in the inbox folder, fsynced; not yet under its final name."""
    DELIVERED = "delivered"
    """In ``inbox/<partner>/<local_name>``; the remote action (delete, move, keep) is pending."""
    DONE = "done"
    """The remote action is done (``detail['remote']`` says which, or that the file was gone)."""


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    """Confirmed: the file is at the partner under its final name, with the right size."""


@dataclasses.dataclass(frozen=True, slots=True)
class PickupRow:
    id: int
    partner: str
    remote_path: str
    size: int
    mtime: int
    sha256: str
    temp_name: str
    local_name: str
    state: PickupState
    detail: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    partner: str
    local_name: str
    sha256: str
    size: int
    remote_path: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    delivered_at: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pickup(row: Any) -> PickupRow:
    values = dict(row._mapping)
    values["state"] = PickupState(values["state"])
    return PickupRow(**values)


def _delivery(row: Any) -> DeliveryRow:
    values = dict(row._mapping)
    values["state"] = DeliveryState(values["state"])
    return DeliveryRow(**values)


# -- pickups -----------------------------------------------------------------------------------


def record_pickup(
    s: Session,
    *,
    partner: str,
    remote_path: str,
    size: int,
    mtime: int,
    sha256: str,
    temp_name: str,
    local_name: str,
) -> PickupRow:
    """A file downloaded completely into ``temp_name`` (fsynced), to become ``local_name``."""
    now = _now()
    values = {
        "partner": partner,
        "remote_path": remote_path,
        "size": size,
        "mtime": mtime,
        "sha256": sha256,
        "temp_name": temp_name,
        "local_name": local_name,
        "state": PickupState.DOWNLOADED.value,
        "detail": None,
        "created_at": now,
        "updated_at": now,
    }
    pickup_id = s.execute(
        insert(REMOTE_PICKUPS).returning(REMOTE_PICKUPS.c.id), values
    ).scalar_one()
    row = s.execute(select(REMOTE_PICKUPS).where(REMOTE_PICKUPS.c.id == pickup_id)).one()
    return _pickup(row)


def pickups_in_state(s: Session, partner: str, states: Iterable[PickupState]) -> list[PickupRow]:
    """The partner's pickups in ``states``, oldest first."""
    statement = (
        select(REMOTE_PICKUPS)
        .where(REMOTE_PICKUPS.c.partner == partner)
        .where(REMOTE_PICKUPS.c.state.in_([state.value for state in states]))
        .order_by(REMOTE_PICKUPS.c.id)
    )
    return [_pickup(row) for row in s.execute(statement)]


def pickup_of(
    s: Session, partner: str, remote_path: str, size: int, mtime: int
) -> PickupRow | None:
    """The newest pickup of exactly this remote file (same path, size and mtime), if any."""
    statement = (
        select(REMOTE_PICKUPS)
        .where(REMOTE_PICKUPS.c.partner == partner)
        .where(REMOTE_PICKUPS.c.remote_path == remote_path)
        .where(REMOTE_PICKUPS.c.size == size)
        .where(REMOTE_PICKUPS.c.mtime == mtime)
        .order_by(REMOTE_PICKUPS.c.id.desc())
        .limit(1)
    )
    row = s.execute(statement).first()
    return None if row is None else _pickup(row)


def set_pickup_state(
    s: Session,
    pickup_id: int,
    state: PickupState,
    *,
    local_name: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {"state": state.value, "updated_at": _now()}
    if local_name is not None:
        values["local_name"] = local_name
    if detail is not None:
        values["detail"] = detail
    s.execute(update(REMOTE_PICKUPS).where(REMOTE_PICKUPS.c.id == pickup_id).values(**values))


# -- deliveries --------------------------------------------------------------------------------


def delivery_of(s: Session, partner: str, local_name: str, sha256: str) -> DeliveryRow | None:
    """The newest delivery of this content under this name, if any."""
    statement = (
        select(DELIVERIES)
        .where(DELIVERIES.c.partner == partner)
        .where(DELIVERIES.c.local_name == local_name)
        .where(DELIVERIES.c.sha256 == sha256)
        .order_by(DELIVERIES.c.id.desc())
        .limit(1)
    )
    row = s.execute(statement).first()
    return None if row is None else _delivery(row)


def record_delivery(
    s: Session, *, partner: str, local_name: str, sha256: str, size: int, remote_path: str
) -> DeliveryRow:
    now = _now()
    values = {
        "partner": partner,
        "local_name": local_name,
        "sha256": sha256,
        "size": size,
        "remote_path": remote_path,
        "state": DeliveryState.PENDING.value,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
        "delivered_at": None,
    }
    delivery_id = s.execute(insert(DELIVERIES).returning(DELIVERIES.c.id), values).scalar_one()
    row = s.execute(select(DELIVERIES).where(DELIVERIES.c.id == delivery_id)).one()
    return _delivery(row)


def delivery_attempted(s: Session, delivery_id: int, error: str | None) -> None:
    """One more attempt; ``error`` is why it failed (None: it went through)."""
    s.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(
            attempts=DELIVERIES.c.attempts + 1,
            last_error=error,
            updated_at=_now(),
        )
    )


def mark_sent(s: Session, delivery_id: int) -> None:
    now = _now()
    s.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(state=DeliveryState.SENT.value, updated_at=now, delivered_at=now)
    )


def deliveries_of(s: Session, partner: str) -> list[DeliveryRow]:
    statement = select(DELIVERIES).where(DELIVERIES.c.partner == partner).order_by(DELIVERIES.c.id)
    return [_delivery(row) for row in s.execute(statement)]

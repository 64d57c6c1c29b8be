"""What the ledger records about remote transfers: pickups from and deliveries to partners' servers.

Like the rest of :mod:`gateway.ledger`, every function takes a session and leaves the transaction
to the caller, and returns plain frozen rows.

A pickup goes ``downloaded`` (in a temporary dotfile in ``inbox/<partner>/``, fsynced, recorded)
-> ``delivered`` (renamed to its final name in the inbox) -> ``done`` (removed, moved or kept on
the partner's server, as the profile says). The row is committed *before* the file enters the inbox
and before anything happens remotely, so after a crash the next poll knows what it already holds.
A poll records a batch of pickups with one statement (:func:`record_pickups`) and moves them on
together (:func:`set_pickup_states`), in one transaction each.

A delivery goes ``pending`` (recorded; ``attempts`` and ``last_error`` tell how it goes) ->
``placing`` (its final name was free at the partner, and it is being given it: after a crash, a
file there under that name with its bytes is this delivery's; back to ``pending`` when the
server refused it) -> ``sent`` (the partner's server
has it under its final name, size checked) -> ``filed`` (the local file moved to ``sent/``).
A delivery is one row: a file of the same name and bytes put in the outbox once its delivery is
``filed`` (``resend``, or an operator's copy) is a delivery of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from .models import DELIVERIES, REMOTE_PICKUPS

IN_CHUNK = 300
"""Values in one ``IN (...)`` (three parameters each for :func:`newest_pickups`)."""


class PickupState(StrEnum):
    DOWNLOADED = "downloaded"
    """Complete in a temporary file in the inbox folder, fsynced; not yet under its final name."""
    DELIVERED = "delivered"
    """In ``inbox/<partner>/<local_name>``; the remote action (delete, move, keep) is pending."""
    DONE = "done"
    """The remote action is done (``detail['remote']`` says which, or that the file was gone)."""


class DeliveryState(StrEnum):
    PENDING = "pending"
    PLACING = "placing"
    """Its final name was free at the partner; the file is being given it (uploaded under a
    temporary name and renamed, or written directly)."""
    SENT = "sent"
    """Confirmed: the file is at the partner under its final name, with the right size; the
    local file is still to move to ``sent/``."""
    FILED = "filed"
    """Confirmed, and the local file moved to ``sent/``: this delivery is over."""


CONFIRMED_DELIVERY_STATES = (DeliveryState.SENT, DeliveryState.FILED)
"""The partner has the file."""


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


@dataclasses.dataclass(frozen=True, slots=True)
class NewPickup:
    """A file downloaded completely into ``temp_name`` (fsynced), to become ``local_name``."""

    remote_path: str
    size: int
    mtime: int
    sha256: str
    temp_name: str
    local_name: str


def record_pickups(s: Session, partner: str, pickups: Sequence[NewPickup]) -> list[PickupRow]:
    """Several :func:`record_pickup` in one statement; the rows in the order given."""
    if not pickups:
        return []
    now = _now()
    values = [
        {
            "partner": partner,
            "remote_path": p.remote_path,
            "size": p.size,
            "mtime": p.mtime,
            "sha256": p.sha256,
            "temp_name": p.temp_name,
            "local_name": p.local_name,
            "state": PickupState.DOWNLOADED.value,
            "detail": None,
            "created_at": now,
            "updated_at": now,
        }
        for p in pickups
    ]
    # a plain executemany, then one select: RETURNING with many rows goes row by row on SQLite
    s.execute(insert(REMOTE_PICKUPS), values)
    wanted = [p.temp_name for p in pickups]
    found: dict[str, PickupRow] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        statement = (
            select(REMOTE_PICKUPS)
            .where(REMOTE_PICKUPS.c.partner == partner)
            .where(REMOTE_PICKUPS.c.state == PickupState.DOWNLOADED.value)
            .where(REMOTE_PICKUPS.c.temp_name.in_(wanted[start : start + IN_CHUNK]))
        )
        for row in s.execute(statement):
            pickup = _pickup(row)
            found[pickup.temp_name] = pickup
    return [found[name] for name in wanted]


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
    key = (remote_path, size, mtime)
    return newest_pickups(s, partner, [key]).get(key)


def newest_pickups(
    s: Session, partner: str, files: Sequence[tuple[str, int, int]]
) -> dict[tuple[str, int, int], PickupRow]:
    """:func:`pickup_of` for many ``(remote_path, size, mtime)`` at once: the newest pickup of
    each that has one."""
    newest: dict[tuple[str, int, int], PickupRow] = {}
    wanted = sorted(set(files))
    for start in range(0, len(wanted), IN_CHUNK):
        statement = (
            select(REMOTE_PICKUPS)
            .where(REMOTE_PICKUPS.c.partner == partner)
            .where(
                tuple_(
                    REMOTE_PICKUPS.c.remote_path, REMOTE_PICKUPS.c.size, REMOTE_PICKUPS.c.mtime
                ).in_(wanted[start : start + IN_CHUNK])
            )
            .order_by(REMOTE_PICKUPS.c.id)
        )
        for row in s.execute(statement):
            pickup = _pickup(row)
            newest[(pickup.remote_path, pickup.size, pickup.mtime)] = pickup
    return newest


def set_pickup_state(
    s: Session,
    pickup_id: int,
    state: PickupState,
    *,
    local_name: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    set_pickup_states(s, [PickupChange(pickup_id, state, local_name, detail)])


@dataclasses.dataclass(frozen=True, slots=True)
class PickupChange:
    """One :func:`set_pickup_state` for :func:`set_pickup_states`."""

    pickup_id: int
    state: PickupState
    local_name: str | None = None
    detail: dict[str, Any] | None = None


def set_pickup_states(s: Session, changes: Sequence[PickupChange]) -> None:
    """Several :func:`set_pickup_state` at once (one statement per kind of change)."""
    now = _now()
    groups: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for change in changes:
        params: dict[str, Any] = {
            "b_id": change.pickup_id,
            "b_state": change.state.value,
            "b_updated": now,
        }
        if change.local_name is not None:
            params["b_local_name"] = change.local_name
        if change.detail is not None:
            params["b_detail"] = change.detail
        key = (change.local_name is not None, change.detail is not None)
        groups.setdefault(key, []).append(params)
    for (with_name, with_detail), rows in groups.items():
        values: dict[str, Any] = {
            "state": bindparam("b_state"),
            "updated_at": bindparam("b_updated"),
        }
        if with_name:
            values["local_name"] = bindparam("b_local_name")
        if with_detail:
            values["detail"] = bindparam("b_detail")
        statement = (
            update(REMOTE_PICKUPS).where(REMOTE_PICKUPS.c.id == bindparam("b_id")).values(**values)
        )
        s.connection().execute(statement, rows)


# -- deliveries --------------------------------------------------------------------------------


def delivery_of(s: Session, partner: str, local_name: str, sha256: str) -> DeliveryRow | None:
    """The delivery of this content under this name still under way (not ``filed``), if any:
    a file in the outbox whose delivery is ``filed`` is another delivery."""
    statement = (
        select(DELIVERIES)
        .where(DELIVERIES.c.partner == partner)
        .where(DELIVERIES.c.local_name == local_name)
        .where(DELIVERIES.c.sha256 == sha256)
        .where(DELIVERIES.c.state != DeliveryState.FILED.value)
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


def set_delivery_state(s: Session, delivery_id: int, state: DeliveryState) -> None:
    """``placing`` (giving the file its final name), ``pending`` again (it was not given it) or
    ``filed`` (the local file moved to ``sent/``); :func:`mark_sent` confirms it."""
    s.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(state=DeliveryState(state).value, updated_at=_now())
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

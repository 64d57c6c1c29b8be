"""The reference lists the modern layer publishes (``reference_lists``): the newest list of items
and locations for each scope (a partner's routing word, or ``all``), kept durably so that a
restart, or another process (a ``reprocess`` on the command line), sees it.

A list replaces the one kept for its scope when it was issued later; one issued earlier (a
redelivery, or a list overtaken on its way) is left out, and so is the same list again. Reading
is in two steps, so that the items of a large list are read only when the list changed: the
ids and times of the scopes' lists (:func:`list_versions`), then a list's content
(:func:`list_content`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ._statements import _now, _run
from .models import REFERENCE_LISTS


@dataclasses.dataclass(frozen=True, slots=True)
class ListVersion:
    scope: str
    list_id: str
    issued_at: dt.datetime


_VERSIONS = select(
    REFERENCE_LISTS.c.scope, REFERENCE_LISTS.c.list_id, REFERENCE_LISTS.c.issued_at
).where(REFERENCE_LISTS.c.scope.in_(bindparam("p_scopes", expanding=True)))
_CONTENT = select(REFERENCE_LISTS.c.content).where(
    REFERENCE_LISTS.c.scope == bindparam("p_scope"),
    REFERENCE_LISTS.c.list_id == bindparam("p_list_id"),
)
_REPLACE = (
    update(REFERENCE_LISTS)
    .where(
        REFERENCE_LISTS.c.scope == bindparam("p_scope"),
        REFERENCE_LISTS.c.issued_at < bindparam("p_issued_at"),
    )
    .values(
        list_id=bindparam("p_list_id"),
        issued_at=bindparam("p_issued_at"),
        received_at=bindparam("p_received_at"),
        content=bindparam("p_content", type_=REFERENCE_LISTS.c.content.type),
    )
)
_INSERT = insert(REFERENCE_LISTS)


def store_list(
    s: Session,
    *,
    scope: str,
    list_id: str,
    issued_at: dt.datetime,
    content: dict[str, Any],
) -> bool:
    """Keep the list for ``scope`` unless the one kept was issued at the same time or later;
    whether it was kept. Two processes storing lists for one scope at once: the unique index on
    the scope makes one of them fail, and its message is delivered again."""
    params = {
        "p_scope": scope,
        "p_list_id": list_id,
        "p_issued_at": issued_at,
        "p_received_at": _now(),
        "p_content": content,
    }
    kept = _run(s, _VERSIONS, {"p_scopes": [scope]}).first()
    if kept is None:
        _run(
            s,
            _INSERT,
            {
                "scope": scope,
                "list_id": list_id,
                "issued_at": issued_at,
                "received_at": params["p_received_at"],
                "content": content,
            },
        )
        return True
    return bool(_run(s, _REPLACE, params).rowcount)


def list_versions(s: Session, scopes: Sequence[str]) -> list[ListVersion]:
    """The id and issue time of the list kept for each of ``scopes`` that has one."""
    return [
        ListVersion(row.scope, row.list_id, row.issued_at)
        for row in _run(s, _VERSIONS, {"p_scopes": list(scopes)})
    ]


def list_content(s: Session, version: ListVersion) -> dict[str, Any] | None:
    """The content of that list (None: replaced meanwhile)."""
    row = _run(s, _CONTENT, {"p_scope": version.scope, "p_list_id": version.list_id}).first()
    return None if row is None else dict(row.content)

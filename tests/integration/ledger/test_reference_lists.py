"""The reference lists the modern layer publishes, kept in the ledger (SQLite, PostgreSQL): the
newest of each scope wins, an older one or the same one again changes nothing, and a partner's
published data is its own list's and the shared one's, read again only when they change. And
what a published message must hold to be a list."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gateway.ledger.reference_lists import list_versions, store_list
from gateway.references.published import PublishedLists, read_published
from tests.integration.ledger.databases import Ledger

T0 = dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)


def store(ledger: Ledger, scope: str, list_id: str, at: dt.datetime, items: list[str]) -> bool:
    with ledger.factory.begin() as s:
        return store_list(s, scope=scope, list_id=list_id, issued_at=at, content={"items": items})


def test_the_newest_list_of_a_scope_wins(ledger: Ledger) -> None:
    assert store(ledger, "acme", "L1", T0, ["A"])
    assert store(ledger, "acme", "L2", T0 + dt.timedelta(hours=1), ["A", "B"])
    assert not store(ledger, "acme", "L0", T0 - dt.timedelta(hours=1), [])  # overtaken
    assert not store(ledger, "acme", "L2", T0 + dt.timedelta(hours=1), ["A", "B"])  # again
    assert store(ledger, "all", "S1", T0, ["Z"])
    with ledger.factory() as s:
        versions = sorted(list_versions(s, ["acme", "all", "other"]), key=lambda v: v.scope)
        assert [(v.scope, v.list_id, v.issued_at) for v in versions] == [
            ("acme", "L2", T0 + dt.timedelta(hours=1)),
            ("all", "S1", T0),
        ]
        published = PublishedLists()
        lists = published(s, "acme")
        assert sorted(data.items or frozenset() for data in lists) == [
            frozenset({"A", "B"}),
            frozenset({"Z"}),
        ]
        assert published(s, "other")[0].sources == ("list S1 published for all",)
    store(ledger, "acme", "L3", T0 + dt.timedelta(hours=2), ["C"])
    with ledger.factory() as s:
        assert {frozenset({"C"}), frozenset({"Z"})} == {d.items for d in published(s, "acme")}


def event(**fields: object) -> bytes:
    return json.dumps(
        {"specversion": "1.0", "id": "L-7", "type": "edi.ref.items", "source": "erp", **fields}
    ).encode()


def test_a_published_list_is_read_from_its_cloud_event() -> None:
    found = read_published(
        event(time="2026-12-05T10:00:00Z", data={"items": ["B", "A"], "locations": None}),
        "edi.ref.items.acme",
        None,
        now=T0,
    )
    assert (found.scope, found.list_id, found.issued_at) == ("acme", "L-7", T0)
    assert found.content == {"items": ["A", "B"], "locations": None}
    later = T0 + dt.timedelta(minutes=5)  # no time: when it arrived
    assert read_published(event(data={"locations": []}), "edi.ref.items.all", None, now=later)


@pytest.mark.parametrize(
    ("body", "routing_key", "why"),
    [
        (b"{", "edi.ref.items.acme", "not JSON"),
        (event(data={"items": ["A"]}), "edi.ref.items", "is not edi.ref.items.<partner|all>"),
        (event(data={}), "edi.ref.items.acme", "neither items nor locations"),
        (event(data={"skus": ["A"]}), "edi.ref.items.acme", "skus: unknown key"),
        (event(data={"items": [1]}), "edi.ref.items.acme", "expected a list of texts"),
        (event(time="yesterday", data={"items": []}), "edi.ref.items.acme", "not an RFC 3339"),
        (event(id="", data={"items": []}), "edi.ref.items.acme", "no id"),
    ],
)
def test_a_message_that_is_no_list_is_refused_saying_why(
    body: bytes, routing_key: str, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        read_published(body, routing_key, None, now=T0)

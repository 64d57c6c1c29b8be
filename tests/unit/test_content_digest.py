"""The content digest (and so every document id) is the SHA-256 of one exact JSON text: orjson,
which writes it, must write what the standard library's json writes for any content a canonical
message can hold, or the ids of documents recorded before would change."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.messages import PartyId, PurchaseOrder
from gateway.messages.envelope import Envelope
from gateway.messages.identity import (
    _SORTED,
    DOCUMENT_ID_NAMESPACE,
    _by_value,
    content_digest,
    document_id_for,
)
from gateway.messages.orders import PaymentTerms

UNICODE = st.characters(blacklist_categories=["Cs"])  # any character but a lone surrogate
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(alphabet=UNICODE)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.times()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
)
CONTENT = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet=UNICODE), inner, max_size=4)
    ),
    max_leaves=20,
)


def standard(content: Any) -> bytes:
    return json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_by_value
    ).encode()


@settings(max_examples=1000, deadline=None)
@given(CONTENT)
def test_orjson_writes_the_very_json_the_standard_library_writes(content: Any) -> None:
    assert orjson.dumps(content, default=_by_value, option=_SORTED) == standard(content)


def test_a_message_s_digest_is_the_one_it_always_had() -> None:
    order = PurchaseOrder.model_validate(
        {
            "envelope": Envelope(format="csv", sender=PartyId(id="S"), receiver=PartyId(id="R")),
            "po_number": 'PO-1\n"é"',
            "po_date": dt.date(2026, 12, 5),
            "purpose_code": "00",
            "order_type_code": "SA",
            "lines": [{"quantity": Decimal("1.500"), "unit_of_measure": "EA"}],
        }
    )
    assert content_digest(order) == hashlib.sha256(standard(_content(order))).hexdigest()
    huge = order.model_copy(update={"terms": [PaymentTerms(net_days=2**70)]})  # past orjson
    assert content_digest(huge) == hashlib.sha256(standard(_content(huge))).hexdigest()
    assert content_digest(order) == (
        "7d096cfcce4ddfae8e28133339af10c04961ee4bba84e71cce873be38b1b58da"  # as before orjson
    )


def _content(message: PurchaseOrder) -> Any:
    return message.model_dump(exclude={"envelope", "document_id"})


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=5))
def test_a_document_id_is_the_uuid5_of_its_parts(parts: list[str]) -> None:
    name = "|".join(p.strip() for p in parts)
    assert document_id_for(*parts) == str(uuid.uuid5(DOCUMENT_ID_NAMESPACE, name))

"""A huge set's raw digest, its segments' texts hashed a few thousand at a time
(huge_sets._RawDigest, issue 26), is the digest of the set read whole (documents._raw_digest),
whatever the batch and the text (non-ASCII, undecodable bytes, segments without elements)."""

from __future__ import annotations

import pytest

from adapters.formats.x12 import huge_sets
from adapters.formats.x12.documents import _raw_digest
from adapters.formats.x12.segments import Segment
from adapters.formats.x12.structure import TransactionSet
from tests.unit.x12.strategies import transaction_from_text

BODY = "~".join(
    ["BSN*00*A1*20240301*1415", "ZZ", "REF*ZZ*CAFÉ", "N1*ST**92*7 "]
    + [f"LIN*{n}*UP*{n:012d}" for n in range(50)]
)


@pytest.mark.parametrize("batch", [1, 3, 4096])
def test_a_huge_sets_raw_digest_is_the_whole_sets(batch: int) -> None:
    tx: TransactionSet = transaction_from_text(BODY, "856")
    tx.segments[3:3] = [Segment("NOEL", []), Segment("REF", ["ZZ", "\udcff\udc80"])]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(huge_sets, "RAW_BATCH", batch)
        raw = huge_sets._RawDigest()
        for segment in tx.segments[1:-1]:
            raw.add(segment)
        assert "raw:" + raw.hexdigest() == _raw_digest(tx)

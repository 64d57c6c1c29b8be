"""An HL01 met again: its first HL's level stays the one its children are checked against.

The HL checks skip the lookup of an HL01 among those seen while every HL01 so far came in
sequence (1, 2, 3...: a new one cannot have been seen); once one did not, they look again.
"""

from __future__ import annotations

from tests.unit.x12.test_hierarchy import asn, codes


def test_an_hl01_met_again_in_sequence_keeps_the_level_of_its_first_hl() -> None:
    # HL 3 is a pack; "2" again sets the expected HL01 back to 3, and HL 3 again is a tare:
    # the pack under HL 3 sits under a pack (HL 3's first level), which is out of order.
    findings = asn("1**S", "2*1*O", "3*2*P", "2*1*O", "3*2*T", "4*3*P")
    assert codes(findings) == [
        ("hierarchy.hl_id_sequence", "HL01", 6),
        ("hierarchy.hl_level_order", "HL03", 8),
    ]
    assert findings[1].found == "P under P"


def test_hl01s_in_sequence_are_each_a_parent_of_their_own_level() -> None:
    findings = asn("1**S", "2*1*O", "3*2*T", "4*3*P", "5*4*I", "6*3*I", "7*2*P", "8*7*I")
    assert findings == []

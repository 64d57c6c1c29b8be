"""X12 files the tests write: orders, remittance advices and whole interchanges, well-formed or
hostile."""

from __future__ import annotations

from collections.abc import Sequence

ORDER = ["BEG*00*SA*{po}**20261123", "PO1*1*12*EA*1.25**UP*012345678905", "CTT*1"]
REMITTANCE = ["BPR*C*1500*C*ACH", "TRN*1*{reference}", "RMR*IV*{reference}**1500"]

Set = tuple[str, Sequence[str]]
"""ST01 and the body segments (between ST and SE)."""


def interchange(
    isa13: int,
    groups: Sequence[tuple[str, int, Sequence[Set]]],
    *,
    sender: str = "ACME",
    receiver: str = "GATEWAY",
    usage: str = "P",
) -> str:
    """One interchange: ``groups`` of (GS01, GS06, sets)."""
    lines = [
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*261123*1200*U*00401*"
        f"{isa13:09d}*0*{usage}*>"
    ]
    for functional_id, gs06, sets in groups:
        lines.append(f"GS*{functional_id}*{sender}*{receiver}*20261123*1200*{gs06}*X*004010")
        for number, (set_id, body) in enumerate(sets, start=1):
            st02 = f"{number:04d}"
            lines += [f"ST*{set_id}*{st02}", *body, f"SE*{len(body) + 2}*{st02}"]
        lines.append(f"GE*{len(sets)}*{gs06}")
    lines.append(f"IEA*{len(groups)}*{isa13:09d}")
    return "~\n".join(lines) + "~\n"


def order_set(po: str) -> list[Set]:
    return [("850", [segment.format(po=po) for segment in ORDER])]


def order(isa13: int, po: str, **envelope: str) -> bytes:
    """An interchange holding one 850 for ``po``."""
    return interchange(isa13, [("PO", 1, order_set(po))], **envelope).encode()


def remittance(isa13: int, reference: str, **envelope: str) -> bytes:
    """An interchange holding one 820 remittance advice (a set the gateway does not translate; it
    was an 810 until the gateway translated those)."""
    body = [segment.format(reference=reference) for segment in REMITTANCE]
    return interchange(isa13, [("RA", 1, [("820", body)])], **envelope).encode()


def repeated_group(isa13: int, first: str, second: str) -> bytes:
    """One interchange with two groups under the same GS06: the second is rejected."""
    groups = [("PO", 5, order_set(first)), ("PO", 5, order_set(second))]
    return interchange(isa13, groups).encode()

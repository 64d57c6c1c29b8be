"""Small X12 documents written for the tests, built from parts so each test can vary one thing."""

from __future__ import annotations


def isa(
    control: str = "000000001",
    *,
    version: str = "00401",
    isa11: str = "U",
    element: str = "*",
    component: str = ">",
    ack_requested: str = "0",
    sender: str = "SENDER",
    receiver: str = "RECEIVER",
) -> str:
    fields = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
        "261123", "1200", isa11, version, control, ack_requested, "P", component,
    ]  # fmt: skip
    return element.join(fields)


PO_BODY = [
    "BEG*00*SA*PO-1001**20261120",
    "N1*ST*STORE 7*92*0007",
    "PO1*1*12*EA*1.25**UP*012345678905*VN*SKU-1",
    "PID*F****BLUE WIDGET",
    "CTT*1",
]


def transaction(
    set_id: str = "850", control: str = "0001", body: list[str] | None = None
) -> list[str]:
    segments = [f"ST*{set_id}*{control}", *(PO_BODY if body is None else body)]
    return [*segments, f"SE*{len(segments) + 1}*{control}"]


def interchange(
    transactions: list[list[str]] | None = None,
    *,
    control: str = "000000001",
    group: str = "1",
    functional_id: str = "PO",
    version: str = "004010",
    terminator: str = "~\n",
    **isa_options: str,
) -> str:
    sets = transactions if transactions is not None else [transaction()]
    segments = [
        isa(control, **isa_options),
        f"GS*{functional_id}*SENDER*RECEIVER*20261123*1200*{group}*X*{version}",
        *(seg for tx in sets for seg in tx),
        f"GE*{len(sets)}*{group}",
        f"IEA*1*{control}",
    ]
    if isa_options.get("element", "*") != "*":
        segments[1:] = [seg.replace("*", isa_options["element"]) for seg in segments[1:]]
    return terminator.join(segments) + terminator

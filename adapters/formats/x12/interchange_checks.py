"""The checks of an interchange's envelope: the ISA's width, separators and element values, and
its IEA trailer, whose findings a TA1 answers (the codes in ``ta1_code``).

The reader (:mod:`.reader`) keeps the envelope state and calls these as an interchange opens and
closes; each check appends its findings to the envelope's (``into``: a call and no generator,
since a file of one small set per interchange opens thousands) and gets the reader's finding
factory (:class:`MakeFinding`), which knows the file and the open envelopes a finding belongs
to. An ISA13 is unique only among the interchanges seen before it, so :func:`check_isa` is given
those and records its own: the first use stands, a later one is refused. :mod:`.group_checks`
does the same for groups and sets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from .findings import Finding, Level, Severity
from .segments import Segment, shown
from .structure import InterchangeHeader, parse_date, parse_time
from .tokenizer import InterchangeOpening


class MakeFinding(Protocol):
    """The reader's finding factory: the finding with the file and the open envelopes added."""

    def __call__(self, code: str, message: str, level: Level, **where: object) -> Finding: ...


def same_number(text: str, expected: int | str) -> bool:
    """Numeric (N0) elements compare by value: ``SE*0000000031`` counts 31 segments."""
    return text.isdigit() and str(expected).isdigit() and int(text) == int(expected)


# -- ISA / IEA ----------------------------------------------------------------------------------


def check_isa(
    into: list[Finding],
    h: InterchangeHeader,
    opening: InterchangeOpening,
    seen_interchanges: set[tuple[str, ...]],
    finding: MakeFinding,
) -> None:
    """The ISA's width, separators and element values, and its control number against the
    interchanges of the file so far (both parties' ids and ISA13), to which it is added."""

    def bad(element: str, ta1: str, message: str, expected: str, found: str) -> Finding:
        return finding(
            "envelope.isa_element",
            message,
            Level.INTERCHANGE,
            segment_id="ISA",
            file_position=h.segment.position,
            element=element,
            expected=expected,
            found=found,
            ta1_code=ta1,
        )

    if not opening.standard_width:
        into.append(
            finding(
                "envelope.isa_width",
                "the ISA is not the fixed 106 characters the standard requires; "
                "it was read by its separators",
                Level.INTERCHANGE,
                severity=Severity.WARNING,
                segment_id="ISA",
                file_position=h.segment.position,
            )
        )
    seps = h.separators
    _check_separators(into, h, finding)
    if len({seps.element, seps.component, seps.segment}) < 3:
        into.append(
            bad(
                "ISA16",
                "027",
                "the component separator must differ from the element separator and "
                "the segment terminator",
                "a distinct character",
                shown(seps.component),
            )
        )
    if h.sender_qualifier.strip() == "" or len(h.sender_qualifier) != 2:
        into.append(
            bad("ISA05", "005", "invalid sender id qualifier", "2 characters", h.sender_qualifier)
        )
    if not h.sender_id.strip():
        into.append(bad("ISA06", "006", "the sender id is empty", "an id", h.sender_id))
    if h.receiver_qualifier.strip() == "" or len(h.receiver_qualifier) != 2:
        into.append(
            bad(
                "ISA07",
                "007",
                "invalid receiver id qualifier",
                "2 characters",
                h.receiver_qualifier,
            )
        )
    if not h.receiver_id.strip():
        into.append(bad("ISA08", "008", "the receiver id is empty", "an id", h.receiver_id))
    if len(h.date) != 6 or parse_date(h.date) is None:
        into.append(bad("ISA09", "014", "invalid interchange date", "YYMMDD", h.date))
    if len(h.time) != 4 or parse_time(h.time) is None:
        into.append(bad("ISA10", "015", "invalid interchange time", "HHMM", h.time))
    version = h.version.strip()
    if not (len(version) == 5 and version.isdigit() and "00200" <= version < "00900"):
        into.append(
            bad("ISA12", "017", "unknown interchange version", "e.g. 00401 or 00501", version)
        )
    elif version >= "00402" and seps.repetition is None:
        into.append(
            replace(
                bad(
                    "ISA11",
                    "016",
                    f"version {version} has a repetition separator in ISA11; "
                    "none was given, so none is used",
                    "a special character such as ^",
                    h.standards_id,
                ),
                severity=Severity.WARNING,
            )
        )
    elif version < "00402" and h.standards_id != "U":
        into.append(
            replace(
                bad("ISA11", "016", "invalid standards identifier", "U", h.standards_id),
                severity=Severity.WARNING,
            )
        )
    control = h.control_number.strip()
    if not (control.isdigit() and len(control) == 9):
        into.append(bad("ISA13", "018", "invalid interchange control number", "9 digits", control))
    else:
        parties = (h.sender_qualifier, h.sender_id, h.receiver_qualifier, h.receiver_id)
        interchange = (*(part.strip() for part in parties), control)
        if interchange in seen_interchanges:  # the first one stands, this one cannot
            into.append(
                replace(
                    bad(
                        "ISA13",
                        "025",
                        "the same interchange control number was used before in this file, "
                        "between the same parties: this interchange is rejected",
                        "a number not used before",
                        control,
                    ),
                    code="envelope.isa_duplicate_control_number",
                )
            )
        seen_interchanges.add(interchange)
    if h.ack_requested not in ("0", "1"):
        into.append(
            bad("ISA14", "019", "invalid acknowledgment requested flag", "0 or 1", h.ack_requested)
        )
    if h.usage_indicator not in ("P", "T", "I"):
        into.append(bad("ISA15", "020", "invalid usage indicator", "P, T or I", h.usage_indicator))


def _check_separators(into: list[Finding], h: InterchangeHeader, finding: MakeFinding) -> None:
    """A separator that is not ASCII (a byte such as 0x85 or 0xFF, a UTF-8 character) reads
    as well as any, but cannot be mirrored in an acknowledgement (the ledger keeps an ack
    as text, and X12 envelopes are ASCII): the partner is told that its acks come under
    the default separators, which an ISA declares like any others."""
    seps = h.separators
    for element, what, separator in (
        (None, "element separator (the character after 'ISA')", seps.element),
        ("ISA11", "repetition separator", seps.repetition or ""),
        ("ISA16", "component separator", seps.component),
        (None, "segment terminator (the character after ISA16)", seps.segment),
    ):
        if not separator.isascii():
            into.append(
                finding(
                    "envelope.isa_separator",
                    f"the {what} is not an ASCII character: acknowledgements are written with "
                    "the default separators (* : ~ ^)",
                    Level.INTERCHANGE,
                    severity=Severity.WARNING,
                    segment_id="ISA",
                    file_position=h.segment.position,
                    element=element,
                    expected="an ASCII character",
                    found=shown(separator),
                )
            )


def check_iea(
    into: list[Finding],
    header: InterchangeHeader,
    iea: Segment | None,
    group_count: int,
    finding: MakeFinding,
) -> None:
    """The IEA trailer (None: missing) against its ISA and the interchange's groups."""
    if iea is None:
        into.append(
            finding(
                "envelope.iea_missing",
                "the interchange has no IEA trailer (file ends or a new ISA starts first)",
                Level.INTERCHANGE,
                segment_id="IEA",
                ta1_code="023",
            )
        )
        return
    count = iea.get(1).strip()
    if not same_number(count, group_count):
        into.append(
            finding(
                "envelope.iea_count",
                "IEA01 does not match the number of functional groups",
                Level.INTERCHANGE,
                segment_id="IEA",
                file_position=iea.position,
                element="IEA01",
                expected=str(group_count),
                found=count,
                ta1_code="021",
            )
        )
    control = iea.get(2).strip()
    if control != header.control_number.strip():
        into.append(
            finding(
                "envelope.iea_control_number",
                "IEA02 does not match ISA13",
                Level.INTERCHANGE,
                segment_id="IEA",
                file_position=iea.position,
                element="IEA02",
                expected=header.control_number.strip(),
                found=control,
                ta1_code="001",
            )
        )

"""The checks of a functional group's envelope and its transaction sets' (GS/GE, ST/SE), whose
findings a 997/999 answers (the codes in ``group_code`` and ``transaction_code``).

The reader (:mod:`.reader`) keeps the envelope state and calls these as a group or a set opens
and closes; each appends its findings to the envelope's (``into``), with the reader's finding
factory (:class:`~.interchange_checks.MakeFinding`). Control
numbers are unique only among those seen before, so the checks of GS06 and ST02 are given the
numbers seen so far in the interchange or group and record their own: the first use stands, a
later one is refused.
"""

from __future__ import annotations

from .findings import Finding, Level
from .interchange_checks import MakeFinding, same_number
from .segments import Segment
from .structure import FUNCTIONAL_IDS, GroupHeader, parse_date

MAX_TRANSACTION_SEGMENTS = 2_000_000
"""A transaction set longer than this is cut off (memory guard); the rest is reported."""


# -- GS / GE ------------------------------------------------------------------------------------


def check_gs(
    into: list[Finding], header: GroupHeader, seen_groups: set[str], finding: MakeFinding
) -> None:
    """The GS element values, and its control number against the groups of the interchange so
    far, to which it is added."""
    gs = header.segment
    problems: list[tuple[str, str, str | None, str | None]] = []
    if not header.functional_id:
        problems.append(("GS01", "the functional identifier code is missing", "1", None))
    if not (header.control_number.isdigit() and len(header.control_number) <= 9):
        problems.append(("GS06", "invalid group control number", "6", "1 to 9 digits"))
    elif header.control_number in seen_groups:  # the first one stands, this one cannot
        into.append(
            finding(
                "envelope.gs_duplicate_control_number",
                "the same group control number was used before in this interchange: "
                "this group is rejected",
                Level.GROUP,
                segment_id="GS",
                file_position=gs.position,
                element="GS06",
                expected="a number not used before in the interchange",
                found=header.control_number,
                # 716 code 19 "not unique within interchange" exists from 005010; before,
                # 6 "violates syntax" is the nearest
                group_code="19" if header.version >= "005010" else "6",
            )
        )
    seen_groups.add(header.control_number)
    if not header.version:
        problems.append(("GS08", "the version/release code is missing", "2", "e.g. 004010"))
    if header.date and parse_date(header.date) is None:
        problems.append(("GS04", "invalid group date", None, "CCYYMMDD"))
    for element, message, code, expected in problems:
        into.append(
            finding(
                "envelope.gs_element",
                message,
                Level.GROUP,
                segment_id="GS",
                file_position=gs.position,
                element=element,
                expected=expected,
                found=gs.get(int(element[2:])),
                group_code=code,
            )
        )


def check_ge(
    into: list[Finding],
    header: GroupHeader,
    ge: Segment | None,
    transaction_count: int,
    finding: MakeFinding,
) -> None:
    """The GE trailer (None: missing) against its GS and the group's transaction sets."""
    if ge is None:
        into.append(
            finding(
                "envelope.ge_missing",
                "the functional group has no GE trailer",
                Level.GROUP,
                segment_id="GE",
                group_code="3",
            )
        )
        return
    count = ge.get(1).strip()
    if not same_number(count, transaction_count):
        into.append(
            finding(
                "envelope.ge_count",
                "GE01 does not match the number of transaction sets in the group",
                Level.GROUP,
                segment_id="GE",
                file_position=ge.position,
                element="GE01",
                expected=str(transaction_count),
                found=count,
                group_code="5",
            )
        )
    control = ge.get(2).strip()
    if not same_number(control, header.control_number):
        into.append(
            finding(
                "envelope.ge_control_number",
                "GE02 does not match GS06",
                Level.GROUP,
                segment_id="GE",
                file_position=ge.position,
                element="GE02",
                expected=header.control_number,
                found=control,
                group_code="4",
            )
        )


# -- ST / SE ------------------------------------------------------------------------------------


def check_st_se(
    into: list[Finding], segments: list[Segment], se: Segment | None, finding: MakeFinding
) -> None:
    """A transaction set's ST and its SE trailer (None: missing), with ``segments`` from ST to
    SE (or to where the set was cut off); AK5/IK5 codes in ``transaction_code``."""
    st = segments[0]
    set_id, control = st.get(1).strip(), st.get(2).strip()
    if len(segments) >= MAX_TRANSACTION_SEGMENTS:
        into.append(
            _transaction_finding(
                finding,
                "envelope.transaction_too_long",
                f"the transaction set has more than {MAX_TRANSACTION_SEGMENTS} segments; "
                "the rest was not read",
                "4",
            )
        )
    if se is None:
        into.append(
            _transaction_finding(
                finding,
                "envelope.se_missing",
                "the transaction set has no SE trailer",
                "2",
                segment_id="SE",
            )
        )
    else:
        count = se.get(1).strip()
        if not same_number(count, len(segments)):
            into.append(
                _transaction_finding(
                    finding,
                    "envelope.se_count",
                    "SE01 does not match the number of segments from ST to SE",
                    "4",
                    segment_id="SE",
                    segment_position=len(segments),
                    file_position=se.position,
                    element="SE01",
                    expected=str(len(segments)),
                    found=count,
                )
            )
        if se.get(2).strip() != control:
            into.append(
                _transaction_finding(
                    finding,
                    "envelope.se_control_number",
                    "SE02 does not match ST02",
                    "3",
                    segment_id="SE",
                    segment_position=len(segments),
                    file_position=se.position,
                    element="SE02",
                    expected=control,
                    found=se.get(2).strip(),
                )
            )
    if not (set_id.isdigit() and len(set_id) == 3):
        into.append(
            _transaction_finding(
                finding,
                "envelope.st_set_id",
                "invalid transaction set identifier",
                "6",
                segment_id="ST",
                segment_position=1,
                element="ST01",
                expected="3 digits",
                found=set_id,
            )
        )
    if not (4 <= len(control) <= 9):
        into.append(
            _transaction_finding(
                finding,
                "envelope.st_control_number",
                "invalid transaction set control number",
                "7",
                segment_id="ST",
                segment_position=1,
                element="ST02",
                expected="4 to 9 characters",
                found=control,
            )
        )


def check_st_in_group(
    into: list[Finding],
    st: Segment,
    group: GroupHeader,
    seen_control_numbers: set[str],
    finding: MakeFinding,
) -> None:
    """The ST against its group: the GS01 its set id belongs in, and its control number against
    the group's transaction sets so far, to which it is added."""
    set_id, control = st.get(1).strip(), st.get(2).strip()
    expected_group = FUNCTIONAL_IDS.get(set_id)
    if expected_group and group.functional_id != expected_group:
        into.append(
            _transaction_finding(
                finding,
                "envelope.functional_group_mismatch",
                f"transaction set {set_id} belongs in a {expected_group} group, "
                f"not in a {group.functional_id} group",
                "6",
                segment_id="ST",
                segment_position=1,
                element="ST01",
                expected=f"GS01 {expected_group}",
                found=f"GS01 {group.functional_id}",
            )
        )
    if control in seen_control_numbers:
        into.append(
            _transaction_finding(
                finding,
                "envelope.st_duplicate_control_number",
                "transaction set control number used twice in the group",
                "23",
                segment_id="ST",
                segment_position=1,
                element="ST02",
                found=control,
            )
        )
    seen_control_numbers.add(control)


def _transaction_finding(
    finding: MakeFinding, code: str, message: str, x12: str, **where: object
) -> Finding:
    """A transaction set envelope error with its AK5/IK5 code ``x12``."""
    return finding(code, message, Level.TRANSACTION, transaction_code=x12, **where)

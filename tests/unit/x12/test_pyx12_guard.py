"""Where pyx12 4.0.0 on its own crashes or accepts what it should not, and what the gateway does.

Each case runs pyx12's own ``x12n_document`` (with our maps) to show the failure the guard exists
for, then the gateway's reader + validator + acknowledgements on the same bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import pytest
import pyx12.params
import pyx12.x12n_document

from adapters.formats.x12.pyx12_engine import pyx12_document_maps
from adapters.formats.x12.report import FileReport, scan
from tests.unit.x12.samples import interchange, transaction


def pyx12_alone(text: str) -> str:
    """What pyx12's x12n_document makes of ``text``: its verdict, or the exception it raises."""
    logging.disable(logging.CRITICAL)
    try:
        with pyx12_document_maps() as maps:
            out = io.StringIO()
            ok = pyx12.x12n_document.x12n_document(
                pyx12.params.params(), io.StringIO(text), out, None, map_path=maps
            )
        return f"{'accepted' if ok else 'rejected'}: {out.getvalue()!r}"
    except Exception as error:
        return f"raised {type(error).__name__}"
    finally:
        logging.disable(logging.NOTSET)


def gateway(text: str) -> FileReport:
    return scan(text.encode(), file_name="case.edi")


def codes(report: FileReport) -> set[str]:
    return {f.code for f in report.findings if f.is_error}


def ack_text(report: FileReport) -> str:
    return "".join(a.text for a in report.acknowledgements)


def check_bom(report: FileReport) -> None:
    assert codes(report) == set()
    assert "AK9*A*1*1*1~" in ack_text(report)


def check_missing_st(report: FileReport) -> None:
    assert {"envelope.segment_outside_transaction", "envelope.se_without_st"} <= codes(report)
    assert "AK9*R*" in ack_text(report)


def check_vics(report: FileReport) -> None:
    assert codes(report) == set()
    assert "*X*004010VICS~" in ack_text(report)  # the 997 mirrors GS08


def check_wrong_group(report: FileReport) -> None:
    assert "envelope.functional_group_mismatch" in codes(report)
    text = ack_text(report)
    assert "AK5*R*6" in text and "AK9*P*2*2*1~" in text  # code 6: invalid set id here


def check_double_terminator(report: FileReport) -> None:
    # Reading goes on past the empty segment: the bad unit of measure after it is found.
    warnings = {f.code for f in report.findings if not f.is_error}
    assert "syntax.empty_segment" in warnings
    assert "syntax.invalid_code" in codes(report) or "syntax.element_too_long" in codes(report)
    assert "AK9*R*1*1*0~" in ack_text(report)


def check_wrong_isa(report: FileReport) -> None:
    # One clear finding, not one per misread segment; no envelope can be trusted to reply to.
    assert [f.code for f in report.findings if f.is_error] == [
        "envelope.bad_isa",
        "envelope.data_outside_interchange",
    ]
    assert report.acknowledgements == []


CASES: dict[str, tuple[str, str, Callable[[FileReport], None]]] = {
    "utf-8 byte order mark": ("\ufeff" + interchange(), "rejected: ''", check_bom),
    "missing ST": (
        interchange().replace("ST*850*0001~\n", ""),
        "raised IndexError",
        check_missing_st,
    ),
    "GS08 004010VICS": (interchange(version="004010VICS"), "raised EngineError", check_vics),
    "856 in a PO group": (
        interchange([transaction(), transaction("856", "0002")]),
        "accepted",
        check_wrong_group,
    ),
    "~~ in the middle": (
        interchange(terminator="~")
        .replace("N1*", "~N1*", 1)
        .replace("PO1*1*12*EA*", "PO1*1*12*EACH*"),
        "rejected: AK9*R*0*0*0",
        check_double_terminator,
    ),
    "ISA with an extra element": (
        interchange().replace("ISA*00*", "ISA*00**", 1),
        "rejected: ''",
        check_wrong_isa,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pyx12_alone_fails_where_the_gateway_answers_correctly(case: str) -> None:
    text, pyx12_outcome, check = CASES[case]
    seen = pyx12_alone(text)
    if pyx12_outcome == "rejected: AK9*R*0*0*0":
        assert "AK9*R*0*0*0" in seen  # pyx12 stopped at ~~ and saw no transaction set
    else:
        assert seen.startswith(pyx12_outcome), seen
    check(gateway(text))

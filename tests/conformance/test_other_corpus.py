"""Every flat file and XML file of the public corpus (``../shared/corpus/other/``) either
translates through a mapping case (its canonical messages as in ``other_expected/<file>.json``)
or gets a specific, correct finding; a table with one line per file is printed at the end.

The expected JSON is what the gateway makes of each file (its canonical messages), never the
file itself: the files are read in place. ``EDIGW_UPDATE_EXPECTED=1`` rewrites the JSON (to be
reviewed in the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters import REGISTRY
from adapters.formats.mapping_cases import Case, run_case
from tests.conformance.corpus import OTHER_TABLE, CorpusFile, other_files

EXPECTED = Path(__file__).parent / "other_expected"

CASES: dict[str, tuple[str, str | None]] = {
    # file (without other/) -> (mapping, the finding it gets; None: its expected JSON)
    "FriendsOfCXML__cxml-php__tests__CXmlTest__Handling__fixtures__order_request.xml": (
        "xml/cxml-order-request",
        None,
    ),
    "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__OrderRequest.xml": (
        "xml/cxml-order-request",
        None,
    ),
    "officeluv__cxml__spec__fixtures__order_request.xml": ("xml/cxml-order-request", None),
    "officeluv__cxml__spec__fixtures__purchase_order_request_200.xml": (
        "xml/cxml-order-request",
        None,
    ),
    "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__ShipNoticeRequest.xml": (
        "xml/cxml-ship-notice-request",
        None,
    ),
    # a status update and a punch-out cart are no order and no ship notice: no mapping takes them
    "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__StatusUpdateRequest.xml": (
        "xml/cxml-order-request",
        "<cXML> holding Header/From, Request/StatusUpdateRequest: none of the partner's mappings",
    ),
    "FriendsOfCXML__cxml-php__tests__metadata__cxml__samples__PunchoutOrderMessage.xml": (
        "xml/cxml-order-request",
        "<cXML> holding Header/From, Message/PunchOutOrderMessage: none of the partner's mappings",
    ),
    "bots-edi__bots-plugins__demo__working_with_partners__botssys__infile__demo_work_with_partners__asn__856_PARTNER2_01.xml": (  # noqa: E501
        "xml/bots-xml-asn",
        None,
    ),
    "bots-edi__bots-plugins__demo__working_with_partners__botssys__infile__demo_work_with_partners__asn__856_PARTNER2_04.xml": (  # noqa: E501
        "xml/bots-xml-asn",
        None,
    ),
    # its one line has no ordered quantity (ordqua): an order line without one is no order line
    "bots-edi__bots-plugins__tradacom__tradacoms_to_xml_orders__botssys__infile__tradacomsdemo__xmlorders__64.xml": (  # noqa: E501
        "xml/bots-xml-orders",
        "lines.0.quantity (lines/line[1]/ordqua): Field required",
    ),
    # X12 written as XML by EdiEngine (segments and elements as elements): an 856 and a 940
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__856.Crossdock.OK.xml": (
        "xml/cxml-ship-notice-request",
        "<EdiTrans> holding Name, Content/EdiSegment: none of the partner's mappings",
    ),
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__940.OK.xml": (
        "xml/cxml-ship-notice-request",
        "<EdiTrans> holding Name, Content/EdiSegment: none of the partner's mappings",
    ),
    "bots-edi__bots-plugins__edifact__orders_to_csv__botssys__infile__csvdemo__csv2edi__test.csv": (
        "csv/example-orders",
        None,
    ),
    # Bots' fixed-width files (HEA/LIN records), each in the layout of the Bots plugin it is from
    "bots-edi__bots-plugins__demo__composite_route__botssys__infile__outfile__demo_composite_route__fixed_orders__1.fix": (  # noqa: E501
        "fixed/bots-orders",
        None,
    ),
    "pesachnps__Bots-EDI__env__default__botssys__infile__x12_850tofixed__fixed__060101.fix": (
        "fixed/bots-orders-x12",
        None,
    ),
    "bots-edi__bots-plugins__demo__my_first_plugin__botssys__infile__outfile__my_first_plugin__orders1.inh": (  # noqa: E501
        "fixed/bots-my-first-plugin-orders",
        None,
    ),
    "bots-edi__bots-plugins__edifact__orders_desadv_invoice__botssys__infile__dutchic__fixed__desadv96.inh": (  # noqa: E501
        "fixed/bots-desadv",
        None,
    ),
    # an in-house invoice (the source of an X12 810): there is no fixed-width invoice layout, and
    # read as Bots' orders its records do not fit (its HEA has 240 columns, its LINs 240, not 91)
    "pesachnps__Bots-EDI__env__default__botssys__infile__fixed810_2_x12__inhouse_test01.inh": (
        "fixed/bots-orders",
        "line 1: HEA record too short: 240 characters, expected 251",
    ),
}


def _case(entry: CorpusFile) -> Case:
    mapping, finding = CASES[entry.short]
    if finding is not None:
        return Case(mapping=mapping, input=str(entry.path), finding=finding)
    return Case(mapping=mapping, input=str(entry.path), expect=f"{entry.short}.json")


def test_every_file_of_the_corpus_has_a_case() -> None:
    files = {entry.short for entry in other_files()}
    assert files, "no flat file or XML in the corpus manifest"
    assert sorted(files - set(CASES)) == [], "files without a case"
    assert sorted(set(CASES) - files) == [], "cases without a file"


@pytest.mark.parametrize(
    "entry",
    [entry for entry in other_files() if entry.short in CASES],
    ids=lambda entry: entry.short[-60:],
)
def test_a_corpus_file_translates_or_gets_its_finding(entry: CorpusFile) -> None:
    case = _case(entry)
    update = os.environ.get("EDIGW_UPDATE_EXPECTED") == "1" and case.expect is not None
    outcome = run_case(REGISTRY, case, EXPECTED, name=entry.short, update=update)
    verdict = "ok  " if outcome.passed else "FAIL"
    OTHER_TABLE.append(f"{verdict} {case.mapping:30} {entry.short[-70:]:70} {outcome.detail[:90]}")
    assert outcome.passed, outcome.detail

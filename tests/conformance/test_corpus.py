"""Every X12 file of the public corpus, read, validated, acknowledged and translated.

Proves: no file makes the gateway raise anything but ``UnreadableInput``; every 850/855/856/997/999
(and TA1) in a file the manifest calls valid is translated; every deliberately broken fixture gets the
specific finding it was written to provoke. Where the gateway disagrees with the manifest's
``valid_guess``, :data:`DISAGREEMENTS` says why. A per-file table is printed at the end.
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pytest

from adapters.formats.x12.findings import Finding, Severity
from adapters.formats.x12.report import Document, scan
from adapters.formats.x12.structure import TransactionSet
from adapters.formats.x12.translation import TRANSLATORS, translate_or_report
from gateway.errors import UnreadableInput
from gateway.messages import UntranslatedTransaction
from tests.conformance.corpus import RESULT_TABLE, CorpusFile, x12_files

TRANSLATED_SETS = frozenset(
    {"850", "855", "856", "846", "940", "945", "810", "943", "944", "947", "997", "999", "TA1"}
)

FILES = x12_files()

# Findings each file must get, for every file that is not plainly valid: deliberately broken
# fixtures, files the manifest already calls faulty, and files where the gateway disagrees with the
# manifest's "yes". "unreadable" stands for UnreadableInput; warnings count as findings.
EXPECTED_FINDINGS: dict[str, set[str]] = {
    # StAEDI's validation tests: AK101 "<TOO_LONG>" and a non-numeric AK402.
    "xlate__staedi__src__test__resources__x12__invalid997.edi": {
        "syntax.element_too_long", "syntax.invalid_character",
    },
    "xlate__staedi__src__test__resources__x12__invalid997_min.edi": {
        "envelope.ge_control_number", "envelope.gs_element", "syntax.element_too_long",
    },
    "xlate__staedi__src__test__resources__x12__invalid999.edi": {
        "envelope.se_count", "syntax.segment_unexpected", "syntax.too_many_elements",
        "syntax.invalid_code",
    },
    "xlate__staedi__src__test__resources__x12__empty997.edi": {"syntax.segment_missing"},
    # an 846 the manifest calls valid (see DISAGREEMENTS)
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___846__Example2.txt": {
        "syntax.too_many_elements", "syntax.element_too_long",
    },
    "xlate__staedi__src__test__resources__x12__extraDelimiter997.edi": {
        "syntax.too_many_repetitions", "syntax.too_many_components",
    },
    "xlate__staedi__src__test__resources__wiki__x12_interchange_ack.txt": {"envelope.iea_count"},
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___850__Example4_Adobe_ShrinkWrapped.txt": {
        "envelope.se_count", "syntax.segment_unrecognized", "envelope.isa_width",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___856__Example2.txt": {
        "translation.failed",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___856__Example4.txt": {
        "hierarchy.hl_parent_missing", "syntax.element_too_long",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___810__Example5_Walmart.txt": {
        "envelope.isa_element",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___860__Example1.txt": {
        "envelope.se_count",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__WAR___940__simplot.txt": {
        "envelope.ge_control_number", "envelope.iea_control_number",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__WAR___945__inter-americanproducts.txt": {
        "envelope.ge_control_number", "envelope.gs_element",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__Acknowledgments___999__DHS_Wisconsin_Sample.txt": {
        "syntax.element_too_short",
    },
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___811__GraniteNetExample.txt": {
        "envelope.isa_element",
    },
    "kputnam__stupidedi__spec__fixtures__004010__PR855__fail__2.edi": {"syntax.element_too_long"},
    "kputnam__stupidedi__spec__fixtures__004010__SH856__fail__2.edi": {
        "envelope.se_count", "hierarchy.hl_parent_unknown", "syntax.too_many_elements",
    },
    "kputnam__stupidedi__spec__fixtures__002001__SH856__fail__1.edi": {"translation.failed"},
    "kputnam__stupidedi__spec__fixtures__003050__PO850__fail__1.edi": {"envelope.isa_width"},
    "kputnam__stupidedi__spec__fixtures__004010__X357_SC850_Aerospace_Industry_Purchase_Order__pass__basic-po.edi": {
        "envelope.functional_group_mismatch",
    },
    "kputnam__stupidedi__spec__fixtures__004010__X358_SC855_Aerospace_Industry_Purchase_Order_Acknowledgment__pass__basic-po-ack-rejected.edi": {
        "envelope.functional_group_mismatch",
    },
    "bots-edi__bots-plugins__x12__to_xml_supplier_version_850-856-810-997__botssys__infile__x12_demo__inbound__850-004010.17.x12": {
        "envelope.st_duplicate_control_number",
    },
    "bots-edi__bots-plugins__x12__850_fixed__botssys__infile__x12_850tofixed__850__850-004010.16.x12": {
        "syntax.conditional_element_missing",
    },
    "bots-edi__bots-plugins__x12__850_fixed__botssys__infile__x12_850tofixed__850__850-004010-09.x12": {
        "syntax.conditional_element_missing",
    },
    "bots-edi__bots-plugins__demo__one-on-one_x12_xml__botssys__infile__x122xml__x12__mailbag01.x12": {
        "envelope.st_duplicate_control_number", "syntax.conditional_element_missing",
    },
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__850.SyntaxNotes.ERR.edi": {
        "syntax.conditional_element_missing",
    },
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__940_Failed_SE01.edi": {"envelope.se_count"},
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__ControlNumbersMismatch.edi": {
        "envelope.ge_control_number", "envelope.iea_control_number", "envelope.se_control_number",
    },
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__MultipleInterchangesAndGroups.edi": {
        "envelope.iea_control_number",
    },
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__WrongGroupsAndTranCount.edi": {
        "envelope.ge_count", "envelope.iea_count",
    },
    "olmelabs__EdiEngine__EdiEngine.Tests__TestData__NonEdi.edi": {"unreadable"},
    "indice-co__EDI.Net__test__indice.Edi.Tests__Samples__x12.850.edi": {
        "envelope.iea_control_number",
    },
    # the IEA rejects the interchange: its TA1 answers alone, so no 997 is tried (the one it
    # would have been, naming ST02 '0001~', could not be written: acknowledgement.not_written)
    "indice-co__EDI.Net__test__indice.Edi.Tests__Samples__x12.850.issue135.edi": {
        "envelope.ge_control_number", "envelope.iea_control_number",
    },
    "indice-co__EDI.Net__test__indice.Edi.Tests__Samples__x12.Issue91.edi": {
        "envelope.iea_control_number", "envelope.se_count", "syntax.segment_unrecognized",
    },
    "hellooops__vscode-edi-support__docs__850-comments.x12": {"unreadable"},
    "hellooops__vscode-edi-support__docs__850-lineBreak.x12": {"syntax.segment_missing"},
    "hellooops__vscode-edi-support__docs__X12-interchanges.x12": {
        "envelope.functional_group_mismatch", "syntax.segment_missing",
    },
    "hellooops__vscode-edi-support__docs__diagnosctics.x12": {
        "envelope.ge_control_number", "envelope.iea_control_number", "envelope.se_count",
        "syntax.element_missing", "syntax.element_too_long", "syntax.element_too_short",
        "syntax.invalid_date", "syntax.segment_unrecognized",
    },
    "Silvenga__vscode-edi-x12-support__docs__odd-separator.edi": {
        "envelope.se_missing", "envelope.ge_missing", "envelope.iea_missing",
    },
    "EDIandXML__OBOE__testFiles__justTA1TestCase.edi": {"envelope.iea_count"},
    "GT-Logistics__edi-x12__test__Fixtures__no-ge-trailer.edi": {"envelope.ge_missing"},
    "GT-Logistics__edi-x12__test__Fixtures__trimmed-isa-heading.edi": {
        "envelope.isa_width", "envelope.iea_missing",
    },
    "GT-Logistics__edi-x12__test__Fixtures__inconsistent-element-separator-isa-heading.edi": {
        "envelope.bad_isa",
    },
    "GT-Logistics__edi-x12__test__Fixtures__no-matching-segment-count.edi": {"envelope.se_count"},
    "albmarin__badX12__tests__files__errors__segment_terminator.edi": {"envelope.iea_missing"},
    "walmartlabs__gozer__src__test__resources__asn856__asn856.txt": {
        "envelope.iea_control_number",
    },
    "walmartlabs__gozer__src__test__resources__po850__po850.txt": {"envelope.se_count"},
    # the same ISA13 between the same parties twice in one file: the later ones are rejected
    "aaronhuggins__node-x12__test__test-data__850_fat.edi": {
        "envelope.isa_duplicate_control_number",
    },
    "pbjer__hedi__test__850_long.txt": {"envelope.isa_duplicate_control_number"},
    # No terminator after the ISA: "G" of the GS would be the terminator, which no X12 allows.
    "walmartlabs__gozer__src__test__resources__x12.no.line.break.no.delim.txt": {"envelope.bad_isa"},
    "kputnam__stupidedi__spec__fixtures__004010__IN810__pass__1.edi": {
        "syntax.conditional_element_missing",
    },
    "moov-io__x12__examples__example_4010_810__sample.txt": {"syntax.too_many_elements"},
    "mvogttech__node-x12-edi__maps__examples__944.edi": {"syntax.conditional_element_missing"},
}  # fmt: skip

# Files the manifest calls valid ("yes") that the gateway finds faulty, and why the gateway is
# right; and broken fixtures it only warns about, and why.
DISAGREEMENTS: dict[str, str] = {
    "kputnam__stupidedi__spec__fixtures__004010__IN810__pass__1.edi": (
        "IT102 and IT104 without IT103: syntax note P020304 of 004010 IT1 (stupidedi's own IN810 "
        "grammar makes all three optional)"
    ),
    "moov-io__x12__examples__example_4010_810__sample.txt": (
        "BIG10, an invoice number 005010 added, in a 004010 set whose BIG ends at BIG09"
    ),
    "mvogttech__node-x12-edi__maps__examples__944.edi": (
        "each W07 has a W0706 qualifier (LT) without its W0707 id, and the W08 an equipment "
        "number (W0805) without its initial (W0804): syntax notes P0607 of W07 and P0405 of W08"
    ),
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___846__Example2.txt": (
        "two segment terminators are missing: 'REF~ZZ~ASIAQTY~17~403.32~FT' and "
        "'QTY~17~7280~FTCTT~5' each run two segments into one"
    ),
    "xlate__staedi__src__test__resources__x12__empty997.edi": (
        "a 997 with only ST and SE: AK1 and AK9 are mandatory in every 997"
    ),
    "xlate__staedi__src__test__resources__x12__extraDelimiter997.edi": (
        "StAEDI's delimiter test: AK302 holds 'AK302-R1^AK302-R2^...', repetitions and components "
        "where a number is required"
    ),
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___856__Example2.txt": (
        "BSN02, the shipment identification, is empty though mandatory (version 003060 has no map,"
        " so only translation sees it)"
    ),
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___856__Example4.txt": (
        "N402 holds 'LOCSTATE' where a 2-character state code goes, and item HLs leave HL02 empty"
    ),
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___810__Example5_Walmart.txt": (
        "ISA12 is '00040', not an interchange version"
    ),
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__Acknowledgments___999__DHS_Wisconsin_Sample.txt": (
        "AK202 is '002', shorter than the 4 characters a transaction set control number has"
    ),
    "KeyMarkInc__OopFactory.X12__trunk__tests__OopFactory.X12.Tests.Unit__Parsing___SampleEdiFiles__ORD___811__GraniteNetExample.txt": (
        "ISA12 is '04010', not an interchange version (00401 was meant)"
    ),
    "kputnam__stupidedi__spec__fixtures__004010__X357_SC850_Aerospace_Industry_Purchase_Order__pass__basic-po.edi": (
        "an 850 in a GS01 'SC' group: SC is the 832 price/sales catalog's group; an 850 belongs in PO"
    ),
    "kputnam__stupidedi__spec__fixtures__004010__X358_SC855_Aerospace_Industry_Purchase_Order_Acknowledgment__pass__basic-po-ack-rejected.edi": (
        "an 855 in a GS01 'SC' group; an 855 belongs in PR"
    ),
    "bots-edi__bots-plugins__x12__to_xml_supplier_version_850-856-810-997__botssys__infile__x12_demo__inbound__850-004010.17.x12": (
        "two 850s with the same ST02 000000001 in one group (718 code 23)"
    ),
    "bots-edi__bots-plugins__x12__850_fixed__botssys__infile__x12_850tofixed__850__850-004010.16.x12": (
        "DTM05 carries an 003040-style century with no DTM06: syntax note P0506 of 004010 DTM"
    ),
    "bots-edi__bots-plugins__x12__850_fixed__botssys__infile__x12_850tofixed__850__850-004010-09.x12": (
        "DTM05 carries an 003040-style century with no DTM06: syntax note P0506 of 004010 DTM"
    ),
    "bots-edi__bots-plugins__demo__one-on-one_x12_xml__botssys__infile__x122xml__x12__mailbag01.x12": (
        "holds the duplicate-ST02 interchange and a DTM05 century without DTM06 (see above)"
    ),
    "hellooops__vscode-edi-support__docs__850-comments.x12": (
        "an editor demo with '// 1' comment lines: not X12 as it stands"
    ),
    "hellooops__vscode-edi-support__docs__850-lineBreak.x12": (
        "an editor demo 850 without any PO1 line: the PO1 loop is mandatory"
    ),
    "hellooops__vscode-edi-support__docs__X12-interchanges.x12": (
        "editor demo 850s without PO1 lines, and an 864 in a PO group (an 864 belongs in TX)"
    ),
    "aaronhuggins__node-x12__test__test-data__850_fat.edi": (
        "the same ISA13 000003438 between the same parties in several interchanges of the file: "
        "TA1 code 025 for the later ones (pyx12 rejects them too); the first one stands"
    ),
    "pbjer__hedi__test__850_long.txt": (
        "the same ISA13 between the same parties in several interchanges of the file: TA1 code "
        "025 for the later ones (pyx12 rejects them too); the first one stands"
    ),
    "kputnam__stupidedi__spec__fixtures__003050__PO850__fail__1.edi": (
        "stupidedi rejects its ISA elements for not being padded to their fixed widths; the "
        "gateway reads the ISA by its separators and only warns (envelope.isa_width), as real "
        "partners send such ISAs; version 003050 has no map, so its content is not validated"
    ),
}


@dataclass
class Outcome:
    entry: CorpusFile
    unreadable: str | None = None
    crash: str | None = None
    sets: Counter[str] = field(default_factory=Counter)
    translated: Counter[str] = field(default_factory=Counter)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    untranslated: list[Finding] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)
    passed_through: list[tuple[int, int]] = field(default_factory=list)
    """Sets passed through untranslated: (segments read, segments in the message)."""

    @property
    def error_codes(self) -> set[str]:
        codes = {f.code for f in self.errors}
        return codes | {"unreadable"} if self.unreadable else codes

    def row(self) -> str:
        if self.crash:
            verdict = "CRASH"
        elif self.unreadable:
            verdict = "unreadable"
        else:
            verdict = "invalid" if self.errors else "valid"
        sets = ",".join(f"{k}x{v}" for k, v in sorted(self.sets.items())) or "-"
        done = sum(self.translated.values())
        codes = ",".join(sorted(c.split(".", 1)[-1] for c in self.error_codes)) or "-"
        return (
            f"{verdict:10} manifest={self.entry.valid_guess[:8]:8} sets={sets:22} "
            f"translated={done:<3} acks={'+'.join(self.acks) or '-':12} errors={codes[:70]:70} "
            f"{self.entry.short[-70:]}"
        )


@cache
def outcome(entry: CorpusFile) -> Outcome:
    result = Outcome(entry)

    def translate(document: Document) -> list[Finding]:
        kind = document.set_id if isinstance(document, TransactionSet) else "TA1"
        result.sets[kind] += 1
        # validity does not depend on what the gateway translates: sets it does not are passed
        # through here (by default a partner gets them rejected, code 1; see the test below)
        message, findings = translate_or_report(document, pass_through=True)
        if isinstance(message, UntranslatedTransaction):
            assert isinstance(document, TransactionSet)
            result.passed_through.append((len(document.body), len(message.segments)))
        if message is not None:
            result.translated[kind] += 1
        elif kind in TRANSLATED_SETS:
            result.untranslated.extend(findings)
        return findings

    try:
        report = scan(entry.path, on_document=translate)
    except UnreadableInput as error:
        result.unreadable = str(error)
    except Exception:
        result.crash = traceback.format_exc()
    else:
        result.errors = [f for f in report.findings if f.severity is Severity.ERROR]
        result.warnings = [f for f in report.findings if f.severity is Severity.WARNING]
        for ack in report.acknowledgements:
            result.acks += [a.kind for a in ack.functional]
            result.acks += ["TA1"] if ack.technical else []
    RESULT_TABLE.append(result.row())
    return result


def _details(findings: list[Finding]) -> str:
    return "\n".join(f.describe() for f in findings[:12])


@pytest.mark.parametrize("entry", FILES, ids=lambda e: e.short[-60:])
def test_file_never_raises_anything_but_unreadable(entry: CorpusFile) -> None:
    result = outcome(entry)
    assert result.crash is None, result.crash


@pytest.mark.parametrize(
    "entry",
    [e for e in FILES if e.valid_guess == "yes" and not e.deliberately_broken],
    ids=lambda e: e.short[-60:],
)
def test_supported_transactions_in_valid_files_are_translated(entry: CorpusFile) -> None:
    result = outcome(entry)
    if entry.short in DISAGREEMENTS:
        # The file is faulty (DISAGREEMENTS says how); what is not translated must say why.
        assert all(f.code == "translation.failed" for f in result.untranslated)
        return
    assert result.unreadable is None
    assert result.untranslated == [], _details(result.untranslated)
    for set_id, count in result.sets.items():
        if set_id in TRANSLATED_SETS:
            assert result.translated[set_id] == count


@pytest.mark.parametrize(
    "entry",
    [e for e in FILES if e.valid_guess == "yes" and not e.deliberately_broken],
    ids=lambda e: e.short[-60:],
)
def test_valid_files_have_no_errors_unless_the_gateway_explains_why(entry: CorpusFile) -> None:
    result = outcome(entry)
    if entry.short in DISAGREEMENTS:
        assert result.error_codes, f"listed as a disagreement but no error was found: {entry.short}"
        assert EXPECTED_FINDINGS[entry.short] <= result.error_codes, _details(result.errors)
        return
    assert not result.error_codes, _details(result.errors) or result.unreadable


@pytest.mark.parametrize(
    "entry",
    [e for e in FILES if e.valid_guess != "yes" or e.deliberately_broken],
    ids=lambda e: e.short[-60:],
)
def test_broken_files_get_their_specific_findings(entry: CorpusFile) -> None:
    result = outcome(entry)
    expected = EXPECTED_FINDINGS.get(entry.short)
    assert expected, f"no expected findings recorded for {entry.short}: {result.row()}"
    found = result.error_codes | {f.code for f in result.warnings}
    assert expected <= found, _details(result.errors + result.warnings)
    if not result.error_codes:
        assert entry.short in DISAGREEMENTS, "a broken file with warnings only must say why"


def test_every_disagreement_names_a_file_of_the_corpus() -> None:
    names = {e.short for e in FILES}
    assert set(DISAGREEMENTS) <= names and set(EXPECTED_FINDINGS) <= names


@pytest.mark.parametrize(
    "entry",
    [e for e in FILES if any(outcome(e).passed_through)],
    ids=lambda e: e.short[-60:],
)
def test_sets_the_gateway_does_not_translate_pass_through_whole_or_are_rejected_code_1(
    entry: CorpusFile,
) -> None:
    """Passed through (a partner's profile opts in), such a set keeps every segment; by
    default its 997/999 rejects it with AK502/IK502 code 1 (transaction set not supported)."""
    result = outcome(entry)
    assert all(read == kept for read, kept in result.passed_through)
    rejected: list[Finding] = []

    def strict(document: Document) -> list[Finding]:
        findings = translate_or_report(document)[1]
        rejected.extend(f for f in findings if f.code == "translation.unsupported")
        return findings

    report = scan(entry.path, on_document=strict)
    assert len(rejected) == len(result.passed_through)
    assert all(f.transaction_code == "1" and f.is_error for f in rejected)
    answered = [
        tx
        for ack in report.acknowledgements
        for group in ack.functional
        for tx in group.transactions
        if tx.transaction_set_id not in TRANSLATORS
    ]
    assert all(tx.status == "R" and "1" in tx.error_codes for tx in answered)

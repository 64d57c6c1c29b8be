"""A partner's validation policy (``[x12.validation]``): which findings it makes warnings, and
profiles that name a finding no policy can downgrade, refused with the file, line and code meant."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters import REGISTRY
from adapters.formats.x12.findings import Finding, Level, Severity
from adapters.formats.x12.profile import X12Profile
from adapters.formats.x12.validation_policy import (
    DOWNGRADABLE,
    ValidationPolicy,
    timeline_lines,
)
from gateway.errors import PartnerConfigError
from gateway.partners import load_partner

IDS = 'sender_id = "GATEWAY"\nreceiver_id = "ACME"\n'


def finding(code: str, *, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, "what is wrong", Level.ELEMENT, severity=severity, transaction="0001")


def policy(**data: object) -> ValidationPolicy:
    return ValidationPolicy.model_validate(data)


def test_a_profile_without_a_policy_is_strict() -> None:
    profile = X12Profile(sender_id="GATEWAY", receiver_id="ACME")
    assert profile.validation.strict
    findings = [finding("syntax.invalid_code")]
    assert profile.validation.downgrade(findings, "850") == []
    assert findings[0].is_error and findings[0].downgraded_by is None


def test_the_findings_named_become_warnings_naming_the_key_that_downgraded_them() -> None:
    rules = policy(
        warn=["envelope.functional_group_mismatch"],
        sets={"850": {"warn": ["syntax.date_six_digits"]}},
    )
    findings = [
        finding("envelope.functional_group_mismatch"),
        finding("syntax.date_six_digits"),
        finding("syntax.invalid_code"),  # not named: still an error
        finding("syntax.trailing_spaces", severity=Severity.WARNING),  # a warning already
    ]
    done = rules.downgrade(findings, "850")
    assert [(f.code, f.downgraded_by) for f in done] == [
        ("envelope.functional_group_mismatch", "x12.validation.warn"),
        ("syntax.date_six_digits", "x12.validation.sets.850.warn"),
    ]
    assert findings[:2] == done  # in place: the set's own list, which its 997/999 is made of
    assert [f.severity for f in findings] == [
        Severity.WARNING,
        Severity.WARNING,
        Severity.ERROR,
        Severity.WARNING,
    ]
    assert [f.acknowledged for f in findings] == [True, True, True, False]
    assert findings[3].downgraded_by is None


def test_a_set_s_own_list_applies_to_that_set_only() -> None:
    rules = policy(sets={"850": {"warn": ["syntax.invalid_code"]}})
    in_855 = [finding("syntax.invalid_code")]
    assert rules.downgrade(in_855, "855") == [] and in_855[0].is_error
    assert rules.key_for("syntax.invalid_code", "850") == "x12.validation.sets.850.warn"


def test_a_downgraded_finding_says_so_to_a_person() -> None:
    [done] = policy(warn=["syntax.invalid_code"]).downgrade([finding("syntax.invalid_code")], "850")
    assert done.describe().startswith("warning (downgraded by x12.validation.warn): ")
    assert done.to_dict()["downgraded_by"] == "x12.validation.warn"


def test_timeline_lines_name_finding_and_policy_and_are_bounded() -> None:
    done = policy(warn=["syntax.invalid_code"]).downgrade(
        [finding("syntax.invalid_code") for _ in range(5)], "850"
    )
    [line, *_] = lines = timeline_lines("acme", done, limit=3)
    assert line.startswith(
        "syntax.invalid_code downgraded to a warning by partner acme's profile "
        "(x12.validation.warn): transaction 0001: what is wrong"
    )
    assert len(lines) == 3 and lines[-1] == "... and 3 more finding(s) downgraded, left off"


@pytest.mark.parametrize(
    "code",
    [
        "envelope.se_count",  # what arrived is not what was sent
        "syntax.segment_unexpected",  # the rest of the set may be read in the wrong loop
        "syntax.too_many_components",  # the guard trimmed the content
        "validation.engine_failure",
        "translation.failed",
    ],
)
def test_findings_that_vouch_for_the_document_cannot_be_downgraded(code: str) -> None:
    assert code not in DOWNGRADABLE
    with pytest.raises(ValidationError, match="unknown finding code that can be downgraded"):
        policy(warn=[code])


def test_the_three_examples_of_partners_guides_can_be_downgraded() -> None:
    examples = ["envelope.functional_group_mismatch", "syntax.invalid_code"]
    assert policy(warn=[*examples, "syntax.date_six_digits"]).warn == [
        *examples,
        "syntax.date_six_digits",
    ]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(text)
    return path


def test_a_profile_s_policy_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[x12]\n{IDS}[x12.validation]\nwarn = ["syntax.invalid_code"]\n'
        '[x12.validation.sets."850"]\nwarn = ["syntax.date_six_digits"]\n',
    )
    settings = load_partner(path, REGISTRY).settings("x12", X12Profile)
    assert settings is not None
    assert settings.validation.warn == ["syntax.invalid_code"]
    assert settings.validation.sets["850"].warn == ["syntax.date_six_digits"]


def test_a_misspelt_code_is_refused_with_file_line_key_and_the_code_meant(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        f'[x12]\n{IDS}[x12.validation.sets."850"]\nwarn = ["syntax.date_six_digit"]\n',
    )
    with pytest.raises(PartnerConfigError) as caught:
        load_partner(path, REGISTRY)
    text = str(caught.value)
    assert text.startswith(f"{path}, line 5: x12.validation.sets.850.warn.0: ")
    assert "unknown finding code that can be downgraded 'syntax.date_six_digit': " in text
    assert "did you mean 'syntax.date_six_digits'?" in text


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ('[x12.validation]\nwarm = ["syntax.invalid_code"]\n', "x12.validation.warm", "warn"),
        ('[x12.validation.sets."85"]\nwarn = []\n', "x12.validation.sets.85", "3 digits"),
        ('[x12.validation]\nwarn = "syntax.invalid_code"\n', "x12.validation.warn", "list"),
    ],
)
def test_a_bad_policy_names_its_key(tmp_path: Path, section: str, key: str, message: str) -> None:
    path = write(tmp_path, f"[x12]\n{IDS}{section}")
    with pytest.raises(PartnerConfigError, match=message) as caught:
        load_partner(path, REGISTRY)
    assert f": {key}" in str(caught.value)

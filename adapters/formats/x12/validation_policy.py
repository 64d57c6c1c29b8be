"""A partner's validation policy: named findings downgraded to warnings, as its guide allows.

Strict by default: every finding an error. A partner's profile may name findings, by their
stable code, that are only warnings for it (as Bots' partner grammar overrides and commercial
partner guides allow), for every set or for one set id::

    [x12.validation]
    warn = ["envelope.functional_group_mismatch"]     # an 850 in a group whose GS01 is not PO
    [x12.validation.sets."850"]
    warn = ["syntax.invalid_code", "syntax.date_six_digits"]

Only the findings of :data:`DOWNGRADABLE` can be named: the deviations partners' guides allow
(a group kind, a code, a date form, a length, an element or segment a guide makes optional or
repeats more). The others stay errors whatever a profile says, because the gateway cannot
vouch for a document with them: envelope counts and control numbers (what was sent is not what
arrived), segments the map cannot place (the rest of the set may be read in the wrong loop),
repetitions and components the validation guard had to trim, the HL hierarchy, a failure of the
validation engine, and translation. An unknown code is an error at profile load
(``check-config``), naming the file, the key and the code meant.

A downgraded finding is a warning whose :attr:`~.findings.Finding.downgraded_by` names the
profile key that downgraded it: the set is accepted and published, the finding stays in the
report, and the document's timeline gets a ``downgraded`` event for each one. Its 997/999 says
**accepted, errors noted** (AK5/IK5 ``E``, with the AK3/AK4 or IK3/IK4 of the findings, and AK9
``E`` when every set of the group is accepted): X12 defines ``E`` for exactly this, a set
accepted although the receiver found errors in it, and the partner hears of what its guide
tolerates instead of silence (a plain ``A`` would tell it nothing is wrong, an ``R`` would ask it
to send again what was taken).

The guard's share: a downgraded set reaches translation with what the validator complained of;
translation never raises (:func:`~.translation.translate_or_report`), so a value it cannot take
(a date it cannot read, a mandatory field missing) makes the set rejected with a
``translation.failed`` finding, which no policy downgrades.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gateway.registry import unknown

from .findings import Finding, Severity

DOWNGRADABLE: Final[dict[str, str]] = {
    "envelope.functional_group_mismatch": "a set in a group whose GS01 is not the one its ST01 "
    "belongs in (an 850 in a group that is not PO)",
    "syntax.invalid_code": "a code outside the element's code list",
    "syntax.date_six_digits": "a date in 6 digits (YYMMDD) where X12 asks for 8 (CCYYMMDD)",
    "syntax.invalid_date": "a value that is no valid date",
    "syntax.invalid_time": "a value that is no valid time",
    "syntax.element_too_long": "a value longer than the element allows",
    "syntax.element_too_short": "a value shorter than the element allows",
    "syntax.element_missing": "a mandatory element left out",
    "syntax.conditional_element_missing": "an element a syntax note asks for left out",
    "syntax.exclusion_violated": "elements a syntax note makes exclusive used together",
    "syntax.invalid_character": "a character the element's data type does not allow",
    "syntax.segment_missing": "a mandatory segment or loop left out",
    "syntax.segment_over_max_use": "a segment repeated more often than the standard allows",
    "syntax.loop_over_max": "a loop repeated more often than the standard allows",
}
"""The codes a policy may name, each with what it is."""
POLICY_KEY: Final = "x12.validation"
"""Where the policy is in a partner's profile (its keys are named from here)."""


def _downgradable(code: str) -> str:
    if code not in DOWNGRADABLE:
        raise ValueError(str(unknown("finding code that can be downgraded", code, DOWNGRADABLE)))
    return code


def _set_id(set_id: str) -> str:
    if not (len(set_id) == 3 and set_id.isdigit()):
        raise ValueError(f"{set_id!r}: expected a transaction set id of 3 digits (850)")
    return set_id


FindingCode = Annotated[str, AfterValidator(_downgradable)]
SetId = Annotated[str, AfterValidator(_set_id)]


class SetPolicy(BaseModel):
    """``[x12.validation.sets."<ST01>"]``: what one transaction set adds to the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warn: list[FindingCode] = Field(
        default_factory=list, description="findings that are warnings in this set"
    )


class ValidationPolicy(BaseModel):
    """``[x12.validation]``: the findings that are warnings for this partner (strict: none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warn: list[FindingCode] = Field(
        default_factory=list,
        description="finding codes that are warnings in every set of the partner "
        f"(known: {', '.join(DOWNGRADABLE)})",
    )
    sets: dict[SetId, SetPolicy] = Field(
        default_factory=dict,
        description='more finding codes that are warnings, by transaction set: {"850" = '
        '{warn = ["syntax.date_six_digits"]}}',
    )

    @property
    def strict(self) -> bool:
        return not self.warn and not any(policy.warn for policy in self.sets.values())

    def key_for(self, code: str, set_id: str) -> str | None:
        """The profile key that makes ``code`` a warning in set ``set_id``; None: an error."""
        policy = self.sets.get(set_id)
        if policy is not None and code in policy.warn:
            return f"{POLICY_KEY}.sets.{set_id}.warn"
        if code in self.warn:
            return f"{POLICY_KEY}.warn"
        return None

    def downgrade(self, findings: list[Finding], set_id: str) -> list[Finding]:
        """Make the errors of ``findings`` (one set's, ``set_id``) the policy names warnings, in
        place (the list is the set's own: its 997/999 is decided from it); returns them."""
        if self.strict:
            return []
        done: list[Finding] = []
        for index, finding in enumerate(findings):
            if not finding.is_error:
                continue
            key = self.key_for(finding.code, set_id)
            if key is not None:
                findings[index] = replace(finding, severity=Severity.WARNING, downgraded_by=key)
                done.append(findings[index])
        return done


def timeline_lines(partner: str | None, downgraded: list[Finding], limit: int) -> tuple[str, ...]:
    """One line for the document's timeline per downgraded finding (at most ``limit``, the last
    then saying how many more), naming the finding and the policy."""
    whose = f"partner {partner}'s profile" if partner else "the profile"
    lines = [
        f"{f.code} downgraded to a warning by {whose} ({f.downgraded_by}): {f.where()}: {f.message}"
        for f in downgraded
    ]
    if len(lines) <= limit:
        return tuple(lines)
    more = f"... and {len(lines) - limit + 1:,} more finding(s) downgraded, left off"
    return (*lines[: limit - 1], more)

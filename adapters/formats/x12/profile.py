"""A partner's X12 settings: the ``[x12]`` section of its profile (``mappings/partners/*.toml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from gateway.ports import FormatConfig, InboundPolicy

from .validation_policy import ValidationPolicy


class X12Profile(FormatConfig):
    """How documents for this partner are written (``[x12]``), and what it answers with."""

    sender_qualifier: str = Field(default="ZZ", description="ISA05: our id's qualifier")
    sender_id: str = Field(description="ISA06 and GS02: our id, as the partner knows us")
    receiver_qualifier: str = Field(default="ZZ", description="ISA07: the partner's qualifier")
    receiver_id: str = Field(description="ISA08 and GS03: the partner's id")
    version: Literal["004010", "005010"] = Field(default="004010", description="GS08")
    usage_indicator: Literal["P", "T"] = Field(default="P", description="ISA15: production/test")
    element_separator: str = Field(default="*", min_length=1, max_length=1)
    component_separator: str = Field(default=">", min_length=1, max_length=1)
    segment_terminator: str = Field(default="~", min_length=1, max_length=1)
    repetition_separator: str | None = Field(
        default=None, min_length=1, max_length=1, description="ISA11 from 005010 (default ^)"
    )
    line_break: bool = Field(default=True, description="a line break after each segment")
    acknowledgement: Literal["997", "999", "none"] = Field(
        default="997", description="what the partner sends back for our documents"
    )
    # -- what the partner sends us
    partner_ids: list[str] = Field(
        default_factory=list,
        description="other ids the partner sends under (ISA05/ISA06), besides "
        'receiver_qualifier:receiver_id: "QUALIFIER:ID", or "ID" for any qualifier. A file in '
        "its inbox under any other sender id is refused (quarantined, no acknowledgement)",
    )
    application_ids: list[str] = Field(
        default_factory=list,
        description="GS02 codes the partner sends under, besides the ids above",
    )
    control_numbers_reused: Literal["accept", "reject"] = Field(
        default="accept",
        description="a document under the control numbers of an earlier one with other content "
        '(counters reset): "accept" processes it as a new document, noted on its timeline and '
        'announced; "reject" refuses its interchange (TA1 R, code 025)',
    )
    unsupported_sets: Literal["reject", "pass_through"] = Field(
        default="reject",
        description="a transaction set the gateway does not translate (820, 812...): "
        '"reject" in the 997/999 (AK5 R, code 1); "pass_through" publishes its segments as '
        "an UntranslatedTransaction message",
    )
    test_interchanges: Literal["separate", "production"] = Field(
        default="separate",
        description='documents of test interchanges (ISA15 T or I): "separate" publishes them '
        "under the routing keys edi.test.<kind>.<partner>, apart from production; "
        '"production" as production documents',
    )
    validation: ValidationPolicy = Field(
        default_factory=ValidationPolicy,
        description="findings that are only warnings for this partner ([x12.validation] warn, "
        'and per set [x12.validation.sets."850"] warn): strict by default',
    )

    @field_validator("partner_ids")
    @classmethod
    def _ids_have_one_qualifier(cls, ids: list[str]) -> list[str]:
        for text in ids:
            if text.count(":") > 1 or not text.rpartition(":")[2].strip():
                raise ValueError(f'{text!r}: expected "QUALIFIER:ID" or "ID"')
        return ids

    def sender_ids(self) -> frozenset[tuple[str, str]]:
        """(qualifier, id) pairs the partner sends under; qualifier ``""`` matches any."""
        ids = {(self.receiver_qualifier.strip(), self.receiver_id.strip())}
        for text in self.partner_ids:
            qualifier, _, value = text.rpartition(":")
            ids.add((qualifier.strip(), value.strip()))
        return frozenset(ids)

    @property
    def expects_acknowledgement(self) -> bool:
        return self.acknowledgement != "none"

    def inbound_policy(self) -> InboundPolicy:
        return InboundPolicy(
            reject_reused_control_numbers=self.control_numbers_reused == "reject",
            test_apart=self.test_interchanges == "separate",
        )

    @model_validator(mode="after")
    def _separators_differ(self) -> X12Profile:
        used = [self.element_separator, self.component_separator, self.segment_terminator]
        if self.repetition_separator is not None:
            used.append(self.repetition_separator)
        if len(set(used)) != len(used) or any(ch.isalnum() or ch == " " for ch in used):
            raise ValueError("separators must be distinct and neither letters, digits nor spaces")
        return self

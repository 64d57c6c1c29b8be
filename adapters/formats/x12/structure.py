"""The envelope structure of X12 as the reader yields it: interchanges, groups, transaction sets.

The reader streams *events* (:data:`Event`): an :class:`InterchangeStart`, then per group a
:class:`GroupStart`, each :class:`TransactionSet` (its segments from ST to SE, its findings), a
:class:`GroupEnd`, and finally an :class:`InterchangeEnd`. Only one transaction set is held in
memory at a time; groups and interchanges keep small summaries for their acknowledgements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gateway.messages import Envelope, X12Envelope

from .findings import Finding, has_errors
from .segments import Segment, Separators

# GS01 functional identifier expected for each ST01 transaction set id.
FUNCTIONAL_IDS: dict[str, str] = {
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "860": "PC",
    "865": "CA",
    "810": "IN",
    "820": "RA",
    "846": "IB",
    "852": "PD",
    "940": "OW",
    "943": "AR",
    "944": "RE",
    "945": "SW",
    "947": "AW",
    "997": "FA",
    "999": "FA",
    "204": "SM",
    "210": "IM",
    "214": "QM",
    "990": "GF",
    "753": "GF",
    "754": "GF",
    "830": "PS",
    "862": "SS",
    "832": "SC",
    "812": "CD",
    "824": "AG",
    "864": "TX",
    "180": "AN",
    "869": "RS",
    "870": "RS",
    "861": "RC",
    "857": "BS",
    "816": "OR",
    "888": "MF",
    "875": "OG",
    "880": "GP",
    "270": "HS",
    "271": "HB",
    "276": "HR",
    "277": "HN",
    "278": "HI",
    "834": "BE",
    "835": "HP",
    "837": "HC",
}


def parse_date(text: str) -> dt.date | None:
    """CCYYMMDD or YYMMDD to a date; None when not a valid date."""
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        if len(text) == 6 and text.isdigit():
            year = int(text[:2])
            return dt.date(2000 + year if year < 50 else 1900 + year, int(text[2:4]), int(text[4:]))
    except ValueError:
        return None
    return None


def parse_time(text: str) -> dt.time | None:
    """HHMM, HHMMSS or HHMMSSd.. to a time; None when not a valid time."""
    try:
        if len(text) >= 4 and text[:4].isdigit():
            seconds = int(text[4:6]) if len(text) >= 6 and text[4:6].isdigit() else 0
            return dt.time(int(text[:2]), int(text[2:4]), seconds)
    except ValueError:
        return None
    return None


@dataclass(slots=True)
class InterchangeHeader:
    """What an ISA says."""

    segment: Segment
    separators: Separators
    authorization_qualifier: str
    authorization: str
    security_qualifier: str
    security: str
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    standards_id: str
    """ISA11: ``U`` before 00402, the repetition separator from 00402 on."""
    version: str
    control_number: str
    ack_requested: str
    usage_indicator: str
    partner: str | None = None
    """The gateway's name of the partner the file came from (None outside the pipeline)."""

    def envelope(self) -> Envelope:
        """The canonical envelope of what this interchange holds directly (a TA1)."""
        return Envelope.of_x12(X12Envelope(**self.facts()), partner=self.partner)

    def facts(self) -> dict[str, str]:
        """The ISA's facts of a canonical envelope (:class:`X12Envelope` fields)."""
        usage = self.usage_indicator if self.usage_indicator in ("P", "T", "I") else "P"
        return {
            "sender_qualifier": self.sender_qualifier.strip(),
            "sender_id": self.sender_id.strip(),
            "receiver_qualifier": self.receiver_qualifier.strip(),
            "receiver_id": self.receiver_id.strip(),
            "interchange_control_number": self.control_number.strip(),
            "interchange_version": self.version.strip(),
            "usage_indicator": usage,
        }


@dataclass(slots=True)
class GroupHeader:
    """What a GS says."""

    segment: Segment
    functional_id: str
    application_sender: str
    application_receiver: str
    date: str
    time: str
    control_number: str
    agency: str
    version: str

    @property
    def created_at(self) -> dt.datetime | None:
        day, clock = parse_date(self.date), parse_time(self.time)
        if day is None:
            return None
        return dt.datetime.combine(day, clock or dt.time())


@dataclass(slots=True)
class TransactionSet:
    """One transaction set: its segments from ST to SE inclusive, with what was found in them."""

    interchange: InterchangeHeader
    group: GroupHeader
    segments: list[Segment]
    findings: list[Finding] = field(default_factory=list)
    file_name: str | None = None

    @property
    def set_id(self) -> str:
        return self.segments[0].get(1).strip()

    @property
    def control_number(self) -> str:
        return self.segments[0].get(2).strip()

    @property
    def implementation_reference(self) -> str | None:
        return self.segments[0].value(3)

    @property
    def body(self) -> list[Segment]:
        """The segments between ST and SE (SE excluded even when missing)."""
        end = len(self.segments) - 1 if self.segments[-1].tag == "SE" else len(self.segments)
        return self.segments[1:end]

    @property
    def accepted(self) -> bool:
        return not has_errors(self.findings)

    def describe(self) -> str:
        """Where this transaction set is, in words."""
        return (
            f"interchange {self.interchange.control_number.strip()}, "
            f"group {self.group.control_number}, "
            f"transaction {self.control_number} ({self.set_id})"
        )

    def envelope(self) -> Envelope:
        """The canonical envelope of this transaction set: its ISA's, GS's and ST's facts."""
        facts = X12Envelope(
            **self.interchange.facts(),
            application_sender=self.group.application_sender.strip(),
            application_receiver=self.group.application_receiver.strip(),
            group_control_number=self.group.control_number.strip(),
            version=self.group.version.strip(),
            transaction_control_number=self.control_number,
            implementation_reference=self.implementation_reference,
            created_at=self.group.created_at,
        )
        return Envelope.of_x12(facts, partner=self.interchange.partner)


@dataclass(slots=True)
class TransactionSummary:
    """What a functional acknowledgement needs to know about one transaction set."""

    set_id: str
    control_number: str
    implementation_reference: str | None
    findings: list[Finding]
    """Its errors, and the errors a partner's policy downgraded (noted: AK5/IK5 ``E``)."""

    @property
    def accepted(self) -> bool:
        return not has_errors(self.findings)


@dataclass(slots=True)
class InterchangeStart:
    header: InterchangeHeader


@dataclass(slots=True)
class GroupStart:
    interchange: InterchangeHeader
    header: GroupHeader


@dataclass(slots=True)
class GroupEnd:
    """A functional group is complete (or was cut short); everything its 997/999 needs."""

    interchange: InterchangeHeader
    header: GroupHeader
    transactions: list[TransactionSummary]
    findings: list[Finding]
    """Group-level findings (GE missing, counts, control numbers, stray segments)."""
    trailer: Segment | None


@dataclass(slots=True)
class InterchangeEnd:
    """An interchange is complete (or was cut short); everything its TA1 needs."""

    header: InterchangeHeader
    group_count: int
    findings: list[Finding]
    """Interchange-level findings (IEA missing or disagreeing, ISA element errors)."""
    trailer: Segment | None


@dataclass(slots=True)
class TechnicalAck:
    """A TA1 segment received inside an interchange (between ISA and the first GS)."""

    interchange: InterchangeHeader
    segment: Segment


@dataclass(slots=True)
class Stray:
    """Findings about data outside any interchange (garbage before, between or after)."""

    findings: list[Finding]


Event = (
    InterchangeStart
    | GroupStart
    | TransactionSet
    | GroupEnd
    | InterchangeEnd
    | TechnicalAck
    | Stray
)

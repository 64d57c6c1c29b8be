"""What every warehouse set's tests (940, 943, 944, 945, 947) check alike: a sample validates
clean and is accepted in the functional ack, and rendered messages validate clean."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats.x12.pyx12_engine import Pyx12Validator
from adapters.formats.x12.report import scan
from gateway.control_numbers import InMemoryCounter
from gateway.messages import Message
from tests.unit.x12.strategies import transaction_from_text
from tests.unit.x12.test_round_trip import interchange_text, read_back


def assert_sample_is_accepted(body: str, set_id: str, version: str, message: Message) -> None:
    """``body`` (a ``set_id`` set's segments) validates clean against the maps, and ``message``
    (what it translates to) rendered is accepted, one set, in its functional ack."""
    tx = transaction_from_text(body, set_id, version)
    assert Pyx12Validator().validate(tx).findings == []
    report = scan(interchange_text(message).encode(), counter=InMemoryCounter())
    assert (report.transactions, report.accepted, report.has_errors) == (1, 1, False)
    assert f"AK2*{set_id}*" in report.acknowledgements[0].text


def assert_rendered_validate_clean(messages: st.SearchStrategy[Message]) -> None:
    """Every message drawn from ``messages``, rendered and read back, validates clean."""
    validator = Pyx12Validator()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(messages)
    def validates_clean(message: Message) -> None:
        findings = validator.validate(read_back(interchange_text(message))).findings
        assert findings == [], "\n".join(f"{f.code} {f.element}: {f.message}" for f in findings)

    validates_clean()
